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

/**
 * Runs `kgr-resolver` with `args` in this process, without environment variables, its output piped.
 *
 * @param args The arguments after the program's name.
 * @param stderrOnTerminal Whether standard error is a terminal (standard output stays piped).
 * @returns Its exit code and what it wrote.
 */
export async function runPiped(args: string[], stderrOnTerminal = false): Promise<PipedRun> {
  let stdout = "";
  let stderr = "";
  const output = (write: (text: string) => void, isTTY = false): CliOutput => ({ write, isTTY, size: () => undefined });
  const code = await runCli({
    args,
    env: () => undefined,
    stdout: output((text) => stdout += text),
    stderr: output((text) => stderr += text, stderrOnTerminal),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  });
  return { code, stdout, stderr };
}
