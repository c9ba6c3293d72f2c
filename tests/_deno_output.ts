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

function cleanEnvRun(program: string, args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  return new Deno.Command(program, {
    args,
    clearEnv: true,
    env: childEnv({ PATH: Deno.env.get("PATH") ?? "", ...env }),
    stdout: "piped",
    stderr: "piped",
  }).output();
}
