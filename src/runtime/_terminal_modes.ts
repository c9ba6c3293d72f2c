/**
 * The terminal's modes, put back when the process ends while an exec plugin that has the terminal runs or after a
 * signal ended one: Ctrl-C at a password prompt kills a plugin that turned the echo off before it turns it back on.
 * Node and Bun put the modes they started with back at exit, and kubectl, ended by the same SIGINT, has the shell
 * put them back; Deno does neither. Private to `runtime/`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

/** The modes (`stty -g`) from before the plugins that have the terminal, while one runs or after a signal ended one. */
let saved: string | undefined;
let running = 0;
let listening = false;

/**
 * Keeps the terminal's modes, on Deno, until the plugin about to run with the terminal ends with an exit code.
 *
 * @returns Called once the plugin ended: `signal` when a signal ended it.
 */
export function holdTerminalModes(): (ended: "exit" | "signal") => void {
  if (!("Deno" in globalThis)) return () => {};
  if (running === 0 && saved === undefined) saved = stty("-g");
  running++;
  if (!listening) {
    listening = true;
    process.once("exit", () => {
      // Only in the foreground (where Ctrl-C comes from): in the background, the terminal would stop `stty`.
      if (saved !== undefined && inForeground()) stty(saved);
    });
  }
  let released = false;
  return (ended) => {
    if (released) return;
    released = true;
    running--;
    if (ended === "exit" && running === 0) saved = undefined;
  };
}

/**
 * Whether this process is in its terminal's foreground process group, by Linux's `/proc/self/stat` (its fields 5
 * and 8); `false` where it cannot tell.
 */
function inForeground(): boolean {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[2] === fields[5];
  } catch {
    return false;
  }
}

/**
 * Runs `stty` on this process's terminal: its output, or `undefined` when it cannot run (not allowed by Deno's
 * `--allow-run`, not installed) or fails.
 */
function stty(argument: string): string | undefined {
  try {
    // Not `spawnSync()`: Deno starts its child in a process group of its own, which the terminal stops as one in
    // the background when it sets the modes.
    const { Command } = (globalThis as unknown as { Deno: DenoCommands }).Deno;
    const result = new Command("stty", { args: [argument], stdin: "inherit", stdout: "piped", stderr: "null" })
      .outputSync();
    return result.success ? new TextDecoder().decode(result.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** What this module uses of Deno's API. */
interface DenoCommands {
  Command: new (
    command: string,
    options: { args: string[]; stdin: "inherit"; stdout: "piped"; stderr: "null" },
  ) => { outputSync(): { success: boolean; stdout: Uint8Array } };
}
