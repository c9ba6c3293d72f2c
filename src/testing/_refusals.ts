/**
 * The refusals of one object being applied, gathered as kube-apiserver v1.36.3 reports them (measured): its
 * validation lists every problem it finds, `[a, b]`, in the order it checks the fields; a Service's allocators (a
 * cluster IP or node port given, IP families) refuse first and alone. A field here stops at its first problem, where
 * the real server may list several, and a list of more than 10 is cut to its first 10 and their count, where the real
 * server lists every one. Private to the fake API server.
 *
 * @module
 */

/**
 * The validation's order of a Service's fields, by the start of each problem (measured with one POST holding several); a
 * problem none matches is an allocator's, or the fake's own words for a value of the wrong JavaScript type: it comes
 * alone.
 */
export const SERVICE_ORDER: readonly RegExp[] = [
  /^metadata\.labels[ [:]/,
  /^spec\.ports: Required value/,
  /^spec\.clusterIPs: Forbidden: may not be set for ExternalName/,
  /^spec\.ipFamilies: Forbidden: may not be set for ExternalName/,
  /^spec\.ipFamilyPolicy: Forbidden: may not be set for ExternalName/,
  /^spec\.externalName: /,
  // Each port's own checks; the fake's own words for a value of the wrong JavaScript type too.
  /^spec\.ports\[\d+\](?!\.nodePort| must not repeat)/,
  // A key's problem, a value's (`spec.selector["a"]`), the fake's words for a map of the wrong type.
  /^spec\.selector[ :[]/,
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

/**
 * A refusal that says its problem apart: thrown by a check's `refuse`, or by a check of its own, it stops that check
 * only when a gatherer runs it. Still a `TypeError` to anyone else.
 */
export class Refusal extends TypeError {
  /**
   * @param message The whole message.
   * @param problem The problem alone, as a list of several quotes it.
   */
  constructor(message: string, readonly problem: string = message) {
    super(message);
  }
}

/** How many problems a refusal lists; it counts the others. */
const LISTED = 10;

const stop: Refuse = (problem) => {
  throw new Refusal(problem);
};

/** The checks of one part of an object (a port, an endpoint), each run as {@linkcode Refusals.attempt} runs it. */
export interface PartChecks {
  /** Runs one check of the part; a problem it refuses is kept, and marks the part failed. */
  check(run: (refuse: Refuse) => void): void;
  /** Whether a check of the part refused: the part is then left out of the object. */
  readonly failed: boolean;
}

/** The refusals of one object being applied. */
export interface Refusals {
  /**
   * Runs one check; a problem it refuses is kept (and `fallback` returned), or thrown at once and alone when it is
   * no validation problem.
   */
  attempt<T>(check: (refuse: Refuse) => T, fallback: T): T;
  /** Starts the checks of one part of the object, which remember whether any of them refused. */
  part(): PartChecks;
  /**
   * Throws the problems kept, in the real server's order (`[a, b]` for several, the first 10 of more, and their count);
   * nothing when none was.
   */
  settle(): void;
}

/**
 * Gathers the refusals of an object.
 *
 * @param fail Makes the error to throw from the problem (or the bracketed list of them).
 * @param order The validation's order by the start of each problem (a problem none matches is thrown at once and
 *   alone); without it, every problem is kept in the order the checks found them.
 * @returns The gatherer.
 */
export function gatherRefusals(fail: (problem: string) => Error, order?: readonly RegExp[]): Refusals {
  const kept: { rank: number; problem: string }[] = [];
  const attempt: Refusals["attempt"] = (check, fallback) => {
    try {
      return check(stop);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const rank = order === undefined ? 0 : order.findIndex((start) => start.test(error.problem));
      if (rank === -1) throw fail(error.problem);
      kept.push({ rank, problem: error.problem });
      return fallback;
    }
  };
  return {
    attempt,
    part() {
      let failed = false;
      return {
        check(run) {
          const passed = attempt((refuse) => {
            run(refuse);
            return true;
          }, false);
          if (!passed) failed = true;
        },
        get failed() {
          return failed;
        },
      };
    },
    settle() {
      if (kept.length === 0) return;
      // Stable: problems of one field keep the order they were found in (the ports' by index).
      const problems = [...kept].sort((a, b) => a.rank - b.rank).map(({ problem }) => problem);
      if (problems.length === 1) throw fail(problems[0]);
      // A real server lists them all (1,000 bad endpoints made 114,837 characters, measured): too long to read.
      const more = problems.length - LISTED;
      throw fail(`[${problems.slice(0, LISTED).join(", ")}${more > 0 ? `, and ${more} more problems` : ""}]`);
    },
  };
}
