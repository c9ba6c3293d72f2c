// The CLI run in this process, its output piped (no terminal): what the in-process CLI tests share.
import { runCli } from "../../src/cli/main.ts";
import type { CliOutput } from "../../src/runtime/cli_process.ts";

/** What a piped run of the CLI gave. */
export interface PipedRun {
  /** Its exit code. */
  code: number;
  /** What it wrote to standard output. */
  stdout: string;
  /** What it wrote to standard error. */
  stderr: string;
}

/** A piped run of the CLI under way. */
export interface StartedRun {
  /** Sends the run the interrupt that ends a Unix tool with `exitCode` (130 for Ctrl-C, 143 for SIGTERM). */
  interrupt(exitCode: number): void;
  /** What it wrote to standard output so far. */
  stdout(): string;
  /** What it wrote to standard error so far. */
  stderr(): string;
  /** Its exit code and what it wrote, once it has ended. */
  done: Promise<PipedRun>;
}

/**
 * Runs `kgr-resolver` with `args` in this process, without environment variables, its output piped.
 *
 * @param args The arguments after the program's name.
 * @param stderrOnTerminal Whether standard error is a terminal (standard output stays piped).
 * @returns Its exit code and what it wrote.
 */
export function runPiped(args: string[], stderrOnTerminal = false): Promise<PipedRun> {
  return startPiped(args, stderrOnTerminal).done;
}

/**
 * Starts `kgr-resolver` with `args` as {@linkcode runPiped} does, for a test that interrupts it.
 *
 * @param args The arguments after the program's name.
 * @param stderrOnTerminal Whether standard error is a terminal (standard output stays piped).
 * @returns The run.
 */
export function startPiped(args: string[], stderrOnTerminal = false): StartedRun {
  let stdout = "";
  let stderr = "";
  const handlers = new Set<(exitCode: number) => void>();
  const output = (write: (text: string) => void, isTTY = false): CliOutput => ({ write, isTTY, size: () => undefined });
  const done = runCli({
    args,
    env: () => undefined,
    stdout: output((text) => stdout += text),
    stderr: output((text) => stderr += text, stderrOnTerminal),
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    exit: () => Promise.reject(new Error("not in tests")),
  }).then((code) => ({ code, stdout, stderr }));
  return {
    interrupt: (exitCode) => {
      for (const handler of [...handlers]) handler(exitCode);
    },
    stdout: () => stdout,
    stderr: () => stderr,
    done,
  };
}
