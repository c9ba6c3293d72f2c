/**
 * Waits that end when a signal aborts: a time limit that neither keeps the
 * process alive nor can be lost to the garbage collector, a promise rejected
 * at the abort even when the work behind it does not heed it, and a response
 * body's reader cancelled at the abort.
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
 * import { withTimeout } from "./abortable.ts";
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

/**
 * `work`, rejected with the signal's reason as soon as it aborts, for work that does not heed the signal
 * itself: undici heeds it only once the connection is made (nodejs/undici#386), so against a server that
 * accepts and never completes TLS an aborted request would wait for the connect timeout (10 s); an exec
 * plugin runs until it ends. What `work` settles to after the abort is dropped: undici destroys the body
 * of a request it answers after the abort itself.
 *
 * @param work The promise.
 * @param signal The signal, if any.
 * @returns `work`, or a rejection with `signal.reason` once the signal aborts.
 *
 * @example A wait that the abort ends
 * ```ts
 * import { settledOnAbort } from "./abortable.ts";
 * const never = new Promise<string>(() => {});
 * const reason = await settledOnAbort(never, AbortSignal.abort("stopped")).catch((error) => error);
 * console.log(reason); // "stopped"
 * ```
 */
export function settledOnAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    if (signal.aborted) abort();
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** The callbacks waiting for each signal to abort, and the one listener of ours that calls them. */
const waiting = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `callback` when `signal` aborts. Every caller on one signal shares a single listener on it: a
 * program that passes one shutdown signal to dozens of `watchEndpoints()` calls adds one, and Node, which
 * warns of a leak past 10 (`MaxListenersExceededWarning`), says nothing.
 *
 * @param signal The signal; one already aborted calls nothing.
 * @param callback Called once, when the signal aborts.
 * @returns A function that stops waiting (the listener goes with the last caller).
 *
 * @example Waiting for a shutdown
 * ```ts
 * import { whenAborted } from "./abortable.ts";
 * const controller = new AbortController();
 * const stop = whenAborted(controller.signal, () => console.log("stopping"));
 * controller.abort(); // prints "stopping"
 * stop();
 * ```
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  let entry = waiting.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      waiting.delete(signal);
      for (const waiter of [...callbacks]) waiter();
    };
    entry = { callbacks, listener };
    waiting.set(signal, entry);
    signal.addEventListener("abort", listener, { once: true });
  }
  const { callbacks, listener } = entry;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0 || waiting.get(signal) !== entry) return;
    waiting.delete(signal);
    signal.removeEventListener("abort", listener);
  };
}

/**
 * Cancels `reader` when `signal` aborts, which ends a pending read (it then
 * reports `done`). A fetch is meant to end its body when its own signal
 * aborts, but Deno's (2.9) stops following that signal once the `Response`
 * object is garbage-collected, and a read of its body then never ends.
 *
 * @param reader The reader of a response's body.
 * @param signal The signal, if any.
 * @returns A function that stops following the signal.
 *
 * @example A read that the abort ends
 * ```ts
 * import { cancelOnAbort } from "./abortable.ts";
 * const reader = new ReadableStream<Uint8Array>().getReader();
 * const release = cancelOnAbort(reader, AbortSignal.abort());
 * console.log((await reader.read()).done); // true
 * release();
 * ```
 */
export function cancelOnAbort(reader: ReadableStreamDefaultReader<Uint8Array>, signal?: AbortSignal): () => void {
  if (!signal) return () => {};
  const cancel = () => void reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  if (signal.aborted) cancel();
  return () => signal.removeEventListener("abort", cancel);
}
