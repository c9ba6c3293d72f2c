// The end-to-end suite against a cluster it did not start (`E2E_KUBECONFIG`, as users run it against kind or
// their own cluster): the local control plane runs in a process of its own, and a nested `deno test` gets only
// its admin kubeconfig. Nothing of the test process then holds the nested run's event loop.
import assert from "node:assert/strict";

Deno.test({
  name: "E2E_KUBECONFIG: end-to-end tests run against a cluster the test run did not start",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./serve_control_plane.ts", import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(server.stderr).text();
    try {
      const kubeconfig = await firstKubeconfigLine(server.stdout);
      if (!kubeconfig) assert.fail(`the control plane did not start:\n${await stopped(server, stderr)}`);
      const files = ["controller_slices_test.ts", "watch_list_test.ts"].map((file) =>
        new URL(`./${file}`, import.meta.url).pathname
      );
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["test", "-A", ...files],
        env: { E2E_KUBECONFIG: kubeconfig, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      if (run.code !== 0) {
        assert.fail(`the nested run failed:\n${output.slice(-6000)}\ncontrol plane:\n${await stopped(server, stderr)}`);
      }
      assert.match(output, /ok \| 2 passed/);
    } finally {
      await stopped(server, stderr);
    }
  },
});

/** The path the server prints on its `kubeconfig <path>` line; `undefined` when it exits first. */
async function firstKubeconfigLine(stdout: ReadableStream<Uint8Array>): Promise<string | undefined> {
  let text = "";
  for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    const line = text.match(/^kubeconfig (.+)$/m);
    if (line) return line[1];
  }
  return undefined;
}

/** Closes the server's input (it then stops the control plane), waits for it, and returns what it logged. */
async function stopped(server: Deno.ChildProcess, stderr: Promise<string>): Promise<string> {
  await server.stdin.close().catch(() => {});
  await server.status;
  return await stderr;
}
