/**
 * A bad value in a validation error, as kube-apiserver's field errors write it (`field.Error.ErrorBody` in
 * k8s.io/apimachinery v0.36.3): a string with Go's `%q` (`strconv.Quote`), any other value as Go's JSON encoder
 * writes it. Private to the fake API server.
 *
 * @module
 */

import { goJson } from "./_go_json.ts";

/**
 * What Go's `strconv.IsPrint` calls unprintable: control, format, private-use, unassigned and surrogate code points
 * (`\p{C}`), and every space, line or paragraph separator but the ASCII space.
 */
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

/** Go's short escapes for C0 controls (`\a` for BEL, not `\x07`). */
const SHORT: Record<string, string> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/**
 * A string as Go's `strconv.Quote` writes it: double-quoted, `"` and `\` escaped, an unprintable code point as
 * `\a`-style, `\xNN` (below U+0020, and DEL), `\uNNNN` or `\UNNNNNNNN`, in lower-case hex. A lone surrogate, which
 * Go's JSON decoder would have read as U+FFFD, is written as that.
 *
 * @param text The string.
 * @returns The quoted string.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const raw of text) {
    const char = /^[\ud800-\udfff]$/.test(raw) ? "\ufffd" : raw;
    const code = char.codePointAt(0)!;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (char === " " || !UNPRINTABLE.test(char)) out += char;
    else if (SHORT[char] !== undefined) out += SHORT[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/**
 * A bad value as a field error quotes it: a string with {@linkcode goQuote}, anything else as {@linkcode jsonValue}.
 *
 * @param value The value.
 * @returns Its text in the message.
 */
export function quotedValue(value: unknown): string {
  return typeof value === "string" ? goQuote(value) : jsonValue(value);
}

/**
 * A bad value as Go's JSON encoder writes it, as field errors write a value that is no plain string: a list, or a
 * value of a named string type (a protocol, an address type, a Service's type or policies), which is no `string` to
 * Go. kube-apiserver v1.36.3 answered a protocol `"T\u202eCP"` with the override raw, a port name `"g\u202erpc"`
 * escaped. What JSON cannot hold (`undefined`, a function) is written as `String()` writes it.
 *
 * @param value The value.
 * @returns Its text in the message.
 */
export function jsonValue(value: unknown): string {
  return JSON.stringify(value) === undefined ? String(value) : goJson(value);
}
