// The data path against a real API server: echo backends on test hosts in
// network namespaces this test creates (each listening on the same port, like
// pods), EndpointSlices pointing at them, and grpc-js clients on Node, Bun and
// Deno dialing kubernetes:///echo.<ns>:grpc with a least-privilege token while
// the Service goes through a rolling update. Every call must succeed.
// Clients only ever dial addresses where this test started a server.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyEndpointSlice,
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createService,
  createServiceAccount,
  deleteNamespace,
  type EndpointSpec,
  requestToken,
} from "./kube_objects.ts";
import { canCreateTestHosts, createTestHost, type TestHost } from "./test_hosts.ts";
import { openTestCluster } from "./test_cluster.ts";

const root = new URL("../../", import.meta.url).pathname;
const PORT = 50051;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`    [data path] ${line}`);

/** The three runtimes, each running tests/e2e/echo_client.mjs as a user's client. */
const RUNTIMES: Record<string, string[]> = {
  node: ["node"],
  bun: [join(root, "node_modules/.bin/bun")],
  deno: [join(root, "node_modules/.bin/deno"), "run", "-A"],
};

interface ClientResult {
  calls: number;
  failures: string[];
  byBackend: Record<string, number>;
}

function startClient(runtime: string, target: string, kubeconfig: string) {
  const [command, ...args] = RUNTIMES[runtime];
  const child: ChildProcess = spawn(command, [...args, join(root, "tests/e2e/echo_client.mjs"), target, kubeconfig], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8");
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} client not ready in 30 s: ${output}`)), 30_000);
    child.stdout!.on("data", (text: string) => {
      output += text;
      if (output.includes("ready\n")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${runtime} client exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    runtime,
    ready,
    async stop(): Promise<ClientResult> {
      child.stdin!.write("stop\n");
      const code = await Promise.race([exited, sleep(15_000).then(() => "timeout")]);
      if (code === "timeout") child.kill("SIGKILL");
      const line = output.split("\n").find((text) => text.startsWith("{"));
      assert.ok(line, `${runtime} client printed no result (exit ${code}): ${output}`);
      return JSON.parse(line) as ClientResult;
    },
    kill: () => void child.kill("SIGKILL"),
  };
}

Deno.test({
  name:
    "data path: clients on Node, Bun and Deno spread calls over every pod through a rolling update with zero failures",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const started = Date.now();
    const cluster = await openTestCluster(log);
    const hosts = new Map<string, TestHost>();
    const clients: ReturnType<typeof startClient>[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-data-path-"));
    let namespace: string | undefined;
    try {
      namespace = await createNamespace(cluster.adminFetch, "e2e-data");
      await createService(cluster.adminFetch, namespace, "echo", [{ name: "grpc", port: PORT }]);
      const account = "echo-client";
      await createServiceAccount(cluster.adminFetch, namespace, account);
      await createEndpointSliceReaderRole(cluster.adminFetch, namespace);
      await bindEndpointSliceReader(cluster.adminFetch, namespace, account);
      const token = await requestToken(cluster.adminFetch, namespace, account, { expirationSeconds: 3600 });
      const kubeconfig = join(directory, "kubeconfig.json");
      await writeFile(kubeconfig, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, namespace)));

      const conditions = new Map<string, Partial<EndpointSpec>>();
      const publish = () =>
        applyEndpointSlice(cluster.adminFetch, namespace!, "echo", {
          name: "echo-data",
          ports: [{ name: "grpc", port: PORT }],
          endpoints: [...hosts.values()].map((host) => ({
            addresses: [host.address],
            pod: host.pod,
            ...conditions.get(host.pod),
          })),
        });
      const addPod = async (pod: string) => {
        hosts.set(pod, await createTestHost(pod, PORT));
        await publish();
      };
      for (let i = 0; i < 3; i++) await addPod(`old-${i}`);
      log(`3 pods on ${[...hosts.values()].map((host) => host.address).join(", ")}`);

      const target = `kubernetes:///echo.${namespace}:grpc`;
      for (const runtime of Object.keys(RUNTIMES)) clients.push(startClient(runtime, target, kubeconfig));
      await Promise.all(clients.map((client) => client.ready));
      await sleep(1000);

      for (let i = 0; i < 3; i++) {
        await addPod(`new-${i}`);
        log(`added new-${i}`);
        await sleep(300);
        conditions.set(`old-${i}`, { ready: false, serving: true, terminating: true });
        await publish();
        await sleep(300);
        const old = hosts.get(`old-${i}`)!;
        hosts.delete(`old-${i}`);
        await publish();
        log(`removed old-${i} from the slice`);
        await sleep(300);
        old.terminate();
        await sleep(300);
        log(`terminated old-${i}`);
        await old.remove();
        log(`rolled old-${i} to new-${i}`);
      }
      await sleep(1000);

      for (const client of clients) {
        const result = await client.stop();
        log(
          `${client.runtime}: ${result.calls} calls, ${result.failures.length} failed, ${
            JSON.stringify(result.byBackend)
          }`,
        );
        assert.deepEqual(result.failures, [], `${client.runtime} had failed calls`);
        assert.ok(result.calls > 300, `${client.runtime} made only ${result.calls} calls`);
        for (const pod of ["old-0", "old-1", "old-2", "new-0", "new-1", "new-2"]) {
          assert.ok(
            result.byBackend[pod] > 0,
            `${client.runtime} never reached ${pod}: ${JSON.stringify(result.byBackend)}`,
          );
        }
      }
      log(`done in ${Date.now() - started} ms`);
    } finally {
      for (const client of clients) client.kill();
      await Promise.all([...hosts.values()].map((host) => host.remove()));
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});

function clientKubeconfig(server: string, ca: string | undefined, token: string, namespace: string) {
  const cluster: Record<string, string> = { server };
  if (ca) cluster["certificate-authority-data"] = btoa(ca);
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster }],
    users: [{ name: "echo-client", user: { token } }],
    contexts: [{ name: "e2e", context: { cluster: "e2e", user: "echo-client", namespace } }],
    "current-context": "e2e",
  };
}
