// The README's `kgr-resolver check` example (a ServiceAccount without grants, against the fake API server) is what
// the command prints for it, the server's port and the kubeconfig's path aside: the example once showed a Role
// without the `services` rule that `check` had since added to every target's YAML.
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";
import { endpointSlice, startFakeApiServer } from "../../testing.ts";
import { tempDir } from "../_temp_dir.ts";

/** The README's example of `check`'s output: the `text` block that starts with "Checking". */
async function readmeExample(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const block = /```text\n(Checking kubernetes:\/\/\/cart\.shop:grpc\n[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "the README has the example of kgr-resolver check");
  return block;
}

/** `kgr-resolver check` on `target` in this process, with what it wrote on standard output (a pipe). */
async function check(kubeconfig: string, target: string): Promise<string> {
  let stdout = "";
  const output = (write: (text: string) => void): CliOutput => ({ write, isTTY: false, size: () => undefined });
  const cli: CliProcess = {
    args: ["check", "--kubeconfig", kubeconfig, target],
    env: () => undefined,
    stdout: output((text) => stdout += text),
    stderr: output(() => {}),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  };
  await runCli(cli);
  return stdout;
}

Deno.test("the README's example of check is what check prints for a ServiceAccount without grants", async () => {
  await using api = await startFakeApiServer({ token: "t" });
  await using dir = await tempDir("kgr-readme-check-");
  const kubeconfig = `${dir.path}/kgr-kubeconfig.json`;
  await Deno.writeTextFile(kubeconfig, JSON.stringify(api.kubeconfig()));
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "10.4.1.0", pod: "cart-0" }],
  }));
  api.setAccess({ username: "system:serviceaccount:shop:checkout", rules: [] });
  const printed = (await check(kubeconfig, "kubernetes:///cart.shop:grpc"))
    .replaceAll(api.url, "http://127.0.0.1:PORT")
    .replaceAll(kubeconfig, "/tmp/kgr-kubeconfig.json");
  const example = (await readmeExample()).replace(/http:\/\/127\.0\.0\.1:\d+/g, "http://127.0.0.1:PORT");
  assert.equal(example, printed);
});
