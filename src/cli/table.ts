/**
 * The live table of `kgr-resolver` on a terminal: a header (target,
 * Service, cluster, resourceVersion, time since the last change, watch
 * state, topology) and one row per pod with whether calls go to it and why.
 *
 * @module
 */

import type { PodExplanation } from "../selection/endpoint_explanation.ts";
import type { ServiceView } from "./service_observer.ts";
import { inFlagTerms } from "./flag_terms.ts";
import { topologyReason } from "./topology_reason.ts";
import { clientWhereabouts } from "../selection/topology_reason.ts";
import { HEADINGS } from "./table_layout.ts";
import { inDisplayOrder } from "./display_order.ts";
import { cellsOf, type PodRows, podRows, rowsShown, type UseCounts, useCounts } from "./table_rows.ts";
import { sourceLines, withFileName } from "./source_lines.ts";
import type { AccessOrigin } from "../cluster/types.ts";
import { unusedByZone, zoneLines, zonesThatFit } from "./unused_zones.ts";
import { keepCutMessage, type MessageSpan } from "./cut_message.ts";
import { wrap } from "./_table_text.ts";
import { changeText, waitingText, watchSegment } from "./state_line.ts";
import { reasonCounts } from "./pod_reasons.ts";
import { cellWidth, fitLine, type Paint, printable, type Segment, type Style } from "./terminal.ts";

/** What the table shows besides the view. */
export interface TableContext {
  /** The target as the user typed it. */
  input: string;
  /** The API server's URL. */
  server: string;
  /** Where the cluster access came from, e.g. `kubeconfig /root/.kube/config (context "kind")`. */
  source: string;
  /** Where the cluster access came from, for the header to find the kubeconfig's paths and context in `source`. */
  origin: AccessOrigin;
  /** The current time, on the clock of the view's times (`displayClock` in `display_clock.ts`). */
  now: number;
  /** The terminal's width (`Infinity` off a terminal). */
  columns: number;
  /**
   * The terminal's height; the table never uses more lines than this minus one. `Infinity` for a table printed once,
   * which scrolls like any output: its messages are then printed whole.
   */
  rows: number;
  /** Applies colours. */
  paint: Paint;
  /** Whether the table redraws until Ctrl-C (it then says so), or is printed once. */
  live: boolean;
  /**
   * Whether this is the last frame of a live table, drawn once Ctrl-C stops it (`live` false): the watch's state is
   * then the one it was in (`listing for 7s`), where a table printed once (`--once`) shows its first list as done.
   */
  stopped?: boolean;
}

const USE_STYLE: Record<PodExplanation["use"], Style> = { used: "green", failover: "yellow", unused: "red" };
/**
 * The lines the header's messages (why topology is none, a watch's failure) leave below them when there are pods: a
 * blank line, the headings, a row and its USED, the `... and N more pods` line, a blank line and the counts.
 */
const LINES_FOR_PODS = 7;
/** The lines the header's messages leave below them without pods: a blank line and what the table waits for (two). */
const LINES_FOR_WAITING = 3;
/**
 * The parts of a frame that a tiny terminal gives up, in turn, for rows of pods, each where it gives them a line: the
 * cluster, then the resourceVersion and the time since the last change, then the target as typed (the Service and
 * the port say it), then the topology (each row's USED says what it does to that pod), then the blank lines around
 * the rows. The watch's state, and why it fails, are never given up.
 */
const PARTS_GIVEN_UP_FOR_ROWS = ["cluster", "version", "target", "topology", "gaps"] as const;
/** One of {@linkcode PARTS_GIVEN_UP_FOR_ROWS}. */
type FramePart = typeof PARTS_GIVEN_UP_FOR_ROWS[number];
/** How to stop a live table, said in every frame. */
const QUIT = "Ctrl-C to quit";
/** The rows of pods a frame keeps when the counts of the pods not used per zone take lines from them. */
const ROWS_BESIDE_ZONES = 5;
/** The last line of a failing watch's message cut for want of lines: `--once` prints it whole, then exits. */
const WHOLE_MESSAGE = "--once prints it all";

/**
 * Renders the table.
 *
 * @param given What is known about the Service; its pods are shown in display order (see `inDisplayOrder()`).
 * @param context The target, the cluster, the time, the terminal's size and colours.
 * @returns The lines, each within the terminal's width.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * import { painter } from "./terminal.ts";
 * const lines = renderTable(
 *   { namespace: "prod", service: "echo", port: "grpc", locality: {}, watch: { state: "listing", since: 0 } },
 *   { input: "kubernetes:///echo.prod:grpc", server: "https://10.0.0.1", source: "the in-cluster service account", origin: { kind: "in-cluster" }, now: 0, columns: 100, rows: 30, paint: painter(false), live: true },
 * );
 * console.log(lines[0]); // "kubernetes:///echo.prod:grpc  service prod/echo  port grpc"
 * ```
 */
export function renderTable(given: ServiceView, context: TableContext): string[] {
  const view = given.pods ? { ...given, pods: inDisplayOrder(given.pods) } : given;
  const room = Math.max(1, context.rows - 1);
  // Worked out once for the pods and the width: a crowded frame is tried up to six times, and a Service of 5,000 pods
  // took 0.8 s a redraw; then 100 ms and more on each tick of the clock, which changes none of them.
  const redraw = {
    rows: view.pods?.length ? podRows(view, context.columns) : undefined,
    // As many passes over the pods, made once a redraw rather than once a frame tried.
    topology: topologyText(view),
    unusedZones: unusedByZone(view),
  };
  let frame = framed(view, context, redraw, new Set());
  // Rows of pods win over the header where it takes more than half of a terminal that hides pods, or leaves no row: at
  // 20 columns and 12 rows, its ten lines left none. The watch's state, and why it fails, stay: the header gives up
  // its parts too where the frame is taller than the terminal, which, kept from the top, lost them below the header.
  // A failing watch's message cut for want of lines gets them too: at 20x12 without pods, the target and the topology
  // took four of them. So do the counts of the pods without a row, cut, where the whole header's lines show them whole:
  // at 30x20 'not used: 1 not ready; 1…', the cluster's three lines kept (not so for 60 zones at 80x24).
  const countsFit = frame.countsCut && !framed(view, context, redraw, new Set(PARTS_GIVEN_UP_FOR_ROWS)).countsCut;
  const crowded = ({ header, hidden, lines, pointer, countsCut }: FrameLines) =>
    (hidden > 0 && (header > room / 2 || hidden === view.pods?.length || (countsCut && countsFit))) ||
    lines.filter((line) => line !== "").length > room || pointer !== undefined;
  for (const part of PARTS_GIVEN_UP_FOR_ROWS) {
    if (!crowded(frame)) break;
    const without = framed(view, context, redraw, new Set([...frame.dropped, part]));
    const better = without.header < frame.header || without.hidden < frame.hidden || without.problem > frame.problem;
    if (better) frame = without;
  }
  // Still no row: one takes the lines of '... and N more pods' and the counts by reason, under no headings, where it
  // fits there. That line only said what the counts on the frame's last line say, and no pod was named (at 40x6, four
  // healthy pods); where a row fits beside it, it stays (a frame that tried this first kept blank lines at 20x12).
  if (view.pods?.length && frame.hidden === view.pods.length) {
    const named = framed(view, context, redraw, new Set([...frame.dropped, "gaps"]), true);
    if (named.hidden < frame.hidden && named.lines.filter((line) => line !== "").length <= room) frame = named;
  }
  const { lines, cutAt, yielding, foot, message } = frame;
  // A frame taller than the terminal scrolls its top into the scrollback on every redraw: keep the top and the
  // last lines (the counts, or what the table waits for, and how to quit). The blank lines that part it go first: cut
  // from below, the `... and N more pods` line would be lost.
  if (lines.length <= room) return lines;
  let packed = lines.flatMap((line, i) => line === "" ? [] : [i]);
  if (packed.length <= room) return packed.map((i) => lines[i]);
  // Why topology is none gives its lines, from its end, to a failing watch's message that would lose lines below it.
  const tail = Math.min(foot, room);
  const top = room - tail;
  const over = packed.indexOf(yielding.before) - (top - 1);
  if (over > 0) {
    const dropped = new Set(yielding.lines.slice(Math.max(0, yielding.lines.length - over)));
    const last = yielding.lines[yielding.lines.length - dropped.size - 1];
    packed = packed.filter((i) => !dropped.has(i));
    if (last !== undefined) lines[last] = cutAt.get(last)?.() ?? lines[last];
  }
  // A message cut there says so: its last line shown ends in '…', and '--once prints it all' follows it, on a line of
  // its own or, where the frame has no line to spare, before how to quit. At 40x5 the pointer was cut away with the
  // lines below; at 20x5 the Service's lines left 'retrying (see below)' nothing below it.
  const footLines = packed.slice(packed.length - tail).map((i) => lines[i]);
  const joined = `${WHOLE_MESSAGE}  ${QUIT}`;
  const joins = context.live &&
    footLines.at(-1) === fitLine([{ text: QUIT, style: "dim" }], context.columns, context.paint) &&
    cellWidth(joined) <= context.columns;
  const { kept, cut } = message
    ? keepCutMessage(packed, top, message, joins)
    : { kept: packed.slice(0, top), cut: false };
  const shown = kept.map((i, at) => at === kept.length - 1 ? cutAt.get(i)?.() ?? lines[i] : lines[i]);
  const whole = fitLine([{ text: WHOLE_MESSAGE, style: "dim" }], context.columns, context.paint);
  if (cut && joins) footLines[footLines.length - 1] = context.paint(joined, "dim");
  else if (cut) shown.push(whole);
  return [...shown, ...footLines];
}

/**
 * The lines of a frame without the `dropped` parts, a message of the header uncut where the screen has the lines; a row
 * rather than `... and N more pods` alone where `named` (see {@linkcode tableLines}).
 */
function framed(
  view: ServiceView,
  context: TableContext,
  redraw: Redraw,
  dropped: ReadonlySet<FramePart>,
  named = false,
): FrameLines {
  const room = Math.max(1, context.rows - 1);
  const frame = tableLines(view, context, { ...redraw, spare: 0, dropped, named });
  // A pod's row taller than the lines kept for it (its USED on two lines under it) leaves them empty when it does not
  // fit: a message of the header cut for want of them gets them.
  if (frame.cut && frame.lines.length < room) {
    const more = tableLines(view, context, { ...redraw, spare: room - frame.lines.length, dropped, named });
    if (more.lines.length <= room) return more;
  }
  return frame;
}

/** What every frame a redraw tries shares: the rows of pods, if any, and the texts worked out from all the pods. */
interface Redraw {
  rows: PodRows | undefined;
  /** The topology mode and why it is none (see {@linkcode topologyText}). */
  topology: string;
  /** See {@linkcode unusedByZone}. */
  unusedZones: string[];
}

/** The lines of a frame, before they are fitted to the terminal's height. */
interface FrameLines {
  lines: string[];
  /** How many lines the header takes, up to the blank line under it. */
  header: number;
  /** How many pods have no row. */
  hidden: number;
  /** How many lines a failing watch's message, or the port's error, takes; else, without pods, why there are none. */
  problem: number;
  /** The parts given up for rows of pods. */
  dropped: ReadonlySet<FramePart>;
  /** Whether a message of the header was cut for want of lines. */
  cut: boolean;
  /** For a message's line that another follows, the line cut with `…` there: what the frame shows if it ends there. */
  cutAt: Map<number, () => string>;
  /** Why topology is none's lines, given up on a short terminal for a failing watch's message that ends `before`. */
  yielding: { lines: number[]; before: number };
  /** How many lines end the frame: the counts, or what the table waits for, and how to quit. */
  foot: number;
  /**
   * Where the line `--once prints it all` under a failing watch's message, or the port's error (else, without pods,
   * why there are none), cut for want of lines is, and where that message starts.
   */
  pointer?: { at: number; from: number };
  /** Where a failing watch's message or the port's error (else why no pod is there, or usable) is, for a short terminal. */
  message?: MessageSpan;
  /** Whether the counts by reason of the pods without a row are cut for want of lines. */
  countsCut?: boolean;
}

/**
 * The table's lines, with `spare` more lines for the messages of the header than it keeps for them, without the
 * `dropped` parts (see {@linkcode PARTS_GIVEN_UP_FOR_ROWS}), the pods' rows and what all pods say from `redraw`; where
 * `named` and no row fits beside `... and N more pods`, a row in its place where one fits there.
 */
function tableLines(
  view: ServiceView,
  context: TableContext,
  { spare, dropped, named, rows, topology, unusedZones }: Redraw & {
    spare: number;
    dropped: ReadonlySet<FramePart>;
    named: boolean;
  },
): FrameLines {
  const { paint, columns } = context;
  // In the terms the CLI prints in (see withFlagTerms) before a line is measured, so that no cut falls in an option's
  // name (`... with cluster.na…`), and printable: names from EndpointSlices may hold control characters.
  const fit = (segments: Segment[]) =>
    fitLine(segments.map(({ text, style }) => ({ text: printable(inFlagTerms(text)), style })), columns, paint);
  // A message's lines, at most `max` in a table that must fit the screen's height; all of them in one printed once,
  // which scrolls like any output (--once): there, what is cut is lost, and it is what says what to do.
  const maxLines = (max: number) => Number.isFinite(context.rows) ? max : Infinity;
  // Too wide for one line, the Service and the port go on a line of their own, then on one each: cut, the port the
  // target names would be what is lost.
  const service = `service ${view.namespace}/${view.service}`;
  const port = `port ${portText(view.port)}`;
  const lines: string[] = [];
  const width = (text: string) => cellWidth(printable(inFlagTerms(text)));
  const typed = !dropped.has("target");
  if (typed && width(`${context.input}  ${service}  ${port}`) <= columns) {
    lines.push(fit([{ text: context.input, style: "bold" }, { text: `  ${service}  ${port}` }]));
  } else {
    if (typed) lines.push(fit([{ text: context.input, style: "bold" }]));
    if (width(`${service}  ${port}`) <= columns) lines.push(fit([{ text: `${service}  ${port}` }]));
    else lines.push(fit([{ text: service }]), fit([{ text: port }]));
  }
  // Too wide for one line, the source goes on a line of its own: cut, the context's name, which tells a wrong
  // cluster, would be what is lost. Too wide for a line of its own, its kubeconfig's path is shortened to its file
  // name, then the context goes on a line of its own.
  const cluster = `cluster ${context.server} from ${context.source}`;
  const clusterLines = dropped.has("cluster")
    ? []
    : cellWidth(printable(inFlagTerms(cluster))) <= columns
    ? [cluster]
    : [`cluster ${context.server}`, ...sourceLines(context, columns)];
  for (const line of clusterLines) lines.push(fit([{ text: line }]));
  const widthOf = (segments: Segment[]) => segments.reduce((sum, { text }) => sum + cellWidth(printable(text)), 0);
  // The resourceVersion, the time since the last change and the watch's state, each after the one before where it
  // fits, else on a line of its own: cut, "unchanged since start", "retrying" or "listing for 7s" would be what is
  // lost (a real cluster's resourceVersion has 8 digits or more).
  const state: Segment[][] = [];
  const versionAndChange = [
    { text: `resourceVersion ${view.snapshot?.resourceVersion ?? "-"}` },
    { text: changeText(view, context.now) },
  ];
  for (const piece of [...dropped.has("version") ? [] : versionAndChange, watchSegment(view, context)]) {
    const line = state.at(-1);
    if (line && widthOf(line) + 2 + widthOf([piece]) <= columns) line.push({ text: "  " }, piece);
    else state.push([piece]);
  }
  // The topology mode and why it is none go on their own lines when they do not fit after the state: cut, the
  // reason is what would be lost.
  const last = state[state.length - 1];
  const topologyShown = !dropped.has("topology");
  const topologyFits = topologyShown && widthOf(last) + 2 + cellWidth(printable(topology)) <= columns;
  if (topologyFits) last.push({ text: `  ${topology}`, style: "dim" });
  for (const segments of state) lines.push(fit(segments));
  const stateAt = lines.length - 1;
  const problem = view.watch.state === "retrying" ? view.watch.error : view.portError;
  const portNote = view.snapshot?.portNote;
  // How to stop ends every live frame, also one with no pod to show: the cursor is hidden and nothing else moves.
  // After what the line says where it fits there whole: cut, it would take the place of the counts and say nothing.
  const quit = (text: string): Segment[] =>
    context.live && cellWidth(printable(`${text}  ${QUIT}`)) <= columns ? [{ text: `  ${QUIT}`, style: "dim" }] : [];
  const quitAlone = fit([{ text: QUIT, style: "dim" }]);
  // The counts, and what the table waits for, wrapped where they do not fit: they come before how to quit, which
  // goes on a line of its own where it does not fit after them (left off, a narrow terminal did not say it).
  const bottom = (text: string) => {
    const said = cellWidth(printable(text)) <= columns ? [fit([{ text }, ...quit(text)])] : wrap(text, columns, 2);
    return context.live && quit(text).length === 0 ? [...said, quitAlone] : said;
  };
  const waiting = waitingText(view);
  // The frame's last lines, kept on a terminal too short for it: the counts, or what the table waits for, and how to quit.
  let foot = bottom(rows ? summary(rows.uses) : !view.pods ? waiting : "0 pods").length;
  // The messages of the header take the lines the screen leaves beyond those below them (the note, the counts, and a
  // pod's row with its headings when there are pods, and the counts of the others by reason), at least `least`: what
  // to do comes last in them, where three or four lines cut it off on a narrow terminal.
  const forPods = () =>
    (rows ? LINES_FOR_PODS + reasonCounts(rows.kinds, [], columns, Infinity).length : LINES_FOR_WAITING) +
    foot - 1;
  const leftFor = (least: number, below: number) =>
    maxLines(Math.max(least, context.rows - 1 - lines.length - below - (portNote ? 4 : 0) - forPods() + spare));
  let cut = false;
  const cutAt = new Map<number, () => string>();
  // A message's lines, at most `max`, each but the last with its version cut with '…' should the frame end there.
  const pushWrapped = (text: string, max: number, style?: Style) => {
    const painted = (line: string) => style ? paint(line, style) : line;
    const shown = wrap(text, columns, max);
    shown.forEach((line, i) => {
      if (i < shown.length - 1) cutAt.set(lines.length, () => painted(wrap(text, columns, i + 1)[i]));
      lines.push(painted(line));
    });
  };
  const message = (text: string, max: number, style: Style) => {
    cut ||= wrap(text, columns, Infinity).length > max;
    pushWrapped(text, max, style);
  };
  const wholeLines = (text: string) => wrap(text, columns, Infinity).length;
  // The watch's failure says what to do now: it takes the lines first, and why topology is none keeps its three.
  const topologyLines = topologyFits || !topologyShown ? 0 : Math.min(3, wrap(topology, columns, Infinity).length);
  // A failing watch's message, where it says what to do, takes all but the last lines of a tiny terminal (the counts of
  // the pods, which its stale rows give up, and how to quit), and why topology is none keeps its three: at 20x12 it
  // was cut at its fourth line over '... and 5 more pods' and blank lines.
  const failingIn = (footLines: number) =>
    view.watch.state === "retrying" ? context.rows - 1 - footLines - lines.length - topologyLines : 0;
  // The counts give way to a failing watch's message that they would cut (the rows they count are stale), and so does
  // what the table waits for (the message says why): at 20x12, on two lines over how to quit, the counts left
  // "connection refused. Start the API server." three lines. The last frame Ctrl-C leaves too, without how to quit
  // (it kept 'listing EndpointSlices...' and cut the message the live frame showed whole).
  const countsGiveWay = view.pods?.length !== 0 && (context.live || context.stopped === true) &&
    view.watch.state === "retrying" &&
    wholeLines(withFileName(view.watch.error.message, context, columns, failingIn(foot))) > failingIn(foot);
  const gaveWay = context.live ? [quitAlone] : [];
  if (countsGiveWay) foot = gaveWay.length;
  const failing = failingIn(foot);
  const problemMax = Math.max(leftFor(4, topologyLines), maxLines(failing));
  const problemText = problem && withFileName(problem.message, context, columns, problemMax);
  const problemLines = problemText ? Math.min(problemMax, wholeLines(problemText)) : 0;
  const reasonFrom = lines.length;
  if (!topologyFits && topologyShown) message(topology, leftFor(3, problemLines), "dim");
  const reasonLines = Array.from({ length: lines.length - reasonFrom }, (_, i) => reasonFrom + i);
  // Cut, what to do is what is lost, at its end: its last line says where to read it whole (at 20x12, a 403's grant
  // was cut away after seven of its sixteen lines, with nothing said of it).
  const problemCut = problemText !== undefined && problemMax >= 2 && problemLines < wholeLines(problemText);
  const problemFrom = lines.length;
  if (problemText) message(problemText, problemCut ? problemMax - 1 : problemMax, "red");
  const pointer = problemCut ? { at: lines.length, from: problemFrom } : undefined;
  const span = problemText ? { from: problemFrom, to: lines.length, state: stateAt, pointer: pointer?.at } : undefined;
  if (problemCut) lines.push(fit([{ text: WHOLE_MESSAGE, style: "dim" }]));
  const yielding = { lines: problemText ? reasonLines : [], before: lines.length - 1 };
  if (portNote) pushWrapped(portNote, maxLines(4), "yellow");
  const header = lines.length;
  const made = (hidden: number, countsCut?: boolean): FrameLines => ({
    lines,
    header,
    hidden,
    problem: problemLines,
    dropped,
    cut,
    cutAt,
    yielding,
    foot,
    pointer,
    message: span,
    countsCut,
  });
  const gap = dropped.has("gaps") ? [] : [""];
  lines.push(...gap);
  if (!view.pods) {
    lines.push(...countsGiveWay ? gaveWay : bottom(waiting));
    return made(0);
  }
  if (view.pods.length === 0) {
    // Last, it may take what the screen has left, as rows of pods would: it says what to do.
    const left = context.rows - 1 - lines.length - (context.live ? 2 : 0);
    const why = `no pods: ${view.snapshot?.emptyReason ?? "no EndpointSlice lists any"}`;
    // Cut, what to do is what is lost, at its end: as a failing watch's message, it ends with where to read it whole,
    // and the header's parts give way to it (at 60x12 and 48x14 a Service without a selector's was cut with '…' alone).
    const max = maxLines(Math.max(4, left));
    const whyCut = max >= 2 && wholeLines(why) > max;
    const whyFrom = lines.length;
    pushWrapped(why, whyCut ? max - 1 : max);
    const whyTo = lines.length;
    const whyPointer = whyCut ? { at: whyTo, from: whyFrom } : undefined;
    if (whyCut) lines.push(fit([{ text: WHOLE_MESSAGE, style: "dim" }]));
    if (context.live) lines.push("", ...bottom("0 pods"));
    if (span) return made(0);
    return {
      ...made(0),
      problem: whyTo - whyFrom,
      pointer: whyPointer,
      message: { from: whyFrom, to: whyTo, state: stateAt, pointer: whyPointer?.at },
    };
  }
  // Pods, but none usable: the reason says what they all lack (the ports the slices do have, say).
  // Cut, it ends with where to read it whole, as why there are no pods does (at 40x6 it was cut with '…' alone).
  const emptyReason = view.snapshot?.emptyReason;
  let unusable: MessageSpan | undefined;
  if (emptyReason) {
    const text = `no usable pod: ${emptyReason}`;
    // The lines the screen leaves above a blank line, the headings, a row with its USED, '... and N more pods' and
    // the counts, four at least: held to four, it was cut at its third line over nine empty ones at 80x24.
    const firstRow = (rows!.usedBelow ? 1 : 0) + rows!.used(rows!.byConcern[0]).length;
    const below = 2 + firstRow + (view.pods.length > 1 ? 1 : 0) + gap.length + foot;
    const max = maxLines(Math.max(4, context.rows - 1 - lines.length - below));
    const cutHere = max < wholeLines(text);
    const from = lines.length;
    pushWrapped(text, cutHere ? max - 1 : max, "red");
    unusable = { from, to: lines.length, state: stateAt, ...(cutHere ? { pointer: lines.length } : {}) };
    if (cutHere) lines.push(fit([{ text: WHOLE_MESSAGE, style: "dim" }]));
    lines.push("");
  }
  const { pods, columnsShown, widths, cells, usedBelow, usedStart, used, kinds, byConcern, uses } = rows!;
  // Padded to cells, not characters: a wide character takes two.
  const pad = (row: string[]) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell + " ".repeat(Math.max(0, widths[i] + 2 - cellWidth(cell))));
  const below = (i: number) => usedBelow ? used(i) : used(i).slice(1);
  const height = (i: number) => 1 + below(i).length;
  // The headings only with a row under them (and the blank line and the counts): a terminal too short for that
  // gets the count of the pods alone, not headings over nothing.
  const total = summary(uses);
  const zones = zonesThatFit(
    unusedZones,
    columns - cellWidth(printable(total)) - cellWidth(quit(total)[0]?.text ?? ""),
  );
  // Where that cut some zones (80 columns, zones named eu-west-1a), every zone on up to two lines (in --once and the
  // last frame too), how to quit under them: cut, the zone without a usable pod was hidden. Taken from the rows where
  // the screen has lines for a few of them besides (at 80x24, 12 of 28 pods), else only from lines to spare.
  const zonesWhole = zones !== zonesThatFit(unusedZones, Infinity)
    ? zoneLines(total, unusedZones, columns, 2)?.map((text) => fit([{ text }])).concat(gaveWay)
    : undefined;
  const zonesTaken = zonesWhole &&
    context.rows - 1 - lines.length - 1 - gap.length - zonesWhole.length - 1 >= ROWS_BESIDE_ZONES;
  const totalHeight = countsGiveWay ? gaveWay.length : zonesTaken ? zonesWhole.length : bottom(total).length;
  const headed = context.rows - 1 - lines.length - 1 - gap.length - totalHeight >= 1;
  if (headed) lines.push(fit([{ text: pad(columnsShown.map((i) => HEADINGS[i])).join(""), style: "bold" }]));
  let room = Math.max(1, context.rows - 1 - lines.length - gap.length - totalHeight);
  const all = rows!.height;
  let shown = rowsShown(byConcern, all > room ? room - 1 : all, height);
  // Room for the counts, taken from the rows, within the lines that the `... and N more pods` line leaves: a kind of
  // pod that fewer rows then hide is counted as well, which may take a line more.
  let counts: string[] = [];
  for (;;) {
    const next = reasonCounts(kinds, shown, columns, room - 1);
    if (next.length <= counts.length) {
      counts = next;
      break;
    }
    counts = next;
    shown = rowsShown(byConcern, room - 1 - counts.length, height);
  }
  // A row wins over the counts of the pods not shown where these left none: a row says more, the pod by its name.
  const rowsAlone = shown.length === 0 ? rowsShown(byConcern, room - 1, height) : [];
  if (rowsAlone.length > 0) {
    shown = rowsAlone;
    counts = reasonCounts(kinds, shown, columns, room - 1 - shown.reduce((sum, i) => sum + height(i), 0));
  }
  // Pods of two lines each (USED below) may leave the headings with no row: their line goes to a row where it makes
  // room for one, else to the counts.
  if (headed && shown.length === 0) {
    lines.pop();
    shown = rowsShown(byConcern, ++room - 1, height);
    counts = reasonCounts(kinds, shown, columns, room - 1 - shown.reduce((sum, i) => sum + height(i), 0));
  }
  // Where `named`, a row takes the lines of '... and N more pods' and the counts, if it fits there (see renderTable).
  const rowAlone = named && shown.length === 0 ? rowsShown(byConcern, room, height) : [];
  if (rowAlone.length > 0) {
    shown = rowAlone;
    counts = [];
  }
  for (const i of shown) {
    const style = USE_STYLE[pods[i].use];
    const padded = pad(cells[i]);
    if (!usedBelow) padded[padded.length - 1] = used(i)[0];
    const last = usedBelow ? "" : padded.pop()!;
    lines.push(fit([{ text: padded.join("") }, { text: last, style }]));
    for (const line of below(i)) lines.push(paint(`${" ".repeat(usedStart)}${line}`, style));
  }
  const hidden = pods.length - shown.length;
  const countsCut = hidden > 0 && counts.length < reasonCounts(kinds, shown, columns, Infinity).length;
  if (hidden > 0 && rowAlone.length === 0) {
    // Which kinds the rows left out are, so that the used pods, shown last, are not lost from sight.
    // Whole or not at all: cut, a count would read as another ('172' as '17…').
    const inRows = useCounts(shown.map((i) => pods[i]));
    const left = {
      used: uses.used - inRows.used,
      failover: uses.failover - inRows.failover,
      unused: uses.unused - inRows.unused,
    };
    // With no row, the kinds are those the frame's last line counts: said once, there.
    const kinds = shown.length === 0 ? "" : left.used === hidden ? "all used" : summary(left);
    // Without the kinds, then without 'pods', where it does not fit: '... and 4999 more p…' at 20 columns.
    const more =
      [`... and ${hidden} more pods${kinds && `: ${kinds}`}`, `... and ${hidden} more pods`, `... and ${hidden} more`]
        .find((text) => cellWidth(text) <= columns) ?? `... and ${hidden} more`;
    lines.push(fit([{ text: more, style: "dim" }]));
    for (const line of counts) lines.push(paint(line, "dim"));
  }
  const countsLines = zonesWhole && lines.length + gap.length + zonesWhole.length <= context.rows - 1
    ? zonesWhole
    : bottom(total + zones);
  lines.push(...gap, ...countsGiveWay ? gaveWay : countsLines);
  return { ...made(hidden, countsCut), message: span ?? unusable };
}

/**
 * The port in the header: its name or number; `<unset>` for the port named "" (a Service's only port may have no
 * name), as `kubectl describe service` shows it; the Service's first until it is known.
 */
function portText(port: number | string | undefined): string | number {
  return port === undefined ? "(the Service's first)" : port === "" ? "<unset>" : port;
}

/**
 * The view with `changedAt` and `changes` of what the table shows: a change that the table does not show (hints that
 * topology does not use) keeps those of `previous`, so that "changed 5s ago" never resets while no row moves.
 *
 * @param previous The view this function returned last time, if any.
 * @param view The new view.
 * @returns `view`, or a copy with the `changedAt` and `changes` of `previous` when the table would show the same.
 *
 * @example A change of hints only
 * ```ts
 * import { withShownChanges } from "./table.ts";
 * const pod = { addresses: [{ host: "10.0.0.1", port: 80 }], ready: true, serving: true, terminating: false, use: "used" as const, message: "used" };
 * const base = {
 *   namespace: "prod", service: "echo", port: "grpc", locality: {}, watch: { state: "watching" as const },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" as const },
 * };
 * const first = withShownChanges(undefined, { ...base, pods: [pod], changedAt: 1_000, changes: 1 });
 * const hinted = { ...pod, hints: { forZones: ["a"], forNodes: [] } };
 * console.log(withShownChanges(first, { ...base, pods: [hinted], changedAt: 9_000, changes: 2 }).changedAt); // 1000
 * ```
 */
export function withShownChanges(previous: ServiceView | undefined, view: ServiceView): ServiceView {
  if (previous === undefined || shownState(previous) !== shownState(view)) return view;
  return { ...view, changedAt: previous.changedAt, changes: previous.changes };
}

/** What the table shows of a view besides the watch's state, as one string; `undefined` before the first pods. */
function shownState(view: ServiceView): string | undefined {
  if (!view.pods) return undefined;
  const { emptyReason, portNote } = view.snapshot ?? {};
  return JSON.stringify([view.port, topologyText(view), emptyReason, portNote, view.pods.map(cellsOf)]);
}

/** The topology mode, why it is `none` (unless the client's locality is unknown, which it says anyway), and where the client is. */
function topologyText(view: ServiceView): string {
  const { snapshot, locality } = view;
  const client = clientWhereabouts(locality);
  const reason = client !== undefined ? topologyReason(view) : undefined;
  return `topology ${snapshot?.topology ?? "-"}${reason ? `: ${reason}` : ""} (${client ?? "client locality unknown"})`;
}

/** The pods counted by use (`3 used, 1 failover, 2 not used`), leaving out the zeros; `0 pods` when there is none. */
function summary({ used, failover, unused }: UseCounts): string {
  const parts = [[used, "used"], [failover, "failover"], [unused, "not used"]] as const;
  const text = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(", ");
  return text || "0 pods";
}
