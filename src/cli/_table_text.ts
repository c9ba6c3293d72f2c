/**
 * The live table's text wrapped to the terminal: a message on lines of its own, and a column's reasons.
 *
 * @module
 */

import { inFlagTerms } from "./flag_terms.ts";
import { cellWidth, cutToCells, printable, wordWrap } from "./terminal.ts";

/**
 * Splits text, in the CLI's terms and printable, into lines of at most `width` cells at spaces, at most `max` lines (the last
 * one cut). A kubectl command stays on one line, to be copied whole, where it fits in one, else goes on after ` \`.
 */
export function wrap(text: string, width: number, max: number): string[] {
  const shown = printable(inFlagTerms(text));
  const lines = wordWrap(shown, width, { keepCommands: true });
  // Cut, a command's line does not go on: its backslash would be read as part of the text.
  const cut = (each: string) => `${cutToCells(each.replace(/ \\$/, ""), width - 1)}…`;
  const kept = lines.slice(0, max).map((each) => cellWidth(each) > width ? cut(each) : each);
  if (lines.length > max) kept[max - 1] = cut(kept[max - 1]);
  return kept;
}

/**
 * How many lines the pods' USED (the last of each row's cells) takes, wrapped in a column of a given width: counted
 * once per distinct reason, which thousands of pods share; `undefined` where a word of one is wider than the column.
 */
export function usedLinesAt(rows: readonly string[][]): (width: number) => number | undefined {
  const reasons = new Map<string, number>();
  for (const row of rows) reasons.set(row[row.length - 1], (reasons.get(row[row.length - 1]) ?? 0) + 1);
  return (width) => {
    let lines = 0;
    for (const [reason, pods] of reasons) {
      const wrapped = wordWrap(printable(inFlagTerms(reason)), width);
      if (wrapped.some((line) => cellWidth(line) > width)) return undefined;
      lines += wrapped.length * pods;
    }
    return lines;
  };
}
