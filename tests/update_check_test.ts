// Deno's update check: every `deno run` that lives past half a second asks dl.deno.land for the latest release
// (a DNS query and an HTTPS request off the machine) unless DENO_NO_UPDATE_CHECK is set, and without network it asks
// again on every run. Tests and benchmarks send traffic only to loopback, so the entry points that start Deno
// processes set it, and their children inherit it (scripts/net_audit.sh counted 134 DNS queries for dl.deno.land
// to the system resolver in one `npm test`).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listening } from "./_listening.ts";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const SETTING = "DENO_NO_UPDATE_CHECK=1";

Deno.test("npm test, npm run demo and the test, demo and bench tasks turn Deno's update check off", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  const scripts = JSON.parse(await Deno.readTextFile(new URL("../package.json", import.meta.url))).scripts;
  for (
    const [where, command] of [
      ["deno.json task test", tasks.test],
      ["deno.json task demo", tasks.demo],
      ["deno.json task bench", tasks.bench],
      ["package.json script test", scripts.test],
    ]
  ) {
    assert.ok(command.startsWith(`export ${SETTING} && `), `${where} must start with "export ${SETTING} && "`);
  }
  assert.equal(scripts.demo, "deno task demo");
});

/** Runs a `deno run` child that lives 1.5 s with HTTPS_PROXY on a loopback port; returns what it asked the proxy. */
async function proxiedRequests(env: Record<string, string>): Promise<string[]> {
  const requests: string[] = [];
  const proxy = await listening(createServer((socket) => {
    socket.once("data", (chunk) => {
      requests.push(chunk.toString("latin1").split("\r\n")[0]);
      socket.destroy();
    });
  }));
  const folder = await mkdtemp(join(tmpdir(), "kgr-update-check-"));
  try {
    const script = join(folder, "wait.ts");
    await writeFile(script, "await new Promise((resolve) => setTimeout(resolve, 1500));\n");
    const output = await new Deno.Command(DENO, {
      args: ["run", "--no-prompt", script],
      clearEnv: true,
      // An empty DENO_DIR has no record of an earlier check; the proxy keeps the check's request on loopback.
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        DENO_DIR: folder,
        HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    return requests;
  } finally {
    await proxy.close();
    await rm(folder, { recursive: true, force: true });
  }
}

Deno.test("DENO_NO_UPDATE_CHECK keeps a deno run child from asking dl.deno.land for a new release", async () => {
  assert.deepEqual(await proxiedRequests({}), ["CONNECT dl.deno.land:443 HTTP/1.1"]);
  assert.deepEqual(await proxiedRequests({ DENO_NO_UPDATE_CHECK: "1" }), []);
});
