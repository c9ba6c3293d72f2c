/**
 * Which columns of the live table fit a terminal's width, how wide the POD column is, and whether each pod's USED
 * (why it gets calls or not) goes on lines of its own under its row, where as a column it would be cut.
 *
 * @module
 */

/** The table's columns, in order; USED, last, says whether a pod gets calls and why. */
export const HEADINGS = ["POD", "ADDRESS", "ZONE", "NODE", "READY", "SERVING", "TERMINATING", "USED"] as const;

const POD = 0;
const ADDRESS = HEADINGS.indexOf("ADDRESS");
const ZONE = HEADINGS.indexOf("ZONE");
const READY = HEADINGS.indexOf("READY");
const USED = HEADINGS.indexOf("USED");
const NODE = HEADINGS.indexOf("NODE");
const TERMINATING = HEADINGS.indexOf("TERMINATING");
const SERVING = HEADINGS.indexOf("SERVING");
/**
 * The columns left out first when a row with whole pod names is wider than the terminal, so that USED (why) stays
 * whole. NODE first, as kubectl shows a pod's node only with `-o wide`: a pod's USED names the node that topology
 * prefers, when it does. Then ZONE, which tells nothing of where calls go without topology; TERMINATING and SERVING,
 * which USED says too ("not used: terminating while others are ready").
 */
const DROPPED_FIRST = [NODE, ZONE, TERMINATING, SERVING];
/**
 * {@linkcode DROPPED_FIRST} where topology applies: ZONE, where topology sends calls, outlasts TERMINATING, SERVING
 * and READY while USED keeps {@linkcode MIN_USED_WIDTH} cells beside it (see {@linkcode columnsThatFit}).
 */
const DROPPED_FIRST_WITH_TOPOLOGY = [NODE, TERMINATING, SERVING, ZONE];
/** The narrowest a long pod name is shortened to: a Deployment's ReplicaSet hash and random suffix take 16. */
const MIN_POD_WIDTH = 24;

/** The narrowest the USED column is before it goes under each row: "not used: not ready" and a word. */
const MIN_USED_WIDTH = 24;

/** What {@linkcode tableLayout} needs besides the widths and the terminal's width. */
export interface TableLayoutOptions {
  /**
   * How many lines the pods' USED takes in a column that many cells wide (`undefined` where a word would be cut):
   * where given, a pod name is cut no further than needed for that to be as few as it can be, so that no name is cut
   * for a USED column that wraps all the same.
   */
  usedLinesAt?: (width: number) => number | undefined;
  /**
   * Whether topology applies (its mode is not `none`): ZONE, which then tells where calls go, is kept over TERMINATING
   * and SERVING.
   *
   * @default {false}
   */
  topology?: boolean;
}

/** How the table's rows are laid out. */
export interface TableLayout {
  /** The indices in {@linkcode HEADINGS} of the columns shown, in order. */
  shown: number[];
  /** The width of the POD column; longer names are shortened in their middle. */
  podWidth: number;
  /**
   * Whether USED is not a column but each pod's lines of its own, under its row, indented by two; as a column, a
   * reason wider than it wraps in it.
   */
  usedBelow: boolean;
}

/**
 * Lays the table out for a terminal: every column when the widest row fits, else fewer (NODE, then ZONE,
 * TERMINATING and SERVING; where topology applies, TERMINATING, SERVING and READY, ZONE staying beside whole names
 * while USED keeps 24 cells, wrapped; then READY, see {@linkcode columnsThatFit}) and
 * long pod names shortened, never for any of those columns: whole names tell the pods apart, to `kubectl describe` or
 * `logs` one (a wider terminal would else cut names that a narrower one shows whole); USED, where its
 * longest reason does not fit, wraps in its column; when that column would be too narrow for a few words a line, USED
 * goes under each row instead, where it has the terminal's width, and the row keeps the columns that then fit (POD
 * alone when the address does not fit beside a shortened name). A USED column that leaves out a column of that row
 * cuts no name further than that row does: else a wider terminal would cut the names that a narrower one shows whole.
 *
 * @param widths The widest cell (or heading) of each column of {@linkcode HEADINGS}.
 * @param columns The terminal's width.
 * @param options How USED wraps, and whether topology applies.
 * @returns The layout.
 *
 * @example
 * ```ts
 * import { tableLayout } from "./table_layout.ts";
 * // POD, ADDRESS, ZONE, NODE, READY, SERVING, TERMINATING, USED
 * const widths = [34, 15, 10, 39, 5, 7, 11, 44];
 * console.log(tableLayout(widths, 160)); // { shown: [0, 1, 2, 4, 5, 6, 7], podWidth: 34, usedBelow: false }
 * console.log(tableLayout(widths, 50)); // { shown: [0, 1, 4], podWidth: 26, usedBelow: true }
 * console.log(tableLayout(widths, 30)); // { shown: [0], podWidth: 30, usedBelow: true }
 * // Where topology applies, ZONE stays while USED keeps 24 cells: here 35 of its 44, wrapped.
 * console.log(tableLayout(widths, 100, { topology: true })); // { shown: [0, 1, 2, 7], podWidth: 34, usedBelow: false }
 * ```
 */
export function tableLayout(
  widths: readonly number[],
  columns: number,
  options: TableLayoutOptions = {},
): TableLayout {
  const { usedLinesAt, topology = false } = options;
  const { shown, zoneWraps } = columnsThatFit(widths, columns, topology);
  // ZONE kept where USED wraps costs no name a cell: USED takes what whole names leave it.
  if (zoneWraps) return { shown, podWidth: widths[POD], usedBelow: false };
  const below = usedBelowLayout(widths, columns, topology);
  // A USED column that leaves out a column the row shows with USED below costs the name nothing either: at 67 to 75
  // columns a Deployment's names were cut to make room for it, where 60 to 66 showed them whole with USED below. Nor
  // does it cut a name that row shows whole: 63-cell names were cut at 94 and 95 columns beside the columns that 93
  // and 96 showed with whole names and USED under them.
  const fewer = below.shown.some((i) => !shown.includes(i));
  const fitting = podWidthThatFits(shown.map((i) => widths[i]), columns);
  const podWidth = fewer || below.podWidth === widths[POD] ? Math.max(fitting, below.podWidth) : fitting;
  // USED stays a column, its longer reasons wrapped in it, while it has room for a few words a line.
  const usedRoom = columns - rowWidth(shown.filter((i) => i !== USED), widths, podWidth) - 2;
  if (usedRoom >= Math.min(widths[USED], MIN_USED_WIDTH)) {
    const pod = usedLinesAt === undefined ? podWidth : podWidthForUsed(podWidth, widths[POD], usedRoom, usedLinesAt);
    return { shown, podWidth: pod, usedBelow: false };
  }
  return below;
}

/** The layout with USED under each row: the columns that then fit, POD alone when the address does not. */
function usedBelowLayout(widths: readonly number[], columns: number, topology: boolean): TableLayout {
  // Without USED: a column of width 0 that its gap of two more columns pays for.
  const above = columnsThatFit(widths.map((width, i) => i === USED ? 0 : width), columns + 2, topology).shown
    .filter((i) => i !== USED);
  const shortened = Math.min(widths[POD], MIN_POD_WIDTH);
  if (above.length === 2 && above[1] === ADDRESS && shortened + 2 + widths[ADDRESS] > columns) above.pop();
  const pod = above.length === 1
    ? Math.min(widths[POD], columns)
    : podWidthThatFits(above.map((i) => widths[i]), columns);
  return { shown: above, podWidth: pod, usedBelow: true };
}

/**
 * The widest POD column, from `podWidth` up to `longest`, that leaves the USED column (`usedRoom` cells beside
 * `podWidth`) on as few lines as `podWidth` does, and at least {@linkcode MIN_USED_WIDTH} wide: the lines only grow as
 * the column narrows, so it is searched by halves.
 */
function podWidthForUsed(
  podWidth: number,
  longest: number,
  usedRoom: number,
  usedLinesAt: (width: number) => number | undefined,
): number {
  const fewest = usedLinesAt(usedRoom);
  if (fewest === undefined) return podWidth;
  const sameLines = (pod: number) => {
    const room = usedRoom - (pod - podWidth);
    return room >= MIN_USED_WIDTH && usedLinesAt(room) === fewest;
  };
  let low = podWidth;
  let high = longest;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (sameLines(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The width of a row of the `shown` columns, POD `podWidth` wide, two spaces between columns. */
function rowWidth(shown: readonly number[], widths: readonly number[], podWidth: number): number {
  return shown.reduce((sum, i) => sum + (i === POD ? podWidth : widths[i]) + 2, -2);
}

/**
 * The indices of the columns shown: all of them when the widest row fits in `columns`, else fewer: those of
 * {@linkcode DROPPED_FIRST} (or {@linkcode DROPPED_FIRST_WITH_TOPOLOGY}) until the row fits with whole pod names, then
 * READY when even names cut to {@linkcode MIN_POD_WIDTH} leave USED too little room (USED says it too: "not used: not
 * ready"). Where topology applies, READY goes before ZONE, which stays while whole names leave USED
 * {@linkcode MIN_USED_WIDTH} cells, where it wraps (`zoneWraps`): at 80 columns, ZONE went for a 44-cell reason.
 */
function columnsThatFit(
  widths: readonly number[],
  columns: number,
  topology: boolean,
): { shown: number[]; zoneWraps: boolean } {
  let shown = widths.map((_, i) => i);
  const width = (pod = widths[POD], used = widths[USED]) =>
    shown.reduce((sum, i, at) => sum + (i === POD ? pod : i === USED ? used : widths[i]) + (at === 0 ? 0 : 2), 0);
  const shortened = Math.min(widths[POD], MIN_POD_WIDTH);
  const wrapped = Math.min(widths[USED], MIN_USED_WIDTH);
  for (const column of topology ? DROPPED_FIRST_WITH_TOPOLOGY : DROPPED_FIRST) {
    if (width() <= columns) break;
    // Only where topology applies does READY go before ZONE: without it, ZONE goes before TERMINATING and SERVING.
    if (topology && column === ZONE) {
      const withReady = shown;
      shown = shown.filter((i) => i !== READY);
      if (width() <= columns) return { shown, zoneWraps: false };
      if (width(widths[POD], wrapped) <= columns) return { shown, zoneWraps: true };
      shown = withReady;
    }
    shown.splice(shown.indexOf(column), 1);
  }
  if (width(shortened) > columns) shown.splice(shown.indexOf(READY), 1);
  return { shown, zoneWraps: false };
}

/**
 * The width of the POD column (the first of `widths`): as wide as its longest name when the row fits in `columns`,
 * else narrower, down to {@linkcode MIN_POD_WIDTH}, so that long names (63 characters are common) leave room for USED.
 */
function podWidthThatFits(widths: readonly number[], columns: number): number {
  const total = widths.reduce((sum, width) => sum + width + 2, -2);
  if (total <= columns) return widths[0];
  return Math.min(widths[0], Math.max(MIN_POD_WIDTH, widths[0] - (total - columns)));
}
