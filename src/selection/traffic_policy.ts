/**
 * A Service's `internalTrafficPolicy`, which only the Service says (its EndpointSlices do not), read with a GET of
 * the Service from the API server's watch cache with the first slices, and once its watch, listing again or resuming,
 * is answered (see {@linkcode readPolicyOnAnswer}). Under `Local`, kube-proxy sends a client's traffic only to the
 * pods on the client's own node, and nowhere when there is none (`CategorizeEndpoints` in `pkg/proxy/topology.go`); it
 * leaves headless Services alone, so `Local` on one changes nothing here either.
 *
 * Credentials without `get` on `services` cannot read it: the Service is then used as `Cluster` (every pod, as
 * before the policy was read), which a trace line says once; a Service that cannot be read for another reason
 * keeps the policy read last, and is read again with backoff.
 *
 * @module
 */

import { createBackoff, DEFAULT_BACKOFF_MAX_MS } from "../base/backoff.ts";
import type { Backoff, BackoffOptions } from "../base/backoff.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import { type EndpointSliceApi, notFoundByServer, type Service, type ServiceApi } from "../api/kube_api.ts";
import { retryAfterMs } from "../api/retry_after.ts";
import { trace, warnOnce } from "../runtime/trace.ts";
import type { Clock } from "../runtime/clock.ts";
import { realClearTimeout, realSetTimeout } from "../runtime/real_timers.ts";
import { unrefTimer } from "../runtime/unref_timer.ts";
import { DEFAULT_STALL_TIMEOUT_MS, type WatchEndReason } from "../watch/reflector.ts";
import type { EndpointSlice } from "../base/endpoint_slice.ts";
import { sameShape, type ServiceShape, serviceShape } from "./service_shape.ts";
import { listsPod } from "./no_endpoints_reason.ts";

/**
 * What the reads of a Service tell: its `internalTrafficPolicy` (or why it is unknown), whether it or its namespace is
 * missing, and what its spec says of where its endpoints come from.
 */
export interface TrafficPolicyState {
  /** `Local` when the Service says so and has a cluster IP; else `Cluster`, also while the policy is unknown. */
  policy: "Local" | "Cluster";
  /** Why the policy is not known (the Service could not be read yet), when it is not. */
  unknown?: string | undefined;
  /**
   * What the last read found missing: the API server answered 404 naming the Service (`service`), and a GET of its
   * namespace, when the credentials may make it, 404 naming that (`namespace`). An empty set's reason then says so. A
   * Service created later is read again when its first slices arrive; while none is there (a Service without a
   * selector never gets one), it is read again every 10 to 30 s (see {@linkcode MISSING_RECHECK}).
   */
  missing?: "service" | "namespace" | undefined;
  /**
   * What the Service's spec says of where its endpoints come from (selector, type, ports), when the last read that
   * answered found it; kept through a read that fails, dropped by a 403 or 404. An empty set's reason names it. It is
   * read again when the slices start or stop listing pods (see {@linkcode readOnSlicesComeOrGo}), and while they list
   * none, after 10 to 20 s, then less often, up to every 2.5 to 5 minutes (see {@linkcode PODLESS_RECHECK}): a
   * selector changed to another that matches no pod leaves the slice as it was (v1.36.3), and an ExternalName or a
   * Service without a selector has none to change.
   */
  shape?: ServiceShape | undefined;
}

/** Options of {@linkcode createTrafficPolicyReader}. */
export interface TrafficPolicyReaderOptions {
  /** The Service's name, for messages. */
  service: string;
  /** The Service's namespace, for messages. */
  namespace: string;
  /** Reads the Service. */
  api: ServiceApi;
  /** Ends the reader: no read starts or reports after it aborts. */
  signal: AbortSignal;
  /**
   * A read that takes longer fails (and is retried), in ms.
   * @default {150000}
   */
  timeoutMs?: number | undefined;
  /** Delays between failed reads (default 1 s doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions | undefined;
  /**
   * How long the first read may go unanswered before the policy is taken as unknown (every pod, as under `Cluster`)
   * until it answers, in ms: a hung read must not hold a client's first endpoints for `timeoutMs`.
   * @default {2000}
   */
  firstAnswerMs?: number | undefined;
  /**
   * The Service's slices now: slices there say their namespace exists, so a 404 of the Service asks no more (see
   * {@linkcode TrafficPolicyState.missing}); slices that list no pod have the Service read again later (see
   * {@linkcode TrafficPolicyState.shape}), and {@linkcode TrafficPolicyReader.podsComeOrGo} tells when they start or
   * stop listing pods.
   * @default {() => undefined}
   */
  slices?: (() => Iterable<EndpointSlice> | undefined) | undefined;
  /** Called when {@linkcode TrafficPolicyReader.current} changed, the first answer included. */
  onChange(): void;
  /**
   * Reads the time and runs the timers: the read's time limits, the retries, the spacing of reads (tests drive a
   * fake one).
   * @default {`performance.now()` and the runtime's own timers, which do not keep the process alive; see
   * {@linkcode setDefaultPolicyClock}}
   */
  clock?: Clock | undefined;
}

/** The `internalTrafficPolicy` of one Service; see {@linkcode createTrafficPolicyReader}. */
export interface TrafficPolicyReader {
  /**
   * What is known; `undefined` until the first read ended or went `firstAnswerMs` unanswered (`onChange` follows).
   * The same object until `onChange` is called.
   */
  current(): TrafficPolicyState | undefined;
  /**
   * Reads the Service (the first call starts the first read), unless a read is under way or waits to be retried, or
   * (unless `spaced`) the Service answered, or refused the read, less than a second ago; after a 403 too, so that a grant of `get` on
   * `services` made while the client runs is honoured at the next relist or resume of the watch (every 5 to 10
   * minutes), or when a channel joins.
   *
   * @param why For the trace line.
   * @param spaced Whether the read may wait: one asked for by a channel that joins (or for a Service's first slices)
   * waits until a second after the last read ended, and serves every channel that joins meanwhile (no GET per
   * channel).
   * @param changed Whether the read is for a change seen just now (see {@linkcode readOnSlicesComeOrGo}): a read
   * under way may have been answered before it, so one more follows it, spaced.
   */
  refresh(why: string, spaced?: boolean, changed?: boolean): void;
  /**
   * The policy a client at `node` gets: `Local` when the Service has it and the node is known; else `undefined`
   * (pods on every node, those of the client's zone preferred when topology applies), with a warning, once per
   * Service, when it has it and the node is unknown.
   *
   * @param node The client's node, when known.
   * @returns `Local`, or `undefined`.
   */
  policyFor(node: string | undefined): "Local" | undefined;
  /**
   * Holds the reads due (a retry, a refresh) while `held`, until it is called with `false`, which starts the one
   * held: while the watch resumes, behind a balancer that hands out connections in turn, a read would take the turn
   * that the watch needs. The first read is not held: nothing is delivered to a client on a known node before it.
   *
   * @param held Whether reads wait.
   */
  hold(held: boolean): void;
  /**
   * Whether the Service's slices (`options.slices`) started (`"come"`) or stopped (`"go"`) listing a pod since the
   * last call; `undefined` when they did neither, and at the first call. The controller lists the pods of a selector
   * changed to one that matches a pod not ready yet in the slice it kept without endpoints, and empties it for one that
   * matches none (v1.36.3): the selector that the last read found would be stale (see
   * {@linkcode readOnSlicesComeOrGo}).
   *
   * @returns `"come"`, `"go"`, or `undefined`.
   */
  podsComeOrGo(): "come" | "go" | undefined;
}

/**
 * Creates the reader of one Service's `internalTrafficPolicy`; the first {@linkcode TrafficPolicyReader.refresh}
 * reads it. Its timers do not keep the process alive.
 *
 * @param options The Service, how to read it, and what to call when the policy changes.
 * @returns The reader.
 *
 * @example A Service that the credentials may not read
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { createTrafficPolicyReader } from "./traffic_policy.ts";
 * const reader = createTrafficPolicyReader({
 *   service: "agent",
 *   namespace: "prod",
 *   api: { get: () => Promise.reject(new KubeApiError("Forbidden", { status: 403 })) },
 *   signal: new AbortController().signal,
 *   onChange: () => console.log(reader.current()?.policy), // "Cluster"
 * });
 * reader.refresh("the first state");
 * ```
 */
export function createTrafficPolicyReader(options: TrafficPolicyReaderOptions): TrafficPolicyReader {
  const { service, namespace, api, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const firstAnswerMs = options.firstAnswerMs ?? 2_000;
  const backoff = createBackoff(options.backoff);
  const clock = options.clock ?? defaultClock;
  const name = `service ${service} in namespace ${namespace}`;
  let state: TrafficPolicyState | undefined;
  let reading = false;
  /** The status of the refusal (403, 404) traced last, so that one that repeats at each resume is traced once. */
  let refusalTraced: number | undefined;
  /** Cancels the retry of a failed read. */
  let retryTimer: (() => void) | undefined;
  /** When the last read ended, and when the last that the Service answered (or refused: 403, 404) did (`clock.now()`). */
  let endedAt = -Infinity;
  let answeredAt = -Infinity;
  /** Cancels the read that waits to be spaced from the last. */
  let spacedTimer: (() => void) | undefined;
  /** Cancels the next read of a Service not found, or without pods (see {@linkcode recheck}); any read replaces it. */
  let recheckTimer: (() => void) | undefined;
  const missingBackoff = createBackoff(MISSING_RECHECK);
  const podlessBackoff = createBackoff(PODLESS_RECHECK);
  const sliced = () => !(options.slices?.() ?? [])[Symbol.iterator]().next().done;
  const listsNoPod = () => {
    for (const slice of options.slices?.() ?? []) if (listsPod(slice)) return false;
    return true;
  };
  /** Whether the slices listed a pod at the last {@linkcode TrafficPolicyReader.podsComeOrGo}. */
  let podsListed: boolean | undefined;
  /** Whether reads wait (see `hold`), and why the one that waits is due. */
  let held = false;
  let heldRead: string | undefined;
  /**
   * Why a read is due after the one under way (see `refresh`'s `changed`): that one may have been answered before the
   * change that asked for it (the slices' new pods, after a new selector).
   */
  let readAfter: string | undefined;
  signal.addEventListener("abort", () => {
    retryTimer?.();
    spacedTimer?.();
    recheckTimer?.();
  }, { once: true });

  function settle(next: TrafficPolicyState): void {
    const changed = next.policy !== state?.policy || next.unknown !== state?.unknown ||
      next.missing !== state?.missing || !sameShape(next.shape, state?.shape);
    // The state stays the same object while it says the same: selections compare it by identity.
    if (!changed) return;
    state = next;
    if (!signal.aborted) options.onChange();
  }

  async function read(why: string): Promise<void> {
    reading = true;
    recheckTimer?.();
    recheckTimer = undefined;
    trace(`reading ${name} for its internalTrafficPolicy (${why})`);
    const deadline = new AbortController();
    const abort = () => deadline.abort();
    signal.addEventListener("abort", abort, { once: true });
    const cancelTimeout = clock.setTimeout(abort, timeoutMs);
    // The slices are there, the Service's answer is not (a stalled API server, APF queueing): every pod meanwhile.
    const cancelUnanswered = state !== undefined ? undefined : clock.setTimeout(() => {
      const reason = `no answer within ${firstAnswerMs} ms yet`;
      trace(`${name}: ${reason} to the read of its internalTrafficPolicy; every pod is used until it answers`);
      settle({ policy: "Cluster", unknown: reason });
    }, firstAnswerMs);
    try {
      const found = await api.get(deadline.signal);
      const policy = policyOf(found);
      if (policy !== state?.policy || state.unknown !== undefined) {
        trace(
          `${name}: internalTrafficPolicy ${policy}${policy === "Local" ? ": only pods on the client's node" : ""}`,
        );
      }
      refusalTraced = undefined;
      backoff.reset();
      answeredAt = clock.now();
      missingBackoff.reset();
      if (listsNoPod()) recheck(listsNoPod, "its slices list no pod", podlessBackoff);
      else podlessBackoff.reset();
      settle({ policy, shape: serviceShape(found) });
    } catch (cause) {
      if (signal.aborted) return;
      const reason = deadline.signal.aborted ? `no answer within ${timeoutMs} ms (stallTimeoutMs)` : describe(cause);
      const refused = cause instanceof KubeApiError && (cause.status === 403 || cause.status === 404);
      if (refused && refusalTraced !== cause.status) {
        refusalTraced = cause.status;
        trace(
          `${name}: cannot read its internalTrafficPolicy (${reason}); every pod is used, as under Cluster` +
            (cause.status === 403 ? `: grant "get" on "services" to honour Local as kube-proxy does` : ""),
        );
      }
      // A refusal is as definite an answer as the Service: a relist 100 ms after it (a resume's 410) reads no more.
      if (refused) answeredAt = clock.now();
      else {
        // A 429 or 5xx with Retry-After (priority and fairness) waits as asked, as the port lookup's read does.
        const delay = Math.max(backoff.next(), retryAfterMs(cause, options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS));
        trace(`${name}: cannot read its internalTrafficPolicy (${reason}); reading again in ${Math.round(delay)} ms`);
        retryTimer = clock.setTimeout(() => {
          retryTimer = undefined;
          start("retry");
        }, delay);
      }
      // The policy read last stays: a failed read must not move clients off their node's pods, nor onto them.
      const kept = state?.unknown === undefined && state !== undefined
        ? state
        : { policy: "Cluster" as const, unknown: reason };
      // Only the API server's own 404 names the Service: a proxy's or a path's says nothing of whether it exists.
      const notFound = notFoundByServer(cause, "services", service);
      // A Service's 404 reads the same in a namespace that does not exist: kubectl then reads the Namespace too.
      const askNamespace = notFound && !sliced();
      const missing = !notFound
        ? undefined
        : askNamespace && await api.namespaceMissing?.(deadline.signal)
        ? "namespace"
        : "service";
      if (signal.aborted) return;
      if (missing) recheck(() => !sliced(), "it was not found", missingBackoff);
      else missingBackoff.reset();
      // A refusal (403, 404) no longer says what the Service is; another failure keeps what the last answer said.
      const shape = refused ? undefined : kept.shape;
      const { policy, unknown } = kept;
      settle(missing ? { policy, unknown, missing } : { policy, unknown, ...(shape ? { shape } : {}) });
    } finally {
      endedAt = clock.now();
      reading = false;
      cancelTimeout();
      cancelUnanswered?.();
      signal.removeEventListener("abort", abort);
    }
    const after = readAfter;
    readAfter = undefined;
    if (after !== undefined) refresh(after, true);
  }

  /**
   * Reads the Service again later while `due()`: its watch may not list again for 10 minutes, while its empty reason
   * says what the last read found. A Service not found is due while it has no slice (one created since gets none if
   * it has no selector; slices there read it themselves), one found while its slices list no pod.
   */
  function recheck(due: () => boolean, why: string, delays: Backoff): void {
    if (!due() || retryTimer !== undefined) return;
    recheckTimer = clock.setTimeout(() => {
      recheckTimer = undefined;
      if (!reading && due()) start(why);
    }, delays.next());
  }

  /** Reads now, unless reads are held: then once they are not. The first read is never held: deliveries wait for it. */
  function start(why: string): void {
    if (held && state !== undefined) {
      if (heldRead === undefined) trace(`${name}: its read (${why}) waits until the watch's API server answers again`);
      heldRead ??= why;
    } else void read(why);
  }

  /** See {@linkcode TrafficPolicyReader.refresh}. */
  function refresh(why: string, spaced = false, changed = false): void {
    if (reading && changed) readAfter ??= why;
    const busy = reading || retryTimer !== undefined || spacedTimer !== undefined || heldRead !== undefined;
    if (busy || signal.aborted) return;
    // The Service answered less than a second ago: as fresh as another read now (after an API server's restart,
    // the retried read answered, then the 410's relist read again 100 ms later).
    if (!spaced && clock.now() - answeredAt < JOIN_SPACING_MS) {
      return trace(`${name}: not read again for ${why}: it answered less than a second ago`);
    }
    const wait = spaced ? endedAt + JOIN_SPACING_MS - clock.now() : 0;
    if (wait <= 0) return start(why);
    spacedTimer = clock.setTimeout(() => {
      spacedTimer = undefined;
      if (!reading && retryTimer === undefined) start(why);
    }, wait);
  }

  return {
    current: () => state,
    refresh,
    policyFor(node) {
      if (state?.policy !== "Local") return undefined;
      if (node !== undefined) return "Local";
      warnOnce(
        // One key: each of three was warned once (agent in prod, cart in shop, then cart in prod said nothing).
        [`internalTrafficPolicy of ${namespace}/${service}`],
        `${name} has internalTrafficPolicy: Local, but this client's node is unknown, so its calls go to its pods on ` +
          "every node (within the client's zone when the Service's hints prefer it), not only to those on its node " +
          "as kube-proxy would send them: set NODE_NAME from the Downward API " +
          "(env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]) or locality.node",
      );
      return undefined;
    },
    hold(next) {
      held = next;
      const why = heldRead;
      if (held || why === undefined || signal.aborted) return;
      heldRead = undefined;
      if (!reading) void read(why);
    },
    podsComeOrGo() {
      const before = podsListed;
      podsListed = !listsNoPod();
      return before === undefined || before === podsListed ? undefined : podsListed ? "come" : "go";
    },
  };
}

/**
 * The delays between reads of a Service not found while it has no slice: 10 to 20 s, then 15 to 30 s (with jitter);
 * one GET of the Service, and one of its Namespace, each time.
 */
const MISSING_RECHECK: BackoffOptions = { initialMs: 10_000, maxMs: 30_000 };

/**
 * The delays between reads of a Service found while its slices list no pod: 10 to 20 s at first, so that a selector
 * just mended is told soon, then twice as long each time up to 2.5 to 5 minutes, so that a Service scaled to zero for
 * hours costs each client one GET every few minutes, not one every 30 s.
 */
const PODLESS_RECHECK: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

/** The least time between the end of a read and one asked for by a joining channel, in ms. */
const JOIN_SPACING_MS = 1_000;

/**
 * The reader's clock unless told otherwise: `performance.now()`, and the runtime's own timers (which a test's fake
 * timers do not replace: see `real_timers.ts`), which do not keep the process alive.
 */
const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = unrefTimer(realSetTimeout(callback, ms));
    return () => realClearTimeout(timer);
  },
};

/** The clock of the readers created without one of their own (see {@linkcode setDefaultPolicyClock}). */
let defaultClock = REAL_CLOCK;

/**
 * Sets the clock of the readers created from now on without one of their own, those of the shared watches behind
 * `watchEndpoints()` and `register()` included, or puts the real one back. Internal, for tests: they move its time on
 * rather than wait out the second between reads; not part of the package's API.
 *
 * @param clock The clock, or `undefined` for the real one.
 *
 * @example A test's clock, then the real one again
 * ```ts
 * import { setDefaultPolicyClock } from "./traffic_policy.ts";
 * let ahead = 0;
 * setDefaultPolicyClock({ now: () => performance.now() + ahead, setTimeout: () => () => {} });
 * ahead += 1000; // A second passes for the readers created now.
 * setDefaultPolicyClock(undefined);
 * ```
 */
export function setDefaultPolicyClock(clock: Clock | undefined): void {
  defaultClock = clock ?? REAL_CLOCK;
}

/** The policy a Service gives its ClusterIP clients: `Local` only with a cluster IP (kube-proxy skips headless ones). */
function policyOf(found: Service): "Local" | "Cluster" {
  const spec = found.spec;
  return spec?.internalTrafficPolicy === "Local" && spec.clusterIP !== "None" ? "Local" : "Cluster";
}

function describe(cause: unknown): string {
  return cause instanceof ResolverError ? cause.message.replace(/^Cannot get [^:]*: /, "") : String(cause);
}

/**
 * Shares one GET of a Service between the callers that ask while it is under way (the port of a target without
 * one, and the traffic policy, both read as the first slices arrive): one request where each would send its own.
 * A joined caller gets the answer of the request under way, and its abort when the first caller's signal aborts;
 * one that asks for the latest Service (the port lookup) joins only a read of the latest, not one of the watch cache.
 *
 * @param api Reads the Service.
 * @returns The same call, shared while under way.
 *
 * @example Two reads at once, one request
 * ```ts
 * import { sharedServiceReads } from "./traffic_policy.ts";
 * let requests = 0;
 * const api = sharedServiceReads({ get: () => Promise.resolve({ spec: { ports: [{ name: `r${++requests}` }] } }) });
 * const signal = new AbortController().signal;
 * await Promise.all([api.get(signal), api.get(signal)]);
 * console.log(requests); // 1
 * ```
 */
export function sharedServiceReads(api: ServiceApi): ServiceApi {
  let pending: { request: Promise<Service>; latest: boolean } | undefined;
  return {
    get(signal, pauseTiming, latest = false) {
      if (pending && (pending.latest || !latest)) return pending.request;
      const read = pending = { request: api.get(signal, pauseTiming, latest), latest };
      const done = () => {
        if (pending === read) pending = undefined;
      };
      read.request.then(done, done);
      return read.request;
    },
    ...(api.namespaceMissing ? { namespaceMissing: (signal) => api.namespaceMissing!(signal) } : {}),
  };
}

/** What {@linkcode readPolicyOnAnswer} gives the reflector. */
export interface PolicyReadsOnAnswer {
  /** The watch's calls: the first that the API server answers after `relisted` or `watchEnded` reads the Service. */
  api: EndpointSliceApi;
  /** For `onList`, when the watch lists again (not for its first list: the first state reads the Service). */
  relisted(): void;
  /** For `onWatchEnd`: the watch ended and will be resumed. */
  watchEnded(reason: WatchEndReason): void;
}

/**
 * Reads a Service's policy for a relist or a resume of its watch once the API server answers the watch's next
 * request (a LIST page, or the watch's `200`), not as the old watch ends, and holds the retry of a failed read until
 * then too: no read fails through an outage and is retried beside the watch, and behind a balancer that hands out
 * connections in turn over a dead and a live API server, none takes the live one's turn that the resumed watch
 * needed (it then met the dead one twice in a row, and reported that).
 *
 * @param reader The Service's policy reader.
 * @param api The watch's calls.
 * @returns The calls and hooks to give the reflector.
 *
 * @example Read once the watch is answered again
 * ```ts
 * import { createTrafficPolicyReader, readPolicyOnAnswer } from "./traffic_policy.ts";
 * import type { EndpointSliceApi } from "../api/kube_api.ts";
 * const signal = new AbortController().signal;
 * const api = { get: () => Promise.resolve({ spec: { internalTrafficPolicy: "Local" } }) };
 * const reader = createTrafficPolicyReader({ service: "agent", namespace: "prod", api, signal, onChange() {} });
 * const slices = { redact: (text: string) => text } as EndpointSliceApi;
 * const reads = readPolicyOnAnswer(reader, slices);
 * reads.watchEnded("timeout"); // Nothing read yet: the Service is read once reads.api.watch() is answered.
 * ```
 */
export function readPolicyOnAnswer(reader: TrafficPolicyReader, api: EndpointSliceApi): PolicyReadsOnAnswer {
  let due: string | undefined;
  const answered = <T>(answer: T): T => {
    reader.hold(false);
    if (due) reader.refresh(due);
    due = undefined;
    return answer;
  };
  return {
    api: {
      ...api,
      list: (params) => api.list(params).then(answered),
      watch: (params) => api.watch(params).then(answered),
    },
    relisted() {
      reader.hold(true);
      due = "the watch lists again";
    },
    watchEnded(reason) {
      reader.hold(true);
      due = `the watch resumes (${reason})`;
    },
  };
}

/**
 * Reads the Service again (spaced from the last read, see {@linkcode TrafficPolicyReader.refresh}) when its slices go
 * from none to some (a Service created after a 404, or given a selector) or from some to none (one deleted, whose
 * slices the garbage collector takes), or start or stop listing pods (a selector changed to one that matches pods, or
 * to one that matches none; a Service scaled to zero, or up from it; see {@linkcode TrafficPolicyReader.podsComeOrGo}):
 * what the last answer said of it (a 404, its selector) would be stale, and the read made every 10 s to 5 minutes
 * while the slices list no pod stops once they list one. One GET of the Service from the watch cache per change (and
 * one more after a read under way, which may have been answered before it), no more than one a second. The
 * resolver's channels and the CLI's view call it with each state.
 *
 * @param reader The Service's reader.
 * @param before How many slices the last state had; `undefined` before the first state, which is read anyway.
 * @param after How many slices the new state has.
 *
 * @example The last slice deleted
 * ```ts
 * import { createTrafficPolicyReader, readOnSlicesComeOrGo } from "./traffic_policy.ts";
 * const signal = AbortSignal.abort(); // A reader that reads nothing: the example only calls it.
 * const api = { get: () => Promise.resolve({}) };
 * const reader = createTrafficPolicyReader({ service: "echo", namespace: "prod", api, signal, onChange() {} });
 * readOnSlicesComeOrGo(reader, 1, 0); // reader.refresh("its last slices deleted", true, true)
 * ```
 */
export function readOnSlicesComeOrGo(
  reader: Pick<TrafficPolicyReader, "refresh" | "podsComeOrGo">,
  before: number | undefined,
  after: number,
): void {
  // Asked at each state, the first too, so that the next state compares with this one.
  const pods = reader.podsComeOrGo();
  if (before === undefined) return;
  if ((before === 0) !== (after === 0)) {
    reader.refresh(after > 0 ? "its first slices" : "its last slices deleted", true, true);
  } else if (pods) {
    reader.refresh(pods === "come" ? "its slices list pods now" : "its slices no longer list a pod", true, true);
  }
}
