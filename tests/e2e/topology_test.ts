// Topology-aware routing against a real API server and the real EndpointSlice
// controller (kube-controller-manager v1.36.3): Nodes in three zones, a Service
// with spec.trafficDistribution, Pods bound to the Nodes. The controller writes
// hints.forZones / hints.forNodes; the resolver must prefer what kube-proxy
// would, and the grpc-js policy must fail over where kube-proxy cannot. Before
// 1.34 (E2E_KUBECONFIG) zone hints come from `PreferClose`, and the
// `PreferSameNode` step is skipped: those servers refuse both newer values.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locality } from "@kgr/resolver";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createClusterHttpClient } from "../../src/api/cluster_http_client.ts";
import { readNodeZone } from "../../src/api/kube_api.ts";
import { resolveLocality } from "../../src/selection/locality.ts";
import {
  clientKubeconfig,
  type EchoClient,
  RUNTIMES,
  startClient,
  stopClients,
  writeReaderKubeconfig,
} from "./echo_clients.ts";
import { createNamespace, createServiceAccount, deleteNamespace, kubeRequest, requestToken } from "./kube_objects.ts";
import { canCreateTestHosts, createTestHost, type TestHost } from "./test_hosts.ts";
import { olderThan, openTestCluster, type TestCluster } from "./test_cluster.ts";
import { applyNode, applySelectorService, clearTrafficDistribution, createReadyPod, deleteNode } from "./workloads.ts";

const root = new URL("../../", import.meta.url).pathname;
const PORT = 50051;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`    [topology] ${line}`);

/** Pods by zone and node: two in zone a, one each in b and c. */
const PODS = [
  { name: "a-1", node: "kgr-topo-a1", zone: "zone-a" },
  { name: "a-2", node: "kgr-topo-a2", zone: "zone-a" },
  { name: "b-1", node: "kgr-topo-b1", zone: "zone-b" },
  { name: "c-1", node: "kgr-topo-c1", zone: "zone-c" },
];

/** Nodes in three zones, or a reason why this cluster cannot have them (E2E_KUBECONFIG without rights). */
async function setUpNodes(cluster: TestCluster): Promise<string | undefined> {
  await cluster.controlPlane?.startControllerManager();
  try {
    for (const pod of PODS) await applyNode(cluster.adminFetch, pod.node, pod.zone);
  } catch (error) {
    if (cluster.controlPlane) throw error;
    return `cannot create Nodes on ${cluster.description}: ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * The `trafficDistribution` that gets zone hints on this cluster: `PreferSameZone`, or before 1.34, which refuses it
 * (422), its older alias `PreferClose`.
 */
function preferZone(cluster: TestCluster): string {
  return olderThan(cluster.version, 34) ? "PreferClose" : "PreferSameZone";
}

async function tearDownNodes(cluster: TestCluster): Promise<void> {
  for (const pod of PODS) await deleteNode(cluster.adminFetch, pod.node).catch(() => {});
}

/** Follows a Service as a client at `locality` would. */
function follow(target: string, kubeconfig: string, locality: Locality) {
  const recorder = recordEndpoints(target, { cluster: { kubeconfig }, locality });
  return {
    /** `mode: preferred pods`, e.g. `zone: a-1,a-2`. */
    view: () => {
      const last = recorder.snapshots.at(-1)?.snapshot;
      return last
        ? `${last.topology}: ${last.endpoints.filter((e) => e.preferred).map((e) => e.podName).sort().join(",")}`
        : "(none)";
    },
    stop: () => recorder.stop(),
  };
}

async function eventually(what: string, condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

Deno.test({
  name: "topology: clients in each zone and node prefer what kube-proxy would, from the controller's hints",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    let namespace: string | undefined;
    const followers: ReturnType<typeof follow>[] = [];
    try {
      const skip = await setUpNodes(cluster);
      if (skip) {
        log(`skipped: ${skip}`);
        return;
      }
      namespace = await createNamespace(fetch, "e2e-topo");
      const ns = namespace;
      const service = { name: "topo", ports: [{ name: "grpc", port: 80, targetPort: PORT }] };
      const zoneMode = preferZone(cluster);
      await applySelectorService(fetch, ns, { ...service, trafficDistribution: zoneMode });
      // Addresses of pods that receive no traffic here: selection only.
      for (const [i, pod] of PODS.entries()) {
        await createReadyPod(fetch, ns, {
          name: pod.name,
          app: "topo",
          node: pod.node,
          ip: `10.213.${200 + i}.2`,
          ports: [{ name: "grpc", containerPort: PORT }],
        });
      }
      const target = `kubernetes:///topo.${ns}:grpc`;
      const kubeconfig = cluster.adminKubeconfigPath;
      const clients: Record<string, Locality> = {
        "zone-a": { zone: "zone-a" },
        "zone-b": { zone: "zone-b" },
        "zone-c": { zone: "zone-c" },
        "zone-d (no pod there)": { zone: "zone-d" },
        "node a1 in zone-a": { node: "kgr-topo-a1", zone: "zone-a" },
        "an unknown node in zone-b": { node: "kgr-topo-x9", zone: "zone-b" },
        "no locality": {},
      };
      const views = Object.fromEntries(
        Object.entries(clients).map(([name, locality]) => [name, follow(target, kubeconfig, locality)]),
      );
      followers.push(...Object.values(views));
      const expect = async (step: string, expected: Record<string, string>, skip?: string) => {
        if (skip) log(`${step}: skipped: ${skip}`);
        await t.step({
          name: skip ? `${step} (skipped: ${skip})` : step,
          ignore: skip !== undefined,
          fn: async () => {
            const current = () => Object.fromEntries(Object.keys(expected).map((name) => [name, views[name].view()]));
            await eventually(step, () => JSON.stringify(current()) === JSON.stringify(expected)).catch(() => {
              assert.deepEqual(current(), expected);
            });
            log(`${step}: ${JSON.stringify(current())}`);
          },
        });
      };

      await expect(`${zoneMode}: each zone prefers its own pods, a zone without pods prefers all`, {
        "zone-a": "zone: a-1,a-2",
        "zone-b": "zone: b-1",
        "zone-c": "zone: c-1",
        "zone-d (no pod there)": "none: a-1,a-2,b-1,c-1",
        "node a1 in zone-a": "zone: a-1,a-2",
        "an unknown node in zone-b": "zone: b-1",
        "no locality": "none: a-1,a-2,b-1,c-1",
      });

      const noNodeHints = olderThan(cluster.version, 34)
        ? `PreferSameNode and node hints need 1.34+, the server is ${cluster.version.gitVersion}`
        : undefined;
      if (!noNodeHints) await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameNode" });
      await expect(
        "PreferSameNode: a client on a node with a pod prefers that pod, others fall back to the zone",
        {
          "zone-a": "zone: a-1,a-2",
          "zone-b": "zone: b-1",
          "node a1 in zone-a": "node: a-1",
          "an unknown node in zone-b": "zone: b-1",
          "no locality": "none: a-1,a-2,b-1,c-1",
        },
        noNodeHints,
      );

      await clearTrafficDistribution(fetch, ns, "topo");
      await expect("without trafficDistribution every pod is preferred", {
        "zone-a": "none: a-1,a-2,b-1,c-1",
        "node a1 in zone-a": "none: a-1,a-2,b-1,c-1",
      });

      await t.step(
        "the zone comes from the client's Node when only NODE_NAME is known, if it may read Nodes",
        async () => {
          await createServiceAccount(fetch, ns, "reader");
          const token = await requestToken(fetch, ns, "reader", { expirationSeconds: 600 });
          const access = await resolveClusterAccess({
            kubeconfig: clientKubeconfig(cluster.server, cluster.ca, token, ns),
          });
          const client = createClusterHttpClient(access);
          const env = (name: string) => (name === "NODE_NAME" ? "kgr-topo-b1" : undefined);
          const readZone = (node: string) => readNodeZone(access, client, node, AbortSignal.timeout(10_000));
          try {
            assert.deepEqual(await resolveLocality(undefined, readZone, env), { node: "kgr-topo-b1" });
            await grantNodeReader(cluster, ns, "reader");
            await eventually(
              "the node grant",
              async () => (await resolveLocality(undefined, readZone, env)).zone !== undefined,
            );
            assert.deepEqual(await resolveLocality(undefined, readZone, env), { node: "kgr-topo-b1", zone: "zone-b" });
          } finally {
            client.close();
            // Cluster-scoped: deleting the namespace leaves them on an E2E_KUBECONFIG cluster.
            await revokeNodeReader(cluster, ns);
          }
        },
      );
    } finally {
      await Promise.all(followers.map((follower) => follower.stop()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await tearDownNodes(cluster);
      await cluster.stop();
    }
  },
});

/** The name of the ClusterRole and binding that {@linkcode grantNodeReader} makes for `namespace`. */
const nodeReaderName = (namespace: string) => `kgr-node-reader-${namespace}`;

/** The ClusterRole and binding the README documents for reading the client's own Node. */
async function grantNodeReader(cluster: TestCluster, namespace: string, account: string): Promise<void> {
  const name = nodeReaderName(namespace);
  await kubeRequest(cluster.adminFetch, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
  });
  await kubeRequest(cluster.adminFetch, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name: account, namespace }],
  });
}

/** Deletes what {@linkcode grantNodeReader} made, if it made it. */
async function revokeNodeReader(cluster: TestCluster, namespace: string): Promise<void> {
  for (const kind of ["clusterrolebindings", "clusterroles"]) {
    const response = await cluster.adminFetch(
      `/apis/rbac.authorization.k8s.io/v1/${kind}/${nodeReaderName(namespace)}`,
      { method: "DELETE" },
    );
    await response.body?.cancel();
  }
}

Deno.test({
  name: "topology data path: clients in zone a call zone a, fail over with zero failed calls, and come back",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const hosts = new Map<string, TestHost>();
    const clients: EchoClient[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-topology-"));
    let namespace: string | undefined;
    try {
      const skip = await setUpNodes(cluster);
      if (skip) {
        log(`skipped: ${skip}`);
        return;
      }
      namespace = await createNamespace(fetch, "e2e-topo-data");
      const ns = namespace;
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: "grpc", port: 80, targetPort: PORT }],
        trafficDistribution: preferZone(cluster),
      });
      for (const pod of PODS) {
        const host = await createTestHost(pod.name, PORT);
        hosts.set(pod.name, host);
        await createReadyPod(fetch, ns, {
          name: pod.name,
          app: "echo",
          node: pod.node,
          ip: host.address,
          ports: [{ name: "grpc", containerPort: PORT }],
        });
      }
      const kubeconfig = await writeReaderKubeconfig(cluster, ns, directory);

      // Wait until the controller hinted every endpoint, so that the first calls already go to zone a.
      const hinted = follow(`kubernetes:///echo.${ns}:grpc`, cluster.adminKubeconfigPath, { zone: "zone-a" });
      await eventually("zone hints on every endpoint", () => hinted.view() === "zone: a-1,a-2").finally(() =>
        hinted.stop()
      );

      const target = `kubernetes:///echo.${ns}:grpc`;
      // Each call's deadline is the clients' default 5 s, as in the other data-path tests: a call that hangs on a pod
      // that left still fails, while a backend the loaded machine stalls for a second or two does not (a 1 s deadline
      // failed 57 calls to one healthy pod in 2 s at load 8).
      for (const runtime of Object.keys(RUNTIMES)) {
        clients.push(startClient(runtime, target, kubeconfig, { env: { ZONE: "zone-a" } }));
      }
      await Promise.all(clients.map((client) => client.ready));
      const takeAll = async (): Promise<Record<string, Record<string, number>>> =>
        Object.fromEntries(await Promise.all(clients.map(async (client) => [client.runtime, await client.take()])));
      await takeAll();
      await sleep(1500);
      const before = await takeAll();
      log(`before: ${JSON.stringify(before)}`);

      // Gracefully (GOAWAY), one after the other. Both in the same instant can still fail a call, seldom: one
      // refused on a-1 is retried once by grpc-js, and can land on a-2 before its GOAWAY arrived, when that comes
      // more than the policy's 5 ms hold later (README, "Abrupt failures": in 72 such stops, 0 calls on Node,
      // 2 on Bun, 4 on Deno, so this test would fail about one run in twelve).
      hosts.get("a-1")!.terminate();
      await sleep(300);
      hosts.get("a-2")!.terminate();
      log("zone a's backends shut down (their pods stay Ready: kube-proxy would keep sending there)");
      await sleep(1500);
      await takeAll();
      await sleep(1500);
      const during = await takeAll();
      log(`during: ${JSON.stringify(during)}`);

      await Promise.all(["a-1", "a-2"].map((pod) => hosts.get(pod)!.restart()));
      log("zone a's backends are back");
      await eventually(
        "calls back in zone a",
        async () => Object.values(await takeAll()).every((counts) => (counts["a-1"] ?? 0) + (counts["a-2"] ?? 0) > 0),
        20_000,
      );
      await sleep(1500);
      const after = await takeAll();
      log(`after: ${JSON.stringify(after)}`);

      await stopClients(clients, log);
      const zones = (counts: Record<string, number>) => Object.keys(counts).map((pod) => pod[0]).sort().join("");
      for (const { runtime } of clients) {
        assert.match(zones(before[runtime]), /^a+$/, `${runtime} before: ${JSON.stringify(before)}`);
        assert.match(zones(during[runtime]), /^[bc]+$/, `${runtime} during: ${JSON.stringify(during)}`);
        assert.match(zones(after[runtime]), /^a+$/, `${runtime} after: ${JSON.stringify(after)}`);
      }
    } finally {
      for (const client of clients) client.kill();
      await Promise.all([...hosts.values()].map((host) => host.remove()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await tearDownNodes(cluster);
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name:
    "PreferSameNode data path: a client fails over to its zone's other pod, then to the other zones, and comes back",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const hosts = new Map<string, TestHost>();
    const clients: EchoClient[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-topology-node-"));
    let namespace: string | undefined;
    try {
      const skip = (await setUpNodes(cluster)) ??
        (olderThan(cluster.version, 34)
          ? `PreferSameNode needs 1.34+, the server is ${cluster.version.gitVersion}`
          : "");
      if (skip) {
        log(`skipped: ${skip}`);
        return;
      }
      namespace = await createNamespace(fetch, "e2e-topo-node");
      const ns = namespace;
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: "grpc", port: 80, targetPort: PORT }],
        trafficDistribution: "PreferSameNode",
      });
      for (const pod of PODS) {
        const host = await createTestHost(pod.name, PORT);
        hosts.set(pod.name, host);
        await createReadyPod(fetch, ns, {
          name: pod.name,
          app: "echo",
          node: pod.node,
          ip: host.address,
          ports: [{ name: "grpc", containerPort: PORT }],
        });
      }
      const kubeconfig = await writeReaderKubeconfig(cluster, ns, directory);
      const target = `kubernetes:///echo.${ns}:grpc`;
      const locality = { node: "kgr-topo-a1", zone: "zone-a" };

      // The controller hints each endpoint for its node and its zone: a-2 is the zone's, the first failover.
      const recorder = recordEndpoints(target, { cluster: { kubeconfig: cluster.adminKubeconfigPath }, locality });
      const tiers = () => {
        const endpoints = recorder.snapshots.at(-1)?.snapshot.endpoints ?? [];
        const of = (tier: (e: (typeof endpoints)[number]) => boolean) =>
          endpoints.filter(tier).map((e) => e.podName).sort().join(",");
        return `${of((e) => e.preferred)} | ${of((e) => e.sameZone === true)} | ${
          of((e) => !e.preferred && !e.sameZone)
        }`;
      };
      await eventually("node and zone hints on every endpoint", () => tiers() === "a-1 | a-2 | b-1,c-1")
        .finally(() => recorder.stop())
        .catch(() => assert.equal(tiers(), "a-1 | a-2 | b-1,c-1"));

      for (const runtime of Object.keys(RUNTIMES)) {
        const env = { NODE_NAME: locality.node, ZONE: locality.zone };
        // The default 5 s deadline, as in the zone data path above.
        clients.push(startClient(runtime, target, kubeconfig, { env }));
      }
      await Promise.all(clients.map((client) => client.ready));
      const takeAll = async (): Promise<Record<string, Record<string, number>>> =>
        Object.fromEntries(await Promise.all(clients.map(async (client) => [client.runtime, await client.take()])));
      /** The pods each client called in 1.5 s, once 1.5 s passed for the change. */
      const settled = async (what: string) => {
        await sleep(1500);
        await takeAll();
        await sleep(1500);
        const counts = await takeAll();
        log(`${what}: ${JSON.stringify(counts)}`);
        return Object.fromEntries(
          Object.entries(counts).map(([runtime, byPod]) => [runtime, Object.keys(byPod).sort().join(",")]),
        );
      };
      const everyClient = (pods: string) => Object.fromEntries(clients.map(({ runtime }) => [runtime, pods]));
      /** Waits until every client called `pod`: a backend that restarts is dialed again after its backoff. */
      const backOn = (pod: string) =>
        eventually(
          `calls back on ${pod}`,
          async () => Object.values(await takeAll()).every((c) => (c[pod] ?? 0) > 0),
          20_000,
        );

      assert.deepEqual(await settled("the node's pod"), everyClient("a-1"));
      // Gracefully (GOAWAY); the pods stay Ready, as kube-proxy sees them.
      hosts.get("a-1")!.terminate();
      assert.deepEqual(await settled("a-1 down: the zone's pod"), everyClient("a-2"));
      hosts.get("a-2")!.terminate();
      assert.deepEqual(await settled("a-1 and a-2 down: the other zones"), everyClient("b-1,c-1"));
      await hosts.get("a-2")!.restart();
      await backOn("a-2");
      assert.deepEqual(await settled("a-2 back: the zone's pod again"), everyClient("a-2"));
      await hosts.get("a-1")!.restart();
      await backOn("a-1");
      assert.deepEqual(await settled("a-1 back: the node's pod again"), everyClient("a-1"));
      await stopClients(clients, log);
    } finally {
      for (const client of clients) client.kill();
      await Promise.all([...hosts.values()].map((host) => host.remove()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await tearDownNodes(cluster);
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});
