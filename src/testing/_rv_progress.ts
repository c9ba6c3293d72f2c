/**
 * The resourceVersion of the fake API server moving on by itself, as a real
 * cluster's does while its EndpointSlices stand still: other objects are
 * written there all the time (leases every 10 s), and etcd's progress
 * notifications bring each watch cache up to that revision. A watch cache
 * that moved past a watch's start is what lets the watch's periodic BOOKMARKs
 * out, so without this a quiet fake would never send one. Private to the fake
 * API server.
 *
 * The model: once per interval, when no write moved the resourceVersion
 * during it, the resourceVersion advances by one with no object change, as
 * an etcd progress notification does. No change enters the history (a real
 * watch cache stores none for it either), and a read waiting for the new
 * resourceVersion is answered.
 *
 * @module
 */

import type { RvWaiters } from "./_rv_waiters.ts";
import type { ObjectHistory } from "./_object_history.ts";

/** What {@linkcode startRvProgress} needs. */
export interface RvProgressOptions {
  /** The storage whose resourceVersion advances. */
  history: ObjectHistory;
  /** Woken after each advance. */
  waiters: RvWaiters;
  /** How often the resourceVersion is checked, and advanced when it stood still. */
  intervalMs: number;
}

/** The running progress of one server. */
export interface RvProgress {
  /** Stops it: the server closes. */
  stop(): void;
}

/**
 * Starts moving the resourceVersion on while no write does.
 *
 * @param options Storage, waits and the interval.
 * @returns The running progress; stop it when the server closes.
 */
export function startRvProgress(options: RvProgressOptions): RvProgress {
  const { history, waiters, intervalMs } = options;
  let seen = history.rv;
  const timer = setInterval(() => {
    if (history.rv === seen) {
      history.advance();
      waiters.wake();
    }
    seen = history.rv;
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
