// Our endpoint choice held to the real kube-proxy's, on the same slices: the real
// EndpointSlice controller writes them from Pods on Nodes in four zones; the real
// kube-proxy v1.36.3 (nftables mode) runs as four of those Nodes, each in a network
// namespace this test creates; a watchEndpoints() client with each Node's locality
// runs beside it. In every situation (PreferSameZone, PreferSameNode, a zone
// without a ready pod, pods not ready, no trafficDistribution, topology-mode Auto
// hinting a pod for another zone, pods terminating, every pod terminating, none
// left, a named targetPort that gives pods different numbers), the pods a client prefers, and their ports, must be
// exactly those kube-proxy on its Node DNATs a new ClusterIP connection to, internalTrafficPolicy: Local too. The
// differences are the documented ones:
// we keep the other usable pods for failover, and keep the zone a client started with.
// kube-proxy's rules only get read: nothing is sent through them, and no pod
// address is dialed.
import assert from "node:assert/strict";
import type { Locality } from "@kgr/resolver";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { createNamespace, deleteNamespace, kubeRequest, listEndpointSlices } from "./kube_objects.ts";
import { type KubeProxies, startKubeProxies } from "./kube_proxy.ts";
import { kubeProxyTest } from "./kube_proxy_case.ts";
import {
  applyNode,
  applySelectorService,
  clearTrafficDistribution,
  createReadyPod,
  deleteNode,
  deletePod,
  forgetPod,
  setNodeStatus,
  setPodReady,
} from "./workloads.ts";

const PORT = 50051;
const SERVICE_PORT = 80;
const log = (line: string) => console.log(`    [kube-proxy] ${line}`);

/** Nodes by short name; the addresses are never dialed (kube-proxy waits 30 s for a Node without one). */
const NODES: Record<string, { zone: string; address: string }> = {
  a1: { zone: "zone-a", address: "10.213.230.1" },
  a2: { zone: "zone-a", address: "10.213.230.2" },
  a3: { zone: "zone-a", address: "10.213.230.3" },
  b1: { zone: "zone-b", address: "10.213.230.4" },
  c1: { zone: "zone-c", address: "10.213.230.5" },
  d1: { zone: "zone-d", address: "10.213.230.6" },
};
const nodeName = (short: string) => `kgr-kp-${short}`;

/** Pods by node: two in zone a, one each in b and c, none in zone d nor on a3. Addresses never dialed. */
const PODS = [
  { name: "a-1", node: "a1", ip: "10.213.220.2" },
  { name: "a-2", node: "a2", ip: "10.213.221.2" },
  { name: "b-1", node: "b1", ip: "10.213.222.2" },
  { name: "c-1", node: "c1", ip: "10.213.223.2" },
];
/** A pod that comes and goes, on a Node without a zone label. */
const E1_POD = "10.213.224.2";
/**
 * Pods of the last step, whose container port named grpc (the Service's targetPort) has a number of its own: the
 * controller writes one slice per number. Addresses never dialed.
 */
const NAMED_PODS = [
  { name: "n-a1", node: "a1", ip: "10.213.225.2", port: 8080 },
  { name: "n-b1", node: "b1", ip: "10.213.226.2", port: 9090 },
  { name: "n-c1", node: "c1", ip: "10.213.227.2", port: PORT },
];
const podOf = new Map([
  ...[...PODS, ...NAMED_PODS].map((pod): [string, string] => [pod.ip, pod.name]),
  [E1_POD, "e-1"],
]);

/** An endpoint as both sides are compared: the pod's name, and its port unless it is {@linkcode PORT}. */
const label = (name: string, port: number) => port === PORT ? name : `${name}:${port}`;

/**
 * Nodes with a kube-proxy (and a client of ours with the same locality): one with a pod in zone a, one without
 * a pod in zone a, one in zone b, and one in a zone without pods.
 */
const PROXIED = ["a1", "a3", "b1", "d1"];

const ALL = "a-1,a-2,b-1,c-1";

/** Follows the Service as a client on `locality` would. */
function follow(target: string, kubeconfig: string, locality: Locality) {
  const recorder = recordEndpoints(target, { cluster: { kubeconfig }, locality });
  const names = (preferred: boolean) =>
    (recorder.snapshots.at(-1)?.snapshot.endpoints ?? []).filter((e) => e.preferred === preferred)
      .map((e) => label(e.podName ?? e.addresses[0].host, e.addresses[0].port)).sort().join(",");
  return {
    /** The pods calls go to while any of them is up. */
    preferred: () => names(true),
    /** The usable pods it keeps for failover only. */
    others: () => names(false),
    stop: () => recorder.stop(),
  };
}

await kubeProxyTest(
  "kube-proxy differential: a client prefers exactly the pods kube-proxy on its node sends a ClusterIP to",
  log,
  async (t, cluster, controlPlane) => {
    const started = Date.now();
    const fetch = cluster.adminFetch;
    const followers: ReturnType<typeof follow>[] = [];
    let proxies: KubeProxies | undefined;
    let namespace: string | undefined;
    try {
      for (const [short, { zone, address }] of Object.entries(NODES)) {
        await applyNode(fetch, nodeName(short), zone);
        await setNodeStatus(fetch, nodeName(short), { address });
      }
      await applyNode(fetch, nodeName("e1"), undefined);
      namespace = await createNamespace(fetch, "e2e-kube-proxy");
      const ns = namespace;
      const service = { name: "kp", ports: [{ name: "grpc", port: SERVICE_PORT, targetPort: PORT }] };
      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameZone" });
      const { spec } = await kubeRequest<{ spec: { clusterIP: string } }>(
        fetch,
        "GET",
        `/api/v1/namespaces/${ns}/services/kp`,
      );
      for (const pod of PODS) {
        await createReadyPod(fetch, ns, {
          name: pod.name,
          app: "kp",
          node: nodeName(pod.node),
          ip: pod.ip,
          ports: [{ name: "grpc", containerPort: PORT }],
        });
      }
      const running = await startKubeProxies(controlPlane, PROXIED.map(nodeName), log);
      proxies = running;
      const target = `kubernetes:///kp.${ns}:grpc`;
      const startClients = () => {
        const clients = Object.fromEntries(PROXIED.map((short) => [
          short,
          follow(target, cluster.adminKubeconfigPath, { node: nodeName(short), zone: NODES[short].zone }),
        ]));
        // Clients that know only their node, and read its zone label as kube-proxy does (README "Where the client
        // runs"; the admin may read Nodes).
        const nodeOnlyClients = Object.fromEntries(PROXIED.map((short) => [
          short,
          follow(target, cluster.adminKubeconfigPath, { node: nodeName(short) }),
        ]));
        followers.push(...Object.values(clients), ...Object.values(nodeOnlyClients));
        return { clients, nodeOnlyClients };
      };
      let { clients, nodeOnlyClients } = startClients();

      /** Per node: where kube-proxy sends a new connection, and what our client prefers and keeps in reserve. */
      const read = async () =>
        Object.fromEntries(
          await Promise.all(running.proxies.map(async (proxy, index) => {
            const short = PROXIED[index];
            const destinations = await proxy.destinations(spec.clusterIP, SERVICE_PORT);
            const kubeProxy = destinations === undefined ? "(not programmed)" : destinations.map((destination) => {
              const [ip, port] = destination.split(":");
              return label(podOf.get(ip) ?? ip, Number(port));
            }).sort().join(",");
            const client = clients[short];
            const nodeOnly = nodeOnlyClients[short].preferred();
            return [short, { kubeProxy, ours: client.preferred(), nodeOnly, reserve: client.others() }];
          })),
        );

      /**
       * Waits until kube-proxy shows `expected` and our clients prefer the same (kube-proxy syncs at most once a
       * second), then asserts that they agree. `usable` is every pod a client may call: it keeps the ones it does
       * not prefer for failover, where kube-proxy drops them (intended: README "Failover"). `ours` is given only
       * for a documented difference, and then asserted instead.
       */
      const compare = async (
        situation: string,
        usable: string,
        expected: Record<string, string>,
        ours = expected,
      ) => {
        await t.step(situation, async () => {
          const want = Object.fromEntries(PROXIED.map((short) => {
            const preferred = ours[short].split(",").filter(Boolean);
            const reserve = usable.split(",").filter((pod) => pod && !preferred.includes(pod)).join(",");
            return [short, { kubeProxy: expected[short], ours: ours[short], nodeOnly: ours[short], reserve }];
          }));
          const end = Date.now() + 20_000;
          let current = await read();
          while (JSON.stringify(current) !== JSON.stringify(want) && Date.now() < end) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            current = await read();
          }
          for (const short of ours === expected ? PROXIED : []) {
            const { kubeProxy, ours: preferred, nodeOnly } = current[short];
            const proxyLog = await running.proxies[PROXIED.indexOf(short)].logs(15);
            assert.ok(
              preferred === kubeProxy && nodeOnly === kubeProxy,
              `${situation}: on ${nodeName(short)}, we prefer [${preferred}] (knowing only the node: [${nodeOnly}]), ` +
                `kube-proxy sends to [${kubeProxy}]\n${proxyLog}`,
            );
          }
          assert.deepEqual(current, want, `${situation}: both agree, on something else than expected`);
          log(
            `${situation}: ${PROXIED.map((short) => `${short} → ${current[short].kubeProxy || "(none)"}`).join("; ")}`,
          );
        });
      };

      await compare("PreferSameZone, pods in three zones: each zone its own, a zone without pods all", ALL, {
        a1: "a-1,a-2",
        a3: "a-1,a-2",
        b1: "b-1",
        d1: ALL,
      });

      // A documented difference (README "Where the client runs": the Downward API's ZONE, or one GET of the
      // Node's label per process): kube-proxy follows its Node's zone label as it changes; a client keeps the zone
      // it started with.
      await applyNode(fetch, nodeName("a3"), "zone-b");
      await compare("a Node moved to zone b: kube-proxy follows its label, our clients keep their zone", ALL, {
        a1: "a-1,a-2",
        a3: "b-1",
        b1: "b-1",
        d1: ALL,
      }, {
        a1: "a-1,a-2",
        a3: "a-1,a-2",
        b1: "b-1",
        d1: ALL,
      });
      await applyNode(fetch, nodeName("a3"), "zone-a");

      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameNode" });
      await compare("PreferSameNode: a node with a pod that pod, a node without one its zone's", ALL, {
        a1: "a-1",
        a3: "a-1,a-2",
        b1: "b-1",
        d1: ALL,
      });

      await setPodReady(fetch, ns, "a-1", false);
      await compare("PreferSameNode, the node's own pod not ready: its zone's ready pods", "a-2,b-1,c-1", {
        a1: "a-2",
        a3: "a-2",
        b1: "b-1",
        d1: "a-2,b-1,c-1",
      });

      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameZone" });
      await setPodReady(fetch, ns, "a-1", true);
      await setPodReady(fetch, ns, "b-1", false);
      await compare("PreferSameZone, no ready pod in zone b: every ready pod there", "a-1,a-2,c-1", {
        a1: "a-1,a-2",
        a3: "a-1,a-2",
        b1: "a-1,a-2,c-1",
        d1: "a-1,a-2,c-1",
      });

      await clearTrafficDistribution(fetch, ns, "kp");
      await setPodReady(fetch, ns, "b-1", true);
      await setPodReady(fetch, ns, "a-2", false);
      await compare("no trafficDistribution, one pod not ready: every ready pod everywhere", "a-1,b-1,c-1", {
        a1: "a-1,b-1,c-1",
        a3: "a-1,b-1,c-1",
        b1: "a-1,b-1,c-1",
        d1: "a-1,b-1,c-1",
      });

      await setPodReady(fetch, ns, "a-2", true);

      // topology-mode Auto hints zones in proportion to their Ready Nodes' CPU: with zone b holding half of it
      // (a1: 1, b1: 2, c1: 1; the other Nodes not Ready), one of zone a's two pods is hinted for zone b.
      for (const [short, cpu] of [["a1", "1"], ["b1", "2"], ["c1", "1"]]) {
        await setNodeStatus(fetch, nodeName(short), { address: NODES[short].address, cpu });
      }
      await applySelectorService(fetch, ns, {
        ...service,
        annotations: { "service.kubernetes.io/topology-mode": "Auto" },
      });
      const lent = await hintedElsewhere(fetch, ns, "kp", "zone-a", "zone-b");
      const kept = lent === "a-1" ? "a-2" : "a-1";
      await compare(`topology-mode Auto: ${lent} of zone a hinted for zone b`, ALL, {
        a1: kept,
        a3: kept,
        b1: [lent, "b-1"].sort().join(","),
        d1: ALL,
      });

      // A pod on a Node without a zone label: its endpoint has no zone, so no zone hint, and no client prefers a
      // zone (not every ready endpoint has a zone hint); node hints do not need a zone.
      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameZone" });
      await createReadyPod(fetch, ns, {
        name: "e-1",
        app: "kp",
        node: nodeName("e1"),
        ip: E1_POD,
        ports: [{ name: "grpc", containerPort: PORT }],
      });
      const withE1 = `${ALL},e-1`;
      await compare("PreferSameZone, a pod on a Node without a zone: no zone preference anywhere", withE1, {
        a1: withE1,
        a3: withE1,
        b1: withE1,
        d1: withE1,
      });
      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameNode" });
      await compare("PreferSameNode, a pod on a Node without a zone: node preference, no zone preference", withE1, {
        a1: "a-1",
        a3: withE1,
        b1: "b-1",
        d1: withE1,
      });
      await forgetPod(fetch, ns, "e-1");

      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameZone" });
      // Deleted without a kubelet, a Pod stays Terminating: ready false, serving true, terminating true.
      await deletePod(fetch, ns, "a-1");
      await deletePod(fetch, ns, "a-2");
      await compare(
        "PreferSameZone, zone a's pods terminating: the ready pods elsewhere, none terminating",
        "b-1,c-1",
        {
          a1: "b-1,c-1",
          a3: "b-1,c-1",
          b1: "b-1",
          d1: "b-1,c-1",
        },
      );

      // publishNotReadyAddresses: the controller writes every endpoint ready (and hints it), terminating or not
      // serving: kube-proxy and we count them as ready.
      await setPodReady(fetch, ns, "b-1", false);
      await applySelectorService(fetch, ns, {
        ...service,
        trafficDistribution: "PreferSameZone",
        publishNotReadyAddresses: true,
      });
      await compare("publishNotReadyAddresses: terminating and unready pods count as ready", ALL, {
        a1: "a-1,a-2",
        a3: "a-1,a-2",
        b1: "b-1",
        d1: ALL,
      });
      await applySelectorService(fetch, ns, { ...service, trafficDistribution: "PreferSameZone" });
      await setPodReady(fetch, ns, "b-1", true);

      await deletePod(fetch, ns, "b-1");
      await deletePod(fetch, ns, "c-1");
      await compare("every pod terminating: the serving ones, without topology", ALL, {
        a1: ALL,
        a3: ALL,
        b1: ALL,
        d1: ALL,
      });

      await setPodReady(fetch, ns, "a-1", false);
      await compare("every pod terminating, one no longer serving: the serving ones", "a-2,b-1,c-1", {
        a1: "a-2,b-1,c-1",
        a3: "a-2,b-1,c-1",
        b1: "a-2,b-1,c-1",
        d1: "a-2,b-1,c-1",
      });

      // kube-proxy sends only to its own node's pods (hints play no part), the serving-terminating ones when its node
      // has no ready one (though other nodes do), and drops the connection without one; so do we, and keep no other
      // pod in reserve (`usable` is empty: nothing to fail over to). A watch reads the policy as it starts, again as it
      // resumes (every 5 to 10 minutes), and when a client joins it: clients started after the change, which move
      // the running ones too (README, internalTrafficPolicy).
      await applySelectorService(fetch, ns, {
        ...service,
        trafficDistribution: "PreferSameZone",
        internalTrafficPolicy: "Local",
      });
      ({ clients, nodeOnlyClients } = startClients());
      await compare("internalTrafficPolicy Local, every pod terminating: only its node's serving ones", "", {
        a1: "",
        a3: "",
        b1: "b-1",
        d1: "",
      });

      for (const pod of PODS) await forgetPod(fetch, ns, pod.name);
      await compare("no pod left: kube-proxy rejects the connection, the client has no endpoint", "", {
        a1: "",
        a3: "",
        b1: "",
        d1: "",
      });

      // A named targetPort whose pods give the name different numbers: each pod is dialed on its own port, as
      // kube-proxy DNATs to it, with the zone hints of the slice of each number. Local goes: clients started after
      // the change move the running ones too.
      await applySelectorService(fetch, ns, {
        name: "kp",
        ports: [{ name: "grpc", port: SERVICE_PORT, targetPort: "grpc" }],
        trafficDistribution: "PreferSameZone",
      });
      ({ clients, nodeOnlyClients } = startClients());
      for (const pod of NAMED_PODS) {
        await createReadyPod(fetch, ns, {
          name: pod.name,
          app: "kp",
          node: nodeName(pod.node),
          ip: pod.ip,
          ports: [{ name: "grpc", containerPort: pod.port }],
        });
      }
      const named = "n-a1:8080,n-b1:9090,n-c1";
      await compare("named targetPort, pods on 8080, 9090 and 50051: each on its own port, in its zone", named, {
        a1: "n-a1:8080",
        a3: "n-a1:8080",
        b1: "n-b1:9090",
        d1: named,
      });
      log(`done in ${Date.now() - started} ms`);
    } finally {
      await Promise.all(followers.map((follower) => follower.stop()));
      await proxies?.stop();
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      for (const short of [...Object.keys(NODES), "e1"]) await deleteNode(fetch, nodeName(short)).catch(() => {});
    }
  },
);

/** Waits until the controller hints one pod of zone `from` for zone `to` (and only for it); returns its name. */
async function hintedElsewhere(
  fetch: Parameters<typeof listEndpointSlices>[0],
  namespace: string,
  service: string,
  from: string,
  to: string,
): Promise<string> {
  type Hinted = { zone?: string; targetRef?: { name: string }; hints?: { forZones?: { name: string }[] } };
  const end = Date.now() + 20_000;
  for (;;) {
    const { items } = await listEndpointSlices(fetch, namespace, service);
    const endpoints = items.flatMap((slice) => (slice.endpoints ?? []) as Hinted[]);
    const lent = endpoints.filter((e) =>
      e.zone === from && e.hints?.forZones?.length === 1 && e.hints.forZones[0].name === to
    );
    if (lent.length === 1 && lent[0].targetRef) return lent[0].targetRef.name;
    if (Date.now() > end) {
      throw new Error(`Timed out waiting for one pod of ${from} hinted for ${to}: ${JSON.stringify(endpoints)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
