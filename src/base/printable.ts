/**
 * Untrusted text made safe to show in a terminal or a log: the CLI's output and the resolver's reasons for an empty
 * set (which quote a Service's selector, port names and external name) go through {@linkcode printable}.
 *
 * @module
 */

/**
 * C0 control characters, DEL and C1 control characters (`\p{Cc}`), and the invisible format characters (`\p{Cf}`:
 * the bidi overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F and U+061C, zero-width
 * spaces and joiners, U+FEFF) and line and paragraph separators: none of them may reach a terminal from untrusted
 * text. Go's `%q` escapes them too (`strconv.IsPrint`).
 */
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Untrusted text (pod, zone, node and hint names from EndpointSlices, which the API server takes with control
 * characters; a kubeconfig's names, an API server's message, an exec plugin's words) made printable: ESC as `^[`,
 * as kubectl prints it, every other C0 or C1 control character and DEL as `\xNN`, and an invisible format character
 * or a line or paragraph separator as `\uNNNN` (`\UNNNNNNNN` beyond U+FFFF), so that none moves the cursor, sets
 * the terminal's title, breaks a line, or reorders what is shown (a right-to-left override makes `prod\u202egnp.exe`
 * show as `prodexe.png`). Printable text is kept as it is (the function is idempotent).
 *
 * @param text The text.
 * @returns The text, with no control or format character.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * console.log(printable("x\u001b]0;pwned\u0007")); // "x^[]0;pwned\x07"
 * console.log(printable("prod\u202egnp.exe") === "prod\\u202egnp.exe"); // true
 * ```
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (char) => {
    const code = char.codePointAt(0)!;
    if (code === 0x1b) return "^[";
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, "0")}`;
    return `\\U${code.toString(16).padStart(8, "0")}`;
  });
}
