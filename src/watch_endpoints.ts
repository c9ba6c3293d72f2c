/**
 * The runtime-agnostic core as an async iterable: every snapshot is the
 * complete set of usable endpoints of a Service.
 *
 * @module
 */

import { subscribeEndpoints } from "./endpoint_subscription.ts";
import type { WatchSettings } from "./watch_settings.ts";
import { MAX_HOLD_MS } from "./_coalesced_delivery.ts";
import { createHeldReports } from "./_held_reports.ts";
import { type EndpointSnapshot, sameSnapshot, snapshotOf } from "./endpoint_snapshot.ts";
import type { ResolverError } from "./base/errors.ts";
import { formatTarget, parseTarget, type Target } from "./base/target.ts";
import { checkOptionNames, checkOptionsObject, checkWatchSettings, entryPointOptions } from "./check_watch_settings.ts";
import { whenAborted } from "./runtime/abortable.ts";
import { realClearTimeout, realSetTimeout } from "./runtime/real_timers.ts";
import { copyPlainData, currentValue, isRecord, kindOf } from "./base/_util.ts";
import { asyncDisposeKey } from "./base/_async_dispose.ts";
import type { AbortSignalWhereDeclared, AsyncDisposableWhereDeclared } from "./base/optional_globals.ts";

/** Every option of {@linkcode watchEndpoints}; the type makes the list whole. */
const WATCH_ENDPOINTS_OPTIONS = entryPointOptions<WatchEndpointsOptions>({
  signal: true,
  onError: true,
  onRecovered: true,
});

/** Advice for the options of a channel, which a watch does not have: where they go instead. */
const CHANNEL_OPTION_ADVICE: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    ["grpc", "subsetSize", "subsetSeed", "loadBalancing"].map((option) => [
      option,
      `it is a channel's: pass it to register({ ${option} }) or to nice-grpc's createChannel(target, credentials, ` +
      `{ resolver: { ${option} } })`,
    ]),
  ),
  scheme: "it is register()'s: pass it to register({ scheme }); watchEndpoints() takes the scheme from the target " +
    '("k8s:///echo.prod:grpc"), whatever it is',
};

/** The period of the timer that only keeps the process alive (about 12 days: it never needs to fire). */
const KEEP_ALIVE_MS = 2 ** 30;

/**
 * Options of {@linkcode watchEndpoints}.
 *
 * @example A watch that reports failures and ends with the program
 * ```ts
 * import type { WatchEndpointsOptions } from "@kgr/resolver";
 * const shutdown = new AbortController();
 * const options: WatchEndpointsOptions = {
 *   signal: shutdown.signal,
 *   onError: (error) => console.warn(`degraded: ${error.message}`),
 *   onRecovered: () => console.warn("healthy again"),
 *   cluster: { kubeconfig: "/etc/kgr/kubeconfig" },
 * };
 * ```
 */
export interface WatchEndpointsOptions extends WatchSettings {
  /**
   * Ends the iteration quietly, before the first snapshot too: where `fetch()` rejects with `signal.reason`, the loop
   * just ends (`signal.reason` then says whether it was, say, `AbortSignal.timeout()`'s `TimeoutError`). The global
   * `AbortSignal`; where the project's `lib` and `types` declare none (lib `es2022` alone), only `undefined` ("not
   * assignable to type 'undefined'"): add lib `dom` or the runtime's types (`@types/node`) to pass a signal.
   */
  signal?: AbortSignalWhereDeclared | undefined;
  /**
   * Receives API failures (401, 403, unreachable server, ...). The watch retries by itself and keeps the last snapshot;
   * without this callback failures are traced, and one the watch cannot get over by itself (a 401 after the credentials
   * were read again, a 403, a proxy's 407, a certificate TLS verification refused, an exec plugin that fails) is said
   * on standard error, once per cluster, credentials and kind (a 403 once per namespace). An API server out of reach
   * is reported once, then, while its quick retries go on (1 to 2 s apart, about 15 s), only traced while it fails the
   * same way (out of reach another way is reported at once), for at most 15 s after each report, and again at each
   * retry after them, as the delays grow (up to `backoff.maxMs`). Each is reported at once, except while a new snapshot
   * waits for the loop to take it: then it comes right after the loop has taken that snapshot (and so does any failure
   * or recovery after it), so that the reports and the snapshots come in the order they happened.
   */
  onError?: ((error: ResolverError) => void) | undefined;
  /**
   * Called once the failures given to `onError` are over (the API server serves the watch again, the Service's port
   * could be read): the last snapshot is current again, though no new one comes unless the endpoints changed meanwhile.
   * Called only after `onError`, once per run of failures; what it throws is only traced.
   */
  onRecovered?: (() => void) | undefined;
}

/**
 * Follows the usable endpoints of a Service: a snapshot after the first
 * LIST, then one whenever the usable set changes. Shares one LIST+WATCH
 * per Service with every other caller and channel in the process. The
 * process stays alive while the loop waits for the next snapshot, and the
 * watch ends once it is left (`break`, or the iterator's `return()`, also
 * while a `next()` waits: that one then ends the iteration) or
 * `options.signal` aborts; `await using snapshots = watchEndpoints(...)` leaves it when the block ends, on Node 20
 * and 22 too, whose async generators have no `[Symbol.asyncDispose]`, and in their `vm` contexts (Vitest's
 * `vmThreads` and `vmForks` pools). The errors below come from the first `next()` (the `for await` loop), not from
 * the call itself.
 *
 * @param target A target such as `kubernetes:///echo.prod:grpc`, or a {@linkcode Target}, checked as the parser
 * checks a string.
 * @param options Cluster access, `signal`, `onError` and `onRecovered`, watch timings.
 * @returns The snapshots; a slow consumer gets the latest one. Each caller gets its own `endpoints` list, but
 * the endpoint objects in it are shared with the Service's other callers and channels: they are read-only (their
 * types say so).
 * @throws {TargetError} When the target cannot be parsed (or, as an object, has a field the parser refuses).
 * @throws {ConfigError} When no cluster access can be set up (no kubeconfig, a malformed one).
 * @throws {TypeError} When a watch setting is of the wrong kind (`stallTimeoutMs`, `backoff`, `locality`), an option
 * is unknown (misspelt, a cluster option beside `cluster`, or a channel's such as `subsetSize`), naming it, or the
 * target, the options or `signal` are of another kind (a URL, a signal in the place of the options).
 * @throws {RangeError} When `stallTimeoutMs` or a `backoff` delay is a number out of range (`stallTimeoutMs: 0`).
 *
 * @example Printing the pods of a Service
 * ```ts ignore
 * import { watchEndpoints } from "@kgr/resolver";
 * const signal = AbortSignal.timeout(60_000);
 * for await (const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", { signal })) {
 *   console.log(snapshot.endpoints.map((endpoint) => endpoint.podName));
 * }
 * ```
 */
export function watchEndpoints(
  target: string | Target,
  options: WatchEndpointsOptions = {},
): AsyncGenerator<EndpointSnapshot, void, undefined> & AsyncDisposableWhereDeclared {
  const exit: LoopExit = { left: false };
  const snapshots = followEndpoints(target, options, exit);
  // A generator queues return() and throw() behind a next() that waits, and a quiet Service may never answer that
  // one: a merge of several Services' iterators, or a next() raced against a timeout, would leave a watch (and the
  // process) running for good. So both end the loop first, as a `break` does; the waiting next() then ends too.
  const { return: finish, throw: fail } = snapshots;
  const leave = () => {
    exit.left = true;
    exit.stop?.();
  };
  // Own properties defined, not assigned: with frozen prototypes (`node --frozen-intrinsics`, SES's lockdown()),
  // assigning over the inherited methods throws.
  const own = { writable: true, configurable: true };
  Object.defineProperty(snapshots, "return", {
    ...own,
    value: (value?: void) => {
      leave();
      return finish.call(snapshots, value);
    },
  });
  Object.defineProperty(snapshots, "throw", {
    ...own,
    value: (error: unknown) => {
      leave();
      return fail.call(snapshots, error);
    },
  });
  // `await using snapshots = watchEndpoints(...)`: async generators have [Symbol.asyncDispose] on Deno, Bun and Node
  // 24, not on Node 20 and 22, where TypeScript's compiled `await using` threw "Object not disposable.". The key is
  // looked up at each call (a polyfill installed after this module loaded counts) and holds in a vm context too.
  Object.defineProperty(snapshots, asyncDisposeKey(), {
    ...own,
    value: async () => {
      await snapshots.return();
    },
  });
  // Typed as disposable wherever the project declares Symbol.asyncDispose, also where its AsyncGenerator is not
  // (TypeScript's lib before esnext.disposable with Node 20's types).
  return snapshots as AsyncGenerator<EndpointSnapshot, void, undefined> & AsyncDisposableWhereDeclared;
}

/** How the iterator's return() and throw() end a loop that waits for a snapshot. */
interface LoopExit {
  /** Set once the caller left: the loop ends at its next check. */
  left: boolean;
  /** Ends the watch and wakes the loop; set once the loop runs (before, there is nothing to end). */
  stop?: () => void;
}

/** The loop of {@linkcode watchEndpoints}, which `exit` ends early. */
async function* followEndpoints(
  target: string | Target,
  options: WatchEndpointsOptions,
  exit: LoopExit,
): AsyncGenerator<EndpointSnapshot, void, undefined> {
  checkArguments(target, options);
  // A Target object gets the parser's checks too: its fields go into the request's path and label selector.
  const parsed = parseTarget(typeof target === "string" ? target : formatTarget(target));
  checkOptionNames(options, WATCH_ENDPOINTS_OPTIONS, CHANNEL_OPTION_ADVICE);
  checkWatchSettings(options);
  // A copy: the watch reads some settings later (the locality once the cluster is known), and they must be the ones
  // checked, whatever becomes of the caller's objects meanwhile.
  const settings = copyPlainData(options);
  const { signal, onError, onRecovered } = settings;
  if (signal?.aborted) return;
  let latest: EndpointSnapshot | undefined;
  /** The last snapshot the consumer was given (the shared one it was copied from). */
  let lastYielded: EndpointSnapshot | undefined;
  let fatal: ResolverError | undefined;
  // Failures that come while the loop waits for a snapshot that has come too wait for it (see `_held_reports.ts`);
  // a consumer busy with a snapshot gets each failure at once.
  const reports = createHeldReports();
  let parked = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  // The loop keeps the process alive until it is left, as a pending fetch would: the
  // shared watch itself does not (a grpc-js channel nobody closed must not hold it).
  const keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
  const unsubscribe = subscribeEndpoints(parsed, settings, {
    handlesErrors: onError !== undefined,
    onEndpoints(snapshot) {
      latest = snapshot;
      notify();
    },
    onError(error, isFatal) {
      if (isFatal) fatal = error;
      else reports.error(() => onError?.(error), parked && latest !== undefined);
      notify();
    },
    onRecovered() {
      reports.recovered(() => onRecovered?.());
    },
  });
  // An abort ends the watch at once, also while the consumer holds a snapshot and asks for no other one:
  // the generator may never resume to reach its `finally`.
  let endHold: (() => void) | undefined;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    reports.drop();
    clearInterval(keepAlive);
    stopWaiting?.();
    unsubscribe();
  };
  const stop = () => {
    release();
    notify();
    endHold?.();
  };
  exit.stop = stop;
  const stopWaiting = signal && whenAborted(signal, stop);
  // How long the consumer took over its last snapshot, and when it asked for the next one.
  let busyMs = 0;
  let askedAt = 0;
  try {
    while (!signal?.aborted && !exit.left) {
      if (fatal) throw fatal;
      if (latest) {
        const snapshot = latest;
        latest = undefined;
        // A consumer busy while the pods changed and changed back (a pod not ready for a moment) has this already:
        // one that reloads a proxy on each snapshot reloaded it for nothing. Failures held back for it go all the same.
        if (lastYielded && sameSnapshot(lastYielded, snapshot)) {
          reports.sendNextTurn();
          continue;
        }
        lastYielded = snapshot;
        const yielded = performance.now();
        // The loop's body gets the snapshot in this turn of the event loop; failures held back for it follow in
        // the next one, without waiting for the body to end.
        reports.sendNextTurn();
        // The list is shared with the Service's other callers and channels: a caller that sorts or shortens it
        // changes its own copy only. The copy has the shape of every snapshot (see `snapshotOf`).
        yield snapshotOf(snapshot.endpoints.slice(), snapshot);
        askedAt = performance.now();
        busyMs = askedAt - yielded;
        continue;
      }
      parked = true;
      await new Promise<void>((resolve) => wake = resolve);
      // A consumer that takes a while over each snapshot gets, after a change, those of as long again
      // as one (up to MAX_HOLD_MS: a consumer that once took seconds must not see the next change seconds
      // late): a burst reaches it as a few snapshots, and one that keeps up sees every change at once. On the
      // runtime's own timer, which a test's fake timers do not replace (see `real_timers.ts`).
      const holdMs = Math.min(askedAt + busyMs - performance.now(), MAX_HOLD_MS);
      if (holdMs > 1 && latest && !signal?.aborted && !exit.left) {
        await new Promise<void>((resolve) => {
          const timer = realSetTimeout(done, holdMs);
          endHold = done;
          function done() {
            realClearTimeout(timer);
            endHold = undefined;
            resolve();
          }
        });
      }
      parked = false;
    }
  } finally {
    release();
  }
}

/**
 * Refuses arguments that are not what they stand for, which failed far from the call: an object target as
 * `"undefined:///undefined"`, a signal passed as the options never aborted the loop, an AbortController as
 * `signal` with "signal.addEventListener is not a function", and an `onError` that is no function at the first
 * failure.
 */
function checkArguments(target: unknown, options: unknown): void {
  if (typeof target !== "string" && !(isRecord(target) && "service" in target)) {
    throw new TypeError(
      'Cannot watch endpoints: the target must be a string such as "kubernetes:///echo.prod:grpc", or a Target ' +
        `from parseTarget(): current value is ${kindOf(target)}`,
    );
  }
  if (isAbortSignal(options)) {
    throw new TypeError(
      "Cannot watch endpoints: the second argument is the options: pass the signal as watchEndpoints(target, " +
        "{ signal })",
    );
  }
  checkOptionsObject(options);
  const { signal, onError, onRecovered } = options as WatchEndpointsOptions;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(
      "Cannot use option 'signal': it must be an AbortSignal (an AbortController's signal, or " +
        `AbortSignal.timeout(ms)): ${optionKind(signal)}`,
    );
  }
  if (onError !== undefined && typeof onError !== "function") {
    // It was called at the first failure, and threw inside the watch: "onError is not a function".
    throw new TypeError(
      `Cannot use option 'onError': it must be a function such as (error) => console.error(error.message): ` +
        optionKind(onError),
    );
  }
  if (onRecovered !== undefined && typeof onRecovered !== "function") {
    throw new TypeError(
      `Cannot use option 'onRecovered': it must be a function such as () => console.log("watching again"): ` +
        optionKind(onRecovered),
    );
  }
}

function isAbortSignal(value: unknown): boolean {
  return isRecord(value) && typeof value.aborted === "boolean" && typeof value.addEventListener === "function";
}

/** `current value is` what an option's value is, without its contents; for `null`, that leaving it out is the default. */
function optionKind(value: unknown): string {
  return value === null ? currentValue(null) : `current value is ${kindOf(value)}`;
}
