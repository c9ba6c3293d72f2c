// Shared by the tests that run a Deno or Node program with only some of the environment or permissions, and read
// what it prints.
import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

/** The repository's Deno. */
export const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

/**
 * Runs Deno with `args` and only PATH, `env` and DENO_NO_UPDATE_CHECK in its environment: its output, trimmed; a
 * failure shows its stderr.
 */
export function denoOutput(args: string[], env: Record<string, string> = {}): Promise<string> {
  return cleanEnvOutput(DENO, args, env);
}

/** Runs `program` with `args` and only PATH, `env` and DENO_NO_UPDATE_CHECK in its environment, as `denoOutput()`. */
export async function cleanEnvOutput(program: string, args: string[], env: Record<string, string>): Promise<string> {
  const output = await cleanEnvRun(program, args, env);
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}

/**
 * Runs Deno as `denoOutput()` does, whether it succeeds or not: its standard output, trimmed, and its standard error
 * as written (the warnings a test reads).
 */
export async function denoStreams(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const output = await cleanEnvRun(DENO, args, env);
  const decoder = new TextDecoder();
  return { stdout: decoder.decode(output.stdout).trim(), stderr: decoder.decode(output.stderr) };
}

/**
 * Runs Deno as `denoStreams()` does, with its standard input a pipe that is closed at once, as in CI: without
 * `--no-prompt`, Deno then refuses what it would have asked for, as when a user answers "n".
 */
export async function denoStreamsWithoutTerminal(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = new Deno.Command(DENO, {
    args,
    clearEnv: true,
    env: childEnv({ PATH: Deno.env.get("PATH") ?? "", ...env }),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdin.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  return { stdout: decoder.decode(output.stdout).trim(), stderr: decoder.decode(output.stderr) };
}

/**
 * Runs Deno as `denoOutput()` does, on a terminal (a pseudo-terminal of `script`, from util-linux), answering "n" to
 * each of its permission prompts: what it printed, prompts and all, with carriage returns dropped. Gives up after
 * 30 seconds.
 */
export async function denoAnsweringNo(args: string[], env: Record<string, string> = {}): Promise<string> {
  const quoted = [DENO, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-q", "-e", "-c", quoted, "/dev/null"],
    clearEnv: true,
    env: childEnv({ PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env }),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill(), 30_000);
  const writer = child.stdin.getWriter();
  const decoder = new TextDecoder();
  let printed = "";
  let answered = 0;
  try {
    for await (const chunk of child.stdout) {
      printed += decoder.decode(chunk, { stream: true });
      if (printed.split("Allow?").length - 1 > answered) {
        answered++;
        // Deno empties its input before it asks: an answer written before the prompt is lost.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await writer.write(new TextEncoder().encode("n\r"));
      }
    }
  } finally {
    clearTimeout(timer);
    await writer.close().catch(() => {});
    await child.status;
  }
  return printed.replaceAll("\r", "");
}

function cleanEnvRun(program: string, args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  return new Deno.Command(program, {
    args,
    clearEnv: true,
    env: childEnv({ PATH: Deno.env.get("PATH") ?? "", ...env }),
    stdout: "piped",
    stderr: "piped",
  }).output();
}
