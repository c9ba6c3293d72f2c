/**
 * A later turn of the event loop that lets due timers, and where needed
 * ready I/O, run first, as soon as the runtime allows one.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { runtimeKey } from "./runtime.ts";
import { unrefTimer } from "./unref_timer.ts";

/**
 * Runs `callback` in a later turn of the event loop, once ready I/O and due timers had theirs: a long piece of
 * work split over such turns leaves the event loop free between them. Node and Bun get `setImmediate` (a zero
 * timeout would wait 1 ms more); called from a socket's callback, the immediate runs before the socket is read
 * again, and a second one in a row after that read (a chunk already in the socket comes first: the held
 * delivery's quiet check relies on it, 0.1-0.3 ms there where a zero timeout took 1-2). Deno runs a chain of
 * immediates without reading its sockets in between, so it gets a zero timeout, about 2 ms there.
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
export const nextTurn: (callback: () => void) => void = runtimeKey() === "deno"
  ? (callback) => void unrefTimer(setTimeout(callback, 0))
  : (callback) => void setImmediate(callback);

/**
 * Runs `callback` in a later turn of the event loop, once due timers had theirs (ready I/O may come later): for
 * the steps of a long piece of work that must leave room for timers between them, but need not wait for a socket.
 * An immediate on every runtime: 0.02 ms a turn on Deno, where {@linkcode nextTurn} takes about 2. Every runtime
 * runs an immediate set in a timer's callback in the same pass, before the other due timers: work started in a
 * timer's callback takes a step of its own first, or its first two steps stop other timers as one.
 *
 * @param callback What to run.
 *
 * @example Starting split work from a timer
 * ```ts
 * import { nextStep } from "./next_turn.ts";
 * setTimeout(() => nextStep(() => nextStep(() => console.log("second step"))), 0);
 * ```
 */
export function nextStep(callback: () => void): void {
  setImmediate(callback);
}
