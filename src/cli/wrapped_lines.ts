/**
 * Standard error on a terminal, its lines wrapped at spaces as the table and `check` wrap theirs: a message wider
 * than the terminal was broken by the terminal in the middle of its words ("Cannot watc" over "h endpointslices").
 *
 * @module
 */

import type { CliOutput } from "../runtime/cli_process.ts";
import { wordWrap } from "./terminal.ts";

/**
 * The output with each whole line it is given wrapped at spaces to the terminal's width, a kubectl command kept on
 * one line where it fits (see {@linkcode wordWrap}), and an indented line (a stack's `    at ...`) indented on each
 * line it wraps into; a line that another write began, or that this one does not end,
 * such as an exec plugin's prompt, as given. Not a terminal: the output itself. Escape sequences never reach it: the
 * CLI escapes control characters before (see `printableLines`).
 *
 * @param output Standard error.
 * @returns The output that wraps.
 *
 * @example
 * ```ts
 * import { wrappedLines } from "./wrapped_lines.ts";
 * import type { CliOutput } from "../runtime/cli_process.ts";
 * let printed = "";
 * const output: CliOutput = { write: (text) => printed += text, isTTY: true, size: () => ({ columns: 20, rows: 5 }) };
 * wrappedLines(output).write("kgr-resolver: cannot reach the API server\n");
 * console.log(printed); // "kgr-resolver: cannot\nreach the API server\n"
 * ```
 */
export function wrappedLines(output: CliOutput): CliOutput {
  if (!output.isTTY) return output;
  let atLineStart = true;
  const wrapped = (text: string) => {
    const columns = output.size()?.columns;
    if (!columns) return text;
    const lines = text.split("\n");
    return lines.map((line, i) =>
      i === lines.length - 1 || (i === 0 && !atLineStart) ? line : indentedWrap(line, columns)
    ).join("\n");
  };
  return {
    write: (text) => {
      const shown = wrapped(text);
      if (text !== "") atLineStart = text.endsWith("\n");
      return output.write(shown);
    },
    isTTY: output.isTTY,
    size: () => output.size(),
    ...(output.onResize ? { onResize: (listener: () => void) => output.onResize!(listener) } : {}),
  };
}

/** The line wrapped at spaces within `columns`, its indent on each line; an indent that leaves no room, as given. */
function indentedWrap(line: string, columns: number): string {
  const indent = line.match(/^ */)![0];
  if (indent.length >= columns) return line;
  return wordWrap(line.slice(indent.length), columns - indent.length, { keepCommands: true })
    .map((each) => `${indent}${each}`).join("\n");
}
