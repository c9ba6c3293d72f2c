/**
 * One LIST+WATCH per (cluster, namespace, service) per process, shared by
 * every subscriber and stopped when the last one leaves. Each subscriber
 * gets the usable endpoints for its port, only when they changed.
 *
 * @module
 */

import { sharedClusterAccess } from "./cluster/shared_cluster_access.ts";
import type { ClusterAccess } from "./cluster/types.ts";
import type { WatchSettings } from "./watch_settings.ts";
import { createClusterHttpClient } from "./api/cluster_http_client.ts";
import { type CoalescedDelivery, createCoalescedDelivery } from "./_coalesced_delivery.ts";
import { type EndpointSnapshot, sameSnapshot, type SnapshotContent, snapshotOf } from "./endpoint_snapshot.ts";
import { ResolverError } from "./base/errors.ts";
import { createEndpointSliceApi, createServiceApi } from "./api/kube_api.ts";
import { type ClientLocality, clientLocality } from "./client_locality.ts";
import { type LocalitySource, noteTopology } from "./_topology_notes.ts";
import { runReflector } from "./watch/reflector.ts";
import { asSetupError, connectionKey, notify, settingsKey, watchListFor } from "./_watch_sharing.ts";
import {
  endpointCount,
  markUnsent,
  pruneSelections,
  type Selection,
  selectionFor,
  type SelectionSource,
} from "./_watch_selections.ts";
import { withNamespaceNote } from "./_namespace_note.ts";
import { readyPodsWithoutPort } from "./selection/client_selection.ts";
import { createServicePortLookup, portToKeep, type ServicePortLookup } from "./selection/service_port.ts";
import {
  createTrafficPolicyReader,
  readOnSlicesComeOrGo,
  readPolicyOnAnswer,
  sharedServiceReads,
} from "./selection/traffic_policy.ts";
import { type WatchMetrics, watchMetrics } from "./metrics.ts";
import type { Target } from "./base/target.ts";
import type { Locality } from "./selection/topology.ts";
import { trace } from "./runtime/trace.ts";
import { warnUnattended } from "./_unattended_failure.ts";
import { outsideCallerContext } from "./runtime/outside_caller_context.ts";

export type { EndpointSnapshot } from "./endpoint_snapshot.ts";

/** Receives a subscription's updates; called asynchronously, never from `subscribeEndpoints` itself. */
export interface EndpointListener {
  /** The usable set changed (or this is the first one). */
  onEndpoints(snapshot: EndpointSnapshot): void;
  /**
   * A failure. The shared watch retries by itself, except when `fatal`:
   * cluster access could not be set up and this subscription has ended.
   * `since` is when the shared watch started failing (ms since the epoch),
   * for a failure of the watch.
   */
  onError(error: ResolverError, fatal: boolean, since?: number): void;
  /**
   * The failures given to `onError` are over (the API server serves the watch again, the Service's port could be
   * read): the endpoints last delivered are current again (a change since then follows as `onEndpoints`).
   */
  onRecovered?(): void;
  /**
   * Whether the subscriber routes calls (a channel's resolver): only then is a client without locality warned that
   * its calls go to every zone; for one that only shows endpoints (`watchEndpoints()`) it is traced.
   */
  routesCalls?: boolean;
  /**
   * Whether the subscriber's caller handles failures itself (`watchEndpoints()` with `onError`): while no subscriber
   * of the watch does, one that the watch cannot get over by itself is said on standard error, once per cluster,
   * credentials and kind (see `_unattended_failure.ts`).
   */
  handlesErrors?: boolean;
}

interface Subscriber {
  port: number | string | undefined;
  locality: Locality;
  /** Where `locality` came from, once known. */
  localitySource?: LocalitySource;
  /** The topology last traced for it (see `_topology_notes.ts`). */
  topologyTraced?: string;
  listener: EndpointListener;
  /** The `generation` of the last selection delivered. */
  generation?: number;
  /** The last error of the port lookup delivered (to a subscriber without a port). */
  portError?: ResolverError;
  /** The port name the lookup last gave a subscriber without a port: kept while the Service cannot be read. */
  chosenPort?: string;
  /** The port of the last selection delivered, and that selection: another port may select the same. */
  delivered?: { port: number | string; selection: Selection };
}

interface SharedWatch extends SelectionSource {
  subscribers: Set<Subscriber>;
  /** The last failure, until the watch recovers: handed to subscribers that join meanwhile. */
  failure?: ResolverError;
  /** When the watch started failing (ms since the epoch), until it recovers. */
  failingSince?: number;
  /** The last failure of the port lookup counted in the metrics: one per failed read, however many it reached. */
  portFailure?: ResolverError;
  /** The API server and credentials (`access.identity`): a failure nobody handles is said once for each. */
  cluster: string;
  /** The port of subscribers without one. */
  servicePort: ServicePortLookup;
  /** How many slices the last delivery saw. */
  sliceCount?: number;
  /** When its states go to the subscribers: at once, or held and delivered together as the latest. */
  delivery: CoalescedDelivery;
  /** Its OpenTelemetry metrics. */
  metrics: WatchMetrics<SnapshotContent>;
  stop(): void;
}

const watches = new Map<string, SharedWatch>();

/**
 * Subscribes to the usable endpoints of a Service.
 *
 * @param target The Service (namespace defaults to the cluster access's).
 * @param settings Cluster access and watch timings; subscribers with other timings get a watch of their own.
 * @param listener Receives snapshots and errors.
 * @returns A function that ends the subscription.
 *
 * @example Subscribing
 * ```ts ignore
 * import { subscribeEndpoints } from "./endpoint_subscription.ts";
 * const unsubscribe = subscribeEndpoints({ scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }, {}, {
 *   onEndpoints: (snapshot) => console.log(snapshot.endpoints.length),
 *   onError: (error) => console.error(error.message),
 * });
 * unsubscribe();
 * ```
 */
export function subscribeEndpoints(
  target: Target,
  settings: WatchSettings,
  listener: EndpointListener,
): () => void {
  const subscriber: Subscriber = { port: target.port, locality: {}, listener };
  let watch: SharedWatch | undefined;
  let active = true;
  // Ends this subscription's wait for the client's locality (a first read of its Node may be under way).
  const left = new AbortController();
  let releaseLocality: (() => void) | undefined;
  const fail = (error: unknown) => {
    if (active) notify(() => listener.onError(asSetupError(error), true));
  };
  // Shared and long-lived: no span or request of the caller's (an AsyncLocalStorage) may follow the watch.
  outsideCallerContext(() =>
    sharedClusterAccess(settings.cluster).then(async (access) => {
      if (!active) return;
      let namespace: string;
      let locality: ClientLocality;
      try {
        // Reading the default namespace throws for one that cannot be used (see ClusterAccess.namespace).
        namespace = target.namespace ?? access.namespace;
        if (target.namespace === undefined) subscriber.listener = withNamespaceNote(listener, access);
        locality = await clientLocality(
          access,
          settings.locality,
          connectionKey(access),
          settings.backoff,
          left.signal,
        );
      } catch (error) {
        return fail(error);
      }
      subscriber.locality = locality.current;
      subscriber.localitySource = locality;
      // A zone learnt later (the Node could not be read at first) applies to this subscriber's next selection.
      releaseLocality = locality.use(() => {
        subscriber.locality = locality.current;
        if (!watch?.state) return;
        deliver(watch, subscriber);
        pruneSelections(watch.selections, watch.subscribers);
      });
      if (!active) return releaseLocality();
      const key = [connectionKey(access), settingsKey(settings), namespace, target.service].join("\u0000");
      watch = watches.get(key) ?? startWatch(key, access, namespace, target.service, settings);
      watch.subscribers.add(subscriber);
      // A channel created later may be one that expects a policy changed since, or a grant given since a 403: read
      // it again, at most once a second for channels that join one after another.
      if (watch.state) watch.trafficPolicy.refresh("a new subscriber", true);
      if (watch.state) deliver(watch, subscriber);
      if (watch.failure) {
        const { failure, failingSince } = watch;
        queueMicrotask(() => active && notify(() => listener.onError(failure, false, failingSince)));
      }
    }, fail)
  );
  return () => {
    active = false;
    left.abort();
    releaseLocality?.();
    if (!watch) return;
    watch.subscribers.delete(subscriber);
    if (watch.subscribers.size === 0) watch.stop();
    else {
      const port = subscriber.port ?? subscriber.chosenPort;
      if (port !== undefined) {
        dropPortIfUnused(watch, port);
        showRemaining(watch, port);
      }
      pruneSelections(watch.selections, watch.subscribers);
      if (subscriber.portError) showFailing(watch);
    }
    watch = undefined;
  };
}

/**
 * Sets the endpoints gauge of `port` to 0 when no subscriber of the watch uses it any more: the last one left, or
 * the Service's port was renamed.
 */
function dropPortIfUnused(watch: SharedWatch, port: number | string): void {
  const portOf = (other: Subscriber) => other.port ?? other.chosenPort;
  if ([...watch.subscribers].some((other) => portOf(other) === port)) return;
  watch.metrics.portDropped(port);
  markUnsent(watch.selections, port);
}

/**
 * Shows on the endpoints gauge of `port` what the subscribers that stay have: the split under topology of one that
 * uses it, else the whole set (the one that left may have been the only one at a locality that prefers some pods).
 */
function showRemaining(watch: SharedWatch, port: number | string): void {
  let shown: Selection | undefined;
  for (const { delivered } of watch.subscribers) {
    if (delivered?.port !== port) continue;
    shown = delivered.selection;
    if (shown.topology !== "none") break;
  }
  if (shown) watch.metrics.shown(port, endpointCount(shown));
}

/**
 * Sets the watch's failing gauge: its subscribers were told of a failure that is not over, the watch's own, or the
 * port lookup's for those without a port (every call of theirs fails while it lasts, unless they keep the port they had).
 */
function showFailing(watch: SharedWatch): void {
  watch.metrics.failing(watch.failure !== undefined || [...watch.subscribers].some((other) => other.portError));
}

function startWatch(
  key: string,
  access: ClusterAccess,
  namespace: string,
  service: string,
  settings: WatchSettings,
): SharedWatch {
  const controller = new AbortController();
  const client = createClusterHttpClient(access);
  // The Service's one GET, shared by its port lookup and its traffic policy, with the watch's timings.
  const serviceRead = {
    service,
    namespace,
    api: sharedServiceReads(createServiceApi(access, client, namespace, service)),
    signal: controller.signal,
    timeoutMs: settings.stallTimeoutMs,
    backoff: settings.backoff,
  };
  const watch: SharedWatch = {
    namespace,
    service,
    subscribers: new Set(),
    version: 0,
    selections: new Map(),
    // Not the source's words: two kubeconfig objects with one context name may hold different credentials.
    cluster: access.identity,
    delivery: createCoalescedDelivery({
      deliverAll: (holdEmpty) => deliverAll(watch, holdEmpty),
      prepare: (step) => prepare(watch, step),
    }),
    servicePort: createServicePortLookup({
      ...serviceRead,
      onChange() {
        for (const subscriber of watch.subscribers) {
          if (subscriber.port === undefined) deliver(watch, subscriber, { synchronous: true });
        }
      },
    }),
    trafficPolicy: createTrafficPolicyReader({
      ...serviceRead,
      // Through the schedule, as a new state: an empty set that a slice's deletion left is held as for any other.
      onChange: () => watch.state && watch.delivery.stateArrived(),
      slices: () => watch.state?.slices.values(),
    }),
    metrics: watchMetrics(namespace, service, access.server, sameSnapshot),
    stop() {
      if (watches.get(key) === watch) watches.delete(key);
      watch.delivery.stop();
      watch.metrics.stop();
      controller.abort();
    },
  };
  watches.set(key, watch);
  // Which identity too: two of one API server watch the same Service apart, and their event lines name only the server.
  const watched =
    `service ${service} in namespace ${namespace} at ${access.server} with the credentials from ${access.source}`;
  trace(`watching endpointslices of ${watched}`);
  const ask = settings.protobuf === false ? "json" : "protobuf";
  const slices = createEndpointSliceApi(access, client, namespace, service, ask);
  const reads = readPolicyOnAnswer(watch.trafficPolicy, slices);
  runReflector(reads.api, {
    signal: controller.signal,
    stallTimeoutMs: settings.stallTimeoutMs,
    backoff: settings.backoff,
    watchList: watchListFor(access, settings.watchList),
    onState(state) {
      watch.state = state;
      watch.version++;
      watch.delivery.stateArrived();
    },
    trace: (text) => trace(`service ${service} in namespace ${namespace} at ${access.server}: ${text}`),
    onList() {
      watch.metrics.listed();
      if (watch.state) reads.relisted();
    },
    onWatchEnd(reason) {
      watch.metrics.watchEnded(reason);
      reads.watchEnded(reason);
    },
    onError(error) {
      watch.metrics.failed(error);
      watch.failure = error;
      showFailing(watch);
      const since = watch.failingSince ??= Date.now();
      const subscribers = [...watch.subscribers];
      for (const subscriber of subscribers) notify(() => subscriber.listener.onError(error, false, since));
      if (!subscribers.some(({ listener }) => listener.handlesErrors)) {
        const routesCalls = subscribers.some(({ listener }) => listener.routesCalls === true);
        const delivered = subscribers.some((subscriber) => subscriber.delivered !== undefined);
        warnUnattended(error, { cluster: watch.cluster, namespace, routesCalls, delivered });
      }
    },
    onRecovered() {
      // Only traced, after a failure said on standard error too: that is said once per process, so a line for its end
      // would stand alone at the next outage.
      trace(
        `service ${service} in namespace ${namespace} at ${access.server}: the watch works again after its failures`,
      );
      watch.failure = watch.failingSince = undefined;
      showFailing(watch);
      // A subscriber whose port cannot be read yet is still failing: its recovery comes with the port.
      for (const subscriber of [...watch.subscribers]) {
        if (!subscriber.portError) notify(() => subscriber.listener.onRecovered?.());
      }
    },
  }).finally(() => {
    client.close();
    trace(`stopped watching ${watched}`);
  });
  return watch;
}

/**
 * Sends every subscriber what changed for it, at once; with `holdEmpty`, not a selection that would take its last
 * endpoints. Returns whether one was held back that way (see `_coalesced_delivery.ts`).
 */
function deliverAll(watch: SharedWatch, holdEmpty: boolean): boolean {
  // Slices where there were none, or none left, or that start or stop listing pods: read even if the last read (a
  // 404, the old Service's, or its old selector) is a moment old.
  readOnSlicesComeOrGo(watch.trafficPolicy, watch.sliceCount, watch.state!.slices.size);
  watch.sliceCount = watch.state!.slices.size;
  let emptyHeld = false;
  for (const subscriber of watch.subscribers) {
    emptyHeld = deliver(watch, subscriber, { synchronous: true, holdEmpty }) || emptyHeld;
  }
  return emptyHeld;
}

/** A step of the work of a delivery, ahead of it: 0 parses the events that wait, 1 computes the selections. */
function prepare(watch: SharedWatch, step: 0 | 1): void {
  const state = watch.state!;
  if (step === 0) {
    void state.slices; // Reading the slices applies the events that wait.
    return;
  }
  if (watch.trafficPolicy.current() === undefined) return;
  for (const subscriber of watch.subscribers) {
    const port = subscriber.port ?? watch.servicePort.portFor(state.slices.values(), watch.version);
    if (port !== undefined && !(port instanceof ResolverError)) {
      selectionFor(watch, port, subscriber.locality, subscriber.localitySource?.zoneNote);
    }
  }
}

/** How {@linkcode deliver} sends. */
interface DeliverOptions {
  /**
   * Sends at once rather than in a microtask.
   * @default {false}
   */
  synchronous?: boolean;
  /**
   * Holds back a selection that would take the subscriber's last endpoints, and says so.
   * @default {false}
   */
  holdEmpty?: boolean;
}

/**
 * Counts in the metrics the selection `subscriber` has of `port`, once per selection. A target without a port counts
 * only once its port's name is known (see `ServicePortLookup.named()`): "" would stand for an unnamed port and, once
 * the name is known, stay at 0 as a port that no target names, which alerts read as a Service without a ready pod.
 */
function countSelection(watch: SharedWatch, subscriber: Subscriber, port: number | string, selection: Selection): void {
  if (selection.sent || (subscriber.port === undefined && !watch.servicePort.named())) return;
  selection.sent = true;
  const { endpoints, topology, emptyReason, portNote, internalTrafficPolicy } = selection;
  // What the subscribers see, without the selection's memo: the metrics keep it while the Service is watched.
  const set = { endpoints, topology, emptyReason, portNote, internalTrafficPolicy };
  watch.metrics.updated(port, endpointCount(selection), set, selection.version);
}

/**
 * Sends the subscriber the selection for its port when it differs from what it has: at once
 * when `synchronous` (a new state from the watch, or the end of a Service read), else in a microtask.
 * A subscriber without a port gets the Service's port once known, or the lookup's error; after the error,
 * one that had a port goes on with it while its slices still have it (a port added to the Service, which
 * credentials without `get` on `services` cannot read, must not freeze its pods). With `holdEmpty`, a selection
 * that would take the subscriber's last endpoints is not sent, and the result says so (true): the caller
 * checks again (see `_coalesced_delivery.ts`).
 */
function deliver(
  watch: SharedWatch,
  subscriber: Subscriber,
  { synchronous = false, holdEmpty = false }: DeliverOptions = {},
): boolean {
  const state = watch.state!;
  let port = subscriber.port ?? watch.servicePort.portFor(state.slices.values(), watch.version);
  // Read in the same turn as the port (one GET for both), and nothing delivered before to a client on a known node:
  // not every pod first. Without the node, Local changes nothing (every pod, and a warning once it is known).
  const policyUnknown = watch.trafficPolicy.current() === undefined;
  if (policyUnknown) watch.trafficPolicy.refresh("the first state");
  // Nor an empty first set before its answer (`firstAnswerMs`; with slices, below): it names what is wrong, no guess.
  const waits = policyUnknown && (subscriber.locality.node !== undefined || state.slices.size === 0);
  if (port === undefined || waits) return false;
  if (port instanceof ResolverError) {
    const error = port;
    if (watch.portFailure !== error) {
      watch.portFailure = error;
      watch.metrics.failed(error);
    }
    if (subscriber.portError !== error) {
      subscriber.portError = error;
      showFailing(watch);
      const report = () => {
        if (!watch.subscribers.has(subscriber)) return;
        notify(() => subscriber.listener.onError(error, false));
        const { handlesErrors, routesCalls = false } = subscriber.listener;
        if (!handlesErrors) {
          const delivered = subscriber.delivered !== undefined;
          warnUnattended(error, { cluster: watch.cluster, namespace: watch.namespace, routesCalls, delivered });
        }
      };
      if (synchronous) report();
      else queueMicrotask(report);
    }
    const kept = portToKeep(state.slices.values(), subscriber.chosenPort);
    if (kept === undefined) return false;
    port = kept;
  } else {
    if (typeof port === "string" && subscriber.port === undefined) subscriber.chosenPort = port;
    if (subscriber.portError) {
      // The port could be read after all: unless the watch fails too, what the subscriber has is current.
      subscriber.portError = undefined;
      showFailing(watch);
      if (!watch.failure) {
        const recovered = () => {
          if (watch.subscribers.has(subscriber)) notify(() => subscriber.listener.onRecovered?.());
        };
        if (synchronous) recovered();
        else queueMicrotask(recovered);
      }
    }
  }
  const selection = selectionFor(watch, port, subscriber.locality, subscriber.localitySource?.zoneNote);
  if (selection.generation === subscriber.generation) {
    // Delivered already, when its port's name was not yet known: counted now that it is.
    countSelection(watch, subscriber, port, selection);
    return false;
  }
  if (policyUnknown && !selection.endpoints.length) return false;
  const previous = subscriber.delivered;
  // The last endpoints go only if no later state brings endpoints back soon: a slice deleted and created again (by
  // a hand-written slice manager, or a test) is one change, and the moment between its two events no outage.
  if (holdEmpty && selection.endpoints.length === 0 && previous?.selection.endpoints.length) return true;
  const { locality, localitySource: source, topologyTraced: traced } = subscriber;
  if (source !== undefined) {
    const routesCalls = subscriber.listener.routesCalls === true;
    const podsWithoutPort = () => readyPodsWithoutPort(state.slices.values(), port)?.pods ?? [];
    const note = { port, selection, locality, source, traced, routesCalls, podsWithoutPort };
    subscriber.topologyTraced = noteTopology(`service ${watch.service} in namespace ${watch.namespace}`, note);
  }
  // The set is the one the subscriber has (a slice created again as it was): no change, though a state between, never
  // delivered (an empty set held back, or computed ahead of a delivery), gave it a new generation.
  if (previous?.port === port && sameSnapshot(previous.selection, selection)) {
    subscriber.generation = selection.generation;
    subscriber.delivered = { port, selection };
    countSelection(watch, subscriber, port, selection);
    return false;
  }
  subscriber.generation = selection.generation;
  subscriber.delivered = { port, selection };
  countSelection(watch, subscriber, port, selection);
  if (previous && previous.port !== port) dropPortIfUnused(watch, previous.port);
  // A port renamed in place, for a target without a port: the new name selects what the old one did.
  if (previous && previous.port !== port && sameSnapshot(previous.selection, selection)) return false;
  const snapshot = snapshotOf(selection.endpoints, {
    resourceVersion: state.resourceVersion,
    namespace: watch.namespace,
    service: watch.service,
    topology: selection.topology,
    emptyReason: selection.emptyReason,
    portNote: selection.portNote,
    internalTrafficPolicy: selection.internalTrafficPolicy,
  });
  if (synchronous) send(watch, subscriber, snapshot);
  else queueMicrotask(() => send(watch, subscriber, snapshot));
  return false;
}

/** Hands a snapshot to a subscriber still subscribed; one that throws must not break the shared watch. */
function send(watch: SharedWatch, subscriber: Subscriber, snapshot: EndpointSnapshot): void {
  if (!watch.subscribers.has(subscriber)) return;
  try {
    subscriber.listener.onEndpoints(snapshot);
  } catch (error) {
    trace(`an endpoint listener threw: ${error}`);
  }
}
