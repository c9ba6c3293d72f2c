// How long a user's script lives on Deno, Bun and Node (README, "Process lifetime"): each script runs in a child process against a fake cluster in
// another process (tests/process_exit/), and the test measures when it exits.
// Node and Bun import the built package: run `npm run build` first.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { createInterface } from "node:readline";
import { listening } from "./_listening.ts";
import { childEnv } from "./_child_env.mjs";

const root = new URL("../", import.meta.url).pathname;
const script = (name: string) => new URL(`./process_exit/${name}`, import.meta.url).pathname;
const runtimes = {
  Deno: [Deno.execPath(), "run", "-A", "--v8-flags=--expose-gc"],
  Node: ["node", "--expose-gc"],
  Bun: [`${root}node_modules/.bin/bun`],
};
type Runtime = keyof typeof runtimes;

/** When a child process exited (epoch ms), and its exit code. */
interface Exit {
  at: number;
  code: number | null;
}

/** A child process whose stdout lines can be awaited, and whose exit time is recorded. */
function run(command: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    cwd: root,
    env: childEnv({ ...Deno.env.toObject(), ...env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let output = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    output += `${line}\n`;
    for (const wake of waiters) wake();
  });
  child.stderr!.on("data", (chunk) => output += chunk);
  const exited = new Promise<Exit>((resolve) => {
    child.on("exit", (code) => {
      resolve({ at: Date.now(), code });
      for (const wake of waiters) wake();
    });
  });
  let exit: Exit | undefined;
  exited.then((value) => exit = value);
  /** The exit, if it comes within `ms`. */
  async function within(ms: number): Promise<Exit | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
    const result = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    return result;
  }
  return {
    child,
    output: () => output,
    /** The first line starting with `prefix`, within `ms`. */
    async line(prefix: string, ms: number): Promise<string> {
      const end = Date.now() + ms;
      while (true) {
        const found = lines.find((line) => line.startsWith(prefix));
        if (found !== undefined) return found;
        if (exit || Date.now() > end) {
          throw new Error(`No line "${prefix}..." within ${ms} ms (exit ${exit?.code}):\n${output}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, 100);
          function wake() {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          }
          waiters.add(wake);
        });
      }
    },
    /** Whether the process is still running after `ms`. */
    async aliveAfter(ms: number): Promise<boolean> {
      return (await within(ms)) === undefined;
    },
    /** When the process exited, if within `ms`; kills it otherwise. */
    async exit(ms: number): Promise<Exit | undefined> {
      const result = await within(ms);
      if (!result) {
        child.kill("SIGKILL");
        await exited;
      }
      return result;
    },
  };
}

/** Runs `body` against a fake cluster in its own process (`https-proxy`: reached through an https:// proxy). */
async function withCluster(
  body: (cluster: ReturnType<typeof run>, info: string) => Promise<void>,
  ...args: string[]
): Promise<void> {
  // On Node: served by Deno, the same fake did not bring out the Deno client's hang after close.
  const cluster = run(command("Node", "cluster.mjs", ...args));
  try {
    const info = await cluster.line("{", 20_000);
    await body(cluster, info);
  } finally {
    cluster.child.stdin!.end();
    await cluster.exit(5000); // killed if it has not stopped by then
  }
}

function command(runtime: Runtime, name: string, ...args: string[]): string[] {
  if (runtime !== "Deno" && !existsSync(`${root}dist/mod.js`)) {
    throw new Error("Cannot run the Node and Bun scripts: the package is not built: run `npm run build` first");
  }
  return [...runtimes[runtime], script(name), ...args];
}

/** Milliseconds from the script's "<prefix> <epoch ms>" line to its exit; fails when it has not exited within `ms`. */
async function exitDelay(script: ReturnType<typeof run>, prefix: string, ms: number): Promise<number> {
  const since = Number((await script.line(`${prefix} `, 20_000)).split(" ")[1]);
  const exit = await script.exit(ms);
  assert.ok(exit, `The script was still running ${ms} ms after "${prefix}":\n${script.output()}`);
  assert.equal(exit.code, 0, script.output());
  return exit.at - since;
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

for (const runtime of Object.keys(runtimes) as Runtime[]) {
  test(`${runtime}: a grpc-js client exits within 1 s of closing its kubernetes: channels`, async () => {
    await withCluster(async (_, info) => {
      const client = run(command(runtime, "client.mjs", "close", "1500"), { CLUSTER: info });
      const delay = await exitDelay(client, "done", 10_000);
      assert.ok(delay < 1000, `exited ${delay} ms after closing its channels`);
    });
  });

  test(`${runtime}: a watchEndpoints() loop keeps the process alive until it is left`, async () => {
    await withCluster(async (cluster, info) => {
      const follower = run(command(runtime, "follower.mjs"), { CLUSTER: info });
      await follower.line("snapshot 3", 20_000);
      // Only the loop's wait for its next snapshot is left, and the process must wait with it.
      assert.ok(await follower.aliveAfter(1500), `the process exited while its loop waited:\n${follower.output()}`);
      cluster.child.stdin!.write("pods 2\n");
      const delay = await exitDelay(follower, "left", 5000);
      assert.ok(delay < 1000, `exited ${delay} ms after leaving the loop`);
    });
  });

  test(`${runtime}: aborting a watchEndpoints() signal between snapshots lets the process exit`, async () => {
    await withCluster(async (_, info) => {
      const follower = run(command(runtime, "aborted_follower.mjs"), { CLUSTER: info });
      // The generator waits at its first snapshot: only the abort can end the watch.
      const delay = await exitDelay(follower, "aborted", 5000);
      assert.ok(delay < 1000, `exited ${delay} ms after the abort`);
    });
  });
}

for (const runtime of ["Node", "Deno", "Bun"] as const) {
  test(`${runtime}: a script that never closes its kubernetes: channel exits after its calls, as with dns:`, async () => {
    await withCluster(async (_, info) => {
      const client = run(command(runtime, "client.mjs", "keep", "1500"), { CLUSTER: info });
      const delay = await exitDelay(client, "done", 10_000);
      assert.ok(delay < 1000, `exited ${delay} ms after its last call`);
    });
  });
}

// Bun's fetch, which it goes through a proxy with, holds the process while a watch is pending (README, "Process
// lifetime"). On Deno, the connection to an https:// proxy held it before (and before that, Deno refused a proxy at an
// IP address).
for (const runtime of ["Node", "Deno"] as const) {
  test(`${runtime}: a script that never closes its channel exits after its calls through an https:// proxy`, async () => {
    await withCluster(async (_, info) => {
      // A leaked backoff timer (0.8-1.6 s) must fail it too, while the runtime's own exit may take a second on a
      // loaded machine: the bound is that exit, measured in this run (bare.mjs), plus 700 ms.
      const bare = () => exitDelay(run(command(runtime, "bare.mjs")), "done", 10_000);
      const before = await bare();
      const client = run(command(runtime, "client.mjs", "keep", "1500"), { CLUSTER: info });
      const delay = await exitDelay(client, "done", 10_000);
      const own = Math.max(before, await bare());
      assert.ok(delay < own + 700, `exited ${delay} ms after its last call; the runtime alone takes ${own} ms`);
    }, "https-proxy");
  });
}

test("Node: a script whose call failed while the Service's port is unreadable exits after it", async () => {
  await withCluster(async (_, info) => {
    const client = run(command("Node", "portless_client.mjs"), { CLUSTER: info });
    const delay = await exitDelay(client, "done", 10_000);
    assert.ok(delay < 1000, `exited ${delay} ms after its failed call`);
  });
});

for (const runtime of Object.keys(runtimes) as Runtime[]) {
  test(`${runtime}: a script that closed its channel exits at once while an exec credential plugin still runs`, async () => {
    const client = run(command(runtime, "exec_client.mjs"));
    const delay = await exitDelay(client, "done", 10_000);
    // The plugin's process (sleep 30) held it before.
    assert.ok(delay < 1500, `exited ${delay} ms after closing its channel`);
  });
}

/** A server on 127.0.0.1 that accepts connections and never answers; closing it destroys them. */
const unansweredServer = () => listening(createNetServer());

for (const runtime of ["Node", "Deno", "Bun"] as const) {
  // Bun has no SOCKS5 (a ConfigError at load).
  for (const through of runtime === "Bun" ? ["tls"] : ["tls", "socks5"]) {
    const where = through === "tls" ? "an API server whose TLS never completes" : "a SOCKS5 proxy that never answers";
    test(`${runtime}: a script that stopped its watch through ${where} exits at once`, async () => {
      const server = await unansweredServer();
      try {
        const client = run(command(runtime, "unanswered_client.mjs", through), {
          UNANSWERED_PORT: String(server.port),
        });
        const delay = await exitDelay(client, "done", 10_000);
        // undici's connect timeout (10 s), or the SOCKS5 greeting's, held it before.
        assert.ok(delay < 1500, `exited ${delay} ms after it stopped watching`);
      } finally {
        await server.close();
      }
    });
  }
}
