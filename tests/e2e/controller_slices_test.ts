// Slices as the real EndpointSlice controller (kube-controller-manager) writes
// them, for shapes a hand-written slice gets wrong: a Service port name longer
// than a container port's 15 characters, a targetPort the pods lack (the pod is
// listed without the port), a Service scaled to zero (the controller keeps
// one slice with no endpoints and no ports), and a Service deleted and created
// again with its ports in another order (new slices, same port names, another
// owner: a target without a port must follow the new first port), a
// headless Service without ports, a Service whose first port is UDP, and a named
// targetPort that pods number differently, targeted by one number. Only watches:
// the pods' addresses are never dialed.
import assert from "node:assert/strict";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { createNamespace, deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { openTestCluster } from "./test_cluster.ts";
import { applyNode, applySelectorService, createReadyPod, deleteNode, forgetPod } from "./workloads.ts";

const log = (line: string) => console.log(`    [controller] ${line}`);
const NODE = "kgr-slices-n1";
const PORT_NAME = "grpc-internal-api";

async function eventually(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test({
  name:
    "controller slices: a long port name resolves; a targetPort the pods lack, zero pods and a headless Service without ports each say so; a target without a port follows a Service created again, and passes over a UDP first port; a number that pods give a named port differently is noted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const controller = new AbortController();
    let namespace: string | undefined;
    let following: Promise<void> | undefined;
    let following2: Promise<void> | undefined;
    try {
      // Any other cluster runs its own EndpointSlice controller.
      await cluster.controlPlane?.startControllerManager();
      await applyNode(fetch, NODE, "zone-a");
      namespace = await createNamespace(fetch, "e2e-slices");
      const ns = namespace;
      // A Service port name may be a 63-character DNS label; the container port keeps a short name.
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: PORT_NAME, port: 80, targetPort: 50051 }],
      });
      await createReadyPod(fetch, ns, {
        name: "echo-1",
        app: "echo",
        node: NODE,
        ip: "10.214.0.2",
        ports: [{ name: "grpc", containerPort: 50051 }],
      });
      let last: EndpointSnapshot | undefined;
      following = (async () => {
        const target = `kubernetes:///echo.${ns}:${PORT_NAME}`;
        const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal: controller.signal };
        for await (const snapshot of watchEndpoints(target, options)) last = snapshot;
      })();
      const addresses = () => last?.endpoints.map((e) => `${e.podName} ${e.addresses[0].host}:${e.addresses[0].port}`);
      await eventually("the pod behind the long port name", () => addresses()?.join() === "echo-1 10.214.0.2:50051");
      log(`${PORT_NAME}: ${addresses()}`);

      // A Service whose targetPort names a container port the pod lacks: the controller lists the pod, no port.
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: PORT_NAME, port: 80, targetPort: "nope" }],
      });
      await eventually("an empty snapshot", () => last?.endpoints.length === 0);
      log(`targetPort the pods lack: ${last?.emptyReason}`);
      assert.match(
        last?.emptyReason ?? "",
        /^its EndpointSlices list pods but no port: .* the pods lack the container/,
      );
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: PORT_NAME, port: 80, targetPort: 50051 }],
      });
      await eventually("the pod again", () => addresses()?.join() === "echo-1 10.214.0.2:50051");

      await forgetPod(fetch, ns, "echo-1");
      await eventually("an empty snapshot", () => last?.endpoints.length === 0);
      const slices = await kubeRequest<{ items: { ports?: unknown; endpoints?: unknown }[] }>(
        fetch,
        "GET",
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho`,
      );
      log(`slices at zero pods: ${JSON.stringify(slices.items.map(({ ports, endpoints }) => ({ ports, endpoints })))}`);
      log(`reason: ${last?.emptyReason}`);
      // The Service's read names its selector (8f29212); without that read, the slices' words.
      assert.match(
        last?.emptyReason ?? "",
        /^(its EndpointSlices list no pod: .*scaled to zero|its selector app=echo matches no pod .*scaled to zero)/,
      );

      // A target without a port follows the first port of a Service deleted and created again with its ports
      // in another order: the new slices have the same port names, and another owner.
      const ports = [{ name: "metrics", port: 9090, targetPort: 9090 }, { name: "grpc", port: 80, targetPort: 50051 }];
      await applySelectorService(fetch, ns, { name: "two", ports });
      await createReadyPod(fetch, ns, {
        name: "two-1",
        app: "two",
        node: NODE,
        ip: "10.214.0.3",
        ports: [{ name: "grpc", containerPort: 50051 }, { name: "metrics", containerPort: 9090 }],
      });
      let portless: EndpointSnapshot | undefined;
      following2 = (async () => {
        const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal: controller.signal };
        for await (const snapshot of watchEndpoints(`kubernetes:///two.${ns}`, options)) portless = snapshot;
      })();
      const port = () => portless?.endpoints.map((e) => e.addresses[0].port).join();
      await eventually("the Service's first port", () => port() === "9090");
      const response = await fetch(`/api/v1/namespaces/${ns}/services/two`, { method: "DELETE" });
      await response.body?.cancel();
      await applySelectorService(fetch, ns, { name: "two", ports: ports.toReversed() });
      await eventually("the first port of the new Service", () => port() === "50051");
      log(`a target without a port after the Service was created again: ${port()}`);

      // A headless Service without ports (StatefulSet peers): slices without ports, as for a targetPort the pods
      // lack; a target without a port says both causes, a number in the target reaches the pods.
      await kubeRequest(fetch, "POST", `/api/v1/namespaces/${ns}/services`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "peers" },
        spec: { clusterIP: "None", selector: { app: "two" } },
      });
      const peers = async (target: string) => {
        const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal: controller.signal };
        for await (const snapshot of watchEndpoints(target, options)) {
          if (snapshot.endpoints.length > 0 || !/no EndpointSlice/.test(snapshot.emptyReason ?? "")) return snapshot;
        }
      };
      const headless = await peers(`kubernetes:///peers.${ns}`);
      log(`headless Service without ports: ${headless?.emptyReason}`);
      assert.match(
        headless?.emptyReason ?? "",
        /^its EndpointSlices list pods but no port: the Service has none \(a headless/,
      );
      const numbered = await peers(`kubernetes:///peers.${ns}:50051`);
      assert.deepEqual(numbered?.endpoints.map((e) => `${e.podName} ${e.addresses[0].port}`), ["two-1 50051"]);

      // A UDP port listed first (statsd): a target without a port gets the first TCP port, as gRPC dials TCP;
      // naming the UDP port resolves, with a note that names the TCP ports.
      await applySelectorService(fetch, ns, {
        name: "stats",
        ports: [
          { name: "statsd", port: 8125, targetPort: 8125, protocol: "UDP" },
          { name: "http", port: 8080, targetPort: 8080 },
          { name: "grpc", port: 80, targetPort: 50051 },
        ],
      });
      await createReadyPod(fetch, ns, {
        name: "stats-1",
        app: "stats",
        node: NODE,
        ip: "10.214.0.4",
        ports: [
          { name: "statsd", containerPort: 8125, protocol: "UDP" },
          { name: "http", containerPort: 8080 },
          { name: "grpc", containerPort: 50051 },
        ],
      });
      const firstOf = async (target: string) => {
        const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal: controller.signal };
        for await (const snapshot of watchEndpoints(target, options)) {
          if (snapshot.endpoints.length > 0) return snapshot;
        }
      };
      const stats = await firstOf(`kubernetes:///stats.${ns}`);
      log(`a target without a port on a Service whose first port is UDP: ${stats?.endpoints[0].addresses[0].port}`);
      assert.equal(stats?.endpoints[0].addresses[0].port, 8080);
      assert.equal(stats?.portNote, undefined);
      const statsd = await firstOf(`kubernetes:///stats.${ns}:statsd`);
      log(`the UDP port named: ${statsd?.portNote}`);
      assert.equal(statsd?.endpoints[0].addresses[0].port, 8125);
      assert.match(
        statsd?.portNote ?? "",
        /^port "statsd" is UDP .*name a TCP port in the target instead \(:grpc or :http\)$/,
      );

      // A targetPort by name that two pods number differently: the controller writes a slice per number, and a target
      // of one number dials both pods on it, where kube-proxy (and a named target) use each pod's own: a note says so.
      await applySelectorService(fetch, ns, { name: "split", ports: [{ name: "grpc", port: 80, targetPort: "grpc" }] });
      for (const [index, containerPort] of [50051, 50061].entries()) {
        await createReadyPod(fetch, ns, {
          name: `split-${index + 1}`,
          app: "split",
          node: NODE,
          ip: `10.214.0.${5 + index}`,
          ports: [{ name: "grpc", containerPort }],
        });
      }
      let split: EndpointSnapshot | undefined;
      // Within 20 s, else `split` stays undefined and the assertions below say what was missing.
      const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(20_000)]);
      const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal };
      for await (const snapshot of watchEndpoints(`kubernetes:///split.${ns}:50051`, options)) {
        if (snapshot.endpoints.length < 2 || snapshot.portNote === undefined) continue;
        split = snapshot;
        break;
      }
      log(`a number that two pods give "grpc" differently: ${split?.portNote}`);
      assert.deepEqual(split?.endpoints.map((e) => e.addresses[0].port), [50051, 50051]);
      assert.equal(
        split?.portNote,
        'port 50051 is the number of "grpc" for some pods only (the Service\'s EndpointSlices give it 50051, 50061): ' +
          "every pod is dialed on 50051 as given, the others too; name the port in the target instead (:grpc)",
      );
    } finally {
      controller.abort();
      await following?.catch(() => {});
      await following2?.catch(() => {});
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await deleteNode(fetch, NODE).catch(() => {});
      await cluster.stop();
    }
  },
});
