/**
 * The process's CPU time, which tells work from a pause: a process stopped by a debugger, `docker pause`, a frozen
 * cgroup or SIGSTOP uses none while `performance.now()` goes on.
 *
 * @module
 */

import process from "node:process";

/**
 * The CPU time this process has used so far (user and system, all of its threads), in ms; only differences between
 * two readings mean something.
 *
 * @returns The CPU time, in ms.
 *
 * @example How much of a piece of work's time was the process's own
 * ```ts
 * import { cpuTimeMs } from "./cpu_time.ts";
 * const started = cpuTimeMs();
 * JSON.stringify(Array.from({ length: 1000 }, (_, i) => i));
 * console.log(cpuTimeMs() - started >= 0); // true
 * ```
 */
export function cpuTimeMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
