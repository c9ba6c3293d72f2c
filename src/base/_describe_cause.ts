/**
 * What a runtime threw, as one line of a message: its causes' texts and codes,
 * without the advice that runtimes address to whoever calls `fetch()`.
 *
 * @module
 */

/**
 * A runtime's error message without advice meant for whoever calls `fetch()` (Bun adds "For more information,
 * pass `verbose: true` in the second argument to fetch()"): the library makes that call, not the user.
 *
 * @param message The runtime's message.
 * @returns The message without that advice.
 *
 * @example Bun's advice taken out
 * ```ts
 * import { withoutFetchAdvice } from "./_describe_cause.ts";
 * const message = "Unable to connect. For more information, pass `verbose: true` in the second argument to fetch()";
 * console.log(withoutFetchAdvice(message)); // Unable to connect
 * ```
 */
export function withoutFetchAdvice(message: string): string {
  return message.replace(/\.? For more information, pass `verbose: true` in the second argument to fetch\(\)\.?/g, "");
}

/**
 * An error and the causes it wraps (four deep at most) on one line: their messages, without a runtime's
 * advice for `fetch()` callers, and their `code`s, joined by ": ". A code that the text already says is left
 * out: Node's "connect ECONNREFUSED 127.0.0.1:1" names its ECONNREFUSED.
 *
 * @param cause What the runtime threw.
 * @returns The line, or `unknown error` when nothing in it has a text.
 *
 * @example Node's refused connection
 * ```ts
 * import { describeCause } from "./_describe_cause.ts";
 * const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
 * console.log(describeCause(new TypeError("fetch failed", { cause }))); // fetch failed: connect ECONNREFUSED 127.0.0.1:1
 * ```
 */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  for (let error = cause, depth = 0; error && depth < 4; depth++) {
    if (typeof error !== "object") {
      parts.push(String(error));
      break;
    }
    const { message, code } = error as { message?: unknown; code?: unknown };
    // One line: OpenSSL's messages end with a newline, which would break a log line or the CLI's.
    if (typeof message === "string" && message.trim()) {
      parts.push(withoutFetchAdvice(message).replace(/\s+/g, " ").trim());
    }
    if (typeof code === "string" && !parts.some((part) => part.split(/[\s:]+/).includes(code))) parts.push(code);
    error = (error as { cause?: unknown }).cause;
  }
  return parts.join(": ") || "unknown error";
}
