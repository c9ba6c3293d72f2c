/**
 * Exponential backoff with jitter, as client-go's reflector uses it.
 *
 * @module
 */

/**
 * Delays between failed attempts to reach the API server, the `backoff` option of {@linkcode WatchSettings}
 * (`register()`, `watchEndpoints()`, nice-grpc's `createChannel()` under `resolver`). The n-th delay after failures
 * in a row is random in [d, 2d) with d = `initialMs`·2ⁿ, d at most `maxMs`/2, so that no delay exceeds `maxMs` and
 * clients that failed together do not retry in step. A request that got no answer (a connection refused, or closed
 * before the API server answered, as while it restarts) waits the first delay (d = `initialMs`, at most `maxMs`/2) the
 * first 10 times until a watch has been served for 30 s, then the growing ones. Both delays are above 0 and at most
 * 2147483647, and `initialMs` is at most `maxMs`.
 *
 * @example Retrying sooner, up to every 10 s
 * ```ts
 * import type { BackoffOptions } from "@kgr/resolver";
 * const backoff: BackoffOptions = { initialMs: 250, maxMs: 10_000 }; // as options.backoff
 * ```
 */
export interface BackoffOptions {
  /**
   * The least first delay, in milliseconds: the first delay is random between this and twice this.
   * @default {1000}
   */
  initialMs?: number | undefined;
  /**
   * Longest delay, in milliseconds (a server's `Retry-After` is waited up to 60 s, or this when longer).
   * @default {30000}
   */
  maxMs?: number | undefined;
}

/** The longest delay when `maxMs` is not given, in milliseconds. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

/** The least first delay when `initialMs` is unset, in milliseconds. */
export const DEFAULT_BACKOFF_INITIAL_MS = 1000;

/**
 * How many requests that got no answer are retried after the first delay's range since the last full `reset()`, before
 * `nextUnanswered()` grows as `next()` does: about 15 s with the default `initialMs`, as long as an API server takes to
 * restart.
 */
const UNANSWERED_QUICK_RETRIES = 10;

/**
 * A backoff sequence: `next()` gives the next delay, `nextUnanswered()` the delay after a request that got no answer,
 * `reset()` starts over.
 */
export interface Backoff {
  /** The delay before the next retry, in milliseconds. */
  next(): number;
  /**
   * The delay after a request that got no answer (a connection refused, reset or closed before the API server
   * answered, which costs the server nothing): in the first delay's range for the first
   * 10 (`UNANSWERED_QUICK_RETRIES`) since a `reset()` that gave them back, without growing `next()`'s; then
   * `next()`'s. So a client is back within about 2 s of a restarted API server's return, where doubling delays put it
   * up to 15 s after.
   */
  nextUnanswered(): number;
  /** Whether the next `nextUnanswered()` is still one of its quick retries (in the first delay's range). */
  quickRetryLeft(): boolean;
  /**
   * Starts over from the first delay, after a healthy period.
   * @param quickRetries Whether `nextUnanswered()`'s quick retries come back too (default: yes); not after a watch
   * served only briefly, or an API server that crashloops would be tried every 1-2 s by every client for as long.
   */
  reset(quickRetries?: boolean): void;
}

/**
 * Creates a backoff whose n-th delay lies in [d, 2d) with d = initial·2ⁿ
 * capped at `maxMs`/2, so delays never exceed `maxMs` and stay jittered at
 * the cap (clients that failed together do not retry in lockstep).
 *
 * @param options Delays.
 * @param random Source of randomness in [0, 1), for the jitter.
 * @returns The backoff.
 *
 * @example Delays grow, then reset
 * ```ts
 * import { createBackoff } from "./backoff.ts";
 * const backoff = createBackoff({ initialMs: 1000, maxMs: 30000 });
 * backoff.next(); // 1000-2000
 * backoff.next(); // 2000-4000
 * backoff.nextUnanswered(); // 1000-2000: a connection refused, the first 10 times
 * backoff.reset();
 * ```
 */
export function createBackoff(options: BackoffOptions = {}, random: () => number = Math.random): Backoff {
  const initialMs = options.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  let failures = 0;
  let unanswered = 0;
  const next = () => {
    const base = Math.min(maxMs / 2, initialMs * 2 ** Math.min(failures, 30));
    failures++;
    return base * (1 + random());
  };
  return {
    next,
    nextUnanswered() {
      if (unanswered >= UNANSWERED_QUICK_RETRIES) return next();
      unanswered++;
      return Math.min(maxMs / 2, initialMs) * (1 + random());
    },
    quickRetryLeft: () => unanswered < UNANSWERED_QUICK_RETRIES,
    reset(quickRetries = true) {
      failures = 0;
      if (quickRetries) unanswered = 0;
    },
  };
}
