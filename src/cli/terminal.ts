/**
 * Terminal output: colours (only when enabled), lines cut to the
 * terminal's width, and a frame that redraws in place.
 *
 * @module
 */

import type { CliOutput } from "../runtime/cli_process.ts";
import { printable } from "../base/printable.ts";

export { printable };

/** A text style. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

/** Applies a style to text, or returns it as is when colours are off. */
export type Paint = (text: string, style: Style) => string;

/** A piece of a line and its style. */
export interface Segment {
  /** Plain text, without escape sequences. */
  text: string;
  /** Its style, if any. */
  style?: Style;
}

const CODES: Record<Style, number> = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 };
const ESC = "\x1b[";
/** Hides the cursor while a frame is live. */
const HIDE_CURSOR = `${ESC}?25l`;
/** Shows the cursor again. */
const SHOW_CURSOR = `${ESC}?25h`;
/** A terminal's height when it does not tell: a VT100's. */
const DEFAULT_ROWS = 24;

/**
 * Whether the output is a terminal that takes escape sequences (colours, cursor moves): a terminal whose `TERM`
 * is not `dumb`, as Emacs's shell and some log viewers set it, which would show the sequences as text.
 *
 * @param isTTY Whether the output is a terminal.
 * @param term The value of `TERM`.
 * @returns True when escape sequences may be written.
 *
 * @example
 * ```ts
 * import { takesEscapes } from "./terminal.ts";
 * console.log(takesEscapes(true, "xterm-256color"), takesEscapes(true, "dumb"), takesEscapes(false, "xterm")); // true false false
 * ```
 */
export function takesEscapes(isTTY: boolean, term: string | undefined): boolean {
  return isTTY && term !== "dumb";
}

/**
 * Whether to use colours: only on a terminal, and never when `NO_COLOR` is
 * set to anything but the empty string (https://no-color.org).
 *
 * @param isTTY Whether the output is a terminal that takes escape sequences (see {@linkcode takesEscapes}).
 * @param noColor The value of `NO_COLOR`.
 * @returns True to colour.
 *
 * @example
 * ```ts
 * import { colorsWanted } from "./terminal.ts";
 * console.log(colorsWanted(true, undefined), colorsWanted(true, "1"), colorsWanted(false, undefined)); // true false false
 * ```
 */
export function colorsWanted(isTTY: boolean, noColor: string | undefined): boolean {
  return isTTY && (noColor === undefined || noColor === "");
}

/**
 * A {@linkcode Paint} that colours with ANSI escape sequences, or one that does nothing.
 *
 * @param enabled Whether to colour.
 * @returns The painter.
 *
 * @example
 * ```ts
 * import { painter } from "./terminal.ts";
 * console.log(JSON.stringify(painter(true)("ok", "green"))); // "\u001b[32mok\u001b[0m"
 * console.log(painter(false)("ok", "green")); // "ok"
 * ```
 */
export function painter(enabled: boolean): Paint {
  return enabled ? (text, style) => text === "" ? text : `${ESC}${CODES[style]}m${text}${ESC}0m` : (text) => text;
}

/**
 * An output whose every line is made {@linkcode printable}, its line breaks kept: standard error, where the CLI
 * writes messages that quote untrusted text (an API server's message, a kubeconfig's names, an exec plugin's words).
 *
 * @param output The output.
 * @returns The same output, escaping what is written to it.
 *
 * @example
 * ```ts
 * import { printableLines } from "./terminal.ts";
 * import type { CliOutput } from "../runtime/cli_process.ts";
 * const printed: string[] = [];
 * const output: CliOutput = { write: (text) => printed.push(text), isTTY: false, size: () => undefined };
 * printableLines(output).write("it said: \u001b[2J\n");
 * console.log(printed); // [ "it said: ^[[2J\n" ]
 * ```
 */
export function printableLines(output: CliOutput): CliOutput {
  return {
    write: (text) => output.write(text.split("\n").map(printable).join("\n")),
    isTTY: output.isTTY,
    size: () => output.size(),
    ...(output.onResize ? { onResize: (listener: () => void) => output.onResize!(listener) } : {}),
  };
}

/** Characters that take no cell: combining marks, and format characters such as zero-width joiners and spaces. */
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf})$/u;
/** Emoji shown as emoji by default, which take two cells. */
const EMOJI = /^\p{Emoji_Presentation}$/u;
/** The main East Asian Wide and Fullwidth ranges (Hangul, CJK, kana, fullwidth forms), as [first, last] code points. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x3fffd],
];

/** How many terminal cells one character (code point) takes: 0, 1 or 2. */
function charCells(char: string): number {
  const code = char.codePointAt(0)!;
  if (code < 0x300) return 1;
  if (ZERO_WIDTH.test(char)) return 0;
  if (WIDE.some(([first, last]) => code >= first && code <= last) || EMOJI.test(char)) return 2;
  return 1;
}

/**
 * How many terminal cells text takes: two for East Asian wide and fullwidth characters and emoji, none for combining
 * marks and zero-width or format characters, one for the others. Lines are fitted, and columns measured, by it: a
 * line measured in characters that is wider on screen wraps, and a redraw then moves up too few lines.
 *
 * @param text Printable text, without escape sequences.
 * @returns The number of cells.
 *
 * @example
 * ```ts
 * import { cellWidth } from "./terminal.ts";
 * console.log(cellWidth("kind"), cellWidth("本番"), cellWidth("e\u0301")); // 4 4 1
 * ```
 */
export function cellWidth(text: string): number {
  let cells = 0;
  for (const char of text) cells += charCells(char);
  return cells;
}

/**
 * The longest start of `text` that takes at most `cells` terminal cells (see {@linkcode cellWidth}), or with
 * `fromEnd`, the longest end.
 *
 * @param text The text.
 * @param cells The most cells.
 * @param fromEnd Whether to keep the end of the text rather than its start.
 * @returns The part of the text kept.
 *
 * @example
 * ```ts
 * import { cutToCells } from "./terminal.ts";
 * console.log(cutToCells("本番環境", 5), cutToCells("本番環境", 4, true)); // "本番" "環境"
 * ```
 */
export function cutToCells(text: string, cells: number, fromEnd = false): string {
  const chars = [...text];
  if (fromEnd) chars.reverse();
  const kept: string[] = [];
  let used = 0;
  for (const char of chars) {
    const width = charCells(char);
    if (used + width > cells) break;
    kept.push(char);
    used += width;
  }
  if (fromEnd) kept.reverse();
  return kept.join("");
}

/**
 * Joins segments into one line of at most `width` terminal cells (see {@linkcode cellWidth}): text beyond it is cut,
 * and the cut marked with `…`.
 *
 * @param segments The pieces of the line.
 * @param width The most cells to fill (`Infinity` for no limit).
 * @param paint Applies the styles.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { fitLine, painter } from "./terminal.ts";
 * console.log(fitLine([{ text: "pod " }, { text: "echo-0", style: "bold" }], 8, painter(false))); // "pod ech…"
 * ```
 */
export function fitLine(segments: readonly Segment[], width: number, paint: Paint): string {
  let room = width;
  let line = "";
  for (const [i, { text, style }] of segments.entries()) {
    const cells = cellWidth(text);
    // A segment that fills the line exactly is cut too when text follows it, which would otherwise go unmarked.
    const more = segments.slice(i + 1).some((segment) => segment.text !== "");
    const cut = cells > room || (more && cells === room);
    const shown = cut ? `${cutToCells(text, Math.max(0, room - 1))}…` : text;
    line += style ? paint(shown, style) : shown;
    room -= cells;
    if (cut || room <= 0) break;
  }
  return line;
}

/** Options of {@linkcode wordWrap}. */
export interface WordWrapOptions {
  /**
   * Whether a kubectl command (from `kubectl` and a subcommand such as `get` to the word that ends in `)`, `,`, `;` or
   * `:`, or up to `lists`, `shows` or `says`) stays on one line, as one word, so that it can be copied whole. A command
   * wider than `width`, which the terminal would break anywhere, is wrapped at its spaces instead, each of its lines
   * but the last ending in ` \`, so that its lines, copied, still run as one command (unless one of its words is too
   * wide for a line even so). `kubectl` before any other word is prose (`as kubectl does`), wrapped as such.
   *
   * @default {false}
   */
  keepCommands?: boolean;
}

/**
 * Splits text into lines of at most `width` terminal cells at spaces, so that a terminal never breaks a word; a word
 * longer than `width` keeps a line of its own.
 *
 * @param text The text, without line breaks.
 * @param width The most cells per line.
 * @param options Whether kubectl commands stay whole.
 * @returns The lines, at least one.
 *
 * @example
 * ```ts
 * import { wordWrap } from "./terminal.ts";
 * console.log(wordWrap("no ready endpoints for service echo", 16)); // ["no ready", "endpoints for", "service echo"]
 * console.log(wordWrap("no Service (kubectl get services -n shop lists them)", 30, { keepCommands: true }));
 * // ["no Service", "(kubectl get services -n shop", "lists them)"]
 * console.log(wordWrap("no Service (kubectl get services -n shop lists them)", 20, { keepCommands: true }));
 * // ["no Service", "(kubectl get \\", "services -n shop", "lists them)"]
 * ```
 */
export function wordWrap(text: string, width: number, options: WordWrapOptions = {}): string[] {
  const words = text.split(" ");
  return wrapWords(options.keepCommands ? commandsAsWords(words, width) : words.map((word) => ({ word })), width);
}

/**
 * How many cells the widest word of text takes (see {@linkcode cellWidth}): the narrowest width at which
 * {@linkcode wordWrap} breaks no word, nor, with `keepCommands`, a kubectl command.
 *
 * @param text The text, without line breaks.
 * @param options Whether a kubectl command counts as one word.
 * @returns The cells.
 *
 * @example
 * ```ts
 * import { widestWord } from "./terminal.ts";
 * console.log(widestWord("none (kubectl get services -n shop lists them)", { keepCommands: true })); // 29
 * ```
 */
export function widestWord(text: string, options: WordWrapOptions = {}): number {
  const words = text.split(" ");
  return Math.max(
    ...(options.keepCommands ? commandsAsWords(words, Infinity).map(({ word }) => word) : words).map(cellWidth),
  );
}

/** A word to wrap; `continued` when a line that ends with it ends in ` \` (a word of a command wrapped). */
interface WrappedWord {
  word: string;
  continued?: boolean;
}

/**
 * Joins words into lines of at most `width` cells, a line that ends with a continued word in ` \` (room kept for it);
 * a word wider keeps a line of its own.
 */
function wrapWords(words: readonly WrappedWord[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  let endsContinued = false;
  for (const { word, continued = false } of words) {
    if (line !== "" && cellWidth(line) + 1 + cellWidth(word) + (continued ? 2 : 0) > width) {
      lines.push(endsContinued ? `${line} \\` : line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
    endsContinued = continued;
  }
  lines.push(line);
  return lines;
}

/** The prose words after a kubectl command in the CLI's messages: `(kubectl get pods -n shop -l app=a says ...)`. */
const AFTER_COMMAND = new Set(["lists", "shows", "says"]);

/**
 * The kubectl subcommands that start a command in a message: after any other word, `kubectl` is prose (`as kubectl
 * does`, `kubectl reads an empty one`). `explain` and `proxy` are left out: the messages name them in prose only.
 */
const KUBECTL_SUBCOMMANDS = new Set([
  "annotate",
  "api-resources",
  "apply",
  "auth",
  "config",
  "create",
  "delete",
  "describe",
  "get",
  "label",
  "logs",
  "patch",
  "rollout",
  "scale",
  "top",
]);

/**
 * The words, with each kubectl command's words joined into one where it fits in `width`; a command wider, its words
 * but the last continued (kept joined where one of them is too wide for a line even so).
 */
function commandsAsWords(words: readonly string[], width: number): WrappedWord[] {
  const groups: string[][] = [];
  let inCommand = false;
  words.forEach((word, i) => {
    inCommand &&= !AFTER_COMMAND.has(word);
    if (inCommand) groups[groups.length - 1].push(word);
    else {
      groups.push([word]);
      inCommand = (word === "kubectl" || word === "(kubectl") && KUBECTL_SUBCOMMANDS.has(words[i + 1]);
    }
    // A word that ends a clause ends the command: `(kubectl get endpoints cart -n shop)`, `kubectl get pods: ...`.
    inCommand &&= !/[),;:]$/.test(word);
  });
  return groups.flatMap((command) => {
    const whole = command.join(" ");
    if (cellWidth(whole) <= width || command.some((word) => cellWidth(word) + 2 > width)) return [{ word: whole }];
    return command.map((word, i) => ({ word, continued: i < command.length - 1 }));
  });
}

/** What a live frame writes to. */
export interface FrameOutput {
  /** Writes text as it is. */
  write(text: string): void;
  /** The terminal's size. */
  size(): { columns: number; rows: number } | undefined;
}

/** A block of lines at the bottom of the terminal that redraws in place. */
export interface LiveFrame {
  /** Replaces the block with `lines` (each at most the terminal's width), in one write. */
  draw(lines: readonly string[]): void;
  /**
   * Writes `lines` (of any width: the terminal wraps them) where the block begins, and the block again below them,
   * in one write: they stay on screen, scrolling up as any output, where a line written beside the block would be
   * drawn over at its next redraw (and are written again after a clear for a new size).
   */
  print(lines: readonly string[]): void;
  /** Leaves the last block on screen, clears a `^C` the terminal echoed below it, and shows the cursor again. */
  finish(): void;
  /**
   * Shows the cursor, for another who may write below the last block (an exec plugin that may ask for a password):
   * the next draw hides it again, and redraws the block in place unless {@linkcode LiveFrame.release} came between.
   */
  pause(): void;
  /**
   * Leaves the last block on screen and shows the cursor, for another to write below it (the shell, after Ctrl-Z):
   * the next draw hides the cursor again and starts below what they wrote.
   */
  release(): void;
  /**
   * Erases the last block and shows the cursor, for another to write where it was (an exec plugin's login
   * instructions or prompt, which the block drawn before it would leave stale above them): the next draw hides the
   * cursor again and starts below what they wrote. Where the terminal's size changed since, the block, maybe
   * rewrapped, is left as {@linkcode LiveFrame.release} leaves it.
   */
  erase(): void;
}

/**
 * Starts a live frame: hides the cursor; each draw moves up over the
 * previous block and writes over it, clearing each line and then what is
 * left below, or clears the whole screen when the terminal's size changed
 * (lines drawn for the old width may have wrapped); `print` writes lines
 * above the block, which then moves down under them, and the last of them
 * (a screen's height) again after such a clear.
 *
 * @param output The terminal.
 * @returns The frame.
 *
 * @example
 * ```ts ignore
 * import { createLiveFrame } from "./terminal.ts";
 * const frame = createLiveFrame({ write: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)), size: () => Deno.consoleSize() });
 * frame.draw(["3 pods"]);
 * frame.draw(["4 pods"]);
 * frame.print(["Signed in."]);
 * frame.finish();
 * ```
 */
export function createLiveFrame(output: FrameOutput): LiveFrame {
  let drawn = 0;
  let block: readonly string[] = [];
  let size = JSON.stringify(output.size());
  output.write(HIDE_CURSOR);
  /** Whether the frame was paused or released: its next draw hides the cursor again. */
  let released = false;
  /** The last lines `print` wrote, as many as the screen has rows: a clear for a new size writes them again. */
  let printed: readonly string[] = [];
  const render = (above: readonly string[], lines: readonly string[]) => {
    const current = output.size();
    const now = JSON.stringify(current);
    let text = released ? HIDE_CURSOR : "";
    released = false;
    if (above.length > 0) printed = [...printed, ...above].slice(-(current?.rows ?? DEFAULT_ROWS));
    if (now !== size) {
      text += `${ESC}H${ESC}2J`;
      // Printed lines stay on screen, as any output above the block does until more pushes it up; a login's
      // device code is still needed while its plugin waits, and a clear for the new size would take it away.
      above = printed.slice(-(current?.rows ?? DEFAULT_ROWS));
    } else if (drawn > 0) text += `${ESC}${drawn}A\r`;
    size = now;
    // Lines above the block may wrap, and so take rows that no `${ESC}K` clears: clear the block and below first
    // (tmux copies the screen into its scrollback when that starts from its top-left corner; this is rare).
    if (above.length > 0) text += `${ESC}J${above.map((line) => `${line}\n`).join("")}`;
    // Each line is cleared as it is written over, and what is left of the last frame after them: clearing the
    // whole frame first clears from the top-left corner when the frame fills the screen, which tmux takes for
    // a clear screen and copies into the scrollback, once a redraw.
    for (const line of lines) text += `${ESC}K${line}\n`;
    drawn = lines.length;
    block = lines;
    output.write(`${text}${ESC}J`);
  };
  return {
    draw: (lines) => render([], lines),
    print: (lines) => render(lines, block),
    finish() {
      output.write(`\r${ESC}K${SHOW_CURSOR}`);
    },
    pause() {
      released = true;
      output.write(SHOW_CURSOR);
    },
    release() {
      drawn = 0;
      released = true;
      output.write(SHOW_CURSOR);
    },
    erase() {
      const up = drawn > 0 && JSON.stringify(output.size()) === size ? `${ESC}${drawn}A\r${ESC}J` : "";
      drawn = 0;
      released = true;
      output.write(`${up}${SHOW_CURSOR}`);
    },
  };
}
