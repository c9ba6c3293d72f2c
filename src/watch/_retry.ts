/**
 * How the reflector reads a failure, in one place next to its loop (as
 * client-go keeps `isExpiredError` next to `ListAndWatch`): a resume point
 * that expired or that the server has not reached (relist), a watch that
 * closed too soon or stalled, a streaming list the server refused (list
 * instead), which failures the caller hears of, and how long to wait before
 * the next attempt. Private to `watch/`.
 *
 * @module
 */

import type { Backoff } from "../base/backoff.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import { withoutFetchAdvice } from "../base/_describe_cause.ts";
import { UnreachableError } from "../api/api_errors.ts";
import { asksToWait, retryAfterMs } from "../api/retry_after.ts";
import type { CacheDifference } from "./_cache_check.ts";
import { trace } from "../runtime/trace.ts";

/**
 * Why a watch ended: the server closed it early (`closed`) or at its timeout (`timeout`), it stalled,
 * its resume point expired, or another failure (`error`).
 */
export type WatchEndReason = "closed" | "timeout" | "stall" | "error" | "expired";

/**
 * A request ended by the stall deadline: no complete answer or event came for too long. Logged as the documented
 * `KubeApiError` it is, with no field beside its message.
 */
export class StallError extends KubeApiError {
  static {
    Object.defineProperty(this, "name", { value: KubeApiError.name });
  }
  readonly #what: string;

  /**
   * @param what What stalled and for how long, without advice.
   * @param advice What to check, appended to the message.
   */
  constructor(what: string, advice = "") {
    super(what + advice);
    this.#what = what;
  }

  /** What stalled and for how long, without advice. */
  get what(): string {
    return this.#what;
  }
}

/**
 * A watch that ended too soon after opening: retried with backoff; traced, and reported when the one before did so
 * too. Logged as the documented `KubeApiError` it is.
 */
export class QuickCloseError extends KubeApiError {
  static {
    Object.defineProperty(this, "name", { value: KubeApiError.name });
  }
}

/**
 * An answer that the API server sends in one go (an event, a LIST page, a streaming list's initial events) that went
 * silent halfway: taken as a broken connection (see `stallDeadline()`), the runtime's own error as it were, and
 * logged as a plain `Error` (the `cause` of the KubeApiError a user gets).
 */
export class SilentAnswerError extends Error {
  static {
    Object.defineProperty(this, "name", { value: Error.name });
  }
}

/**
 * Whether an error means the resume point fell out of the server's history
 * (410 Gone / `Expired`), so the only way forward is a new LIST.
 *
 * @param error Any error.
 * @returns True for an expired resourceVersion.
 *
 * @example A 410 answer
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { isExpired } from "./_retry.ts";
 * console.log(isExpired(new KubeApiError("gone", { status: 410 }))); // true
 * ```
 */
export function isExpired(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  return error.status === 410 || error.reason === "Expired" || error.reason === "Gone";
}

/**
 * Whether an error means the server has not reached the resourceVersion asked for (504 with the
 * `ResourceVersionTooLarge` cause), as when it was restored from an older etcd or is another
 * server behind a load balancer: that resume point cannot be used, so relist with a consistent read.
 *
 * @param error Any error.
 * @returns True for a too-large resourceVersion.
 *
 * @example A 504 with the cause
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { isResourceVersionTooLarge } from "./_retry.ts";
 * const error = new KubeApiError("timeout", { status: 504, causes: ["ResourceVersionTooLarge"] });
 * console.log(isResourceVersionTooLarge(error)); // true
 * ```
 */
export function isResourceVersionTooLarge(error: unknown): boolean {
  return error instanceof KubeApiError && error.causes?.includes("ResourceVersionTooLarge") === true;
}

/** The failure of a watch that ended cleanly after `lastedMs`: a quick close when under `minWatchMs`, so it cannot spin. */
export function quickClose(lastedMs: number, minWatchMs: number): QuickCloseError | undefined {
  if (lastedMs >= minWatchMs) return undefined;
  return new QuickCloseError(
    `Watch closed after ${Math.round(lastedMs)} ms without an event, under the ${minWatchMs} ms a served one lasts ` +
      "(reported when the one before it closed so too): check that the proxies and load balancers on the way let " +
      "a watch, a request that lasts minutes, stay open",
  );
}

/**
 * The failure of a second watch in a row that the API server answered and that then brought not one byte since its
 * resume point until its stall, and what the check after it found: a change the watches missed, a watch cache behind
 * the state (an API server that lags its etcd), or the check's own failure (see `watch()` in `runReflector`).
 */
export function quietAgain(stall: StallError, found: CacheDifference): StallError {
  const twice = `${stall.what}, twice in a row without a single event`;
  if (typeof found === "object" && "behind" in found) {
    return new StallError(
      `${twice}, while the API server's watch cache is behind what the resolver already has (it lists the ` +
        `Service's EndpointSlices at resourceVersion ${found.behind}, older than ${found.held})`,
      ": that API server lags its etcd (one of an HA control plane's, behind a load balancer, say), and its watches " +
        "bring nothing until it catches up: check its health (kubectl get --raw='/readyz?verbose') and its " +
        "connection to etcd",
    );
  }
  const check = found === "missed"
    ? ", while the API server's watch cache has a change of the Service's EndpointSlices that neither brought"
    : `, and the LIST that checks it in the watch cache failed (${found.failed})`;
  return new StallError(
    `${twice}${check}`,
    ": API servers send a BOOKMARK about every minute, but only once their resourceVersion moved, and on a quiet " +
      "cluster some send none for minutes (before 1.34, or an etcd without --watch-progress-notify-interval): raise " +
      "stallTimeoutMs above that wait, or check that the proxies on the way pass a watch's events as they come",
  );
}

/**
 * Why a failed watch ended, for metrics: it stalled, its resume point expired, it closed too soon, or
 * another failure.
 *
 * @param error The failure.
 * @returns The reason.
 *
 * @example
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { watchEndReason } from "./_retry.ts";
 * console.log(watchEndReason(new KubeApiError("gone", { status: 410 }))); // "expired"
 * ```
 */
export function watchEndReason(error: ResolverError): WatchEndReason {
  if (error instanceof StallError) return "stall";
  if (error instanceof QuickCloseError) return "closed";
  if (isExpired(error) || isResourceVersionTooLarge(error)) return "expired";
  return "error";
}

/**
 * Any failure as a {@linkcode ResolverError}: what is not one already (the runtime's error for a connection that
 * broke while a watch or a streaming list was open) becomes a {@linkcode KubeApiError} with it as cause, saying
 * where the connection went and what cuts such connections.
 *
 * @param caught The failure.
 * @param api The API server's URL when known, and what takes the request's credentials out of the runtime's text.
 * @returns The failure as a ResolverError.
 *
 * @example A connection reset
 * ```ts
 * import { asResolverError } from "./_retry.ts";
 * const api = { server: "https://10.0.0.1:6443", redact: (text: string) => text };
 * const error = asResolverError(new TypeError("other side closed"), api);
 * console.log(error.message.includes("https://10.0.0.1:6443 broke (TypeError: other side closed)")); // true
 * ```
 */
export function asResolverError(
  caught: unknown,
  api?: { server?: string; redact(text: string): string },
): ResolverError {
  if (caught instanceof ResolverError) return caught;
  const server = api?.server;
  const detail = withoutFetchAdvice(api ? api.redact(String(caught)) : String(caught));
  return new KubeApiError(
    `Watch of EndpointSlices broke: the connection to the API server${server ? ` at ${server}` : ""} broke ` +
      `(${detail}): if this repeats, check that the proxies and load balancers on the way let a watch, ` +
      "a request that lasts minutes, stay open",
    { cause: caught },
  );
}

/**
 * What a failed streaming list leads to, as client-go decides (`watchList()` and `ListAndWatch()` of its reflector):
 * `"refused"` for a 400 or 422 (the server does not serve streaming lists: an old server, or the `WatchList` gate
 * off), `"once"` for a failure a LIST may not meet (401, 403, 404, 5xx: making progress beats waiting), and
 * `undefined` to stream again: after 429, a network failure before the server answered, or an expired or too-large
 * resourceVersion (then from `""`). Unlike client-go, a streaming list from the
 * latest state (`from` `""`, or `"0"`, sent as `""`) that is too large lists once: the server's watch cache is behind
 * etcd and does not ask etcd to catch up (kube-apiserver v1.30.14 with the `WatchList` gate on and
 * `ConsistentListFromCache` off answered so every time on a quiet cache, where streaming again, as client-go v0.36.3
 * does, got nothing in 15 s). So does one that the server answered and that then failed without an HTTP status
 * (broken, closed, silent halfway or stalled), where client-go streams again: a proxy that cuts connections after so
 * many bytes or seconds cuts every streaming list of a large Service while LIST pages pass, and a server may end the
 * initial events only once its watch cache moves (v1.29.6 with the `WatchList` gate on sent no end in 75 s on a quiet
 * cluster, and not a byte for a Service without slices; client-go waits). And so does one that got no answer at all
 * until its stall (reported): a proxy that passes an answer only once it is complete holds it until the server ends
 * the watch, minutes later (client-go v0.36.3 synced after 7.5 minutes), while LISTs pass; a hung server stalls the
 * LIST too, reported as well.
 *
 * @param error The failure of a streaming list, before its initial events ended.
 * @param from The resourceVersion the streaming list started from, as the reflector's `listFrom`.
 * @param answered Whether the server had answered the streaming list (its headers came) before it failed.
 * @returns Whether to list instead, and for how long.
 *
 * @example A server with the WatchList gate off
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { listInsteadOfStreaming } from "./_retry.ts";
 * console.log(listInsteadOfStreaming(new KubeApiError("forbidden", { status: 422 }))); // "refused"
 * ```
 */
export function listInsteadOfStreaming(
  error: ResolverError,
  from?: string,
  answered = false,
): "refused" | "once" | undefined {
  if (isResourceVersionTooLarge(error) && (from === "" || from === "0")) return "once";
  const status = statusOf(error);
  if (status === 429 || isExpired(error) || isResourceVersionTooLarge(error)) return undefined;
  if (status === undefined) return answered || error instanceof StallError ? "once" : undefined;
  return status === 400 || status === 422 ? "refused" : "once";
}

/** What the loop knows when a failure comes, for {@linkcode planRetry}. */
export interface RetryContext {
  /** The LIST the loop was at (`undefined`: it had listed, and was watching). */
  listFrom: string | undefined;
  /** The last resourceVersion seen; `""` until a LIST or a streaming list first succeeded. */
  resourceVersion: string;
  /** The failure before this one, since the last clean watch. */
  previous: ResolverError | undefined;
  /** Delays of repeated failures. */
  backoff: Backoff;
  /** The backoff's longest delay, in ms: a Retry-After is waited up to this or 60 s, the longer (see `retryAfterMs()`). */
  maxDelayMs: number;
  /** Whether the failure came from a streaming list before its initial events ended. */
  streaming?: boolean;
  /** Whether the API server had answered that streaming list (its headers came) before it failed. */
  answered?: boolean;
  /**
   * Whether the failure ended a watch that the API server had served (it brought a change, or stayed open
   * `minWatchMs`): the failures before it are over, as far as the wait before a relist goes.
   */
  served?: boolean;
  /** Whether a failure was reported to the caller since the API server last served the watch. */
  reported?: boolean;
  /** How long ago the last failure was reported to the caller, in ms (with `reported`; unset: just now). */
  reportedMsAgo?: number;
}

/** How long a server out of reach the same way, once reported, is only traced during its quick retries, in ms. */
const REPORTED_QUIET_MS = 15_000;

/** What the loop does after a failure. */
export interface Retry {
  /** The LIST to make before watching again; `undefined` resumes the watch from the last resourceVersion. */
  listFrom: string | undefined;
  /** Why the LIST changed, for the trace. */
  relist?: string;
  /** After a failed streaming list: the next state comes from a LIST (see {@linkcode listInsteadOfStreaming}). */
  listInstead?: "refused" | "once";
  /**
   * Whether the caller hears of the failure; routine ones (a resume point to relist, a first quick close, a first 401
   * retried at once with fresh credentials, a first 403 or unreachable server once the slices were read, a server
   * still out of reach the same way during the quick retries once reported, a first 429 or 5xx with Retry-After) are
   * only traced.
   */
  report: boolean;
  /** How long to wait first, in ms. */
  delayMs: number;
}

/**
 * Plans the next attempt after a failure: a streaming list that a LIST
 * should replace does so at once (see {@linkcode listInsteadOfStreaming}),
 * unless it asked to wait, a first time (then it streams again after the wait); a
 * resume point the server has not reached relists with a consistent read
 * (`""`); an expired one relists from the last resourceVersion after a watch,
 * and with a consistent read after a LIST or a streaming list (either after a
 * backoff delay when it ended a served watch); a watch refused
 * with a reported 403 relists from the last resourceVersion; anything else
 * retries what failed. See `retryDelay()` below for the wait.
 *
 * @param error The failure.
 * @param context Where the loop was, and its backoff (advanced unless the retry is immediate).
 * @returns The plan.
 *
 * @example An expired watch
 * ```ts
 * import { createBackoff } from "../base/backoff.ts";
 * import { KubeApiError } from "../base/errors.ts";
 * import { planRetry } from "./_retry.ts";
 * const retry = planRetry(new KubeApiError("gone", { status: 410 }), {
 *   listFrom: undefined,
 *   resourceVersion: "42",
 *   previous: undefined,
 *   backoff: createBackoff(),
 *   maxDelayMs: 30_000,
 * });
 * console.log(retry); // { listFrom: "42", relist: ..., report: false, delayMs: 1000-2000 }
 * ```
 */
export function planRetry(error: ResolverError, context: RetryContext): Retry {
  // A 429 or 5xx with Retry-After when the failure before did not ask to wait too: the server asks to wait (priority
  // and fairness, a shutdown, a load balancer without a ready backend), which client-go does unreported (up to 10
  // times), a streaming list's included (its rest client waits before its reflector lists instead): calls made
  // meanwhile wait for the retry rather than fail.
  const waitAsked = asksToWait(error) && !asksToWait(context.previous);
  const listInstead = context.streaming && !waitAsked
    ? listInsteadOfStreaming(error, context.listFrom, context.answered)
    : undefined;
  if (listInstead) {
    // A request that got no answer is the user's to hear of, as a LIST's is (see `stallDeadline()`).
    const report = error instanceof StallError && !context.answered;
    return { listFrom: context.listFrom, listInstead, report, delayMs: 0 };
  }
  // A server out of reach that was reported, again and the same way, while its quick retries go on (1-2 s apart,
  // about 15 s, see `retryDelay()`): they are there to come back soon after a restarted API server does, not to say it
  // again every second; after them each failure is reported, as the delays grow. Out of reach another way is news (a
  // proxy that refused connections and now answers the CONNECT with a 403; a refused server that now times out). And
  // so is a repeat 15 s or more after the last report: a server that drops packets fails each try only after the 10 s
  // connect timeout, and its quick retries took 114 s, where each one is no longer every second.
  const stillOutOfReach = error instanceof UnreachableError && context.previous instanceof UnreachableError &&
    error.message === context.previous.message && context.reported === true && context.backoff.quickRetryLeft() &&
    (context.reportedMsAgo ?? 0) < REPORTED_QUIET_MS;
  const delayMs = retryDelay(error, context);
  if (isResourceVersionTooLarge(error)) {
    const relist = `resourceVersion ${context.resourceVersion} is ahead of the API server: relisting from ""`;
    return { listFrom: "", relist, report: false, delayMs };
  }
  if (isExpired(error)) {
    const listFrom = context.listFrom === undefined ? context.resourceVersion : "";
    return { listFrom, relist: `resourceVersion expired: relisting from "${listFrom}"`, report: false, delayMs };
  }
  // A first 401 is retried at once with the credentials read afresh (a rotated token): reported only if it repeats.
  // So is a first 403 once these credentials have read the slices (a resourceVersion), or right after the server
  // could not be reached: a restarting API server answers 403 to every request until its RBAC caches are filled,
  // which no grant fixes.
  const status = statusOf(error);
  const restarting = context.resourceVersion !== "" ||
    (context.previous instanceof KubeApiError && context.previous.status === undefined);
  // And so is a first wait asked for (see above), and a first quick close; a second in a row is not: a server or
  // proxy that ends every watch at once leaves the endpoints stale for good, and client-go warns of each ("very
  // short watch").
  const quick = error instanceof QuickCloseError && !(context.previous instanceof QuickCloseError);
  // And so is a first failure to reach the server once the slices were read: behind the load balancer of an HA
  // control plane, the next connection may reach another API server (one restarting, or down while the balancer
  // still sends it connections), and client-go retries a watch refused so without a word (`isWatchErrorRetriable`).
  // Only the first failure since the last clean watch: a second in a row is reported (no server answers), and so is
  // one after another routine failure, else a dead server and a live one answering 403 or 429 with Retry-After, met in
  // turn, would never be reported. Before the first read, the address may be wrong: reported.
  const unreachable = error instanceof UnreachableError && context.resourceVersion !== "" &&
    context.previous === undefined;
  // And so is one that repeats the last while the quick retries of a server out of reach go on (see above).
  const routine = quick || waitAsked || unreachable || stillOutOfReach ||
    (status === 401 || (status === 403 && restarting)) && firstInARow(error, context.previous);
  // A watch refused with a 403 that is reported lists again from the last resourceVersion before it watches again, as
  // client-go's reflector lists after a watch failure it does not retry: credentials that may list but not watch (a
  // Role without the verb) then still follow the Service, one LIST per backoff, where resuming the watch alone kept
  // the first LIST's pods for good.
  if (status === 403 && !routine && context.listFrom === undefined && !context.streaming) {
    const listFrom = context.resourceVersion;
    return { listFrom, relist: `${error.message}; relisting from "${listFrom}"`, report: true, delayMs };
  }
  return { listFrom: context.listFrom, report: !routine, delayMs };
}

/**
 * The wait before the next attempt: none for the first 401 in a row (the
 * credentials were just invalidated and are read afresh), nor for the first
 * expired or too-large resourceVersion (a relist) before the state was first
 * read or after other failures without a served watch between, else the next
 * backoff delay, or the server's Retry-After when longer (see
 * `retryAfterMs()`), in ms. A server out of reach (refused or closed before an answer) waits the backoff's
 * `nextUnanswered()`: a restarting API server, or a load balancer in front of one, is back within about 2 s of
 * its return (client-go's rest client retries a watch closed or reset before an answer a second apart, 10 times; a
 * refused one it leaves to its reflector's doubling backoff, which is slower: a refused connection costs the server
 * nothing). A DNS failure or a proxy that refuses the tunnel is out of reach too: 10 quick tries, then doubling.
 *
 * An expired or too-large resourceVersion that ends a served watch, or comes right after one, waits: every client of
 * that API server meets it at the same moment (an HA member replaced, whose watches resume on another server with a
 * newer watch cache, or a watch cache rebuilt). Relisting at once, 50 clients (one a process) sent kube-apiserver
 * v1.36.3 up to 18 and 28 streaming lists in 100 ms; waiting, 8 and 13, as client-go's 10 and 14: it waits its backoff
 * there too (0.8 to 1.6 s at first). After other failures (a restarting server refused connections) the backoff
 * before this attempt has spread the clients already; before the first read, no watch was served (only a fake API
 * server answers a first read with a 410).
 */
function retryDelay(
  error: ResolverError,
  context: Pick<RetryContext, "resourceVersion" | "previous" | "backoff" | "maxDelayMs" | "served">,
): number {
  const { resourceVersion, previous, backoff, maxDelayMs, served } = context;
  const status = statusOf(error);
  const relistAtOnce = (isExpired(error) || isResourceVersionTooLarge(error)) &&
    (resourceVersion === "" || (previous !== undefined && !served));
  if (firstInARow(error, previous) && (status === 401 || relistAtOnce)) return 0;
  const delayMs = error instanceof UnreachableError ? backoff.nextUnanswered() : backoff.next();
  return Math.max(delayMs, retryAfterMs(error, maxDelayMs));
}

/** Whether a failure is the first of its status since the last clean watch (the previous one had another). */
function firstInARow(error: ResolverError, previous: ResolverError | undefined): boolean {
  return previous === undefined || statusOf(previous) !== statusOf(error);
}

function statusOf(error: ResolverError): number | undefined {
  return error instanceof KubeApiError ? error.status : undefined;
}

/**
 * Hands a failure to the reflector's `onError`; a callback that throws is traced, and the reflector goes on.
 *
 * @param onError The caller's callback.
 * @param error The failure.
 */
export function reportFailure(onError: (error: ResolverError) => void, error: ResolverError): void {
  try {
    onError(error);
  } catch (failure) {
    trace(`an onError callback threw: ${failure}`);
  }
}
