/**
 * Copies and comparisons of the fake API server's stored objects: plain JSON
 * data (objects, arrays, strings, numbers, booleans, null), as the server
 * serves them. Faster than `structuredClone` and `JSON.stringify` for the many
 * small objects of a slice: a test that writes slices in a loop must not
 * stall its own event loop on the fake's bookkeeping. Private to the fake API
 * server.
 *
 * @module
 */

/**
 * A deep copy of plain JSON data: the caller may change it without changing the original.
 *
 * @param value Objects, arrays and primitives only; properties set to `undefined` are left out, as JSON leaves them
 * out (an input field a caller set to `undefined` must not come back stored, unlike one left out).
 * @returns The copy.
 *
 * @example Copying a stored object before handing it out
 * ```ts
 * import { copyJson } from "./_json_data.ts";
 * const stored = { metadata: { name: "a" }, endpoints: [{ addresses: ["10.0.0.1"] }] };
 * const copy = copyJson(stored);
 * copy.endpoints[0].addresses.push("10.0.0.2");
 * console.log(stored.endpoints[0].addresses.length); // 1
 * ```
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) copy[key] = copyJson(field);
  }
  return copy as T;
}

/**
 * Whether two pieces of plain JSON data are equal, key order aside: the same test as comparing their JSON
 * text with keys sorted, which stops at the first difference. A property set to `undefined` counts as absent,
 * as in JSON.
 *
 * @param a One value.
 * @param b The other.
 * @returns Whether they are equal.
 *
 * @example
 * ```ts
 * import { sameJson } from "./_json_data.ts";
 * console.log(sameJson({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] }), sameJson({ a: 1 }, { a: 2 })); // true false
 * ```
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>, right = b as Record<string, unknown>;
  // Every defined property of the left one equal on the right, and as many defined on the right.
  let defined = 0;
  for (const key in left) {
    if (left[key] === undefined) continue;
    defined++;
    if (!sameJson(left[key], right[key])) return false;
  }
  for (const key in right) if (right[key] !== undefined) defined--;
  return defined === 0;
}

/**
 * A copy of a string map with its keys sorted, as kube-apiserver writes a Go map (labels, annotations, a selector).
 *
 * @param map The map, e.g. labels.
 * @returns The sorted copy.
 *
 * @example Labels as a real server serves them
 * ```ts
 * import { sortedMap } from "./_json_data.ts";
 * console.log(Object.keys(sortedMap({ b: "1", a: "2" }))); // ["a", "b"]
 * ```
 */
export function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A JSON map of strings (labels, annotations, a selector) as kube-apiserver's decoder reads it: `null` is no map,
 * and a `null` value is Go's zero string, `""`.
 *
 * @param value The map as given.
 * @returns The map with `null` values as `""`; `undefined` for `null` or `undefined`; `false` when `value` is no
 * object of strings.
 *
 * @example A null value
 * ```ts
 * import { decodedStringMap } from "./_json_data.ts";
 * console.log(decodedStringMap({ app: null })); // { app: "" }
 * ```
 */
export function decodedStringMap(value: unknown): Record<string, string> | undefined | false {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const entries = Object.entries(value).map(([key, entry]) => [key, entry ?? ""]);
  return entries.every(([, entry]) => typeof entry === "string") ? Object.fromEntries(entries) : false;
}
