/**
 * Time for the loops that wait (the reflector): a clock to read and to set
 * timers on, injected so that tests drive a fake one instead of measuring
 * wall-clock gaps.
 *
 * @module
 */

import { unrefTimer } from "./unref_timer.ts";

/** Reads the time and sets timers. */
export interface Clock {
  /** The current time in milliseconds; only differences between two readings mean something. */
  now(): number;
  /**
   * Calls `callback` once, `ms` milliseconds from now.
   *
   * @returns A function that cancels the call if it has not happened yet.
   */
  setTimeout(callback: () => void, ms: number): () => void;
}

/**
 * The real clock: `performance.now()`, which wall-clock adjustments do not
 * move, and timers that never keep the process alive (see `unref_timer.ts`).
 *
 * @example Measuring and waiting
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const started = systemClock.now();
 * const cancel = systemClock.setTimeout(() => console.log(systemClock.now() - started), 10);
 * cancel();
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = unrefTimer(setTimeout(callback, ms));
    return () => clearTimeout(timer);
  },
};

/** Options of {@linkcode sleep}. */
export interface SleepOptions {
  /** The clock whose timer ends the sleep. */
  clock: Clock;
  /** Ends the sleep early, without an error. */
  signal: AbortSignal;
}

/**
 * Waits `ms` milliseconds on `options.clock`, or until `options.signal` aborts.
 *
 * @param ms How long to wait; zero or less resolves at once.
 * @param options The clock and the signal.
 * @returns A promise that resolves (never rejects) when the time is up or the signal aborted.
 *
 * @example A retry delay that a stop cuts short
 * ```ts
 * import { sleep, systemClock } from "./clock.ts";
 * const controller = new AbortController();
 * const waiting = sleep(30_000, { clock: systemClock, signal: controller.signal });
 * controller.abort();
 * await waiting;
 * ```
 */
export function sleep(ms: number, { clock, signal }: SleepOptions): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const cancel = clock.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
