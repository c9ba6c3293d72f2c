/**
 * What the `kgr-resolver` CLI needs of its process: arguments, environment,
 * the standard streams and whether they are terminals, Ctrl-C, Ctrl-Z (but
 * on Windows), and the exit.
 * `node:process` provides them on Node, Bun and Deno alike.
 *
 * @module
 */

import process from "node:process";
import type { WriteStream } from "node:tty";
import { grantedEnvironmentVariable } from "./files.ts";

/** An output stream of the CLI. */
export interface CliOutput {
  /** Writes text as it is. */
  write(text: string): void;
  /** Whether the stream is a terminal. */
  readonly isTTY: boolean;
  /** The terminal's size, when it is one. */
  size(): { columns: number; rows: number } | undefined;
  /**
   * Calls `listener` whenever the terminal's size changes (never for a stream that is not a terminal), until the
   * returned function is called.
   */
  onResize?(listener: () => void): () => void;
}

/** The CLI's view of its process; tests pass their own. */
export interface CliProcess {
  /** The arguments after the script's name. */
  args: string[];
  /**
   * Reads an environment variable: `undefined` when unset, or when the runtime does not let it be read without
   * asking (Deno with an `--allow-env` list without it, which would ask on a terminal: `TERM` and `NO_COLOR` then
   * count as unset, as `NODE_NAME` and `ZONE` do for the library, which warns about those).
   */
  env(name: string): string | undefined;
  /** Standard output. */
  stdout: CliOutput;
  /** Standard error. */
  stderr: CliOutput;
  /**
   * Calls `handler` on Ctrl-C (SIGINT), SIGTERM, Ctrl-\ (SIGQUIT) or a closed terminal (SIGHUP) (the last two only
   * with standard output on a terminal, and not on Windows) instead of ending the process, with the exit code of a
   * Unix tool that signal ends: 128 + the signal's number, so 130 for SIGINT, 143 for SIGTERM, 131 for SIGQUIT and 129
   * for SIGHUP; and with 141 (SIGPIPE) when the reader of standard output went away
   * (`kgr-resolver check ... | head -1`), after which nothing more is written there.
   *
   * @returns A function that removes the handler.
   */
  onInterrupt(handler: (exitCode: number) => void): () => void;
  /**
   * Calls `handlers.suspend` on Ctrl-Z (SIGTSTP), then stops the process as that signal would have, and
   * `handlers.resume` once it runs again (`fg`, `bg`: SIGCONT), so that a live table can give the terminal back to the
   * shell as it found it and draw again below what the shell wrote. Absent where there is no such signal (Windows).
   *
   * @returns A function that removes the handlers: Ctrl-Z then stops the process as it would any program.
   */
  onSuspend?(handlers: { suspend(): void; resume(): void }): () => void;
  /** Writes out what the streams still hold, then ends the process with `code`. */
  exit(code: number): Promise<never>;
  /**
   * Writes out what the streams still hold, then ends the process by the signal that `exitCode` stands for (130
   * SIGINT, 143 SIGTERM, 129 SIGHUP), as if nothing had handled it; another code as `exit()` does. For an interrupt
   * that came while a file read may never end (a FIFO or a hung mount as the kubeconfig): Node's `process.exit()`
   * waits for such a read, a signal does not. Absent where there is no process to end (tests).
   */
  exitBySignal?(exitCode: number): Promise<never>;
}

/** The signals that interrupt the CLI, and the exit code of a Unix tool they end (128 + the signal's number). */
const INTERRUPT_EXIT_CODES: Record<string, number> = {
  SIGINT: 130,
  SIGTERM: 143,
  // Ctrl-\ and a closed terminal, where they exist, for an output on a terminal: ended by either, a live table left the
  // cursor hidden. Off one they keep their default, which ends the process with the same code: a listener ended a
  // `nohup kgr-resolver ... &` on Bun (which, unlike Node and Deno, keeps the SIGHUP that nohup ignores ignored).
  ...(process.platform === "win32" || !process.stdout.isTTY ? {} : { SIGHUP: 129, SIGQUIT: 131 }),
};

/** The exit code of a Unix tool whose reader went away: SIGPIPE ends it (128 + 13). */
const LOST_READER_EXIT_CODE = 141;

/**
 * The current process, for the CLI.
 *
 * @returns Its arguments, environment, streams, signals and exit.
 *
 * @example Greeting on standard output
 * ```ts ignore
 * import { cliProcess } from "./cli_process.ts";
 * const cli = cliProcess();
 * cli.stdout.write(`${cli.args.length} arguments\n`);
 * await cli.exit(0);
 * ```
 */
export function cliProcess(): CliProcess {
  /** The streams whose reader went away: nothing more is written to them, nor waited for. */
  const lost = new Set<WriteStream>();
  const interrupted = new Set<(exitCode: number) => void>();
  /** The code the process is ending with, once `exit()` was called. */
  let exiting: number | undefined;
  // A reader that went away (`kgr-resolver --json ... | head -1`) ends the program, quietly: a command that is
  // running decides with what code, as on Ctrl-C (a check cut short must not pass for one that passed); one that
  // is done ends with its own.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: { code?: string }) => {
      if (error.code !== "EPIPE") return process.exit(1);
      if (lost.has(stream)) return;
      lost.add(stream);
      // Bun may report the lost reader only when the streams are flushed on the way out: the code stays.
      if (exiting !== undefined) return process.exit(exiting);
      // A command that has come to its verdict (no handler any more) ends with it.
      for (const handler of [...interrupted]) handler(LOST_READER_EXIT_CODE);
    });
  }
  return {
    args: process.argv.slice(2),
    env: grantedEnvironmentVariable,
    stdout: output(process.stdout, lost),
    stderr: output(process.stderr, lost),
    onInterrupt(handler) {
      const listeners = Object.entries(INTERRUPT_EXIT_CODES).map(([name, code]) =>
        [name, () => handler(code)] as const
      );
      for (const [name, listener] of listeners) process.on(name, listener);
      interrupted.add(handler);
      return () => {
        for (const [name, listener] of listeners) process.off(name, listener);
        interrupted.delete(handler);
      };
    },
    ...(process.platform === "win32" ? {} : { onSuspend }),
    exit,
    async exitBySignal(code) {
      // Not SIGQUIT, whose default action dumps core.
      const signal = (["SIGINT", "SIGTERM", "SIGHUP"] as const).find((name) => INTERRUPT_EXIT_CODES[name] === code);
      if (signal === undefined) return exit(code);
      exiting = code;
      await flushAll();
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      // Ended by now, unless the signal is blocked: then by its code.
      return await new Promise<never>(() => setTimeout(() => process.exit(code), 1000));
    },
  };

  /** Writes out what the streams still hold: the process ends next. */
  function flushAll(): Promise<unknown> {
    return Promise.all([process.stdout, process.stderr].filter((stream) => !lost.has(stream)).map(flush));
  }

  async function exit(code: number): Promise<never> {
    exiting = code;
    await flushAll();
    process.exit(code);
  }
}

/**
 * Ctrl-Z for a program that changed the terminal: its handler runs, then the process stops itself with SIGSTOP (what
 * SIGTSTP does when nothing handles it); `resume` runs on the SIGCONT that continues it, and only then.
 */
function onSuspend({ suspend, resume }: { suspend(): void; resume(): void }): () => void {
  let stopped = false;
  const onStop = () => {
    suspend();
    stopped = true;
    process.kill(process.pid, "SIGSTOP");
  };
  const onContinue = () => {
    if (!stopped) return;
    stopped = false;
    resume();
  };
  process.on("SIGTSTP", onStop);
  process.on("SIGCONT", onContinue);
  return () => {
    process.off("SIGTSTP", onStop);
    process.off("SIGCONT", onContinue);
  };
}

function output(stream: WriteStream, lost: ReadonlySet<WriteStream>): CliOutput {
  return {
    write: (text) => void (lost.has(stream) || stream.write(text)),
    isTTY: stream.isTTY === true,
    size: () => stream.isTTY && stream.columns > 0 ? { columns: stream.columns, rows: stream.rows } : undefined,
    // Node, Bun and Deno all emit it on SIGWINCH, after the stream's columns and rows are updated.
    onResize(listener) {
      if (!stream.isTTY) return () => {};
      stream.on("resize", listener);
      return () => void stream.off("resize", listener);
    },
  };
}

/**
 * Ends the stream and waits until what was written to it is out: the process exits next. Bun's `process.stdout`
 * says it holds nothing (`writableLength` 0, a `write("")` called back at once) while it still writes to a full
 * pipe, and `process.exit()` then drops the rest (a JSON snapshot of 2,000 pods cut at 64 KB for a reader that
 * started late); its `end()` calls back once all of it was written, as on Node and Deno.
 */
function flush(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}
