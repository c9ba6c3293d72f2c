/**
 * The start of the line on standard error with which `--once` and `check`
 * end when a signal cuts them short: a deploy Job whose deadline ends a
 * `--once --min-usable 3` wait keeps in its log what stopped it and when;
 * each command then says how far it got.
 *
 * @module
 */

import { durationText } from "./duration_text.ts";

/**
 * The interrupts a line names, by exit code: Ctrl-C and SIGTERM, how a person or a supervisor stops a command. A
 * reader that went away (141) and a closed terminal (129) leave nobody to read it; Ctrl-\ (131) quits without a
 * word, as SIGQUIT does other programs.
 */
const STOPPED_BY: Record<number, string> = { 130: "Ctrl-C", 143: "SIGTERM" };

/**
 * What stopped a command, and after how long: `stopped by SIGTERM after 41 s`.
 *
 * @param exitCode The exit code of the interrupt (`CliProcess.onInterrupt`).
 * @param elapsedMs How long the command had run, in ms.
 * @returns The words, or `undefined` for an interrupt that gets no line (see above).
 *
 * @example
 * ```ts
 * import { stoppedBy } from "./stopped_by.ts";
 * console.log(stoppedBy(143, 41_300)); // "stopped by SIGTERM after 41 s"
 * console.log(stoppedBy(141, 41_300)); // undefined
 * ```
 */
export function stoppedBy(exitCode: number, elapsedMs: number): string | undefined {
  const by = STOPPED_BY[exitCode];
  return by === undefined ? undefined : `stopped by ${by} after ${durationText(elapsedMs)}`;
}

/**
 * What a command does before it has a connection to the cluster, as the line names it: `..., before the first
 * snapshot was read: reading where the cluster is and how to log in`.
 */
export const READING_ACCESS = "reading where the cluster is and how to log in";

/**
 * The end of the line for a command that a request's failure kept waiting: what the last one said.
 *
 * @param message The last failed request's message, or `undefined` when none failed.
 * @returns `; the last request failed: <message>`, or an empty string.
 *
 * @example
 * ```ts
 * import { lastFailureText } from "./stopped_by.ts";
 * console.log(lastFailureText("429 Too Many Requests")); // "; the last request failed: 429 Too Many Requests"
 * console.log(lastFailureText(undefined)); // ""
 * ```
 */
export function lastFailureText(message: string | undefined): string {
  return message === undefined ? "" : `; the last request failed: ${message}`;
}
