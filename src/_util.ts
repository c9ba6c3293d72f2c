/**
 * Small helpers shared by several modules. Private to the package.
 *
 * @module
 */

/** Whether a parsed YAML/JSON value is a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first own field of `value` that is not one of `known`, for errors that name a misspelt field; else `undefined`.
 * A field set to `undefined` counts as left out: it changes nothing, whatever its name.
 */
export function unknownField(value: object, known: readonly string[]): string | undefined {
  return Object.keys(value).find((field) =>
    !known.includes(field) && (value as Record<string, unknown>)[field] !== undefined
  );
}

/** A value as an option error shows it: as JSON where it can be (strings quoted, objects whole), numbers as written. */
export function describeValue(value: unknown): string {
  // JSON would show NaN and Infinity as null.
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The end of an option error: `current value is <value>`, and for `null`, which no option takes, that leaving the
 * option out gives its default.
 */
export function currentValue(value: unknown): string {
  return value === null
    ? "current value is null (leave the option out, or pass undefined, for its default)"
    : `current value is ${describeValue(value)}`;
}

/** The YAML-ish type name of a value, for messages (`null`, `list`, `string`, ...). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

/**
 * A runtime's error message without advice meant for whoever calls `fetch()` (Bun adds "For more information,
 * pass `verbose: true` in the second argument to fetch()"): the library makes that call, not the user.
 */
export function withoutFetchAdvice(message: string): string {
  return message.replace(/\.? For more information, pass `verbose: true` in the second argument to fetch\(\)\.?/g, "");
}

/**
 * An error and the causes it wraps (four deep at most) on one line: their messages, without a runtime's
 * advice for `fetch()` callers, and their `code`s, joined by ": ". A code that the text already says is left
 * out: Node's "connect ECONNREFUSED 127.0.0.1:1" names its ECONNREFUSED.
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

/** Base64 of the UTF-8 bytes of a string. */
export function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
