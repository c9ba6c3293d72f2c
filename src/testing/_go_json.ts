/**
 * JSON text as Go's `encoding/json` writes it, which kube-apiserver uses:
 * like `JSON.stringify`, but with `<`, `>`, `&`, U+2028 and U+2029 escaped
 * (`\u003c`), so that the fake's answers are the real server's bytes.
 * Private to the fake API server.
 *
 * @module
 */

/** The characters Go's encoder escapes in strings; they cannot appear outside strings in JSON text. */
const ESCAPED = /[<>&\u2028\u2029]/g;

/**
 * Serializes a value as Go's JSON encoder does.
 *
 * @param value The value.
 * @param indent Whether to indent with two spaces, as `json.MarshalIndent(value, "", "  ")`.
 * @returns The JSON text, without a trailing newline.
 */
export function goJson(value: unknown, indent = false): string {
  const text = indent ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return text.replace(ESCAPED, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
