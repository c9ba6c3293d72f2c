/**
 * Timers that do not keep the process alive, on every runtime: Node's and
 * Bun's timers have `unref()`, Deno's are numbers that `Deno.unrefTimer()`
 * takes.
 *
 * @module
 */

import { runtimeKey } from "./runtime.ts";

/** The longest delay a timer waits (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Lets the process end while `timer` is pending; the timer still fires if the
 * process is kept alive by something else.
 *
 * @param timer What `setTimeout` or `setInterval` returned.
 * @returns The same timer.
 *
 * @example A retry that does not hold the process
 * ```ts
 * import { unrefTimer } from "./unref_timer.ts";
 * const timer = unrefTimer(setTimeout(() => console.log("retrying"), 1000));
 * clearTimeout(timer);
 * ```
 */
export function unrefTimer<T extends ReturnType<typeof setTimeout>>(timer: T): T {
  if (runtimeKey() === "deno") {
    (globalThis as unknown as { Deno: { unrefTimer(id: number): void } }).Deno.unrefTimer(timer as unknown as number);
  } else {
    (timer as { unref?: () => void }).unref?.();
  }
  return timer;
}
