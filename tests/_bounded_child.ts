// A runtime run on a test script in a child process, killed after 90 s: a child that never ends fails its case, not
// the whole run.
import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

const root = new URL("../", import.meta.url).pathname;

/**
 * Runs `command` (a runtime and its flags) on `script` with `args` from the project's root, asserts it succeeded
 * within 90 s (the message names `name` and what ran), and gives back its last line of standard output read as JSON
 * and its standard error.
 */
export async function lastJsonLine(
  name: string,
  command: string[],
  script: string,
  args: string[] = [],
): Promise<{ seen: Record<string, unknown>; stderr: string }> {
  const output = await new Deno.Command(command[0], {
    env: childEnv(),
    args: [...command.slice(1), script, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const child = `the ${name} child (${[...command, script.replace(root, ""), ...args].join(" ")})`;
  assert.ok(output.success, output.signal ? `${child} was killed after 90 s (${output.signal}): ${stderr}` : stderr);
  return { seen: JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!), stderr };
}
