/**
 * The `@grpc/grpc-js` adapter: a resolver class that hands every usable pod
 * to the channel as its own endpoint, balanced by `kubernetes_round_robin`
 * by default (round-robin with topology preference and failover, and no
 * event-loop stalls at thousands of endpoints).
 *
 * @module
 */

import * as peerGrpc from "@grpc/grpc-js";
import type { EndpointSnapshot, WatchSettings } from "../endpoint_subscription.ts";
import type { EndpointAddress } from "../resolved_endpoint.ts";
import { subscribeEndpoints } from "../endpoint_subscription.ts";
import { ResolverError } from "../errors.ts";
import { createBackoff } from "../backoff.ts";
import { defaultAuthority, formatTarget, isUriScheme, parseGrpcUri, type Target } from "../target.ts";
import { setTraceSink, trace } from "../trace.ts";
import { installDenoGoawayWorkaround } from "../runtime/deno_goaway_workaround.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import { BALANCER_NAME, type BalancerGrpc, EMPTY_LIST_ERROR_ATTRIBUTE, registerBalancer } from "./grpc_js_balancer.ts";
import { createSubsetter } from "../subset.ts";
import { checkOptionNames, checkWatchSettings } from "../check_watch_settings.ts";
import { describeValue } from "../_util.ts";

/** The parts of a `@grpc/grpc-js` module (any copy, 1.10 or newer) that the adapter uses. */
export interface GrpcModule extends BalancerGrpc {
  /** `grpc.experimental`: resolver and load-balancer registries, tracing. */
  experimental: BalancerGrpc["experimental"] & {
    registerResolver(scheme: string, resolver: never): void;
    trace(severity: never, tracer: string, text: string): void;
    log(severity: never, ...args: unknown[]): void;
    selectLbConfigFromList(configs: Record<string, unknown>[]): unknown;
    parseLoadBalancingConfig?(config: unknown): unknown;
  };
  /** `grpc.Metadata`, for error statuses. */
  Metadata: new () => unknown;
  /** `grpc.status`. */
  status: { UNAVAILABLE: number };
  /** `grpc.logVerbosity`. */
  logVerbosity: { DEBUG: number; ERROR: number };
}

/** Options of {@linkcode register}. */
export interface RegisterOptions extends WatchSettings {
  /**
   * The URI scheme to register, without ":" (`k8s` for `k8s:///echo.prod:grpc`); grpc-js matches it as written, so
   * targets must spell it the same case.
   * @default {"kubernetes"}
   */
  scheme?: string;
  /** The caller's own `@grpc/grpc-js` module; default: this package's peer copy. Two copies have two registries. */
  grpc?: GrpcModule;
  /**
   * Load balancing when the channel has no `grpc.service_config`: a policy
   * name or a full `loadBalancingConfig` list. The default,
   * `kubernetes_round_robin`, is round_robin over the preferred endpoints
   * (all of them without topology) with failover to the others, and keeps
   * the event loop responsive with thousands of endpoints; `"round_robin"`
   * selects grpc-js's own.
   * @default {"kubernetes_round_robin"}
   */
  loadBalancing?: string | Record<string, unknown>[];
  /**
   * Subsetting (gRFC A68): each channel connects to a stable pseudo-random
   * subset of this many endpoints (and as many failover endpoints when
   * topology applies) instead of every pod. For thousands of pods and many
   * clients, where clients × pods connections hurt. Off by default.
   */
  subsetSize?: number;
  /**
   * The seed of the subset: channels with the same seed and size use the
   * same subset, which `kgr-resolver --subset-size K --subset-seed S` shows.
   * Default: random per channel, which spreads clients evenly.
   */
  subsetSeed?: number;
}

/** Every option of {@linkcode register}; the type makes the list whole. */
export const REGISTER_OPTIONS: readonly string[] = Object.keys(
  {
    scheme: true,
    grpc: true,
    loadBalancing: true,
    subsetSize: true,
    subsetSeed: true,
    cluster: true,
    stallTimeoutMs: true,
    backoff: true,
    watchList: true,
    locality: true,
  } satisfies Record<keyof RegisterOptions, true>,
);

/** The schemes grpc-js resolves itself: a resolver registered under one would replace grpc-js's for every channel. */
const GRPC_JS_SCHEMES: ReadonlySet<string> = new Set(["dns", "ipv4", "ipv6", "unix", "unix-abstract"]);

/**
 * Whether grpc-js resolves `scheme` itself (`dns`, `ipv4`, `ipv6`, `unix`, `unix-abstract`), as written: a
 * resolver of ours registered under it would take over every channel of that scheme, and `dns` is the default
 * of targets without one.
 *
 * @param scheme A URI scheme, without ":".
 * @returns True for grpc-js's own schemes.
 *
 * @example
 * ```ts ignore
 * isGrpcJsScheme("dns"); // true
 * isGrpcJsScheme("kubernetes"); // false
 * ```
 */
export function isGrpcJsScheme(scheme: string): boolean {
  return GRPC_JS_SCHEMES.has(scheme);
}

/** Endpoints as the resolver hands them to grpc-js: a pod's addresses, whether topology prefers it, its Service. */
type BalancedList = { addresses: EndpointAddress[]; preferred: boolean; service: string }[];

interface GrpcUri {
  scheme?: string;
  authority?: string;
  path: string;
}

type FunctionListener = (
  endpoints: unknown,
  attributes: Record<string, unknown>,
  serviceConfig: unknown,
  resolutionNote: string,
) => boolean;
interface ObjectListener {
  onSuccessfulResolution(
    endpoints: unknown,
    serviceConfig: unknown,
    serviceConfigError: unknown,
    configSelector: unknown,
    attributes: Record<string, unknown>,
  ): void;
  onError(error: unknown): void;
}

/**
 * Registers the Kubernetes resolver with `@grpc/grpc-js`, so that channels
 * created afterwards can dial `kubernetes:///service.namespace:port`.
 * Calling it again replaces the options of that scheme. On Deno it also
 * installs a workaround for a `node:http2` crash when a backend sends
 * GOAWAY (see the README's known issues).
 *
 * @param options Scheme, grpc-js module, cluster access, load balancing.
 * @throws {TypeError} When an option cannot work, naming it: a `scheme` that is no URI scheme or one grpc-js
 * resolves itself (`dns`, ...), a `loadBalancing` policy this grpc-js does not accept, a bad `locality`,
 * `stallTimeoutMs` or `backoff`, a `grpc` that is no grpc-js module, or the grpc-js module passed as the options.
 * @throws {RangeError} When `subsetSize` or `subsetSeed` is out of range.
 * @throws {TypeError} When `subsetSeed` comes without `subsetSize`, or an option is unknown (misspelt, or a cluster
 * option given beside `cluster` rather than in it).
 * @throws {ConfigError} When a `cluster` option is unknown, of the wrong type, or excludes another.
 *
 * @example Dialing a Service
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { register } from "@kgr/resolver";
 * register({ grpc });
 * const client = new grpc.Client("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
 * ```
 */
export function register(options: RegisterOptions = {}): void {
  // Bad options throw here, not later on a channel; a misspelt name first, as it explains what follows.
  checkGrpcOption(options);
  checkOptionNames(options, REGISTER_OPTIONS);
  if (options.subsetSize !== undefined) createSubsetter(options.subsetSize, options.subsetSeed ?? 0);
  else if (options.subsetSeed !== undefined) {
    // Alone it did nothing: every channel connected to every pod (a misspelled subsetSize, say).
    throw new TypeError(
      `Cannot use option 'subsetSeed' without 'subsetSize': the seed only chooses which pods a subset holds; ` +
        `set subsetSize too (such as 100), or leave subsetSeed out: current value is ${
          describeValue(options.subsetSeed)
        }`,
    );
  }
  checkWatchSettings(options);
  const scheme = options.scheme ?? "kubernetes";
  if (!isUriScheme(scheme)) {
    // grpc-js would register it anyway, and send the targets meant for it to its DNS resolver.
    throw new TypeError(
      `Cannot use option 'scheme': it must be a URI scheme without ":" (a letter, then letters, digits, "+", "-" ` +
        `or "."), such as "k8s" for targets like "k8s:///echo.prod:grpc": current value is ${describeValue(scheme)}`,
    );
  }
  if (isGrpcJsScheme(scheme)) {
    throw new TypeError(
      `Cannot use option 'scheme': grpc-js resolves ${JSON.stringify(scheme)} itself, and ours would replace it for ` +
        `every channel of the process: use a scheme of your own, such as "kubernetes" (the default)`,
    );
  }
  const grpc = options.grpc ?? (peerGrpc as unknown as GrpcModule);
  registerBalancer(grpc);
  if (options.loadBalancing !== undefined) checkLoadBalancing(grpc, options.loadBalancing);
  const schemes = registered.get(grpc.experimental.registerResolver) ?? new Set();
  registered.set(grpc.experimental.registerResolver, schemes.add(scheme));
  setTraceSink((text) => grpc.experimental.trace(grpc.logVerbosity.DEBUG as never, "kubernetes_resolver", text));
  if (runtimeKey() === "deno") installDenoGoawayWorkaround();
  grpc.experimental.registerResolver(scheme, createResolverClass(grpc, options) as never);
}

/**
 * Refuses a `grpc` option that is not a grpc-js module (nice-grpc's, a sub-object, a name), which would otherwise
 * fail deep inside with a runtime's own words, and the grpc-js module passed in place of the options, whose copy
 * would be ignored.
 */
function checkGrpcOption(options: RegisterOptions): void {
  const given: unknown = options.grpc;
  if (given === undefined) {
    if (!("experimental" in options && "credentials" in options)) return;
    throw new TypeError(
      "Cannot register the resolver: the grpc-js module was passed as the options; pass it as register({ grpc })",
    );
  }
  const experimental = (given as { experimental?: { registerResolver?: unknown } } | null)?.experimental;
  if (typeof experimental?.registerResolver === "function") return;
  throw new TypeError(
    `Cannot use option 'grpc': it must be the @grpc/grpc-js module, as in import * as grpc from "@grpc/grpc-js" ` +
      `and register({ grpc }) (nice-grpc's module is not it; for nice-grpc use createChannel() from ` +
      `@kgr/resolver/nice-grpc): current value is ${describeGrpcOption(given)}`,
  );
}

/** A short description of a bad `grpc` option: a value, or the keys of an object (a module does not stringify). */
function describeGrpcOption(value: unknown): string {
  if (typeof value !== "object" || value === null) return describeValue(value);
  const keys = Object.keys(value);
  return `an object with ${keys.length === 0 ? "no keys" : `keys ${keys.slice(0, 5).join(", ")}`}${
    keys.length > 5 ? ", ..." : ""
  }`;
}

/** The `loadBalancingConfig` a `loadBalancing` option stands for. */
function loadBalancingConfig(loadBalancing: string | Record<string, unknown>[] | undefined) {
  return typeof loadBalancing === "object" ? loadBalancing : [{ [loadBalancing ?? BALANCER_NAME]: {} }];
}

/**
 * Refuses a `loadBalancing` option that this copy of grpc-js cannot use: a misspelled policy would otherwise
 * leave channels on pick_first, every call to one pod, without a word.
 */
function checkLoadBalancing(grpc: GrpcModule, loadBalancing: unknown): void {
  const config = typeof loadBalancing === "string" && loadBalancing !== ""
    ? loadBalancingConfig(loadBalancing)
    : Array.isArray(loadBalancing) && loadBalancing.length > 0
    ? loadBalancing
    : undefined;
  try {
    if (config !== undefined && grpc.experimental.selectLbConfigFromList(config) !== null) return;
  } catch {
    // Entries that are not configs at all: refused below.
  }
  throw new TypeError(
    `Cannot use option 'loadBalancing': ${describeValue(loadBalancing)} is no load-balancing policy (or config) ` +
      `that this grpc-js accepts${parseErrors(grpc, config)}; use "${BALANCER_NAME}" (the default), ` +
      `"round_robin" or "pick_first", or register your own policy with grpc-js first`,
  );
}

/** Why grpc-js refuses each entry of a `loadBalancingConfig` list, as `" (reason; reason)"`, or `""`. */
function parseErrors(grpc: GrpcModule, config: unknown[] | undefined): string {
  const reasons = new Set<string>();
  for (const entry of config ?? []) {
    try {
      grpc.experimental.parseLoadBalancingConfig?.(entry);
    } catch (error) {
      if (error instanceof Error) reasons.add(error.message);
    }
  }
  return reasons.size > 0 ? ` (${[...reasons].join("; ")})` : "";
}

/** The copies of grpc-js whose log got the warning about a channel config without load balancing (once each). */
const warnedWithoutLoadBalancing = new WeakSet<object>();

/**
 * Warns once, through grpc-js's log (shown by default), when a channel's own `grpc.service_config` leaves load
 * balancing out (or lists no policy): grpc-js then uses pick_first, and every call goes to one pod, which a config
 * written for a `retryPolicy` alone does not mean.
 */
function warnWithoutLoadBalancing(grpc: GrpcModule, channelConfig: unknown): void {
  if (warnedWithoutLoadBalancing.has(grpc.experimental)) return;
  let parsed: { loadBalancingConfig?: unknown } | null;
  try {
    parsed = JSON.parse(String(channelConfig));
  } catch {
    return; // grpc-js refuses it itself.
  }
  if (typeof parsed !== "object" || parsed === null) return;
  const policies = parsed.loadBalancingConfig;
  if (Array.isArray(policies) ? policies.length > 0 : policies !== undefined) return;
  warnedWithoutLoadBalancing.add(grpc.experimental);
  grpc.experimental.log(
    grpc.logVerbosity.ERROR as never,
    "@kgr/resolver: this channel's grpc.service_config has no loadBalancingConfig, so grpc-js uses pick_first " +
      'and sends every call to one pod; add "loadBalancingConfig": [{"kubernetes_round_robin": {}}] to it ' +
      "(or round_robin) to spread calls over every pod",
  );
}

/** Schemes registered per copy of grpc-js (keyed by its registerResolver function). */
const registered = new WeakMap<object, Set<string>>();

/**
 * Whether {@linkcode register} registered `scheme` with this copy of grpc-js.
 *
 * @param grpc A grpc-js module.
 * @param scheme The URI scheme.
 * @returns True once registered.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * if (!isRegistered(grpc, "kubernetes")) register({ grpc });
 * ```
 */
export function isRegistered(grpc: GrpcModule, scheme: string): boolean {
  return registered.get(grpc.experimental.registerResolver)?.has(scheme) ?? false;
}

/**
 * The service config that hands a channel of ours an empty list: our policy when the chosen one is pick_first, whose
 * grpc-js version keeps its connection when handed no endpoints (an unready pod that still listens would keep every
 * call), else none (the channel's own). Our policy fails calls at once; the next endpoints bring pick_first back.
 */
function emptyListConfig(grpc: GrpcModule, options: RegisterOptions): unknown {
  if (options.loadBalancing === undefined) return undefined;
  const selected = grpc.experimental.selectLbConfigFromList(loadBalancingConfig(options.loadBalancing)) as
    | { getLoadBalancerName(): string }
    | null;
  if (selected?.getLoadBalancerName() !== "pick_first") return undefined;
  return { ok: true, value: { loadBalancingConfig: loadBalancingConfig(BALANCER_NAME), methodConfig: [] } };
}

function createResolverClass(grpc: GrpcModule, options: RegisterOptions) {
  const emptyConfig = emptyListConfig(grpc, options);
  return class KubernetesResolver {
    static getDefaultAuthority(uri: GrpcUri): string {
      try {
        return defaultAuthority(parseGrpcUri(uri));
      } catch {
        return "invalid.kubernetes.target";
      }
    }

    #target?: Target;
    #targetError?: ResolverError;
    #listener: FunctionListener | ObjectListener;
    #serviceConfig: unknown;
    /** The service config of an empty list (see `emptyListConfig()`), when the channel has none of its own. */
    #emptyConfig: unknown;
    #unsubscribe?: () => void;
    /** Set while resolving, replaced on each start and cleared by destroy(): results of an older one are dropped. */
    #session?: object;
    #hasEndpoints = false;
    /**
     * The endpoints last handed to grpc-js, reported again with a note while the watch fails (after an idle
     * channel's `destroy()` too) and when it recovers.
     */
    #lastList: BalancedList = [];
    /** The session in which a list was last handed to grpc-js. */
    #listedIn?: object;
    /** Whether the channel's policy holds endpoints of ours: a list with some was handed over since it was made. */
    #channelHasEndpoints = false;
    /** The session and the time (ISO 8601, to the second) of the last endpoints a snapshot gave. */
    #resolvedIn?: object;
    #resolvedAt = "";
    /** The resolution note of `#lastList` while the watch fails: why these endpoints may be stale. */
    #staleNote = "";
    /** The resolution note of `#lastList` otherwise: the snapshot's `portNote`, or none. */
    #note = "";
    /** When the watch started failing (ISO 8601, to the second), while it fails. */
    #failingSince = "";
    #setupBackoff = createBackoff();
    #subsetter = options.subsetSize === undefined
      ? undefined
      : createSubsetter(options.subsetSize, options.subsetSeed ?? (Math.random() * 2 ** 32) >>> 0);
    #retrySetupAt = 0;
    /**
     * Where this channel's lists start (modulo their length): the pods come sorted, and pick_first (a channel's own
     * choice) would put every channel on the first pod.
     */
    #rotation = (Math.random() * 2 ** 32) >>> 0;

    constructor(uri: GrpcUri, listener: FunctionListener | ObjectListener, channelOptions: Record<string, unknown>) {
      this.#listener = listener;
      const channelConfig = channelOptions["grpc.service_config"];
      this.#serviceConfig = channelConfig
        ? null
        : { ok: true, value: { loadBalancingConfig: loadBalancingConfig(options.loadBalancing), methodConfig: [] } };
      this.#emptyConfig = channelConfig ? null : emptyConfig ?? this.#serviceConfig;
      if (channelConfig) warnWithoutLoadBalancing(grpc, channelConfig);
      try {
        this.#target = parseGrpcUri(uri);
      } catch (error) {
        this.#targetError = error as ResolverError;
      }
    }

    updateResolution(): void {
      if (this.#unsubscribe || Date.now() < this.#retrySetupAt) return;
      const session = {};
      this.#session = session;
      const current = () => this.#session === session;
      if (!this.#target) {
        const error = this.#targetError!;
        queueMicrotask(() => current() && this.#reportError(error));
        return;
      }
      this.#unsubscribe = subscribeEndpoints(this.#target, options, {
        onEndpoints: (snapshot) => {
          if (!current()) return;
          this.#setupBackoff.reset();
          this.#reportEndpoints(snapshot);
        },
        onError: (error, fatal, since) => {
          if (!current()) return;
          if (fatal) {
            // Cluster access could not be set up: try again on a later
            // updateResolution(), not on every call grpc-js makes meanwhile.
            this.#unsubscribe = undefined;
            this.#retrySetupAt = Date.now() + this.#setupBackoff.next();
          }
          if (this.#hasEndpoints) this.#keepStale(error, since);
          else this.#reportError(error);
        },
        onRecovered: () => {
          if (!current() || !this.#staleNote) return;
          trace(`${formatTarget(this.#target!)}: the watch works again: the last endpoints are current`);
          this.#staleNote = this.#failingSince = "";
          this.#reportList(this.#lastList, this.#note);
        },
      });
    }

    /**
     * Stops watching. grpc-js calls it when the channel goes idle, and `updateResolution()` on the same instance
     * when a call comes: the endpoints of before stay known, so that an API server that fails right then leaves
     * the channel those (noted as maybe stale) rather than failing every call.
     */
    destroy(): void {
      this.#session = undefined;
      // grpc-js destroys the channel's policy with the resolver: the next one starts without endpoints.
      this.#channelHasEndpoints = false;
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#staleNote = this.#failingSince = "";
    }

    /**
     * Keeps the last endpoints through a failure (of the watch, since `since`, or of the Service's port lookup), and
     * tells grpc-js (1.14 or newer) why they may be stale: calls that fail on them carry the note, as "Resolution
     * note: ...".
     */
    #keepStale(error: ResolverError, since: number | undefined): void {
      trace(`${formatTarget(this.#target!)}: keeping the last endpoints: ${error.message}`);
      if (typeof this.#listener !== "function") {
        // grpc-js before 1.14 takes no note: the list only needs handing over again after an idle channel's destroy().
        if (this.#listedIn !== this.#session) this.#reportList(this.#lastList, "");
        return;
      }
      this.#failingSince ||= isoSeconds(since ?? Date.now());
      // After an idle channel's destroy(), the endpoints are older than the failures.
      const resolved = this.#resolvedIn === this.#session
        ? ""
        : `they were resolved at ${this.#resolvedAt}, before the channel went idle, and `;
      const note = `these endpoints may be stale: ${resolved}updates have failed since ${this.#failingSince}: ` +
        error.message;
      // Only a new reason is reported: the failures of one outage are mostly alike.
      if (note === this.#staleNote) return;
      this.#staleNote = note;
      // A port note still holds: calls that fail on every pod may fail for it, outage or not.
      this.#reportList(this.#lastList, this.#note ? `${note}; ${this.#note}` : note);
    }

    #reportEndpoints({ endpoints, namespace, service, emptyReason, portNote }: EndpointSnapshot): void {
      const used = this.#subsetter?.select(endpoints) ?? endpoints;
      trace(
        `${formatTarget(this.#target!)}: ${used.length} ${used.length === 1 ? "endpoint" : "endpoints"}${
          used === endpoints ? "" : ` (a subset of ${endpoints.length})`
        }`,
      );
      this.#hasEndpoints = used.length > 0;
      this.#staleNote = this.#failingSince = "";
      if (this.#hasEndpoints) {
        this.#resolvedIn = this.#session;
        this.#resolvedAt = isoSeconds(Date.now());
        const start = this.#rotation % used.length;
        const serviceName = `service ${service} in namespace ${namespace}`;
        this.#lastList = used.map((_, i) => {
          const { addresses, preferred } = used[(start + i) % used.length];
          return { addresses, preferred, service: serviceName };
        });
        // Calls that fail on every pod say why they may: the port may be the Service's, not the pods'.
        this.#note = portNote ?? "";
        if (portNote) trace(`${service}.${namespace}: ${portNote}`);
        this.#reportList(this.#lastList, this.#note);
        return;
      }
      // Calls must fail at once with UNAVAILABLE and the reason. An empty list alone does not do
      // that (round_robin goes IDLE and queues calls until their deadline), and an error alone
      // keeps the previous endpoints: the empty list drops them, then the error fails calls. On
      // grpc-js 1.14, a policy without endpoints (a new one, after the channel went idle) gets
      // the error alone: calls queued for a pick would fail on the empty list's poorer message
      // before it came (pick_first's "Last error: null"). Earlier versions need the list, whose
      // attribute our policy fails calls with: they ignore the error after an idle period.
      const note = `no ready endpoints for service ${service} in namespace ${namespace}`;
      const error = new ResolverError(
        `Cannot route the call: ${note}: ${
          emptyReason ??
            `check that the Service's pods are ready (kubectl get endpointslices -n ${namespace} ` +
              `-l kubernetes.io/service-name=${service})`
        }`,
      );
      // The empty list carries the error too (as its note for grpc-js's round_robin, whole for ours): calls queued
      // for a pick fail on the list, before the error comes.
      if (this.#channelHasEndpoints || typeof this.#listener !== "function") {
        try {
          this.#reportList([], error.message, error);
        } catch {
          // pick_first of older grpc-js (1.10) throws on an empty list, before it changes anything: the error stands.
        }
      }
      this.#reportError(error);
    }

    /** Hands grpc-js a list; an empty one carries the error its calls fail with (see `EMPTY_LIST_ERROR_ATTRIBUTE`). */
    #reportList(
      list: BalancedList,
      note: string,
      error?: ResolverError,
    ): void {
      const listener = this.#listener;
      this.#listedIn = this.#session;
      this.#channelHasEndpoints = list.length > 0;
      const attributes = error ? { [EMPTY_LIST_ERROR_ATTRIBUTE]: error.message } : {};
      const serviceConfig = list.length === 0 ? this.#emptyConfig : this.#serviceConfig;
      if (typeof listener === "function") {
        listener({ ok: true, value: list }, attributes, serviceConfig, note);
      } else {
        const config = serviceConfig as { value: unknown } | null;
        listener.onSuccessfulResolution(list, config?.value ?? null, null, null, attributes);
      }
    }

    #reportError(error: ResolverError): void {
      const status = { code: grpc.status.UNAVAILABLE, details: error.message, metadata: new grpc.Metadata() };
      const listener = this.#listener;
      if (typeof listener === "function") {
        listener({ ok: false, error: status }, {}, this.#serviceConfig, error.message);
      } else listener.onError(status);
    }
  };
}

/** A time as ISO 8601 to the second, as the stale note gives it. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}
