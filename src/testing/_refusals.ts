/**
 * The refusals of one Service being applied, gathered as kube-apiserver v1.36.3 reports them (measured): its
 * allocators (a cluster IP or node port given, IP families) refuse first and alone; its validation lists every
 * problem it finds, `[a, b]`, in the order it checks the fields (a port up to its first problem here, where the real
 * server lists each of its problems). Private to the fake API server.
 *
 * @module
 */

/**
 * The validation's order of the fields, by the start of each problem (measured with one POST holding several); a
 * problem none matches is an allocator's, or the fake's own words for a value of the wrong JavaScript type: it comes
 * alone.
 */
const ORDER: readonly RegExp[] = [
  /^spec\.ports: Required value/,
  /^spec\.clusterIPs: Forbidden: may not be set for ExternalName/,
  /^spec\.ipFamilies: Forbidden: may not be set for ExternalName/,
  /^spec\.ipFamilyPolicy: Forbidden: may not be set for ExternalName/,
  /^spec\.externalName: /,
  // Each port's own checks; the fake's own words for a value of the wrong JavaScript type too.
  /^spec\.ports\[\d+\](?!\.nodePort| must not repeat)/,
  /^spec\.selector[ :]/,
  /^spec\.sessionAffinity(Config\.clientIP\.timeoutSeconds)?: /,
  /^spec\.type: /,
  /^spec\.ports\[\d+\]\.nodePort: Forbidden: /,
  /^spec\.ports\[\d+\] must not repeat port/,
  /^spec\.allocateLoadBalancerNodePorts: Forbidden: /,
  /^spec\.externalTrafficPolicy: /,
  /^spec\.healthCheckNodePort: Invalid value: -?\d+: may only be set /,
  /^spec\.internalTrafficPolicy: /,
];

/** Throws the refusal of the Service being applied, with `problem` as its detail. */
export type Refuse = (problem: string) => never;

/** A problem thrown by a check's `refuse`, which stops that check only. */
class Refused extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = "Refused";
  }
}

const stop: Refuse = (problem) => {
  throw new Refused(problem);
};

/** The refusals of one Service being applied. */
export interface Refusals {
  /**
   * Runs one check; a problem it refuses is kept (and `fallback` returned), or thrown at once and alone when it is
   * no validation problem.
   */
  attempt<T>(check: (refuse: Refuse) => T, fallback: T): T;
  /** Throws the problems kept, in the real server's order (`[a, b]` for several); nothing when none was. */
  settle(): void;
  /** Whether a problem was kept. */
  readonly failed: boolean;
}

/**
 * Gathers the refusals of a Service.
 *
 * @param fail Makes the error to throw from the problem (or the bracketed list of them).
 * @returns The gatherer.
 */
export function gatherRefusals(fail: (problem: string) => Error): Refusals {
  const kept: { rank: number; problem: string }[] = [];
  return {
    attempt(check, fallback) {
      try {
        return check(stop);
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        const rank = ORDER.findIndex((start) => start.test(error.problem));
        if (rank === -1) throw fail(error.problem);
        kept.push({ rank, problem: error.problem });
        return fallback;
      }
    },
    settle() {
      if (kept.length === 0) return;
      // Stable: problems of one field keep the order they were found in (the ports' by index).
      const problems = kept.toSorted((a, b) => a.rank - b.rank).map(({ problem }) => problem);
      throw fail(problems.length === 1 ? problems[0] : `[${problems.join(", ")}]`);
    },
    get failed() {
      return kept.length > 0;
    },
  };
}
