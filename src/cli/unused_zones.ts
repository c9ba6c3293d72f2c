/**
 * How many pods are not used in each zone, for the live table's counts and `check`: a zone short of ready pods shows
 * even where the table is too narrow for its ZONE column.
 *
 * @module
 */

import type { ServiceView } from "./service_observer.ts";
import { byCountThenText } from "./pod_reasons.ts";
import { cellWidth, printable } from "./terminal.ts";

/**
 * ` (2 in zone b, 1 in zone c)`: the counts of {@linkcode unusedByZone} that fit in `room` cells (the most first, then
 * `…` for the rest), so that how to quit stays on the line; `""` when there are none or none fits.
 *
 * @param counts The counts, from {@linkcode unusedByZone}.
 * @param room The cells they may take.
 * @returns The counts that fit, in parentheses after a space.
 *
 * @example
 * ```ts
 * import { zonesThatFit } from "./unused_zones.ts";
 * console.log(zonesThatFit(["2 in zone b", "1 in zone c"], 20)); // " (2 in zone b, …)"
 * ```
 */
export function zonesThatFit(counts: readonly string[], room: number): string {
  for (let shown = counts.length; shown > 0; shown--) {
    const text = ` (${[...counts.slice(0, shown), ...(shown < counts.length ? ["…"] : [])].join(", ")})`;
    if (cellWidth(printable(text)) <= room) return text;
  }
  return "";
}

/**
 * The counts of the pods by kind followed by every count of {@linkcode unusedByZone}, on at most `max` lines of
 * `columns` cells, each zone's count whole on one line (wrapped at any space, `1 in zone` and its name were apart).
 *
 * @param total The counts by kind (`1 used, 3 not used`).
 * @param counts The counts by zone, from {@linkcode unusedByZone}; not empty.
 * @param columns The width of a line.
 * @param max The most lines they may take.
 * @returns The lines, or `undefined` where they need more than `max`.
 *
 * @example
 * ```ts
 * import { zoneLines } from "./unused_zones.ts";
 * console.log(zoneLines("3 not used", ["2 in zone b", "1 in zone c"], 26, 2)); // ["3 not used (2 in zone b,", "1 in zone c)"]
 * ```
 */
export function zoneLines(
  total: string,
  counts: readonly string[],
  columns: number,
  max: number,
): string[] | undefined {
  const lines: string[] = [];
  counts.forEach((count, i) => {
    const part = `${i === 0 ? `${total} (` : ""}${count}${i === counts.length - 1 ? ")" : ","}`;
    const joined = `${lines.at(-1)} ${part}`;
    if (lines.length > 0 && cellWidth(printable(joined)) <= columns) lines[lines.length - 1] = joined;
    else lines.push(part);
  });
  return lines.length <= max && lines.every((line) => cellWidth(printable(line)) <= columns) ? lines : undefined;
}

/**
 * How many pods are not used in each zone, where topology applies (a zone short of ready pods shows, even when the
 * table is too narrow for its ZONE column): the most first, then by zone; none without topology or when every pod is
 * used.
 *
 * @param view The view.
 * @returns The counts, e.g. `["2 in zone b", "1 in zone c"]`.
 *
 * @example
 * ```ts
 * import { unusedByZone } from "./unused_zones.ts";
 * const count = unusedByZone({
 *   namespace: "prod", service: "echo", locality: { zone: "a" }, watch: { state: "watching" },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "zone" },
 *   pods: [{ addresses: [{ host: "10.0.0.2", port: 80 }], zone: "b", ready: false, serving: false, terminating: false, use: "unused", message: "not used: not ready" }],
 * });
 * console.log(count); // ["1 in zone b"]
 * ```
 */
export function unusedByZone({ snapshot, pods }: ServiceView): string[] {
  if (snapshot === undefined || snapshot.topology === "none" || !pods) return [];
  const counts = new Map<string, number>();
  for (const pod of pods) {
    if (pod.use !== "unused") continue;
    const where = pod.zone === undefined ? "without a zone" : `in zone ${pod.zone}`;
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  return [...counts].sort(byCountThenText).map(([where, n]) => `${n} ${where}`);
}
