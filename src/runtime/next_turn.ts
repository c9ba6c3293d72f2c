/**
 * A later turn of the event loop that lets ready I/O and due timers run
 * first, as soon as the runtime allows one.
 *
 * @module
 */

import { clearImmediate, setImmediate } from "node:timers";
import { realClearTimeout, realSetTimeout } from "./real_timers.ts";
import { runtimeKey } from "./runtime.ts";
import { unrefTimer } from "./unref_timer.ts";

/**
 * Runs `callback` in a later turn of the event loop, once ready I/O and due timers had theirs: a long piece of
 * work split over such turns leaves the event loop free between them. Node and Bun get `setImmediate` (a zero
 * timeout would wait 1 ms more); called from a socket's callback, the immediate runs before the socket is read
 * again, and a second one in a row after that read (a chunk already in the socket comes first: the held
 * delivery's quiet check relies on it, 0.1-0.3 ms there where a zero timeout took 1-2). Deno runs a chain of
 * immediates without reading its sockets in between, so it gets a zero timeout, about 2 ms there (the runtime's
 * own, which a test's fake timers do not replace: see `real_timers.ts`).
 *
 * @param callback What to run.
 * @returns Cancels the call, if it has not run yet: nothing is left pending (Deno's op sanitizer sees timers).
 *
 * @example Two halves of a long computation
 * ```ts
 * import { nextTurn } from "./next_turn.ts";
 * console.log("first half");
 * const cancel = nextTurn(() => console.log("second half"));
 * cancel(); // The second half does not run after all.
 * ```
 */
export const nextTurn: (callback: () => void) => () => void = runtimeKey() === "deno"
  ? (callback) => {
    const timer = unrefTimer(realSetTimeout(callback, 0));
    return () => realClearTimeout(timer);
  }
  : (callback) => {
    const immediate = setImmediate(callback);
    return () => clearImmediate(immediate);
  };

/**
 * How long the steps of a piece of work split over {@linkcode nextTurn} turns may run in one turn, in ms: a step
 * due once the turn has lasted this long waits for the next turn. On Deno, whose next turn is a zero timeout about
 * 2 ms away, short steps share a turn (a held burst of a 5,000-endpoint Service: 3 ms of parsing, then 1.5 ms of
 * selection, which the two turns between them and its delivery held back by 4.4 ms); on Node and Bun, whose next
 * turn comes at once, each step has one of its own.
 */
export const SHARED_TURN_MS: number = runtimeKey() === "deno" ? 5 : 0;

/**
 * Leaves a timer's callback before work that goes on in {@linkcode nextTurn} steps, so that due timers run
 * between its first step and its second. Node and Bun run an immediate set in a timer's callback in the same
 * pass of the event loop, before any timer: a first step run in the timer's callback and a second one in an
 * immediate would stop other timers as one. There, `callback` gets an immediate of its own; on Deno, whose
 * `nextTurn` is a timer, it runs at once.
 *
 * @param callback What to run.
 * @returns Cancels the call, if it has not run yet.
 *
 * @example Starting split work from a timer
 * ```ts
 * import { afterTimer, nextTurn } from "./next_turn.ts";
 * setTimeout(() => afterTimer(() => nextTurn(() => console.log("second step"))), 0);
 * ```
 */
export const afterTimer: (callback: () => void) => () => void = runtimeKey() === "deno"
  ? (callback) => {
    callback();
    return () => {};
  }
  : (callback) => {
    const immediate = setImmediate(callback);
    return () => clearImmediate(immediate);
  };
