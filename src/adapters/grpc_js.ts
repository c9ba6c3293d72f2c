/**
 * The `@grpc/grpc-js` adapter: a resolver class that hands every usable pod
 * to the channel as its own endpoint, balanced by `kubernetes_round_robin`
 * by default (round-robin with topology preference and failover, and no
 * event-loop stalls at thousands of endpoints).
 *
 * @module
 */

import * as peerGrpc from "@grpc/grpc-js";
import type { EndpointSnapshot } from "../endpoint_subscription.ts";
import type { EndpointAddress } from "../selection/resolved_endpoint.ts";
import { subscribeEndpoints } from "../endpoint_subscription.ts";
import { ResolverError } from "../base/errors.ts";
import { createBackoff } from "../base/backoff.ts";
import { defaultAuthority, formatTarget, parseGrpcUri, type Target } from "../base/target.ts";
import { setTraceSink, trace } from "../runtime/trace.ts";
import { installDenoGoawayWorkaround } from "../runtime/deno_goaway_workaround.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import { unrefTimer } from "../runtime/unref_timer.ts";
import { EMPTY_LIST_ERROR_ATTRIBUTE, registerBalancer } from "./grpc_js_balancer.ts";
import { createSubsetter } from "../selection/subset.ts";
import {
  checkGrpcVersion,
  checkLoadBalancing,
  checkRegisterOptions,
  copyCheckedOptions,
  type GrpcModule,
  type RegisterOptions,
} from "./register_options.ts";
import { emptyListConfig, failsOver, serviceConfigOf, warnOfPickFirstFallback } from "./_service_config.ts";
import { createStaleNote } from "./_stale_note.ts";
import { channelResolverOptions } from "./_channel_resolver_options.ts";

export type { GrpcModule, RegisterOptions } from "./register_options.ts";

/**
 * How long a channel back from idle waits for the watch before it goes on with the endpoints it had, noted as maybe
 * stale: a LIST takes milliseconds, while an API server that is unreachable or hung is given up on only after 10 s
 * (the connection timeout) or the stall timeout, and every call made meanwhile would fail at its deadline.
 */
const WAKE_GRACE_MS = 1000;

/** Endpoints as the resolver hands them to grpc-js: a pod's addresses, whether topology prefers it, its Service. */
type BalancedList = {
  addresses: readonly EndpointAddress[];
  preferred: boolean;
  sameZone?: boolean;
  pod?: string;
  service: string;
  authority: string;
}[];

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
 * Calling it again replaces the options of that scheme for the channels
 * created afterwards; channels that exist keep theirs. On Deno it also
 * installs a workaround for a `node:http2` crash when a backend sends
 * GOAWAY (see the README's known issues).
 *
 * @param options Scheme, grpc-js module, cluster access, load balancing.
 * @throws {TypeError} When an option cannot work, naming it: a `scheme` that is no URI scheme or one grpc-js
 * resolves itself (`dns`, ...), a `loadBalancing` policy this grpc-js does not accept (or a `kubernetes_round_robin`
 * config there with an option it does not have, or a `failoverTimeoutMs` that is no number), a bad `locality`, a
 * `stallTimeoutMs` that is no number or a `backoff` that is no object of numbers, a `grpc` that is no grpc-js module
 * or one older than 1.10, or the grpc-js module passed as the options.
 * @throws {RangeError} When `subsetSize`, `subsetSeed`, `stallTimeoutMs`, a `backoff` delay or the `failoverTimeoutMs`
 * of a `kubernetes_round_robin` config in `loadBalancing` is a number out of range (`stallTimeoutMs: 0`,
 * `backoff.initialMs` above `backoff.maxMs`).
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
  const { scheme, grpc } = checkResolverOptions(options);
  // A copy: channels created later use the options checked here, whatever becomes of the caller's object.
  const checked = copyCheckedOptions(options);
  const schemes = registered.get(grpc.experimental.registerResolver) ?? new Set();
  registered.set(grpc.experimental.registerResolver, schemes.add(scheme));
  lastRegistered.set(scheme, checked);
  setTraceSink((text) => grpc.experimental.trace(grpc.logVerbosity.DEBUG as never, "kubernetes_resolver", text));
  if (runtimeKey() === "deno") installDenoGoawayWorkaround();
  grpc.experimental.registerResolver(scheme, createResolverClass(grpc, checked) as never);
}

/**
 * Checks resolver options as {@linkcode register} does, without registering them: for options of one channel (see
 * `_channel_resolver_options.ts`). Bad options throw here, not later on a channel.
 *
 * @param options Scheme, grpc-js module, cluster access, load balancing.
 * @returns The scheme, and the grpc-js module (with our policy registered).
 * @throws {TypeError} When an option cannot work, naming it (see `register()`).
 * @throws {RangeError} When `subsetSize`, `subsetSeed`, `stallTimeoutMs`, a `backoff` delay or a `failoverTimeoutMs`
 * in `loadBalancing` is a number out of range (see `register()`).
 * @throws {ConfigError} When a `cluster` option is unknown, of the wrong type, or excludes another.
 *
 * @example A channel's own options
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * checkResolverOptions({ grpc, cluster: { context: "test" }, subsetSize: 10 });
 * ```
 */
export function checkResolverOptions(options: RegisterOptions): { scheme: string; grpc: GrpcModule } {
  const scheme = checkRegisterOptions(options);
  const grpc = options.grpc ?? (peerGrpc as unknown as GrpcModule);
  checkGrpcVersion(grpc);
  registerBalancer(grpc);
  if (options.loadBalancing !== undefined) checkLoadBalancing(grpc, options.loadBalancing);
  return { scheme, grpc };
}

/** Schemes registered per copy of grpc-js, keyed by its registerResolver function. */
const registered = new WeakMap<object, Set<string>>();

/** The checked options of the last register() of each scheme, whichever copy of grpc-js it was given. */
const lastRegistered = new Map<string, RegisterOptions>();

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
 * The options the last {@linkcode register} of `scheme` was given, `grpc` included, with whichever copy of grpc-js:
 * the app's copy need not be this package's own (a JSR install shares ours with nice-grpc, not with the app's).
 *
 * @param scheme The URI scheme.
 * @returns The checked options, or undefined when the scheme was never registered.
 *
 * @example
 * ```ts ignore
 * const cluster = lastRegisteredOptions("kubernetes")?.cluster;
 * ```
 */
export function lastRegisteredOptions(scheme: string): RegisterOptions | undefined {
  return lastRegistered.get(scheme);
}

/**
 * The resolver class registered for a scheme, with the options given to `register()`; a channel created with its own
 * (see `_channel_resolver_options.ts`) uses those instead.
 */
function createResolverClass(grpc: GrpcModule, registeredOptions: RegisterOptions) {
  const registeredEmptyConfig = emptyListConfig(grpc, registeredOptions);
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
     * Why the last snapshot was empty, as its calls fail; set while the channel has no endpoints. A watch error
     * reported since takes its place until the watch recovers (see `#emptyOverridden`).
     */
    #emptyError?: ResolverError;
    /** A watch or port-lookup error was reported in place of `#emptyError`: it goes back once the watch recovers. */
    #emptyOverridden = false;
    /**
     * The endpoints last handed to grpc-js, reported again with a note while the watch fails (after an idle
     * channel's `destroy()` too) and when it recovers.
     */
    #lastList: BalancedList = [];
    /** The session in which a list was last handed to grpc-js. */
    #listedIn?: object;
    /** Whether the channel's policy holds endpoints of ours: a list with some was handed over since it was made. */
    #channelHasEndpoints = false;
    /** The resolution note of `#lastList` while the watch fails: why these endpoints may be stale. */
    #staleNote = createStaleNote();
    /** The resolution note of `#lastList` otherwise: the snapshot's `portNote`, or none. */
    #note = "";
    #setupBackoff = createBackoff();
    /** The channel's own resolver options, else the registered ones. */
    #options: RegisterOptions;
    #subsetter?: ReturnType<typeof createSubsetter>;
    /** When cluster access may be set up again, on `performance.now()`: a wall clock stepped back would stretch the wait. */
    #retrySetupAt = 0;
    /** Why cluster access could not be set up, while the next try waits for `#retrySetupAt`. */
    #setupFailure?: { error: ResolverError; since: number | undefined };
    /** Sets up again at `#retrySetupAt`, for a call that came before then and waits for ready. */
    #setupTimer?: ReturnType<typeof setTimeout>;
    /** Hands grpc-js the last endpoints when the watch has not answered `WAKE_GRACE_MS` after the channel left idle. */
    #wakeTimer?: ReturnType<typeof setTimeout>;
    /** The error calls fail with, reported last and with no endpoint since. */
    #standingError?: ResolverError;
    /**
     * Where this channel's lists start (modulo their length): the pods come sorted, and pick_first (a channel's own
     * choice) would put every channel on the first pod.
     */
    #rotation = (Math.random() * 2 ** 32) >>> 0;

    constructor(uri: GrpcUri, listener: FunctionListener | ObjectListener, channelOptions: Record<string, unknown>) {
      this.#listener = listener;
      const own = channelResolverOptions(channelOptions);
      const options = this.#options = own ?? registeredOptions;
      const channelConfig = channelOptions["grpc.service_config"];
      if (options.subsetSize !== undefined) {
        const seed = options.subsetSeed ?? (Math.random() * 2 ** 32) >>> 0;
        // Failover pods only for a policy that fails over to them: round_robin would spread calls over them too.
        const tiers = failsOver(grpc, channelConfig, options.loadBalancing);
        this.#subsetter = createSubsetter(options.subsetSize, seed, { tiers });
      }
      const emptyConfig = own ? emptyListConfig(grpc, own) : registeredEmptyConfig;
      this.#serviceConfig = channelConfig ? null : serviceConfigOf(options.loadBalancing);
      this.#emptyConfig = channelConfig ? null : emptyConfig ?? this.#serviceConfig;
      if (channelConfig) warnOfPickFirstFallback(grpc, channelConfig);
      try {
        this.#target = parseGrpcUri(uri);
      } catch (error) {
        this.#targetError = error as ResolverError;
      }
    }

    updateResolution(): void {
      if (this.#unsubscribe) {
        // grpc-js 1.10 goes back to queueing calls once its own backoff after an error ends, then asks again: answered
        // with the error that stands, they fail at once, as on 1.14, instead of waiting for the watch's next try.
        const error = this.#standingError;
        const session = this.#session;
        if (error === undefined) return;
        queueMicrotask(() => this.#session === session && this.#standingError === error && this.#reportError(error));
        return;
      }
      const wait = this.#retrySetupAt - performance.now();
      if (wait > 0) return this.#awaitSetup(wait);
      // A wait's timer still set would end the backoff of this setup, should it fail.
      clearTimeout(this.#setupTimer);
      this.#setupTimer = undefined;
      const session = {};
      this.#session = session;
      const current = () => this.#session === session;
      if (!this.#target) {
        const error = this.#targetError!;
        queueMicrotask(() => current() && this.#reportError(error));
        return;
      }
      this.#unsubscribe = subscribeEndpoints(this.#target, this.#options, {
        routesCalls: true,
        onEndpoints: (snapshot) => {
          if (!current()) return;
          this.#setupBackoff.reset();
          this.#reportEndpoints(snapshot);
        },
        onError: (error, fatal, since) => {
          if (!current()) return;
          if (fatal) {
            // Cluster access could not be set up: try again after a backoff, not on every call grpc-js makes meanwhile.
            this.#unsubscribe = undefined;
            this.#retrySetupAt = performance.now() + this.#setupBackoff.next();
            this.#setupFailure = { error, since };
          }
          this.#reportFailure(error, since);
        },
        onRecovered: () => {
          if (!current()) return;
          if (this.#emptyOverridden) {
            // No snapshot comes when the selection stayed empty: calls must not go on failing with the outage's error.
            this.#emptyOverridden = false;
            const reason = this.#emptyError!;
            trace(`${formatTarget(this.#target!)}: the watch works again, and still no endpoints: ${reason.message}`);
            this.#reportError(reason);
            return;
          }
          if (!this.#staleNote.hasNote()) return;
          trace(`${formatTarget(this.#target!)}: the watch works again: the last endpoints are current`);
          this.#staleNote.clear();
          this.#reportList(this.#lastList, this.#note);
        },
      });
      // Back from idle (destroy() dropped the policy's endpoints): the API server may not answer for a while.
      if (this.#hasEndpoints && !this.#channelHasEndpoints) this.#awaitWake(session);
    }

    /**
     * Stops watching. grpc-js calls it when the channel goes idle, and `updateResolution()` on the same instance
     * when a call comes: the endpoints of before stay known, so that an API server that fails right then leaves
     * the channel those (noted as maybe stale) rather than failing every call.
     */
    destroy(): void {
      this.#session = undefined;
      clearTimeout(this.#setupTimer);
      this.#setupTimer = undefined;
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = undefined;
      // grpc-js destroys the channel's policy with the resolver: the next one starts without endpoints.
      this.#channelHasEndpoints = false;
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#staleNote.clear();
    }

    /**
     * Answers a call that grpc-js made while cluster access waits `wait` ms to be set up again (a call that came, a
     * channel back from idle): with why, at once, so that calls fail with it as the DNS resolver fails them during
     * its backoff; and sets up again when the wait ends, once, for calls that wait for ready. Dropped, such a call
     * left grpc-js waiting for a resolution that never came. The timer set by the first call of the wait serves the
     * last call's session: set again on each call for the wait left on `performance.now()`, which fake timers leave
     * standing still, calls that came more often than the wait put the setup off for ever.
     */
    #awaitSetup(wait: number): void {
      const session = {};
      this.#session = session;
      const { error, since } = this.#setupFailure!;
      queueMicrotask(() => this.#session === session && this.#reportFailure(error, since));
      if (this.#setupTimer !== undefined) return;
      this.#setupTimer = unrefTimer(setTimeout(() => {
        this.#setupTimer = undefined;
        // The wait is over: fake timers that leave performance.now() standing still fire this all the same.
        this.#retrySetupAt = 0;
        this.updateResolution();
      }, wait));
    }

    /**
     * Gives the watch of a channel back from idle `WAKE_GRACE_MS` to answer; then hands grpc-js the endpoints of
     * before, noted as maybe stale, as a failure of the watch does. Any report to grpc-js in the session ends the wait.
     */
    #awaitWake(session: object): void {
      this.#wakeTimer = unrefTimer(setTimeout(() => {
        this.#wakeTimer = undefined;
        if (this.#session !== session) return;
        const seconds = WAKE_GRACE_MS / 1000;
        this.#keepStale(
          new ResolverError(`the API server has not answered within ${seconds} s after the channel left idle`),
          undefined,
        );
      }, WAKE_GRACE_MS));
    }

    /** Reports a failure: the last endpoints kept (noted as maybe stale) when there are some, else the error. */
    #reportFailure(error: ResolverError, since: number | undefined): void {
      if (this.#hasEndpoints) this.#keepStale(error, since);
      else {
        this.#emptyOverridden = this.#emptyError !== undefined;
        this.#reportError(error);
      }
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
      const note = this.#staleNote.fail(error, since, this.#session);
      // Only a new reason is reported: the failures of one outage are mostly alike.
      if (note === undefined) return;
      // A port note still holds: calls that fail on every pod may fail for it, outage or not.
      this.#reportList(this.#lastList, this.#note ? `${note}; ${this.#note}` : note);
    }

    #reportEndpoints({ endpoints, namespace, namespaceNote, service, emptyReason, portNote }: EndpointSnapshot): void {
      const used = this.#subsetter?.select(endpoints) ?? endpoints;
      trace(
        `${formatTarget(this.#target!)}: ${used.length} ${used.length === 1 ? "endpoint" : "endpoints"}${
          used.length === endpoints.length ? "" : ` (a subset of ${endpoints.length})`
        }`,
      );
      this.#hasEndpoints = used.length > 0;
      this.#staleNote.clear();
      this.#emptyError = undefined;
      this.#emptyOverridden = false;
      if (this.#hasEndpoints) {
        this.#staleNote.resolved(this.#session);
        const start = this.#rotation % used.length;
        // Calls that fail on every endpoint name them: ready pods outside the subset get none of its calls.
        const subset = used.length === endpoints.length
          ? ""
          : ` (this channel's subset of ${used.length} of its ${endpoints.length} usable pods: subsetSize)`;
        const serviceName = `service ${service} in namespace ${namespace}${subset}`;
        const authority = defaultAuthority(this.#target!);
        this.#lastList = used.map((_, i) => {
          const { addresses, preferred, sameZone, podName } = used[(start + i) % used.length];
          // The pod, when the slice names it: calls that fail on every endpoint name the pod of the last error.
          const pod = podName === undefined ? {} : { pod: podName };
          return sameZone
            ? { addresses, preferred, sameZone, ...pod, service: serviceName, authority }
            : { addresses, preferred, ...pod, service: serviceName, authority };
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
      const note = `no ready endpoints for service ${service} in namespace ${namespace}` +
        (namespaceNote === undefined ? "" : ` (${namespaceNote})`);
      const error = new ResolverError(
        `Cannot route the call: ${note}: ${
          emptyReason ??
            `check that the Service's pods are ready (kubectl get endpointslices -n ${namespace} ` +
              `-l kubernetes.io/service-name=${service})`
        }`,
      );
      this.#emptyError = error;
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
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = undefined;
      this.#listedIn = this.#session;
      this.#channelHasEndpoints = list.length > 0;
      if (list.length > 0) this.#standingError = undefined;
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
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = undefined;
      this.#standingError = error;
      const status = { code: grpc.status.UNAVAILABLE, details: error.message, metadata: new grpc.Metadata() };
      const listener = this.#listener;
      if (typeof listener === "function") {
        listener({ ok: false, error: status }, {}, this.#serviceConfig, error.message);
      } else listener.onError(status);
    }
  };
}
