/**
 * The live table's rows of pods: each pod's cells, the columns that fit the terminal's width, and the order in which
 * rows get room on a short terminal. Laid out once for a list of pods and a width, and kept while they last: a redraw
 * for the clock alone (the time since the last change) found the same rows again, 100 ms and more for 5,000 pods.
 *
 * @module
 */

import type { PodAddress, PodExplanation } from "../selection/endpoint_explanation.ts";
import type { ServiceView } from "./service_observer.ts";
import { HEADINGS, tableLayout } from "./table_layout.ts";
import { usedLinesAt, wrap } from "./_table_text.ts";
import { type ReasonKind, reasonKinds } from "./pod_reasons.ts";
import { cellWidth, cutToCells, printable } from "./terminal.ts";

/** Text of at most `width` cells: a third from its start and the rest from its end, where pod names differ. */
function cutMiddle(text: string, width: number): string {
  if (cellWidth(text) <= width) return text;
  const start = cutToCells(text, Math.floor((width - 1) / 3));
  return `${start}…${cutToCells(text, width - 1 - cellWidth(start), true)}`;
}

/**
 * A pod's kind, for the order in which rows get room on a short terminal: a pod that gets no calls and says why (not
 * ready, terminating), failover, used, and the pods outside this client's subset, which are fine.
 */
function concern(pod: PodExplanation): number {
  if (pod.reason === "outside-subset") return 3;
  return pod.use === "unused" ? 0 : pod.use === "failover" ? 1 : 2;
}

/**
 * The rows of pods as the terminal's width lays them out, and the pods' reasons counted: the same in every frame a
 * redraw tries, and in every redraw until the pods or the width change.
 */
export interface PodRows {
  pods: readonly PodExplanation[];
  /** The terminal's width they are laid out for, and whether topology applies (ZONE outlasts other columns then). */
  columns: number;
  topology: boolean;
  /** The indices in {@linkcode HEADINGS} of the columns shown, and their widths. */
  columnsShown: number[];
  widths: number[];
  /** Each pod's cells of those columns, its name cut where it must be. */
  cells: string[][];
  /** Whether USED goes under each row, and at which cell it starts. */
  usedBelow: boolean;
  usedStart: number;
  /** A pod's USED on the lines it takes. */
  used: (i: number) => string[];
  kinds: ReasonKind[];
  /** How many pods there are of each use, and how many lines their rows take in all. */
  uses: UseCounts;
  height: number;
  /**
   * The pods' indices in the order rows get room: those that get no calls and the used ones (the fewer of the two
   * first), then failover, then outside the subset ({@linkcode concern}).
   */
  byConcern: number[];
}

/**
 * The rows of each list of pods, kept while the list is: the observer makes a new list whenever a pod changes, so the
 * same list is the same pods.
 */
const laidOut = new WeakMap<readonly PodExplanation[], PodRows>();

/**
 * The {@linkcode PodRows} of a view with pods on a terminal `columns` wide: those of the last redraw when its pods
 * (the same list), its width and its topology are the same.
 */
export function podRows(view: ServiceView, columns: number): PodRows {
  const pods = view.pods ?? [];
  const topologyApplies = view.snapshot !== undefined && view.snapshot.topology !== "none";
  const known = laidOut.get(pods);
  if (known && known.columns === columns && known.topology === topologyApplies) return known;
  const allCells = pods.map(cellsOf);
  const allWidths = HEADINGS.map((heading, i) => Math.max(heading.length, ...allCells.map((row) => cellWidth(row[i]))));
  const layout = tableLayout(allWidths, columns, { usedLinesAt: usedLinesAt(allCells), topology: topologyApplies });
  const { shown: columnsShown, podWidth, usedBelow } = layout;
  const widths = columnsShown.map((i) => i === 0 ? podWidth : allWidths[i]);
  const cells = allCells.map((row) => columnsShown.map((i) => i === 0 ? cutMiddle(row[i], podWidth) : row[i]));
  // USED whole: wrapped in its column, or where that is too narrow on lines of its own under the row.
  const usedStart = usedBelow ? 2 : widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0);
  // Wrapped once per reason: thousands of pods share a few. As many lines as it takes (the layout counted them).
  const wrapped = new Map<string, string[]>();
  const usedLines = allCells.map((row) => {
    const cell = row[row.length - 1];
    if (!usedBelow && cellWidth(cell) <= columns - usedStart) return [cell];
    if (!wrapped.has(cell)) wrapped.set(cell, wrap(cell, columns - usedStart, Infinity));
    return wrapped.get(cell)!;
  });
  // The used pods before the failover ones, and before those that get no calls where they are fewer: 29 pods not
  // ready took every row from the one that got the calls while terminating, and the failover ones hid the only pod
  // hinted for the client's zone; the counts by reason name the failover ones.
  const ofKind = [0, 0, 0, 0];
  for (const pod of pods) ofKind[concern(pod)]++;
  const usedFirst = ofKind[2] < ofKind[0];
  const rank = (i: number) => [usedFirst ? 1 : 0, 2, usedFirst ? 0 : 1, 3][concern(pods[i])];
  const byConcern = pods.map((_, i) => i).sort((a, b) => rank(a) - rank(b) || a - b);
  const used = (i: number) => usedLines[i];
  const kinds = reasonKinds(pods);
  const uses = useCounts(pods);
  // A row's line, and its USED's lines under it, or those beyond its first in its column.
  const height = usedLines.reduce((sum, lines) => sum + (usedBelow ? 1 : 0) + lines.length, 0);
  const topology = topologyApplies;
  const rows = { pods, columns, topology, columnsShown, widths, cells, usedBelow, usedStart, used, kinds, byConcern };
  const laid: PodRows = { ...rows, uses, height };
  laidOut.set(pods, laid);
  return laid;
}

/** How many pods there are of each use. */
export type UseCounts = Record<PodExplanation["use"], number>;

/** Counts `pods` by use. */
export function useCounts(pods: readonly PodExplanation[]): UseCounts {
  const counts: UseCounts = { used: 0, failover: 0, unused: 0 };
  for (const pod of pods) counts[pod.use]++;
  return counts;
}

/** Which rows fit in `room` lines, each `height(i)` lines high, taken in the order `byConcern`, in the table's order. */
export function rowsShown(byConcern: readonly number[], room: number, height: (i: number) => number): number[] {
  const shown: number[] = [];
  let taken = 0;
  for (const i of byConcern) {
    taken += height(i);
    if (taken > room) break;
    shown.push(i);
  }
  return shown.sort((a, b) => a - b);
}

/** A row's cells, printable (names from EndpointSlices may hold control characters) so that widths are those shown. */
export function cellsOf(pod: PodExplanation): string[] {
  return [
    pod.pod ?? "-",
    pod.addresses.map(formatAddress).join(" "),
    pod.zone ?? "-",
    pod.nodeName ?? "-",
    yesNo(pod.ready),
    yesNo(pod.serving),
    yesNo(pod.terminating),
    pod.message,
  ].map(printable);
}

/**
 * An address as `host:port`, IPv6 in brackets; the host alone when there is no port.
 *
 * @param address The address.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./table_rows.ts";
 * console.log(formatAddress({ host: "fd00::1", port: 8080 })); // "[fd00::1]:8080"
 * ```
 */
export function formatAddress({ host, port }: PodAddress): string {
  if (port === undefined) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function yesNo(value: boolean): string {
  return value ? "yes" : "no";
}
