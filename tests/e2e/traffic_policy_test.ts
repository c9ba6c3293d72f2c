// internalTrafficPolicy: Local against a real API server and the real EndpointSlice controller (v1.36.3): a
// DaemonSet-like Service (one pod per node) whose clients must reach the pod on their own node only, as kube-proxy
// sends them (`CategorizeEndpoints` in pkg/proxy/topology.go): the selection for clients on each node, on a node
// without a pod, and with no node known; the local serving-terminating fallback; and calls from clients on two
// nodes, each answered only by its own node's pod, whose backends are test hosts in network namespaces.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locality } from "@kgr/resolver";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { type EchoClient, RUNTIMES, startClient, writeReaderKubeconfig } from "./echo_clients.ts";
import { createNamespace, deleteNamespace } from "./kube_objects.ts";
import { canCreateTestHosts, createTestHost, type TestHost } from "./test_hosts.ts";
import { openTestCluster } from "./test_cluster.ts";
import { applyNode, applySelectorService, createReadyPod, deleteNode, deletePod } from "./workloads.ts";

const root = new URL("../../", import.meta.url).pathname;
const PORT = 50051;
const NODES = ["kgr-itp-n1", "kgr-itp-n2"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`    [traffic-policy] ${line}`);

async function eventually(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** What a client at `locality` gets: `pods` (sorted), or `none: <the start of the reason>`. */
function follow(target: string, kubeconfig: string, locality: Locality) {
  const recorder = recordEndpoints(target, { cluster: { kubeconfig }, locality });
  return {
    view: () => {
      const last = recorder.snapshots.at(-1)?.snapshot;
      if (!last) return "(nothing yet)";
      const pods = last.endpoints.map((endpoint) => endpoint.podName).sort().join(",");
      const policy = last.internalTrafficPolicy ?? "every pod";
      return pods === "" ? `${policy}: none: ${last.emptyReason?.split(",")[0]}` : `${policy}: ${pods}`;
    },
    stop: () => recorder.stop(),
  };
}

Deno.test({
  name:
    "internalTrafficPolicy Local: clients on two nodes each reach only their own node's pod, as kube-proxy sends them",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const hosts = new Map<string, TestHost>();
    const clients: EchoClient[] = [];
    const followers: ReturnType<typeof follow>[] = [];
    const directory = await mkdtemp(join(tmpdir(), "kgr-traffic-policy-"));
    let namespace: string | undefined;
    try {
      await cluster.controlPlane?.startControllerManager();
      for (const node of NODES) await applyNode(fetch, node, "zone-a");
      namespace = await createNamespace(fetch, "e2e-itp");
      const ns = namespace;
      await applySelectorService(fetch, ns, {
        name: "agent",
        ports: [{ name: "grpc", port: 4317, targetPort: PORT }],
        internalTrafficPolicy: "Local",
      });
      for (const [i, node] of NODES.entries()) {
        const pod = `agent-${i + 1}`;
        const host = await createTestHost(pod, PORT);
        hosts.set(pod, host);
        await createReadyPod(fetch, ns, {
          name: pod,
          app: "agent",
          node,
          ip: host.address,
          ports: [{ name: "grpc", containerPort: PORT }],
        });
      }
      const target = `kubernetes:///agent.${ns}:grpc`;
      const admin = cluster.adminKubeconfigPath;
      const views = {
        n1: follow(target, admin, { node: NODES[0], zone: "zone-a" }),
        n2: follow(target, admin, { node: NODES[1], zone: "zone-a" }),
        n3: follow(target, admin, { node: "kgr-itp-n3", zone: "zone-a" }),
        unknown: follow(target, admin, {}),
      };
      followers.push(...Object.values(views));
      const current = () => Object.fromEntries(Object.entries(views).map(([name, view]) => [name, view.view()]));
      const expect = async (step: string, expected: Record<string, string>) => {
        await t.step(step, async () => {
          await eventually(step, () => JSON.stringify(current()) === JSON.stringify(expected)).catch(() => {
            assert.deepEqual(current(), expected);
          });
          log(`${step}: ${JSON.stringify(current())}`);
        });
      };
      await expect("each node's client gets its own pod; none on a node without one; every pod with no node", {
        n1: "Local: agent-1",
        n2: "Local: agent-2",
        n3: "Local: none: no ready pod of Service agent on node kgr-itp-n3 (internalTrafficPolicy: Local)",
        unknown: "every pod: agent-1,agent-2",
      });

      await t.step("calls from clients on each node are answered by their own node's pod only", async () => {
        const kubeconfig = await writeReaderKubeconfig(cluster, ns, directory);
        const started = Object.keys(RUNTIMES).flatMap((runtime) =>
          NODES.map((node) => ({
            node,
            client: startClient(runtime, target, kubeconfig, { env: { NODE_NAME: node, ZONE: "zone-a" } }),
          }))
        );
        clients.push(...started.map(({ client }) => client));
        await Promise.all(clients.map((client) => client.ready));
        await sleep(1500);
        for (const { node, client } of started) {
          const { calls, failures, byBackend } = await client.stop();
          log(`${client.label} on ${node}: ${calls} calls, ${failures.length} failed, ${JSON.stringify(byBackend)}`);
          assert.deepEqual(failures, [], `${client.label} on ${node}`);
          assert.deepEqual(
            Object.keys(byBackend),
            [node === NODES[0] ? "agent-1" : "agent-2"],
            `${client.label} on ${node}`,
          );
        }
        clients.length = 0;
      });

      // Deleted without a kubelet, agent-1 stays Terminating (ready false, serving true): kube-proxy's Local
      // fallback still sends node 1's traffic there, though node 2 has a ready pod.
      await deletePod(fetch, ns, "agent-1");
      await expect("a node whose pod is terminating but serving keeps it, as kube-proxy's local fallback does", {
        n1: "Local: agent-1",
        n2: "Local: agent-2",
        n3: "Local: none: no ready pod of Service agent on node kgr-itp-n3 (internalTrafficPolicy: Local)",
        unknown: "every pod: agent-2",
      });
    } finally {
      for (const client of clients) client.kill();
      await Promise.all(followers.map((follower) => follower.stop()));
      await Promise.all([...hosts.values()].map((host) => host.remove()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      for (const node of NODES) await deleteNode(fetch, node).catch(() => {});
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});
