/**
 * A failing watch's message on a terminal too short for the live table's frame: which lines stay above the frame's
 * foot (the counts and how to quit), so that the message's start shows under the watch's state, and where the line
 * that says where to read it whole goes.
 *
 * @module
 */

/** Where a frame's message is: its lines `from` up to `to`, the watch's state line above it, the pointer line under it. */
export interface MessageSpan {
  /** The message's first line. */
  from: number;
  /** The line after its last. */
  to: number;
  /** The line that holds the watch's state (`retrying (see below)`), never given up. */
  state: number;
  /** The frame's own line under the message that says where to read it whole, when the frame cut it. */
  pointer?: number;
}

/** What {@linkcode keepCutMessage} keeps. */
export interface KeptLines {
  /** The lines kept above the foot, in order. */
  kept: number[];
  /** Whether the message is cut there, so that its last line shown ends in `…` and the pointer follows it. */
  cut: boolean;
}

/**
 * The lines kept above the foot of a frame too tall for the terminal, where `top` of the non-blank lines `packed` fit.
 * A message cut there keeps a line of its own for the pointer (unless it joins the foot's last line) and at least its
 * first line: the lines between the state and the message give way first, from their end, then those above the state,
 * from the top. The state itself stays, whatever the height.
 *
 * @param packed The frame's non-blank lines, by index, the foot's last.
 * @param top How many of them fit above the foot.
 * @param span Where the message is.
 * @param pointerJoinsFoot Whether the pointer goes on the foot's last line (`--once prints it all  Ctrl-C to quit`).
 * @returns The lines kept above the foot, and whether the message is cut there.
 *
 * @example
 * ```ts
 * import { keepCutMessage } from "./cut_message.ts";
 * // The Service's line, the state, five lines of message, how to quit: four lines fit above the quit line.
 * const { kept } = keepCutMessage([0, 1, 2, 3, 4, 5, 6, 7], 4, { from: 2, to: 7, state: 1 }, false);
 * console.log(kept); // [0, 1, 2]: the pointer takes the fourth line
 * ```
 */
export function keepCutMessage(
  packed: readonly number[],
  top: number,
  span: MessageSpan,
  pointerJoinsFoot: boolean,
): KeptLines {
  const shownTop = packed.slice(0, Math.max(0, top));
  const message = packed.filter((i) => i >= span.from && i < span.to);
  const last = span.pointer ?? message[message.length - 1];
  const slots = top - (pointerJoinsFoot ? 0 : 1);
  if (message.length === 0 || shownTop.includes(last) || slots < 1) return { kept: shownTop, cut: false };
  const above = packed.filter((i) => i < span.from);
  const under = above.filter((i) => i > span.state);
  const over = above.filter((i) => i < span.state);
  while (over.length + 1 + under.length + 1 > slots && under.length > 0) under.pop();
  while (over.length + 1 + 1 > slots && over.length > 0) over.shift();
  const kept = [...over, span.state, ...under];
  return { kept: [...kept, ...message.slice(0, Math.max(0, slots - kept.length))], cut: true };
}
