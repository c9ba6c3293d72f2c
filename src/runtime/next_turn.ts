/**
 * A turn of the event loop as short as the runtime allows: after the I/O
 * that is ready and the timers that are due, without the 1 to 2 ms that a
 * zero `setTimeout` waits on Node, Bun and Deno.
 *
 * @module
 */

import { setImmediate } from "node:timers";

/**
 * Runs `callback` in a later turn of the event loop, once ready I/O and due timers had theirs: a long piece of
 * work split over such turns leaves the event loop free between them, at almost no cost in time.
 *
 * @param callback What to run.
 *
 * @example Two halves of a long computation
 * ```ts
 * import { nextTurn } from "./next_turn.ts";
 * console.log("first half");
 * nextTurn(() => console.log("second half"));
 * ```
 */
export function nextTurn(callback: () => void): void {
  setImmediate(callback);
}
