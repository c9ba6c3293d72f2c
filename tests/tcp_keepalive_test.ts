// TCP keepalive on the API server's connections (src/runtime/tcp_keepalive.ts), read from the kernel with `ss -o`:
// each runtime's client runs tests/tcp_keepalive/keepalive_timers.mjs against the built package, as Node and Bun
// cannot run this file. Without it, Node's `node:https` connection had no keepalive (a watch on a connection that
// died without a reset waited for the 150 s stall), Bun's probed after 1 s, and undici's (Deno, and proxies on Node)
// after 60 s.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { childEnv } from "./_child_env.mjs";

const script = new URL("./tcp_keepalive/keepalive_timers.mjs", import.meta.url).pathname;
const config = new URL("../deno.json", import.meta.url).pathname;
const bun = new URL("../node_modules/.bin/bun", import.meta.url).pathname;

/** Runs the script with `command` and `args`; resolves to what it printed, after checking that it succeeded. */
async function timersOn(command: string, ...args: string[]): Promise<string> {
  if (!existsSync(new URL("../dist/src/runtime/tcp_keepalive.js", import.meta.url))) {
    throw new Error("Cannot run the script: the package is not built: run `npm run build` first");
  }
  const { code, stdout, stderr } = await new Deno.Command(command, { env: childEnv(), args: [...args, script] })
    .output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout).trim();
}

const linux = Deno.build.os === "linux";
const probed = "200, keepalive within 30000 ms";

Deno.test({
  name: "createHttpClient() on Node turns on keepalive after 30 s on its connections, direct or through a proxy",
  ignore: !linux,
  async fn() {
    assert.equal(
      await timersOn("node"),
      [`direct: ${probed}`, `direct TLS: ${probed}`, `HTTP proxy: ${probed}`, `SOCKS5 proxy: ${probed}`].join("\n"),
    );
  },
});

Deno.test({
  name: "createHttpClient() on Bun turns on keepalive after 30 s on its `node:http` connections",
  ignore: !linux,
  async fn() {
    assert.equal(await timersOn(bun), [`direct: ${probed}`, `direct TLS: ${probed}`].join("\n"));
  },
});

Deno.test({
  name: "createHttpClient() on Deno turns on keepalive after 30 s on its connections, direct or through a proxy",
  ignore: !linux,
  async fn() {
    assert.equal(
      await timersOn(Deno.execPath(), "run", "-A", `--config=${config}`),
      [`direct: ${probed}`, `direct TLS: ${probed}`, `HTTP proxy: ${probed}`, `SOCKS5 proxy: ${probed}`].join("\n"),
    );
  },
});
