/**
 * Everything `kgr-resolver` shows about one Service, kept up to date: the
 * snapshot `watchEndpoints()` would yield, every pod with why it is used or
 * not, the resourceVersion and the state of the watch. It runs its own
 * LIST+WATCH (not the shared one of `endpoint_subscription.ts`), because it
 * needs the raw slices and the watch's state. Only the CLI uses it, so it
 * lives in `cli/`.
 *
 * @module
 */

import type { ClusterAccess, ClusterOptions } from "../cluster/types.ts";
import type { CliProcess } from "../runtime/cli_process.ts";
import { createCoalescedDelivery } from "../_coalesced_delivery.ts";
import { resolveClusterAccess } from "../cluster/resolve_cluster_access.ts";
import { createClusterHttpClient } from "../api/cluster_http_client.ts";
import { explainEndpoints, type PodExplanation } from "../selection/endpoint_explanation.ts";
import { type ClientSelectionMemo, createClientSelectionMemo, selectForClient } from "../selection/client_selection.ts";
import type { EndpointSlice } from "../base/endpoint_slice.ts";
import { type EndpointSnapshot, snapshotOf } from "../endpoint_snapshot.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import { whenAborted, withTimeout } from "../runtime/abortable.ts";
import { unrefTimer } from "../runtime/unref_timer.ts";
import { type RunExecPlugin, runExecPlugin } from "../runtime/exec_plugin.ts";
import { createBackoff } from "../base/backoff.ts";
import { nodeReadMayPass, unknownZoneNote, warnZoneUnread } from "../client_locality.ts";
import { createEndpointSliceApi, createServiceApi, type EndpointSliceApi, readNodeZone } from "../api/kube_api.ts";
import { resolveLocality } from "../selection/locality.ts";
import { runReflector, type SliceState } from "../watch/reflector.ts";
import type { HttpClient } from "../runtime/http_client.ts";
import { createServicePortLookup, defaultPortCandidates, portToKeep } from "../selection/service_port.ts";
import {
  createTrafficPolicyReader,
  readOnSlicesComeOrGo,
  readPolicyOnAnswer,
  sharedServiceReads,
} from "../selection/traffic_policy.ts";
import type { Target } from "../base/target.ts";
import type { Locality } from "../selection/topology.ts";
import { missingNamespaceReason } from "../selection/no_endpoints_reason.ts";
import { defaultNamespaceNote, missingNamespaceFix } from "../cluster/namespace_note.ts";
import { displayClock } from "./display_clock.ts";
import { type ServicePresence, servicePresence, serviceReason } from "./service_presence.ts";

/**
 * How long a plugin that SIGINT ended waits to report it: this process's own Ctrl-C handler runs within milliseconds
 * of the plugin's end.
 */
const INTERRUPTED_PLUGIN_WAIT_MS = 1_000;

/** One cluster, as one identity, and the HTTP client that reaches it. */
export interface ClusterConnection {
  /** Where the cluster is (`server`), where that came from (`source`), and the credentials. */
  access: ClusterAccess;
  /** The runtime's HTTP client for the cluster. */
  client: HttpClient;
}

/**
 * Sets up cluster access as the resolver does (options, `KUBECONFIG`,
 * in-cluster, `~/.kube/config`), but with exec plugins that may ask on the
 * terminal of standard input, as kubectl's may.
 *
 * @param options Cluster options: kubeconfig, context, default namespace, ...
 * @param onTerminal Told `"start"` when an exec plugin starts with the terminal (it may ask there: a live table
 * must not draw over it), `"wrote"` before each line it writes there, and `"end"` when it ends.
 * @returns The connection; close its client when done.
 * @throws {ConfigError} When no cluster access can be set up.
 *
 * @example
 * ```ts ignore
 * import { connectCluster } from "./service_observer.ts";
 * const connection = await connectCluster({ context: "kind-kind" });
 * console.log(connection.access.server);
 * connection.client.close();
 * ```
 */
export async function connectCluster(
  options: ClusterOptions = {},
  onTerminal?: (use: "start" | "wrote" | "end") => void,
): Promise<ClusterConnection> {
  const runOnTerminal: RunExecPlugin = async (request) => {
    if (!request.terminal || onTerminal === undefined) return await runExecPlugin(request);
    onTerminal("start");
    const { stderrLine } = request;
    try {
      return await runExecPlugin({
        ...request,
        stderrLine: (line, unfinished) => {
          onTerminal("wrote");
          stderrLine?.(line, unfinished);
        },
      });
    } finally {
      onTerminal("end");
    }
  };
  const run: RunExecPlugin = async (request) => {
    const result = await runOnTerminal(request);
    // Ctrl-C on the terminal sends SIGINT to the plugin as to this process, which may see the plugin end first: a
    // failure that the command's own end on the signal is about to cut short, not one to show (kubectl, ended by the
    // same signal, prints nothing).
    if (!result.ok && result.reason === "exit" && result.detail === "SIGINT") {
      await new Promise((resolve) => setTimeout(resolve, INTERRUPTED_PLUGIN_WAIT_MS));
    }
    return result;
  };
  // A person at the terminal can answer an exec plugin's prompt (a password, a code), as kubectl lets them.
  const access = await resolveClusterAccess(options, { execStdin: "terminal", runExecPlugin: run });
  return { access, client: createClusterHttpClient(access) };
}

/**
 * Gives up a {@linkcode connectCluster} that a signal or a time limit cut short: a connection made afterwards is
 * closed; with an exit code, the process ends there: by the signal itself for an interrupt's (130, 143, 129), as an
 * unhandled one would, since Node would wait for a read that may never end (a FIFO as the kubeconfig) before it
 * exits; with the code for another (`--once`'s timeout: 1; on Node, once that read ends).
 *
 * @param connecting The connection under way.
 * @param cli The process, which ends where it can (`exitBySignal`).
 * @param exitCode The code the command ends with, or `undefined` to leave the ending to the caller (`check`'s
 *   timeout, which reports its step first).
 */
export async function abandonConnect(
  connecting: Promise<ClusterConnection>,
  cli: Pick<CliProcess, "exitBySignal">,
  exitCode: number | undefined,
): Promise<void> {
  connecting.then((late) => late.client.close(), () => {});
  if (exitCode !== undefined) await cli.exitBySignal?.(exitCode);
}

/**
 * Whether the watch is listing (since when, on `displayClock`), watching, or waiting to retry after failures (the
 * last one, and since when it has failed, on `displayClock`).
 */
export type WatchState =
  | { state: "listing"; since: number }
  | { state: "watching" }
  | { state: "retrying"; error: ResolverError; since: number };

/** What is known about the Service at one moment. */
export interface ServiceView {
  /** The Service's namespace. */
  namespace: string;
  /** The Service's name. */
  service: string;
  /** The port in use: the target's, else the Service's first once known. */
  port?: number | string;
  /** The client's node and zone, for topology. */
  locality: Locality;
  /**
   * Why the zone is unknown although the node is known: the node does not exist, has no zone label, or could
   * not be read (`node n1 does not exist`).
   */
  zoneNote?: string;
  /** The state of the watch. */
  watch: WatchState;
  /** Why a target without a port has none yet (the Service cannot be read). */
  portError?: ResolverError;
  /**
   * The failure of the last request for the slices, or for the Service's port while the view waits for it (not that
   * of the optional read of its internalTrafficPolicy), which may be waited out unreported (a 429 or 5xx that asks
   * to wait, a first 401): what a timeout that comes before the report says; cleared when the next request of its
   * kind is sent.
   */
  lastFailure?: ResolverError;
  /**
   * Whether a LIST of the slices has begun its answer and not ended it: what a timeout that comes then says (a slow
   * link to the API server, not one that does not answer).
   */
  listArriving?: boolean;
  /**
   * Whether `port` is the Service's first port, read from the Service (`get` on `services`): a target without a port
   * whose slices have several TCP port names; absent until the port is known.
   */
  portFromService?: boolean;
  /**
   * The Service's spec as its last read answered (the read of its port and internalTrafficPolicy), for what else it
   * says (ExternalName); `null` when that read was refused (403) or found no Service (404); absent before an answer.
   */
  serviceSpec?: Record<string, unknown> | null;
  /** The usable endpoints, as `watchEndpoints()` yields them; absent until the first LIST (and the port). */
  snapshot?: EndpointSnapshot;
  /** Every pod of the Service and why it is used or not; present with `snapshot`. */
  pods?: PodExplanation[];
  /** How many EndpointSlices the Service has, FQDN ones too; present with `snapshot`. */
  slices?: number;
  /**
   * When `snapshot` or `pods` last changed, on `displayClock` (ms since the epoch). For the first ones, the newest
   * `endpoints.kubernetes.io/last-change-trigger-time` of the slices (the EndpointSlice controller writes it):
   * absent when a slice has none.
   */
  changedAt?: number;
  /** How many times `snapshot` or `pods` changed: 1 with the first ones. */
  changes?: number;
}

/** Options of {@linkcode observeService}. */
export interface ObserveOptions {
  /** Ends the observation. */
  signal: AbortSignal;
  /** The client's locality; default: `NODE_NAME` and `ZONE`, and that node's zone label. */
  locality?: Locality;
  /** The client's subsetting (`subsetSize` and `subsetSeed`), when it subsets. */
  subset?: { size: number; seed: number };
  /** Receives the view at once (listing), then after every change of the pods, the port or the watch's state. */
  onView(view: ServiceView): void;
  /** How long a request may go without progress before it is retried, in ms; default: the resolver's (150 s). */
  stallTimeoutMs?: number;
  /** `false` reads EndpointSlices as JSON only, as the resolver's `protobuf: false` does; default: protobuf. */
  protobuf?: false;
  /**
   * `false` leaves out the warning on standard error that the Node's zone cannot be read (403, 404): `check` says it
   * in its report (the grant it lists, its topology step).
   */
  zoneWarning?: false;
}

/**
 * Follows one Service until `options.signal` aborts. Failures of the watch
 * show in `view.watch` and are retried.
 *
 * @param connection The cluster.
 * @param target The Service; its namespace defaults to the connection's.
 * @param options Signal, locality and the view's receiver.
 * @returns A promise that settles once the signal aborted and the watch stopped.
 *
 * @example Printing how many pods are used
 * ```ts ignore
 * import { connectCluster, observeService } from "./service_observer.ts";
 * const connection = await connectCluster();
 * await observeService(connection, { scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }, {
 *   signal: AbortSignal.timeout(10_000),
 *   onView: (view) => console.log(view.snapshot?.endpoints.length),
 * });
 * ```
 */
export async function observeService(
  connection: ClusterConnection,
  target: Target,
  options: ObserveOptions,
): Promise<void> {
  const { access, client } = connection;
  const { signal } = options;
  const namespace = target.namespace ?? access.namespace;
  const namespaceNote = target.namespace === undefined ? defaultNamespaceNote(access) : undefined;
  const service = target.service;
  let zoneNote: string | undefined;
  let zoneFailure: unknown;
  // ZONE (or --zone) as written, when the zone is read from the Node: a blank one is said in the warning.
  let writtenZone: string | undefined;
  const readZone = async (node: string) => {
    try {
      const zone = await withTimeout(signal, 10_000, (read) => readNodeZone(access, client, node, read));
      zoneNote = zone === undefined ? unknownZoneNote(node) : undefined;
      return zone;
    } catch (error) {
      zoneFailure = error;
      // On standard error, once, with what to do (403, 404).
      if (options.zoneWarning !== false) {
        warnZoneUnread(access, node, error, { explicit: options.locality, writtenZone });
      }
      zoneNote = unknownZoneNote(node, error);
      throw error;
    }
  };
  let locality = await resolveLocality(options.locality, (node, zone) => {
    writtenZone = zone;
    return readZone(node);
  });
  if (signal.aborted) return;
  let view: ServiceView = {
    namespace,
    service,
    port: target.port,
    locality,
    watch: { state: "listing", since: displayClock.now() },
  };
  if (zoneNote !== undefined) view.zoneNote = zoneNote;
  let state: SliceState | undefined;
  let version = 0;
  let memo: { port: number | string; memo: ClientSelectionMemo } | undefined;
  let shown = "";
  /**
   * What the Service's namespace holds, read once the Service's GET answered 404 and no slice is there: the Service
   * name meant, for `check`'s words ("did you mean echo?"); `"reading"` while the list is under way.
   */
  let presence: ServicePresence | "reading" | undefined;
  /** How many slices the last view had: the Service is read again when its first slices arrive, as channels read it. */
  let sliceCount = 0;

  const publish = (change: Partial<ServiceView>) => {
    view = { ...view, ...change };
    options.onView(view);
  };
  // As the resolver's channels (client_locality.ts): a read of the Node that failed for a reason that may pass is made
  // again in the background, and its zone then applies.
  if (zoneFailure !== undefined && nodeReadMayPass(zoneFailure)) {
    readZoneAgain(locality.node!, readZone, signal, (zone) => {
      if (zone !== undefined) locality = { ...locality, zone };
      // Shown with the selection for it: the topology reason of a view reads both.
      view = { ...view, locality, zoneNote };
      if (view.snapshot) update();
      else publish({});
    });
  }
  /** Which requests `lastFailure` is of: the slices' (LIST and WATCH) or the Service's. */
  let failedRequests: "slices" | "service" | undefined;
  /** Whether the port is read from the Service and not known yet: a target without a port, its slices several. */
  let waitsForServicePort = false;
  /**
   * A request's answer; its failure is kept in the view (see `lastFailure`) while it is waited out, until the next
   * request of its kind is sent: one that gets no answer is not that failure's. Sent is once its credentials are in:
   * an exec plugin that a 401 runs again leaves the 401 named meanwhile. `request` gets `pauseTiming` to pass on.
   */
  const answered = async <T>(
    request: (pauseTiming: () => () => void) => Promise<T>,
    pauseTiming: (() => () => void) | undefined,
    requestSignal: AbortSignal,
    kind: "slices" | "service",
  ): Promise<T> => {
    const sent = () => {
      if (failedRequests !== kind) return;
      failedRequests = undefined;
      publish({ lastFailure: undefined });
    };
    // The API calls pauseTiming only for an exec plugin's credentials (timeLimitMs), around its wait for them.
    const waitsForPlugin = access.credentials.timeLimitMs !== undefined;
    const pending = request(() => {
      const resume = pauseTiming?.();
      return () => {
        resume?.();
        sent();
      };
    });
    if (!waitsForPlugin) sent();
    try {
      return await pending;
    } catch (error) {
      // The Service's failure counts only while the view waits for its first port: its read for the
      // internalTrafficPolicy is optional (every pod is used without it), and its 404 or 403 is no reason why the
      // slices did not come.
      if ((kind === "slices" || waitsForServicePort) && !requestSignal.aborted && error instanceof ResolverError) {
        failedRequests = kind;
        publish({ lastFailure: error });
      }
      throw error;
    }
  };
  const serviceApi = createServiceApi(access, client, namespace, service);
  // One GET for the port and the internalTrafficPolicy, as the resolver's channels read them.
  const serviceReads = sharedServiceReads({
    get: (readSignal, pauseTiming, latest) =>
      answered((pause) => serviceApi.get(readSignal, pause, latest), pauseTiming, readSignal, "service").then(
        (found) => {
          // Kept for the view's next publication, which the answer brings (the port or the policy is known then).
          view = { ...view, serviceSpec: { ...found.spec } };
          return found;
        },
        (error) => {
          const refused = error instanceof KubeApiError && (error.status === 403 || error.status === 404);
          if (refused) view = { ...view, serviceSpec: null };
          throw error;
        },
      ),
    namespaceMissing: (readSignal) => serviceApi.namespaceMissing!(readSignal),
  });
  const portLookup = target.port !== undefined ? undefined : createServicePortLookup({
    service,
    namespace,
    api: serviceReads,
    signal,
    onChange: () => update(),
  });
  const trafficPolicy = createTrafficPolicyReader({
    service,
    namespace,
    api: serviceReads,
    signal,
    timeoutMs: options.stallTimeoutMs,
    onChange: () => update(),
    slices: () => state?.slices.values(),
  });

  /**
   * Publishes the view of the latest state. With `holdEmpty`, a state that would take the last usable pods is not
   * published, and the result says so (true), as the resolver holds it back from its channels (see
   * `_coalesced_delivery.ts`).
   */
  function update(holdEmpty = false): boolean {
    if (state === undefined) return false;
    let port = target.port ?? portLookup!.portFor(state.slices.values(), version);
    waitsForServicePort = port === undefined;
    // As the resolver's channels on a known node: nothing shown before the policy is known (never every pod first).
    // A view without a node waits too (at most `firstAnswerMs`), where the resolver's channels do not.
    const policyUnknown = trafficPolicy.current() === undefined;
    if (policyUnknown) trafficPolicy.refresh("the first state");
    // A Service created after a 404, deleted since the last read, or whose slices start or stop listing pods (a new
    // selector): read again, as the resolver's channels read it.
    readOnSlicesComeOrGo(trafficPolicy, sliceCount, state.slices.size);
    sliceCount = state.slices.size;
    if (port === undefined || policyUnknown) return false;
    const missing = trafficPolicy.current()?.missing === "service" && state.slices.size === 0;
    if (!missing) presence = undefined;
    else if (presence === undefined) {
      // The Services there, for the name meant: the view waits for them (at most 2 s), so --once prints it.
      presence = "reading";
      // The read's 404 said the Service is missing: no GET of it again, only the list of those there are.
      const find = (each: AbortSignal) => servicePresence(access, client, namespace, service, each, "missing");
      const read = withTimeout(signal, 2_000, find);
      read.catch(() => undefined).then((found) => {
        // Not for a Service that came meanwhile: its slices say more.
        if (presence !== "reading") return;
        presence = found ?? { state: "missing", nearest: undefined };
        if (!signal.aborted) update();
      });
    }
    if (presence === "reading") return false;
    let portError: ResolverError | undefined;
    if (port instanceof ResolverError) {
      // As the resolver: the port in use goes on while the slices still have it.
      portError = port;
      const kept = portToKeep(state.slices.values(), view.port);
      if (kept === undefined) {
        publish({ portError });
        return false;
      }
      port = kept;
    }
    if (memo?.port !== port) memo = { port, memo: createClientSelectionMemo() };
    const slices = [...state.slices.values()];
    // As the shared subscription selects, so that the CLI shows what channels get.
    const policy = trafficPolicy.policyFor(locality.node);
    const selection = selectForClient(state.slices, port, {
      locality,
      memo: memo.memo,
      service,
      namespace,
      internalTrafficPolicy: policy,
      read: trafficPolicy.current(),
    });
    const { endpoints, topology, portNote, internalTrafficPolicy } = selection;
    let { emptyReason } = selection;
    if (holdEmpty && endpoints.length === 0 && view.snapshot?.endpoints.length) return true;
    // Where the namespace came from, for a target that names none, as check says it: the kubeconfig's context, or
    // --namespace (it said 'fix the target's namespace, or the default namespace', naming neither).
    const named = { service, namespace, port, ...namespaceNote ? { namespaceNote } : {} };
    if (missing && presence !== undefined) emptyReason = serviceReason(presence, named, false) ?? emptyReason;
    if (trafficPolicy.current()?.missing === "namespace" && state.slices.size === 0) {
      emptyReason = missingNamespaceReason(namespace, missingNamespaceFix(access, namespaceNote === undefined));
    }
    const localNode = policy === "Local" ? locality.node : undefined;
    const { pods } = explainEndpoints(slices, port, locality, { subset: options.subset, localNode });
    const { resourceVersion } = state;
    const fields = { resourceVersion, namespace, service, topology, emptyReason, portNote, internalTrafficPolicy };
    const snapshot = snapshotOf(endpoints, fields);
    const text = JSON.stringify([endpoints, topology, pods, emptyReason, portNote, internalTrafficPolicy]);
    const changed = text !== shown;
    const changes = (view.changes ?? 0) + (changed ? 1 : 0);
    const changedAt = !changed ? view.changedAt : changes === 1 ? lastChangeTrigger(slices) : displayClock.now();
    shown = text;
    const portFromService = target.port === undefined && defaultPortCandidates(slices).length > 1;
    publish({ port, portError, portFromService, snapshot, pods, slices: slices.length, changedAt, changes });
    return false;
  }
  // As the resolver's channels get them: a burst of events is a few views of the latest state, not one view (and
  // one redraw of thousands of rows) per event, which fell seconds behind the Service.
  const delivery = createCoalescedDelivery({
    deliverAll: (holdEmpty) => update(holdEmpty),
    prepare(step) {
      if (step === 0) void state?.slices; // Reading the slices applies the events that wait.
    },
  });

  const api = createEndpointSliceApi(
    access,
    client,
    namespace,
    service,
    options.protobuf === false ? "json" : "protobuf",
  );
  const observed: EndpointSliceApi = {
    // Named in the messages of the reflector's own failures (a stalled watch).
    server: api.server,
    list(params) {
      if (view.watch.state === "watching") publish({ watch: { state: "listing", since: displayClock.now() } });
      const onBytes = (count: number) => {
        if (!view.listArriving) publish({ listArriving: true });
        params.onBytes?.(count);
      };
      return answered(
        (pauseTiming) => api.list({ ...params, pauseTiming, onBytes }),
        params.pauseTiming,
        params.signal,
        "slices",
      ).finally(() => {
        if (view.listArriving) publish({ listArriving: undefined });
      });
    },
    async watch(params) {
      const body = await answered(
        (pauseTiming) => api.watch({ ...params, pauseTiming }),
        params.pauseTiming,
        params.signal,
        "slices",
      );
      publish({ watch: { state: "watching" } });
      return body;
    },
    redact: (text) => api.redact(text),
  };
  publish({});
  // As the resolver's channels read the internalTrafficPolicy again: once the API server answers the watch again.
  const reads = readPolicyOnAnswer(trafficPolicy, observed);
  await runReflector(reads.api, {
    signal,
    ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
    onState(next) {
      state = next;
      version++;
      delivery.stateArrived();
    },
    onList: () => state && reads.relisted(),
    onWatchEnd: (reason) => reads.watchEnded(reason),
    onError(error) {
      // Failures in a row, until the watch works again, are one outage: it has lasted since the first.
      const since = view.watch.state === "retrying" ? view.watch.since : displayClock.now();
      publish({ watch: { state: "retrying", error, since } });
    },
  });
}

/**
 * Reads a Node again, after a backoff's delays, until it answers (`onAnswer` gets its zone, `undefined` when it has
 * none) or fails in a way that does not pass (`onAnswer` gets `undefined`; `read` noted why), or `signal` aborts.
 */
function readZoneAgain(
  node: string,
  read: (node: string) => Promise<string | undefined>,
  signal: AbortSignal,
  onAnswer: (zone: string | undefined) => void,
): void {
  const backoff = createBackoff();
  const schedule = () => {
    const timer = unrefTimer(setTimeout(async () => {
      stop();
      if (signal.aborted) return;
      let zone: string | undefined;
      try {
        zone = await read(node);
      } catch (error) {
        if (signal.aborted) return;
        if (nodeReadMayPass(error)) return schedule();
      }
      onAnswer(zone);
    }, backoff.next()));
    const stop = whenAborted(signal, () => clearTimeout(timer));
  };
  schedule();
}

/** The annotation in which the EndpointSlice controller writes when the change that updated a slice happened. */
const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** An RFC 3339 time, as the controller writes it (`Date.parse` alone takes "12" for the year 2001). */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * The newest last-change-trigger time of the slices, on the display clock; `undefined` when a slice gives none
 * that can be used: the controller removes it from a slice whose last change it cannot date (a pod's deletion), so
 * that slice may hold the newest change. A malformed time, or one in the future (a node's clock ahead), counts as none.
 */
function lastChangeTrigger(slices: readonly EndpointSlice[]): number | undefined {
  let newest: number | undefined;
  const now = Date.now();
  for (const slice of slices) {
    const text = slice.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME] ?? "";
    const time = RFC3339.test(text) ? Date.parse(text) : NaN;
    if (!(time <= now)) return undefined;
    if (newest === undefined || time > newest) newest = time;
  }
  return newest === undefined ? undefined : displayClock.fromWall(newest);
}
