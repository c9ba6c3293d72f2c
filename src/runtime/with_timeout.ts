/**
 * A request's signal with a time limit that neither keeps the process alive
 * nor can be lost to the garbage collector.
 *
 * @module
 */

import { unrefTimer } from "./unref_timer.ts";

/**
 * Runs `task` with a signal that aborts when `signal` does, or after `ms` with a `TimeoutError`. A timer
 * rather than `AbortSignal.any()` with `AbortSignal.timeout()`: on Node 20 the garbage collector can take
 * the timeout's signal there, which then never fires. The timer does not keep the process alive.
 *
 * @param signal The caller's signal, if any.
 * @param ms The time limit.
 * @param task What to run with the combined signal.
 * @returns What `task` resolves to.
 *
 * @example Reading with a 10 s limit
 * ```ts
 * import { withTimeout } from "./with_timeout.ts";
 * const status = await withTimeout(undefined, 10_000, (signal) => Promise.resolve(signal.aborted));
 * console.log(status); // false
 * ```
 */
export async function withTimeout<T>(
  signal: AbortSignal | undefined,
  ms: number,
  task: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", abort, { once: true });
  if (signal?.aborted) abort();
  const timeout = () => controller.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError"));
  const timer = unrefTimer(setTimeout(timeout, ms));
  try {
    return await task(controller.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}
