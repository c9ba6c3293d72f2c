// A test runner's fake timers in the process (Vitest's and Jest's, which replace the global setTimeout) must not
// hold back the resolver's deliveries: the last state of a burst of changes reaches the client without anyone
// advancing the fake clock, on each runtime.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { childEnv } from "./_child_env.mjs";

const root = new URL("../", import.meta.url).pathname;
const script = `${root}tests/fake_timers/burst.mjs`;
const commands: [string, string, string[]][] = [
  ["Deno", Deno.execPath(), ["run", "--allow-read", "--allow-net=127.0.0.1", "--allow-env", script]],
  ["Node", "node", [script]],
  ["Bun", `${root}node_modules/.bin/bun`, [script]],
];

for (const [runtime, program, args] of commands) {
  Deno.test(`on ${runtime}, a burst of changes is delivered while a fake setTimeout never fires`, async () => {
    if (!existsSync(`${root}dist/testing.js`)) {
      throw new Error("Cannot run the script: the package is not built: run `npm run build` first");
    }
    const { code, stdout, stderr } = await new Deno.Command(program, { env: childEnv(), args }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, decoder.decode(stderr));
    assert.equal(decoder.decode(stdout).trim(), "b,c", "the pods of the last snapshot");
  });
}

Deno.test("on Node, a burst of changes is delivered under a fake setTimeout installed before the package loaded", async () => {
  // Jest's `fakeTimers: { enableGlobally: true }` installs its fake timers before a test file's imports: Jest 30 with
  // it (nextTick and setImmediate real) got "a,b" as the last snapshot of this burst.
  const { code, stdout, stderr } = await new Deno.Command("node", {
    env: childEnv(),
    args: [script, "--fake-before-load"],
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.equal(decoder.decode(stdout).trim(), "b,c", "the pods of the last snapshot");
});
