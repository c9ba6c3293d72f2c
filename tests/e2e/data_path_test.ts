// The data path against a real API server and the real EndpointSlice controller:
// echo backends on test hosts in network namespaces this test creates (each
// listening on the same port, like pods), Pods whose status points at them (the
// controller writes the slices, as in users' clusters), and grpc-js clients on
// Node, Bun and Deno (and nice-grpc on Node) dialing kubernetes:///echo.<ns>:grpc
// with a least-privilege token while the Deployment-like set of pods goes through
// a rolling update (surge, SIGTERM before the clients learn of the deletion,
// maxSurge 0, and a new pod that never becomes ready), and while the API server
// is killed, restarted and frozen (SIGSTOP).
// Every call must succeed. Clients only ever dial addresses where this test
// started a server.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EchoClient, RUNTIMES, startClient, stopClients, writeReaderKubeconfig } from "./echo_clients.ts";
import { type AdminFetch, createNamespace, deleteNamespace } from "./kube_objects.ts";
import { canCreateTestHosts, createTestHost, type TestHost } from "./test_hosts.ts";
import { openTestCluster } from "./test_cluster.ts";
import {
  applyNode,
  applySelectorService,
  createReadyPod,
  createUnreadyPod,
  deleteNode,
  deletePod,
  forgetPod,
  setPodReady,
} from "./workloads.ts";

const root = new URL("../../", import.meta.url).pathname;
const PORT = 50051;
const NODE = "kgr-e2e-data-node";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`    [data path] ${line}`);

/** Starts an echo backend on a test host named after `pod`, and a Pod of app echo at its address (Ready by default). */
async function addEchoPod(
  fetch: AdminFetch,
  namespace: string,
  pod: string,
  { ready = true }: { ready?: boolean } = {},
): Promise<TestHost> {
  const host = await createTestHost(pod, PORT);
  await (ready ? createReadyPod : createUnreadyPod)(fetch, namespace, {
    name: pod,
    app: "echo",
    node: NODE,
    ip: host.address,
    ports: [{ name: "grpc", containerPort: PORT }],
  });
  return host;
}

/**
 * Waits until every client called `pod`, at most `ms`, and answers how long that took: a pod that became ready is
 * reached once the controller wrote its slice, the client's watch brought it and the client connected, which takes
 * more than a fixed wait on a loaded machine. Whether each did is for the clients' final counts to say.
 */
async function untilEveryClientReached(clients: EchoClient[], pod: string, ms = 20_000): Promise<number> {
  const start = Date.now();
  const reached = new Set<string>();
  for (const end = start + ms; reached.size < clients.length && Date.now() < end;) {
    await sleep(250);
    for (const client of clients) if (((await client.take())[pod] ?? 0) > 0) reached.add(client.label);
  }
  return Date.now() - start;
}

/**
 * Excuses a call that missed its deadline on a backend whose event loop was stalled for at least half of the call's
 * time (the backend's own report of its stalls): the machine starved the backend, which no resolver or balancer can
 * see, since the connection stays up and the host's kernel keeps acknowledging. Any other failure is the product's.
 */
function starvedBackend(hosts: readonly TestHost[]): (failure: string) => string | undefined {
  return (failure) => {
    const match = failure.match(/DEADLINE_EXCEEDED.*remote_addr=([\d.]+):\d+.*\[sent (\S+), failed (\S+)\]/);
    const host = hosts.find((candidate) => candidate.address === match?.[1]);
    if (!match || !host) return undefined;
    const [sent, failed] = [Date.parse(match[2]), Date.parse(match[3])];
    const during = host.stalls.filter((stall) => stall.to > sent && stall.from < failed);
    const stalled = during.reduce((sum, stall) => sum + Math.min(stall.to, failed) - Math.max(stall.from, sent), 0);
    if (stalled * 2 < failed - sent) return undefined;
    const cpu = during.reduce((sum, stall) => sum + stall.cpuMs, 0);
    return `${host.pod}'s backend was stalled ${stalled} of the call's ${failed - sent} ms (CPU used: ${cpu} ms)`;
  };
}

Deno.test({
  name:
    "data path: clients on Node, Bun and Deno spread calls over every pod through a rolling update with zero failures, " +
    "and never call a new pod that does not become ready",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const started = Date.now();
    const cluster = await openTestCluster(log);
    const hosts = new Map<string, TestHost>();
    const clients: EchoClient[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-data-path-"));
    const fetch = cluster.adminFetch;
    let namespace: string | undefined;
    try {
      await cluster.controlPlane?.startControllerManager();
      await applyNode(fetch, NODE, "zone-a");
      namespace = await createNamespace(fetch, "e2e-data");
      const ns = namespace;
      await applySelectorService(fetch, ns, { name: "echo", ports: [{ name: "grpc", port: 80, targetPort: PORT }] });
      const kubeconfig = await writeReaderKubeconfig(cluster, ns, directory);

      const addPod = async (pod: string, options?: { ready?: boolean }) =>
        void hosts.set(pod, await addEchoPod(fetch, ns, pod, options));
      for (let i = 0; i < 3; i++) await addPod(`old-${i}`);
      // A pod of the new version whose readiness probe never passes: it serves, and must get no call.
      await addPod("stuck", { ready: false });
      log(`3 pods on ${[...hosts.values()].map((host) => host.address).join(", ")}, and one never ready`);

      const target = `kubernetes:///echo.${ns}:grpc`;
      for (const runtime of Object.keys(RUNTIMES)) clients.push(startClient(runtime, target, kubeconfig));
      clients.push(startClient("node", target, kubeconfig, { library: "nice-grpc" }));
      await Promise.all(clients.map((client) => client.ready));
      await sleep(1000);

      /**
       * Retires a pod as the kubelet does: deleted (terminating, still serving, for its grace period), SIGTERM (the
       * backend sends GOAWAY and refuses new connections), then gone. `sigtermFirst`: the kubelet is quicker than
       * the clients, whose endpoints still list the pod as ready while it drains. Its host stays until the end:
       * grpc-js may dial the address once more after the pod left the list.
       */
      const retire = async (pod: string, { sigtermFirst }: { sigtermFirst: boolean }) => {
        const host = hosts.get(pod)!;
        if (sigtermFirst) host.terminate();
        if (sigtermFirst) await sleep(300);
        await deletePod(fetch, ns, pod);
        await sleep(300);
        if (!sigtermFirst) host.terminate();
        if (!sigtermFirst) await sleep(300);
        await forgetPod(fetch, ns, pod);
        await host.kill();
        log(`retired ${pod}${sigtermFirst ? " (SIGTERM before its deletion)" : ""}`);
      };
      // As a Deployment rolls with a surge: the new pod is ready before the old one goes.
      for (const [i, sigtermFirst] of [[0, false], [1, true]] as const) {
        await addPod(`new-${i}`);
        await sleep(300);
        await retire(`old-${i}`, { sigtermFirst });
      }
      // maxSurge 0: the old pod goes first; its successor becomes ready a moment later.
      const retiring = retire("old-2", { sigtermFirst: false });
      await sleep(300);
      await addPod("new-2", { ready: false });
      await sleep(300);
      await setPodReady(fetch, ns, "new-2", true);
      await retiring;
      // The last pod to become ready; it was given a fixed second, too little on a loaded machine.
      log(`new-2 reached by every client ${await untilEveryClientReached(clients, "new-2")} ms after old-2 left`);

      // A backend that a loaded machine does not run for seconds fails the calls on it: the connection is up and the
      // host's kernel acknowledges, so no client can tell (a new pod's first seconds are the worst: at load 30 here,
      // new-0's backend ran 101 ms of CPU in a 4.5 s stall). Those failures are told and excused, and only those.
      const results = await stopClients(clients, log, starvedBackend([...hosts.values()]));
      for (const [label, result] of Object.entries(results)) {
        assert.ok(result.calls > 300, `${label} made only ${result.calls} calls`);
        for (const pod of ["old-0", "old-1", "old-2", "new-0", "new-1", "new-2"]) {
          assert.ok(result.byBackend[pod] > 0, `${label} never reached ${pod}: ${JSON.stringify(result.byBackend)}`);
        }
        assert.equal(result.byBackend.stuck, undefined, `${label} called the pod that is not ready`);
      }
      log(`done in ${Date.now() - started} ms`);
    } finally {
      for (const client of clients) client.kill();
      await Promise.all([...hosts.values()].map((host) => host.remove()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await deleteNode(fetch, NODE).catch(() => {});
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "data path: calls on Node, Bun and Deno never fail while the API server is killed, restarted and frozen, " +
    "and a pod added afterwards gets calls",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const controlPlane = cluster.controlPlane;
    const hosts: TestHost[] = [];
    const clients: EchoClient[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-data-path-"));
    const fetch = cluster.adminFetch;
    let namespace: string | undefined;
    try {
      if (!controlPlane) {
        await t.step({ name: "needs the local control plane", ignore: true, fn: () => {} });
        return;
      }
      await controlPlane.startControllerManager();
      await applyNode(fetch, NODE, "zone-a");
      namespace = await createNamespace(fetch, "e2e-outage");
      const ns = namespace;
      await applySelectorService(fetch, ns, { name: "echo", ports: [{ name: "grpc", port: 80, targetPort: PORT }] });
      const kubeconfig = await writeReaderKubeconfig(cluster, ns, directory);
      const addPod = async (pod: string) => void hosts.push(await addEchoPod(fetch, ns, pod));
      for (let i = 0; i < 2; i++) await addPod(`p-${i}`);
      for (const runtime of Object.keys(RUNTIMES)) {
        clients.push(startClient(runtime, `kubernetes:///echo.${ns}:grpc`, kubeconfig));
      }
      await Promise.all(clients.map((client) => client.ready));
      await sleep(1000);

      await controlPlane.killApiServer();
      await sleep(2000);
      await controlPlane.startApiServer();
      // Frozen: the watches' connections hang, new ones are accepted and never answered.
      controlPlane.freezeApiServer(true);
      await sleep(4000);
      controlPlane.freezeApiServer(false);
      const thawed = Date.now();
      await addPod("p-2");
      // The controller, whose own watches hung too, writes its slice first (3.3-4.6 s after the thaw in earlier runs).
      await untilEveryClientReached(clients, "p-2");
      const waited = Date.now() - thawed;
      for (const [runtime, result] of Object.entries(await stopClients(clients, log, starvedBackend(hosts)))) {
        assert.ok(result.byBackend["p-2"] > 0, `${runtime} never reached p-2: ${JSON.stringify(result.byBackend)}`);
      }
      log(`p-2 reached by every client within ${waited} ms of the thaw`);
    } finally {
      controlPlane?.freezeApiServer(false);
      for (const client of clients) client.kill();
      await Promise.all(hosts.map((host) => host.remove()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await deleteNode(fetch, NODE).catch(() => {});
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});
