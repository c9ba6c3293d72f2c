// `npm run demo`, the README's first command from a checkout, on a machine where only 127.0.0.1
// answers (macOS, unless more addresses are aliased to lo0): a network namespace of its own whose
// loopback holds 127.0.0.1/32 alone. Needs root and `ip`; about 20 s.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);
const root = new URL("../", import.meta.url).pathname;

/** Whether this process may create network namespaces (root and iproute2). */
async function canCreateNamespaces(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return await run("ip", ["netns", "list"]).then(() => true, () => false);
}

Deno.test({
  name: "the demo runs where only 127.0.0.1 answers, and no call fails",
  ignore: !(await canCreateNamespaces()),
  async fn() {
    const namespace = `kgr-demo-${process.pid}`;
    await run("ip", ["netns", "add", namespace]);
    try {
      const ip = (...args: string[]) => run("ip", ["-n", namespace, ...args]);
      await ip("link", "set", "lo", "up");
      await ip("addr", "del", "127.0.0.1/8", "dev", "lo");
      await ip("addr", "add", "127.0.0.1/32", "dev", "lo");
      const { stdout } = await run(
        "ip",
        ["netns", "exec", namespace, process.execPath, "run", "-A", "scripts/demo.ts"],
        { env: childEnv(), cwd: root, timeout: 120_000 },
      ).catch((error) => assert.fail(`the demo failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`));
      assert.deepEqual(stdout.match(/^\d+ calls, \d+ failed$/gm)?.map((line) => line.endsWith(" 0 failed")), [
        true,
        true,
      ], stdout);
    } finally {
      await run("ip", ["netns", "delete", namespace]);
    }
  },
});
