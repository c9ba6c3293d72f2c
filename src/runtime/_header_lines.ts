/**
 * A request's headers for `node:http`, undici's `request()` and Bun's
 * `fetch`, one line per value: `new Headers()` would join repeated names with
 * commas (two `Impersonate-Group` headers would become one group named
 * `a, b`).
 *
 * @module
 */

/**
 * The headers of `init` by lower-case name; a name given more than once (in a list of pairs) keeps each value.
 *
 * @param init The headers of a `RequestInit`.
 * @returns One value, or a list of values, per name.
 *
 * @example Two groups stay two lines
 * ```ts
 * import { headerLines } from "./_header_lines.ts";
 * console.log(headerLines([["Impersonate-Group", "a"], ["impersonate-group", "b"]])); // { "impersonate-group": [ "a", "b" ] }
 * ```
 */
export function headerLines(init: HeadersInit | undefined): Record<string, string | string[]> {
  const pairs: Iterable<[string, string]> = Array.isArray(init) ? init as [string, string][] : new Headers(init);
  const lines: Record<string, string | string[]> = {};
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    const before = lines[name];
    lines[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return lines;
}
