/**
 * The mark of an abort reason that blames the request's connection: it went silent (the watch's stall deadline, or
 * an answer that paused halfway). The HTTP/2 client then sends no later request on that connection, which other
 * requests share: they would hang on it as the aborted one did. A reason without the mark (the caller stopped, a
 * `--timeout`) leaves the connection in use.
 *
 * @module
 */

/** The reasons marked by {@linkcode silentConnection}. */
const marked = new WeakSet<object>();

/**
 * Marks `reason` as the abort of a request whose connection went silent.
 *
 * @param reason The error the request's signal will abort with.
 * @returns The same error.
 *
 * @example A stall
 * ```ts
 * import { blamesConnection, silentConnection } from "./silent_connection.ts";
 * const stall = silentConnection(new Error("no answer for 10000 ms"));
 * console.log(blamesConnection(stall)); // true
 * ```
 */
export function silentConnection<T extends object>(reason: T): T {
  marked.add(reason);
  return reason;
}

/**
 * Whether an abort's reason says that the request's connection went silent.
 *
 * @param reason A signal's reason.
 * @returns True for a reason marked by {@linkcode silentConnection}.
 *
 * @example The caller's stop blames nothing
 * ```ts
 * import { blamesConnection } from "./silent_connection.ts";
 * console.log(blamesConnection(new DOMException("stopped", "AbortError"))); // false
 * ```
 */
export function blamesConnection(reason: unknown): boolean {
  return typeof reason === "object" && reason !== null && marked.has(reason);
}
