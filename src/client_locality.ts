/**
 * Where this client runs, shared by the subscriptions of one cluster
 * connection (its identity) and `options.locality`, whatever their
 * `options.backoff`: the Node is read once per process, not once per backoff
 * setting. When that read fails for a reason that may pass (a restarting
 * or throttling API server, a timeout, a 401 while credentials rotate or a
 * token webhook fails), the zone is unknown for now and the Node is read again
 * in the background, after the delays of the shortest `options.backoff` of
 * the subscriptions that share it, as the watch's own retries, until it
 * answers; the subscriptions then
 * select with the zone. After a refusal (403, 404) it is read again every
 * {@linkcode REFUSED_NODE_READ_AGAIN_MS}, as the Service's traffic policy is at
 * each resume of its watch: kube-proxy's informer of its Node retries a refused
 * list until it is granted, so a grant of `get` on `nodes` (or a Node made
 * since) needs no restart. A Node without a zone label is kept. Once its last
 * user is gone, a locality still waiting for its zone stops reading: after a
 * refusal it is kept, and the next user reads the Node again when the 5 minutes
 * are over (subscriptions one after another read it once per 5 minutes, not
 * once each); else (its first read under way too) it is forgotten, and the next
 * one starts afresh. Nothing runs after the last subscription.
 *
 * @module
 */

import {
  type BackoffOptions,
  createBackoff,
  DEFAULT_BACKOFF_INITIAL_MS,
  DEFAULT_BACKOFF_MAX_MS,
} from "./base/backoff.ts";
import type { ClusterAccess } from "./cluster/types.ts";
import { createClusterHttpClient } from "./api/cluster_http_client.ts";
import { KubeApiError } from "./base/errors.ts";
import { readNodeZone, ZONE_LABEL } from "./api/kube_api.ts";
import { resolveLocality, TOPOLOGY_OFF_ADVICE } from "./selection/locality.ts";
import { withTimeout } from "./runtime/abortable.ts";
import { type Clock, systemClock } from "./runtime/clock.ts";
import type { Locality } from "./selection/topology.ts";
import { trace, warnOnce } from "./runtime/trace.ts";

/** A client's locality as its subscriptions see it: its zone may become known after the first read. */
export interface ClientLocality {
  /** The locality as known now. */
  readonly current: Locality;
  /**
   * Where the zone came from: `ZONE`, `locality.zone` (a mistyped one turns topology off: it is warned about), or
   * the label of the node; `undefined` while the zone is unknown.
   */
  readonly zoneFrom: string | undefined;
  /** Whether `options.locality` was given: `{}` turns topology off on purpose, which is not warned about. */
  readonly explicit: boolean;
  /**
   * Why the zone is unknown though the node is (see {@linkcode unknownZoneNote}): its Node has no zone label, or could
   * not be read; `undefined` when the zone is known, or the node is not.
   */
  readonly zoneNote: string | undefined;
  /**
   * Adds a user, whose `onZone` runs when the zone becomes known later.
   *
   * @returns Ends the use.
   */
  use(onZone: () => void): () => void;
}

/** How long one read of the Node may take, in ms. */
const NODE_READ_TIMEOUT_MS = 10_000;

/**
 * How long after a refusal (403, 404) the Node is read again, in ms: 5 minutes, the shortest time between the resumes
 * of a watch, at which the Service's policy is read again after a 403. A refused GET costs the API server little, but
 * every client of the cluster sends it: kube-proxy's one per node retries within 30 s.
 */
export const REFUSED_NODE_READ_AGAIN_MS = 300_000;

/** The timers of the reads made again (see {@linkcode setLocalityClock}). */
let clock: Clock = systemClock;

/**
 * Sets the clock of the Node reads made again from now on, or puts the real one back. Internal, for tests: they move
 * its time on rather than wait 5 minutes; not part of the package's API.
 *
 * @param next The clock, or `undefined` for the real one.
 *
 * @example The real clock again
 * ```ts
 * import { setLocalityClock } from "./client_locality.ts";
 * setLocalityClock(undefined);
 * ```
 */
export function setLocalityClock(next: Clock | undefined): void {
  clock = next ?? systemClock;
}

/** A locality shared by subscriptions, while its first read is under way and after. */
interface SharedLocality {
  locality: Promise<ClientLocality>;
  /** How many callers wait for its first read; -1 once that read is over. */
  waiting: number;
  /** Ends its reads, the first one too. */
  controller: AbortController;
  /** Drops it from the shared ones, if it is still there: the next caller reads afresh. */
  forget(): void;
  /** The shortest `options.backoff` of its callers: the delays between reads of the Node that failed. */
  backoff: Required<BackoffOptions>;
  /** Brings a pending read forward after a caller with a shorter backoff came; set once the first read is over. */
  hasten(): void;
}

const localities = new Map<string, SharedLocality>();

/**
 * The locality of this client on a cluster, shared by every subscription with the same connection and
 * `options.locality`: channels with other `options.backoff` read the Node once between them.
 *
 * @param access The cluster connection (the Node is read through it).
 * @param explicit `options.locality`, when the caller set it.
 * @param connectionKey What tells this connection from others (no secret in it).
 * @param backoff `options.backoff`: the delays between reads of the Node that failed, as the watch's own retries;
 *   the shortest of the callers', when they share the locality.
 * @param signal Ends the caller's wait: the first read of the Node stops once every caller that waits for it left.
 * @returns The shared locality; rejects only with the reason of `signal`, once it aborted.
 *
 * @example
 * ```ts ignore
 * import { clientLocality } from "./client_locality.ts";
 * const left = new AbortController();
 * const locality = await clientLocality(access, { node: "node-1" }, "key", { initialMs: 250 }, left.signal);
 * const release = locality.use(() => console.log("zone now known:", locality.current.zone));
 * release();
 * ```
 */
export function clientLocality(
  access: ClusterAccess,
  explicit: Locality | undefined,
  connectionKey: string,
  backoff: BackoffOptions | undefined,
  signal: AbortSignal,
): Promise<ClientLocality> {
  // Not by `backoff`: each setting kept a locality of its own, and N of them read a refused Node N times per 5 minutes.
  const key = `${connectionKey}\u0000${JSON.stringify(explicit ?? null)}`;
  let shared = localities.get(key);
  if (!shared) {
    const forget = () => {
      if (localities.get(key) === created) localities.delete(key);
    };
    const created: SharedLocality = {
      locality: undefined!,
      waiting: 0,
      controller: new AbortController(),
      forget,
      backoff: withDefaults(backoff),
      hasten: () => {},
    };
    created.locality = readLocality(access, explicit, created);
    created.locality.then(() => created.waiting = -1);
    localities.set(key, shared = created);
  } else {
    // A channel with a shorter backoff learns the zone after its own delays, as it did with a locality of its own.
    const { initialMs, maxMs } = withDefaults(backoff);
    if (initialMs < shared.backoff.initialMs || maxMs < shared.backoff.maxMs) {
      shared.backoff = {
        initialMs: Math.min(initialMs, shared.backoff.initialMs),
        maxMs: Math.min(maxMs, shared.backoff.maxMs),
      };
      shared.hasten();
    }
  }
  return waitFor(shared, signal);
}

/**
 * `shared`'s locality, or the reason of `signal` once it aborts: the last caller to leave while the first read is
 * under way ends that read, and forgets the locality, so that the next caller reads afresh.
 */
function waitFor(shared: SharedLocality, signal: AbortSignal): Promise<ClientLocality> {
  if (signal.aborted) return Promise.reject(signal.reason);
  // The first read is over: the locality's own users (see `use()`) hold it from then on.
  if (shared.waiting < 0) return shared.locality;
  shared.waiting++;
  return new Promise((resolve, reject) => {
    const leave = () => {
      reject(signal.reason);
      if (shared.waiting < 0 || --shared.waiting > 0) return;
      shared.controller.abort();
      shared.forget();
    };
    signal.addEventListener("abort", leave, { once: true });
    shared.locality.then((locality) => {
      signal.removeEventListener("abort", leave);
      resolve(locality);
    });
  });
}

/** `options.backoff` with its defaults filled in. */
function withDefaults(backoff: BackoffOptions | undefined): Required<BackoffOptions> {
  return {
    initialMs: backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS,
    maxMs: backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS,
  };
}

async function readLocality(
  access: ClusterAccess,
  explicit: Locality | undefined,
  shared: SharedLocality,
): Promise<ClientLocality> {
  const { controller, forget } = shared;
  const readZone = async (node: string) => {
    const client = createClusterHttpClient(access);
    try {
      // Shared by every watch of this cluster and locality: no one watch's signal may end it.
      return await withTimeout(
        controller.signal,
        NODE_READ_TIMEOUT_MS,
        (signal) => readNodeZone(access, client, node, signal),
      );
    } finally {
      client.close();
    }
  };
  let failure: unknown;
  // Whether the zone was read from the Node, as ZONE (or locality.zone) was unset or blank, and that zone as written.
  let askedNode = false;
  let writtenZone: string | undefined;
  let current = await resolveLocality(explicit, (node, zone) => {
    askedNode = true;
    writtenZone = zone;
    return readZone(node).catch((error) => {
      failure = error;
      throw error;
    });
  });
  let zoneNote = current.zone === undefined && current.node !== undefined
    ? unknownZoneNote(current.node, failure)
    : undefined;
  if (current.zone === undefined && failure !== undefined) {
    warnZoneUnread(access, current.node!, failure, { explicit, writtenZone, offAdvice: TOPOLOGY_OFF_ADVICE });
  }
  const users = new Set<() => void>();
  // Every caller left during the first read: nobody uses this locality, and it reads no more.
  let waiting = !controller.signal.aborted && current.node !== undefined && current.zone === undefined &&
    failure !== undefined;
  let cancelTimer: (() => void) | undefined;
  // When the last read was refused (403, 404), until the next one starts: that one is due 5 minutes later.
  let refusedAt: number | undefined;
  // Nobody uses the refused locality now: its timer is stopped until a user comes, who reads it again when due.
  let paused = false;
  let readWhenDue = () => {};
  const locality: ClientLocality = {
    get current() {
      return current;
    },
    get zoneFrom() {
      if (current.zone === undefined) return undefined;
      return askedNode ? `the label of node ${current.node}` : explicit ? "locality.zone" : "ZONE";
    },
    explicit: explicit !== undefined,
    get zoneNote() {
      return zoneNote;
    },
    use(onZone) {
      users.add(onZone);
      if (paused) {
        paused = false;
        readWhenDue();
      }
      return () => {
        users.delete(onZone);
        if (users.size > 0 || !waiting) return;
        cancelTimer?.();
        // Kept: subscriptions one after another (channels that go idle and come back) read it once per 5 minutes.
        if (refusedAt !== undefined) return void (paused = true);
        waiting = false;
        controller.abort();
        forget();
      };
    },
  };
  if (waiting) {
    const node = current.node!;
    let backoffOptions = shared.backoff;
    let backoff = createBackoff(backoffOptions);
    // Why the read due next failed, while it may pass (a backoff delay away).
    let passing: unknown;
    const retry = () => {
      if (!waiting) return;
      refusedAt = undefined;
      passing = undefined;
      readZone(node).then(
        (zone) => {
          if (!waiting) return;
          waiting = false;
          zoneNote = unknownZoneNote(node);
          if (zone === undefined) return trace(`node ${node} has no zone label: the zone stays unknown`);
          zoneNote = undefined;
          current = { ...current, zone };
          trace(`locality: zone ${zone} (from the label of node ${node}, read again): topology-aware routing is on`);
          for (const onZone of users) onZone();
        },
        (error) => {
          if (!waiting) return;
          zoneNote = unknownZoneNote(node, error);
          if (!nodeReadMayPass(error)) {
            warnZoneUnread(access, node, error, { explicit, writtenZone, offAdvice: TOPOLOGY_OFF_ADVICE });
          }
          schedule(error);
        },
      );
    };
    const schedule = (error: unknown) => {
      const refused = !nodeReadMayPass(error);
      if (backoffOptions !== shared.backoff) backoff = createBackoff(backoffOptions = shared.backoff);
      const delayMs = refused ? REFUSED_NODE_READ_AGAIN_MS : backoff.next();
      passing = refused ? undefined : error;
      const why = refused ? ` (refused: ${(error as Error).message})` : "";
      trace(`reading node ${node} again in ${Math.round(delayMs)} ms, for its zone${why}`);
      refusedAt = refused ? clock.now() : undefined;
      cancelTimer = clock.setTimeout(retry, delayMs);
    };
    readWhenDue = () => {
      const delayMs = Math.max(0, refusedAt! + REFUSED_NODE_READ_AGAIN_MS - clock.now());
      trace(`reading node ${node} again in ${Math.round(delayMs)} ms, for its zone (refused before, used again)`);
      cancelTimer = clock.setTimeout(retry, delayMs);
    };
    shared.hasten = () => {
      if (!waiting || passing === undefined) return;
      cancelTimer?.();
      schedule(passing);
    };
    schedule(failure);
  }
  return locality;
}

/**
 * Says on standard error, once per node, cluster identity and reason, that the API server refused the Node's zone
 * (403, 404; it is read again every 5 minutes): topology would otherwise go without a zone silently, as it does where
 * `NODE_NAME` is set and `get` on `nodes` is not granted. The message names the API server and the credentials' source: a process that watches two
 * clusters (or one as two identities) gets one warning for each, and the one to fix (a missing grant in the cluster
 * that has the Node) is not hidden by the other's (no such Node in a cluster the process only watches). Other
 * failures are only traced, and retried (a 401 with the credentials read afresh). The CLI says it too, for `--node`.
 *
 * @param access The cluster the Node was read from.
 * @param node The Node's name.
 * @param error Why its read failed: only a 403 or a 404 is said.
 * @param options `explicit`: `options.locality`, when the caller set it (the message then names it, else
 *   `NODE_NAME`); `writtenZone`: the zone as written, `ZONE` or `locality.zone`, as {@linkcode resolveLocality} hands it
 *   to the Node's read (a blank one is said); `offAdvice`: how to turn topology off, said last: the library's
 *   {@linkcode TOPOLOGY_OFF_ADVICE}; the CLI, which has no such option, leaves it out.
 *
 * @example
 * ```ts ignore
 * import { warnZoneUnread } from "./client_locality.ts";
 * warnZoneUnread(access, "node-1", new KubeApiError("Forbidden", { status: 403 }), { explicit: { node: "node-1" } });
 * ```
 */
export function warnZoneUnread(
  access: ClusterAccess,
  node: string,
  error: unknown,
  { explicit, writtenZone, offAdvice }: {
    explicit?: Locality | undefined;
    writtenZone?: string | undefined;
    offAdvice?: string;
  } = {},
): void {
  const status = error instanceof KubeApiError ? error.status : undefined;
  if (status !== 403 && status !== 404) return;
  const nodeFrom = explicit === undefined ? "NODE_NAME" : "locality.node";
  const zoneFrom = explicit === undefined ? "ZONE" : "locality.zone";
  // Set but empty: the Downward API's copy of a pod's zone label, which pods have only from Kubernetes 1.35 on.
  const blank = writtenZone?.trim() === "";
  const emptyZone = explicit === undefined
    ? "ZONE is set but empty (a pod's zone label, which Kubernetes copies onto pods from 1.35 on)"
    : "locality.zone is empty";
  // After "ZONE is set but empty", "it" would read as ZONE.
  const grant =
    `grant ${blank ? "get on nodes" : "it"} (README: Topology-aware routing; the Node is read again every ` +
    `5 minutes, so no restart is needed)`;
  const cause = status === 403 ? `"get" on "nodes" is not granted` : "there is no such Node";
  const fix = status === 403 ? grant : `check ${nodeFrom}`;
  const readAgain = status === 403 ? "" : " (it is read again every 5 minutes)";
  const what = blank
    ? `${cause}, and ${emptyZone}: ${fix}${readAgain}`
    : `${cause}: ${fix}, or set ${zoneFrom} too${readAgain}`;
  warnOnce(
    // The reason too: a 404 after a 403's grant (a wrong node name) is news, which the 403's warning did not say.
    [`node ${node} ${access.identity} ${status}`],
    `cannot read the zone of node ${node} (from ${nodeFrom}) at ${access.server} with the credentials from ` +
      `${access.source}, so topology-aware routing goes without a zone there: ${what}${
        offAdvice === undefined ? "" : `; ${offAdvice}`
      }`,
  );
}

/**
 * Why a client's zone is unknown though its node is, as the reason for topology `none` says it (the CLI's and the
 * resolver's trace): its Node has no zone label (kube-proxy then goes without a zone too), does not exist, or could not
 * be read.
 *
 * @param node The client's node.
 * @param error Why the read of its Node failed; `undefined` when the Node answered without a zone label.
 * @returns The note, such as `node n1 has no topology.kubernetes.io/zone label`.
 *
 * @example
 * ```ts
 * import { unknownZoneNote } from "./client_locality.ts";
 * console.log(unknownZoneNote("n1")); // "node n1 has no topology.kubernetes.io/zone label"
 * ```
 */
export function unknownZoneNote(node: string, error?: unknown): string {
  if (error === undefined) return `node ${node} has no ${ZONE_LABEL} label`;
  const status = error instanceof KubeApiError ? error.status : undefined;
  return status === 404
    ? `node ${node} does not exist`
    : status === 403
    ? `node ${node} cannot be read: "get" on "nodes" is not granted`
    : `node ${node} cannot be read: ${(error as Error).message}`;
}

/**
 * Whether a failed read of the Node may succeed soon, and is made again with backoff: anything but the API server's
 * 403 or 404 (a grant or a Node made since: read again every {@linkcode REFUSED_NODE_READ_AGAIN_MS}). A 401 may pass, as
 * the watch takes it: the credentials are read afresh after it (a rotated token), and a token webhook that failed
 * once answers the next time.
 *
 * @param error Why the read failed.
 * @returns Whether to read the Node again.
 *
 * @example
 * ```ts
 * import { nodeReadMayPass } from "./client_locality.ts";
 * console.log(nodeReadMayPass(new Error("connection refused"))); // true
 * ```
 */
export function nodeReadMayPass(error: unknown): boolean {
  return !(error instanceof KubeApiError && [403, 404].includes(error.status ?? 0));
}
