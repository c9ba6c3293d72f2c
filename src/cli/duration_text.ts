/**
 * How long something took, as the CLI's lines say it to a person: "watching
 * again after 37 s of retrying", "stopped by SIGTERM after 2 min 5 s".
 *
 * @module
 */

/**
 * A duration in whole seconds, rounded down, and minutes from 60 s on.
 *
 * @param ms The duration, in ms; a negative one counts as 0.
 * @returns `less than 1 s`, `37 s`, `2 min 5 s` or `20 min`.
 *
 * @example
 * ```ts
 * import { durationText } from "./duration_text.ts";
 * console.log(durationText(125_400)); // "2 min 5 s"
 * ```
 */
export function durationText(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return "less than 1 s";
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
}
