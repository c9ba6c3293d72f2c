// A program that `deno compile` made has the permissions it was compiled with: "run it with --allow-net" would send
// its user to pass a flag that the program takes as an argument. Its messages say to compile it again with the flag.
import assert from "node:assert/strict";
import { denoOutput } from "./_deno_output.ts";

const CHILD = new URL("./deno_compiled/advice_child.ts", import.meta.url).pathname;

/** The child's advice lines, as a compiled program (`standalone`) or under deno run. */
async function advice(mode: "standalone" | "run"): Promise<string[]> {
  return (await denoOutput(["run", "--no-prompt", CHILD, mode])).split("\n");
}

const PLUGIN_ERROR =
  'Cannot get credentials for user "u" from exec plugin "true": this Deno process may not start it ' +
  "(it needs --allow-env): ";
const PLUGIN_REASON = "; --allow-run may list the plugin, but --allow-env takes no list: the plugin gets this " +
  "process's whole environment, as kubectl gives it";

Deno.test("grantAdvice() and an exec plugin's error tell a deno compile'd program to be compiled again with the flag", async () => {
  assert.deepEqual(await advice("standalone"), [
    "compile it again with --allow-net (deno compile --allow-net ...: a compiled program has the permissions it was " +
    "compiled with)",
    "compile it again with --allow-sys=homedir (deno compile --allow-sys=homedir ...: a compiled program has the " +
    "permissions it was compiled with)",
    `${PLUGIN_ERROR}compile it again with --allow-run and --allow-env (deno compile --allow-run --allow-env ...: a ` +
    `compiled program has the permissions it was compiled with)${PLUGIN_REASON}`,
  ]);
  assert.deepEqual(await advice("run"), [
    "run it with --allow-net",
    "run it with --allow-sys=homedir",
    `${PLUGIN_ERROR}run it with --allow-run and --allow-env${PLUGIN_REASON}`,
  ]);
});
