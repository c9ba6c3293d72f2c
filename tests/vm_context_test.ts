// `await using` in a vm context of Node, as Vitest's vmThreads and vmForks pools run test files and the packages they
// import. Before Node 24 such a context's `Symbol` has no `asyncDispose`, and `[Symbol.asyncDispose]: close` named a
// property "undefined": `await using` of the fake API server and of watchEndpoints() threw "Object is not
// disposable." there. Node imports the built package: run `npm run build` first.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { childEnv } from "./_child_env.mjs";

const REPO = new URL("..", import.meta.url).pathname;
const CHILD = "tests/vm_context/await_using_child.mjs";

Deno.test({
  name: "await using closes the fake API server and ends a watchEndpoints() watch in a vm context of Node",
  ignore: !existsSync(`${REPO}dist/mod.js`),
  async fn() {
    const output = await new Deno.Command("node", {
      env: childEnv(),
      args: ["--experimental-vm-modules", "--no-warnings", CHILD],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    const child = `the child (node --experimental-vm-modules ${CHILD})`;
    assert.ok(output.success, output.signal ? `${child} was killed after 60 s (${output.signal}): ${stderr}` : stderr);
    const seen = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
    const { node, ownSymbol, ...rest } = seen;
    // The context's own Symbol, not the main one copied in: that would hide what Vitest's pools see.
    if (Number(node.split(".")[0]) < 24) assert.equal(ownSymbol, "undefined", `Symbol.asyncDispose on Node ${node}`);
    assert.deepEqual(rest, {
      watchDisposable: true,
      firstPods: ["a"],
      watching: true,
      watchEnded: true,
      fakeDisposable: true,
      fakeClosed: true,
    });
  },
});
