/**
 * OpenTelemetry metrics of the resolver, on a meter named `@kgr/resolver`,
 * recorded only when the application registered a MeterProvider with
 * `@opentelemetry/api` (any 1.x copy). We never import the API: we read the
 * global registry that every copy of it shares (`Symbol.for("opentelemetry.js.api.1")`),
 * so without OpenTelemetry nothing is loaded and recording is one property
 * read. The registry is read at every record, and while a watch runs 1, 3,
 * 7, 15, ... seconds after the last watch started (each wait twice the one
 * before), then every minute, so that a provider registered after the first
 * watch gets the gauges of every running watch, on a quiet Service too: one
 * registered x seconds after the last watch started, within x + 1 seconds,
 * and within a minute at most. A process whose Services stay quiet wakes up
 * for it once a minute, not every second.
 *
 * @module
 */

import type { ResolverError } from "./base/errors.ts";
import { KubeApiError } from "./base/errors.ts";
import { unbracketedHost } from "./base/ip_address.ts";
import { urlPort } from "./base/_url_port.ts";
import { VERSION } from "./base/version.ts";
import type { WatchEndReason } from "./watch/reflector.ts";
import { systemClock } from "./runtime/clock.ts";
import { trace, warn } from "./runtime/trace.ts";

/** The instrument names, as documented in the README. */
const METRIC_NAMES = {
  endpoints: "grpc.resolver.kubernetes.endpoints",
  updates: "grpc.resolver.kubernetes.updates",
  lastUpdate: "grpc.resolver.kubernetes.last_update",
  restarts: "grpc.resolver.kubernetes.watch.restarts",
  lists: "grpc.resolver.kubernetes.lists",
  errors: "grpc.resolver.kubernetes.errors",
  watches: "grpc.resolver.kubernetes.watches",
  failing: "grpc.resolver.kubernetes.watch.failing",
} as const;

type Attributes = Record<string, string | number | boolean>;
interface Counter {
  add(value: number, attributes?: Attributes): void;
}
interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}
interface ObservableGauge {
  addCallback(callback: (result: ObservableResult) => void): void;
}
interface Meter {
  createCounter(name: string, options?: { description?: string; unit?: string }): Counter;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): ObservableGauge;
}
interface MeterProvider {
  getMeter(name: string, version?: string): Meter;
}

/**
 * The series of one Service in one cluster, which every watch of it writes: callers with other watch settings or
 * credentials get a watch of their own, with the same attributes.
 */
interface ServiceSeries {
  attributes: Attributes;
  /** Its key in {@linkcode services}. */
  key: string;
  /** Its active watches. */
  watches: number;
  /** The usable set of each port last counted in `updates`, by any of its watches: another that sees it counts nothing. */
  counted: Map<number | string, unknown>;
  /** Unix time in seconds of the last change counted. */
  lastUpdate?: number;
}

/** What the gauges read of one shared watch. */
interface WatchRecord {
  series: ServiceSeries;
  /** Whether a failure was reported to its subscribers and is not over (see {@linkcode WatchMetrics.failing}). */
  failing: boolean;
  /**
   * The endpoints of the last new snapshot of each port that targets named (all, and the preferred ones when topology
   * applies), and when it came, from {@linkcode updateOrder}: the gauge shows the watch of the Service that updated last.
   */
  endpoints: Map<number | string, { count: EndpointCount; order: number; version?: number }>;
}

/** How many endpoints a snapshot of one port holds. */
export interface EndpointCount {
  /** All of them. */
  total: number;
  /** Those preferred, when topology applies. */
  preferred?: number;
}

interface Instruments {
  updates: Counter;
  restarts: Counter;
  lists: Counter;
  errors: Counter;
  /** Whether a throw of one of its counters was said on standard error: once per provider, whichever copy saw it. */
  warned?: boolean;
}
type CounterName = Exclude<keyof Instruments, "warned">;

const GLOBAL_API = Symbol.for("opentelemetry.js.api.1");

/**
 * What the gauges read, shared by every copy of the package in the process (a Next.js bundle of its own, a module
 * loaded anew by a hot reload), as the provider is: with a store each, every copy reported the same series, and one
 * whose watch had stopped reported it at 0 beside another's live one. Its key names the shape: change both together.
 */
interface MetricsStore {
  /** The running watches of every copy. */
  liveWatches: Set<WatchRecord>;
  /** The series of each Service in a cluster; a Service keeps its entry once its last watch stopped (`watches` 0). */
  services: Map<string, ServiceSeries>;
  /** Orders the snapshots of all watches. */
  updateOrder: number;
  /** The instruments made with each provider; `null` for one that failed to make them (then none are recorded). */
  instrumentsByProvider: WeakMap<object, Instruments | null>;
  /** Every series the endpoints gauge reported, by {@linkcode seriesKey}: those gone since are reported at 0. */
  endpointSeries: Map<string, Attributes>;
}
const STORE = Symbol.for("@kgr/resolver.metrics.1");
const store: MetricsStore = (globalThis as Record<symbol, MetricsStore | undefined>)[STORE] ??= {
  liveWatches: new Set(),
  services: new Map(),
  updateOrder: 0,
  instrumentsByProvider: new WeakMap(),
  endpointSeries: new Map(),
};
const { liveWatches, services, instrumentsByProvider, endpointSeries } = store;
/** This copy's watches in {@linkcode liveWatches}: its timer runs while it has any. */
let ownWatches = 0;
/**
 * The first wait before the registry is read after a watch starts: the gauges exist only once the instruments were
 * created, and a quiet Service records nothing that would create them for a provider registered after its last change.
 * Providers are registered at startup, next to the first channels: each later read waits twice as long as the one
 * before, up to {@linkcode PROVIDER_LOOKUP_MAX_MS}.
 */
const PROVIDER_LOOKUP_FIRST_MS = 1000;
/** The longest wait between two reads of the registry while a watch runs: a quiet process wakes up once a minute. */
const PROVIDER_LOOKUP_MAX_MS = 60_000;
/** Cancels the timer that reads the registry while this copy has watches; it never holds the process. */
let cancelProviderLookup: (() => void) | undefined;

/** Reads the registry after `delayMs`, then again after twice as long, up to {@linkcode PROVIDER_LOOKUP_MAX_MS}. */
function lookUpProviderAfter(delayMs: number): void {
  cancelProviderLookup?.();
  cancelProviderLookup = systemClock.setTimeout(() => {
    instruments();
    lookUpProviderAfter(Math.min(delayMs * 2, PROVIDER_LOOKUP_MAX_MS));
  }, delayMs);
}

function seriesKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a < b ? -1 : 1));
}

/**
 * OpenTelemetry's `server.address` and `server.port` of an API server URL: the host without IPv6 brackets, and
 * the port, 443 or 80 when the URL has none; and its `url.path` when it has one, which tells apart clusters behind
 * one proxy (Rancher's `https://rancher.example.com/k8s/clusters/c-abc`). A server URL has no query or credentials.
 */
function serverAttributes(server: string): Attributes {
  const url = new URL(server);
  const attributes: Attributes = { "server.address": unbracketedHost(url.hostname), "server.port": urlPort(url)! };
  if (url.pathname !== "/") attributes["url.path"] = url.pathname;
  return attributes;
}

/** The instruments of the registered MeterProvider, created once per provider; none without one. */
function instruments(): Instruments | undefined {
  const api = (globalThis as Record<symbol, { metrics?: MeterProvider } | undefined>)[GLOBAL_API];
  const provider = api?.metrics;
  if (!provider) return undefined;
  let created = instrumentsByProvider.get(provider);
  if (created === undefined) {
    try {
      created = createInstruments(provider.getMeter("@kgr/resolver", VERSION));
    } catch (error) {
      // Metrics must never fail a watch, nor end the process from the registry's timer. OpenTelemetry's own API lets
      // a provider's throw reach its caller, and its SDK only logs to `diag`, which is silent unless set up: say it,
      // once per provider, as its `null` below (shared by every copy) keeps it from being made again.
      warn(
        `OpenTelemetry: the registered MeterProvider failed to make the resolver's instruments: ${error}; no resolver ` +
          "metrics are recorded with it: check its setup (register a working one, or none)",
      );
      created = null;
    }
    instrumentsByProvider.set(provider, created);
  }
  return created ?? undefined;
}

/**
 * Adds one to a counter of the registered MeterProvider, if any. What its counter throws is warned about once, then
 * traced: metrics must never
 * fail a watch (a throw there lost the snapshot being delivered, and the next ones while it threw, or ended the watch
 * from its error path).
 */
function count(counter: CounterName, attributes: Attributes): void {
  const made = instruments();
  try {
    made?.[counter].add(1, attributes);
  } catch (error) {
    const message = `OpenTelemetry: a counter of the registered MeterProvider threw: ${error}; that count is lost ` +
      "(later ones are only traced, with GRPC_TRACE=kubernetes_resolver): check the provider's exporter and readers";
    if (!made || made.warned) return trace(message);
    made.warned = true;
    warn(message);
  }
}

/**
 * The series and values of the endpoints gauge for one port's count: one series, or under topology two, split by
 * `preferred`.
 */
function endpointReadings(attributes: Attributes, count: EndpointCount): [Attributes, number][] {
  if (count.preferred === undefined) return [[attributes, count.total]];
  return [
    [{ ...attributes, preferred: true }, count.preferred],
    [{ ...attributes, preferred: false }, count.total - count.preferred],
  ];
}

function createInstruments(meter: Meter): Instruments {
  // Units of counted things in braces (OpenTelemetry's annotations): exporters such as Prometheus's leave them out
  // of the metric's name.
  meter.createObservableGauge(METRIC_NAMES.endpoints, {
    description: "Endpoints in the current usable set (with topology, split by preferred)",
    unit: "{endpoint}",
  }).addCallback((result) => {
    // Targets of two ports of one Service can have two sets (a port that some pods lack, say); two watches of one
    // Service write the same series, which shows the set of the one that updated last.
    const newest = new Map<string, { attributes: Attributes; count: EndpointCount; order: number }>();
    for (const { series, endpoints } of liveWatches) {
      for (const [port, { count, order }] of endpoints) {
        const attributes = { ...series.attributes, port };
        const key = seriesKey(attributes);
        if ((newest.get(key)?.order ?? -1) < order) newest.set(key, { attributes, count, order });
      }
    }
    const current = new Map<string, { attributes: Attributes; value: number }>();
    for (const { attributes, count } of newest.values()) {
      for (const [series, value] of endpointReadings(attributes, count)) {
        current.set(seriesKey(series), { attributes: series, value });
      }
    }
    // OpenTelemetry's JavaScript SDK keeps exporting the last value of a series its callback stopped
    // observing: a series that went away (topology switched off, the watch stopped) is observed at 0.
    for (const [key, attributes] of endpointSeries) if (!current.has(key)) result.observe(0, attributes);
    for (const [key, { attributes, value }] of current) {
      endpointSeries.set(key, attributes);
      result.observe(value, attributes);
    }
  });
  meter.createObservableGauge(METRIC_NAMES.lastUpdate, {
    description: "Unix time of the last change of the usable set",
    unit: "s",
  }).addCallback((result) => {
    // Observed once the Service is no longer watched too: a reader with delta temporality exports only what was
    // observed, where a cumulative one would keep the last value.
    for (const { attributes, lastUpdate } of services.values()) {
      if (lastUpdate !== undefined) result.observe(lastUpdate, attributes);
    }
  });
  meter.createObservableGauge(METRIC_NAMES.watches, { description: "Active shared watches", unit: "{watch}" })
    .addCallback((result) => {
      for (const { attributes, watches } of services.values()) result.observe(watches, attributes);
    });
  // At 0 for every Service watched, so that an alert on it needs no series that only a failure creates.
  meter.createObservableGauge(METRIC_NAMES.failing, {
    description:
      "Shared watches whose last attempt failed and that have not recovered since, or whose targets without a port " +
      "cannot read the Service's port",
    unit: "{watch}",
  }).addCallback((result) => {
    const failing = new Map<string, number>();
    for (const { series, failing: fails } of liveWatches) {
      if (fails) failing.set(series.key, (failing.get(series.key) ?? 0) + 1);
    }
    for (const { key, attributes } of services.values()) result.observe(failing.get(key) ?? 0, attributes);
  });
  const counter = (name: string, description: string, unit: string) => meter.createCounter(name, { description, unit });
  return {
    updates: counter(METRIC_NAMES.updates, "New snapshots of the usable set of a port", "{update}"),
    restarts: counter(METRIC_NAMES.restarts, "Watches that ended and were resumed", "{restart}"),
    lists: counter(
      METRIC_NAMES.lists,
      "Full reads of the state: LISTs (each with its pages) and streaming lists",
      "{list}",
    ),
    errors: counter(METRIC_NAMES.errors, "Failures reported while watching", "{error}"),
  };
}

/**
 * Records the metrics of one shared watch; {@linkcode WatchMetrics.stop} when the watch stops. `S` is what it gives
 * as a usable set.
 */
export interface WatchMetrics<S> {
  /**
   * A new snapshot of the usable set of a port (as the target named it, or the Service's first), with how many of its
   * endpoints are preferred under topology. It counts in `updates` unless it is the set of this port last counted for
   * the Service, by this watch or another one of it. `version` names the watch's state the set was selected from:
   * subscribers at other localities (a channel with `locality: {}` beside a topology-aware one) each get a set of
   * one state, which counts once, and the gauge keeps the split under topology of that state.
   */
  updated(port: number | string, endpoints: EndpointCount, set: S, version?: number): void;
  /**
   * The subscribers of `port` that stay after one left see `endpoints` (no longer the split of the one that left, say):
   * the gauge shows them, and no update counts.
   */
  shown(port: number | string, endpoints: EndpointCount): void;
  /** No target names `port` any more: its endpoints series goes to 0. */
  portDropped(port: number | string): void;
  /** A LIST (all its pages), or a streaming list. */
  listed(): void;
  /** A watch ended, for `reason`, and will be resumed. */
  watchEnded(reason: WatchEndReason): void;
  /** A failure reported to subscribers: the watch's, or a failed read of the Service's port. */
  failed(error: ResolverError): void;
  /**
   * Whether subscribers were told of a failure that is not over: the watch failed and the API server has not served
   * it since, or targets without a port have none because the Service could not be read.
   */
  failing(failing: boolean): void;
  /** The watch stopped: its gauges go. */
  stop(): void;
}

/**
 * Starts recording the metrics of one shared watch of a Service.
 *
 * @param namespace The Service's namespace.
 * @param service The Service's name.
 * @param server The URL of the cluster's API server: its host and port tell apart Services of the same
 *   name in two clusters (`server.address`, `server.port`).
 * @param sameSet Whether two usable sets are the same: a set that another watch of the Service counted already is
 *   no change.
 * @returns The watch's recorder.
 *
 * @example
 * ```ts
 * import { watchMetrics } from "./metrics.ts";
 * const metrics = watchMetrics("prod", "echo", "https://10.0.0.1:6443", (a: string[], b: string[]) => `${a}` === `${b}`);
 * metrics.updated("grpc", { total: 2 }, ["10.0.0.7", "10.0.0.8"]);
 * metrics.stop();
 * ```
 */
export function watchMetrics<S>(
  namespace: string,
  service: string,
  server: string,
  sameSet: (a: S, b: S) => boolean,
): WatchMetrics<S> {
  const attributes: Attributes = {
    "k8s.namespace.name": namespace,
    "k8s.service.name": service,
    ...serverAttributes(server),
  };
  const key = seriesKey(attributes);
  let series = services.get(key);
  if (!series) services.set(key, series = { attributes, key, watches: 0, counted: new Map() });
  series.watches++;
  const record: WatchRecord = { series, failing: false, endpoints: new Map() };
  liveWatches.add(record);
  ownWatches++;
  lookUpProviderAfter(PROVIDER_LOOKUP_FIRST_MS);
  return {
    updated(port, endpoints, set, version) {
      const sameState = version !== undefined && record.endpoints.get(port)?.version === version;
      if (!sameState || endpoints.preferred !== undefined) {
        record.endpoints.set(port, { count: endpoints, order: ++store.updateOrder, version });
        // Known from now, whether or not a collection sees it: a watch that ends before the next one (a short
        // watchEndpoints() loop) leaves its series at 0, not absent. Without a provider, nothing is kept.
        if (instruments()) {
          for (const [series] of endpointReadings({ ...attributes, port }, endpoints)) {
            endpointSeries.set(seriesKey(series), series);
          }
        }
      }
      if (sameState) return;
      const { counted } = record.series;
      if (counted.has(port) && sameSet(counted.get(port) as S, set)) return;
      counted.set(port, set);
      record.series.lastUpdate = Date.now() / 1000;
      count("updates", { ...attributes, port });
    },
    shown(port, endpoints) {
      const shown = record.endpoints.get(port);
      if (shown) shown.count = endpoints;
    },
    portDropped(port) {
      record.endpoints.delete(port);
      forgetUnusedPorts(record.series);
    },
    listed: () => count("lists", attributes),
    watchEnded: (reason) => count("restarts", { ...attributes, reason }),
    failed(error) {
      const status = error instanceof KubeApiError ? error.status : undefined;
      count("errors", {
        ...attributes,
        "error.type": error.name,
        ...(status === undefined ? {} : { "http.response.status_code": status }),
      });
    },
    failing(failing) {
      record.failing = failing;
    },
    stop() {
      if (!liveWatches.delete(record)) return;
      record.series.watches--;
      forgetUnusedPorts(record.series);
      if (--ownWatches === 0) {
        cancelProviderLookup?.();
        cancelProviderLookup = undefined;
      }
    },
  };
}

/** Forgets the set last counted of each port that no watch of the Service reports any more: its next one counts. */
function forgetUnusedPorts(series: ServiceSeries): void {
  for (const port of series.counted.keys()) {
    if (![...liveWatches].some((record) => record.series === series && record.endpoints.has(port))) {
      series.counted.delete(port);
    }
  }
}
