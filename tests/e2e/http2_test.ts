// HTTP/2 against the real kube-apiserver (100 streams a connection): 120 watches from one Node process, and 101 from
// Bun, with the default options, resolve over a handful of connections where HTTP/1.1 takes one each, and a change
// to one Service arrives; then, against a second API server with --goaway-chance, watches started and stopped by the
// hundred fail no request. The watches run in children (tests/e2e/http2_watches.mjs, http2_goaway_watches.mjs, on the build);
// only LIST and WATCH.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientKubeconfig, RUNTIMES } from "./echo_clients.ts";
import { applyEndpointSlice, deleteNamespace, requestToken } from "./kube_objects.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";

const log = (line: string) => console.log(`    [http2] ${line}`);
const ROOT = new URL("../../", import.meta.url).pathname;

/** Watches over HTTP/2 at once: past the API server's 100 streams a connection. */
const COUNT = 120;

Deno.test({
  name:
    "HTTP/2, the default on Node and Bun, watches 120 Services over a few connections, a change arrives, GOAWAY fails none",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const dir = await mkdtemp(join(tmpdir(), "kgr-http2-"));
    let namespace: string | undefined;
    try {
      const setup = await readerSetup(cluster, "e2e-http2");
      namespace = setup.namespace;
      const ns = namespace;
      const slice = (i: number, addresses: string[]) =>
        applyEndpointSlice(cluster.adminFetch, ns, `svc-${i}`, {
          name: `svc-${i}-a`,
          endpoints: addresses.map((address, n) => ({ addresses: [address], pod: `svc-${i}-${n}` })),
        });
      for (let i = 0; i < COUNT; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, k) => slice(i + k, [`10.42.${i + k}.1`])));
      }
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      const kubeconfig = join(dir, "kubeconfig.json");
      await writeFile(kubeconfig, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, namespace)));
      const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: kubeconfig };
      const port = new URL(cluster.server).port || "443";
      for (const runtime of ["node", "bun"]) {
        // Bun with fewer watches: the case is the same, the time is not.
        const count = runtime === "node" ? COUNT : 101;
        const lines = await watchesIn(runtime, [String(count), namespace, port], env, async () => {
          await slice(0, ["10.42.0.1", "10.42.0.2"]);
        });
        log(`${runtime}: ${lines.join(" ")}`);
        const [first, second] = lines.map((line) => JSON.parse(line));
        assert.equal(first.resolved, count, lines.join("\n"));
        assert.deepEqual(first.errors, []);
        // 2 sessions for the streams past 100, and one being set up or idle at most: HTTP/1.1 holds one a watch.
        assert.ok(first.connections >= 2 && first.connections <= 4, `connections: ${first.connections}`);
        assert.equal(second?.changed, true, lines.join("\n"));
        await slice(0, ["10.42.0.1"]);
      }
      if (!cluster.controlPlane) return log("GOAWAY part skipped: it needs the local control plane");
      // A second API server of the cluster that sends GOAWAY after 2% of the requests, as kube-apiserver's
      // --goaway-chance spreads clients over the servers behind a load balancer: 10 rounds of 50 watches started
      // and stopped over HTTP/2 (about 1,000 requests) meet about 20; none may fail a request.
      const goaway = await cluster.controlPlane.addApiServer({ goawayChance: 0.02 });
      const goawayConfig = join(dir, "goaway.kubeconfig.json");
      await writeFile(goawayConfig, JSON.stringify(clientKubeconfig(goaway.server, cluster.ca, token, namespace)));
      for (const runtime of ["node", "bun"]) {
        const [line] = await linesOf(runtime, "http2_goaway_watches.mjs", ["10", "50", namespace], {
          ...env,
          KUBECONFIG: goawayConfig,
        });
        log(`${runtime} under GOAWAY: ${line}`);
        const { resolved, failures, connections } = JSON.parse(line);
        assert.deepEqual({ resolved, failures }, { resolved: 500, failures: [] });
        assert.ok(connections > 1, "no GOAWAY came: the test tested nothing");
      }
    } finally {
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace);
      await rm(dir, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});

/** Runs http2_watches.mjs on `runtime`, calling `change` after its first line; resolves to its lines. */
function watchesIn(runtime: string, args: string[], env: Record<string, string>, change: () => Promise<unknown>) {
  return linesOf(runtime, "http2_watches.mjs", args, env, change);
}

/** Runs a script of tests/e2e/ on `runtime`, calling `change` after its first line; resolves to its lines. */
function linesOf(
  runtime: string,
  name: string,
  args: string[],
  env: Record<string, string>,
  change: () => Promise<unknown> = () => Promise.resolve(),
) {
  const command = RUNTIMES[runtime];
  const script = join(ROOT, "tests/e2e", name);
  const child = spawnTied(command[0], [...command.slice(1), script, ...args], {
    env: childEnv(env),
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  let buffered = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    buffered += chunk;
    for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
      lines.push(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
      if (lines.length === 1) change().catch((error) => stderr += `change failed: ${error}`);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${runtime} exited with ${code}: ${lines.join("\n")}\n${stderr}`));
      else resolve(lines);
    });
  });
}
