/**
 * An exec plugin's standard error as it is shown: passed on line by line as it comes, and quoted in messages, with
 * what looks like a credential masked. Private to `cluster/`.
 *
 * @module
 */

import { maskCredentials } from "./_mask_credentials.ts";
import { MASKED_ANYWHERE, secretFormsMask, SHORTEST_MASKED, wordMask } from "../base/_util.ts";

/** How much of the end of a plugin's standard error is masked, to quote its last 500 characters. */
const STDERR_WINDOW = 64 * 1024;

/**
 * The end of a plugin's standard error, to quote, with what looks like a credential masked, and the values that the
 * kubeconfig's `exec.env` gave it (often a secret, `AWS_SECRET_ACCESS_KEY`, whose `/` no pattern takes for base64)
 * or its secret arguments.
 */
export function stderrExcerpt(stderr: string, given: string[]): string {
  const text = pluginWordsMask(given)(stderrWindow(stderr).trim());
  if (text === "") return "";
  return `; it said: ${text.length > 500 ? `...${text.slice(-500)}` : text}`;
}

/**
 * What masks a plugin's words: what looks like a credential, and the `given` values, whose patterns are built here
 * once for all the lines of a run (the values, the last token among them, change only from one run to the next).
 */
function pluginWordsMask(given: string[]): (text: string) => string {
  // Longest first, so that a value that holds another is masked whole; short ones (`prod`) only as words.
  // Trimmed: a value that the kubeconfig wrote with a space or a line break around it is printed without them.
  // In any case and encoded too: a plugin that logs the token it had may print it so.
  const masks = given.map((value) => value.trim()).sort((a, b) => b.length - a.length).flatMap((value) =>
    value.length >= MASKED_ANYWHERE
      ? [secretFormsMask(value)]
      : value.length >= SHORTEST_MASKED
      ? [wordMask(value)]
      : []
  );
  return (text) => maskCredentials(masks.reduce((masked, mask) => mask(masked), text));
}

/**
 * Masks a plugin's standard error line by line, as it comes, as {@linkcode stderrExcerpt} masks it whole: also the
 * lines of a PEM block, and of a YAML block whose name holds a secret word (`token: |`), which no line shows alone.
 * A line too long to mask quickly (the masks overflowed the stack on 16 MiB) is shown as its length. The part of a
 * line passed `unfinished` (a prompt) is masked as a line; the next part is masked with it, as the whole line, and
 * only what that adds is returned (`[redacted]` where the whole masks what the part showed), `undefined` for none:
 * masked alone, the rest of `token: ` or of a PEM block's first marker would show.
 */
export function lineMasker(given: string[]): (part: string, unfinished?: boolean) => string | undefined {
  const maskWords = pluginWordsMask(given);
  let inPem = false;
  /** The indentation of a secret YAML block's name, while its block lasts. */
  let blockIndent: number | undefined;
  /** The start of a line that was passed unfinished, and what was returned for it. */
  let begun = "";
  let shown = "";
  const maskLine = (line: string, finished: boolean): string => {
    const indent = /^[ \t]*/.exec(line)![0].length;
    if (blockIndent !== undefined && (line.trim() === "" || indent > blockIndent)) {
      return line.trim() === "" ? line : `${line.slice(0, indent)}[redacted]`;
    }
    if (finished) blockIndent = undefined;
    if (inPem) {
      if (finished) inPem = !PEM_END.test(line);
      return "[redacted]";
    }
    if (line.length > STDERR_WINDOW) return `[a line of ${line.length} characters, not shown]`;
    const masked = maskWords(line);
    if (!finished) return masked;
    if (PEM_BEGIN.test(line) && !PEM_END.test(line)) inPem = true;
    else if (masked !== line && /:[ \t]*[|>][-+0-9]*[ \t]*$/.test(line)) blockIndent = indent;
    return masked;
  };
  return (part, unfinished = false) => {
    // A prompt that a person answered, then the plugin's next words ("Password: ", then "One-time code: "): the line
    // break of the answer is the terminal's, and masked as one line they were the prompt's value. Words that read as
    // words are not, as `maskCredentials()` reads `the token is expired`.
    if (/[:?>][ \t]*$/.test(begun) && NEXT_WORDS.test(part)) [begun, shown] = ["", ""];
    const line = begun + part;
    const masked = maskLine(line, !unfinished);
    const added = masked.startsWith(shown) ? masked.slice(shown.length) : "[redacted]";
    const first = begun === "";
    [begun, shown] = unfinished ? [line, masked] : ["", ""];
    return first || added !== "" ? added : undefined;
  };
}

/** Words that read as words: a first one of letters (and hyphens), then another. */
const NEXT_WORDS = /^[A-Za-z]+(?:-[A-Za-z]+)*[.,:!?]?[ \t]+\S/;

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*-----/;
const PEM_END = /-----END [A-Z0-9 ]*-----/;

/**
 * The end of a plugin's standard error that is masked: its last 64 KiB (up to 16 MiB took the masks seconds), less
 * the first line, which may hold a value whose name was cut off (`word: hunter2`), or the first word when it is all
 * one line. A line cut in its indentation, or at its start, is kept: its name is whole, and a value on the lines after
 * it (a YAML block's `token: |`) would be quoted without it.
 */
function stderrWindow(stderr: string): string {
  if (stderr.length <= STDERR_WINDOW) return stderr;
  const cut = stderr.length - STDERR_WINDOW;
  let lineStart = cut;
  while (lineStart > 0 && (stderr[lineStart - 1] === " " || stderr[lineStart - 1] === "\t")) lineStart--;
  const window = stderr.slice(cut);
  return lineStart === 0 || stderr[lineStart - 1] === "\n" ? window : window.replace(/^[^\n]*\n|^\S*/, "");
}
