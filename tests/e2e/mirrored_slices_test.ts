// A Service without a selector and an Endpoints object written by hand, as
// the real EndpointSliceMirroring controller (kube-controller-manager) turns
// it into EndpointSlices owned by that Endpoints object: a named target
// resolves its ready addresses and follows the Endpoints object's changes,
// and a target without a port follows the first port of such a Service
// deleted and created again with its ports in another order (the API server
// deletes the Endpoints object with the Service, so the new slices have a new
// owner); an Endpoints object whose port names are not the Service's, or
// that has only notReadyAddresses (also on an unnamed port, through a target
// without a port), or none, is named in the reason. Only watches: the
// addresses are never dialed.
import assert from "node:assert/strict";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { createNamespace, createService, deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { openTestCluster } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [mirrored] ${line}`);

async function eventually(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Writes the Endpoints object of a Service (PUT when it exists): ready and not-ready addresses, named ports; no
 * subset when there is no address (the API server refuses a subset without any).
 */
async function putEndpoints(
  fetch: Parameters<typeof kubeRequest>[0],
  namespace: string,
  name: string,
  subset: { ready: string[]; notReady?: string[]; ports: { name: string; port: number }[] },
): Promise<void> {
  const listed = subset.ready.length + (subset.notReady?.length ?? 0) > 0;
  const body = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name },
    subsets: listed
      ? [{
        addresses: subset.ready.map((ip) => ({ ip })),
        ...(subset.notReady ? { notReadyAddresses: subset.notReady.map((ip) => ({ ip })) } : {}),
        ports: subset.ports.map((port) => ({ ...port, protocol: "TCP" })),
      }]
      : [],
  };
  const path = `/api/v1/namespaces/${namespace}/endpoints`;
  const existing = await fetch(`${path}/${name}`);
  await existing.body?.cancel();
  if (existing.ok) await kubeRequest(fetch, "PUT", `${path}/${name}`, body);
  else await kubeRequest(fetch, "POST", path, body);
}

Deno.test({
  name:
    "mirrored slices: a Service without a selector resolves from its Endpoints object, and a target without a port follows it created again with another first port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const controller = new AbortController();
    const following: Promise<void>[] = [];
    let namespace: string | undefined;
    const follow = (target: string, onSnapshot: (snapshot: EndpointSnapshot) => void) => {
      const options = { cluster: { kubeconfig: cluster.adminKubeconfigPath }, signal: controller.signal };
      following.push((async () => {
        for await (const snapshot of watchEndpoints(target, options)) onSnapshot(snapshot);
      })());
    };
    try {
      // Any other cluster runs its own mirroring controller.
      await cluster.controlPlane?.startControllerManager();
      namespace = await createNamespace(fetch, "e2e-mirrored");
      const ns = namespace;
      await createService(fetch, ns, "manual", [{ name: "grpc", port: 80, targetPort: 50051 }]);
      await putEndpoints(fetch, ns, "manual", {
        ready: ["10.215.0.1", "10.215.0.2"],
        notReady: ["10.215.0.3"],
        ports: [{ name: "grpc", port: 50051 }],
      });
      let named: EndpointSnapshot | undefined;
      follow(`kubernetes:///manual.${ns}:grpc`, (snapshot) => named = snapshot);
      const hosts = () => named?.endpoints.map((e) => `${e.addresses[0].host}:${e.addresses[0].port}`).sort().join();
      await eventually("the ready addresses", () => hosts() === "10.215.0.1:50051,10.215.0.2:50051");
      log(`mirrored: ${hosts()}`);
      const slices = await kubeRequest<{ items: { metadata: { labels?: Record<string, string> } }[] }>(
        fetch,
        "GET",
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dmanual`,
      );
      assert.deepEqual(
        slices.items.map(({ metadata }) => metadata.labels?.["endpointslice.kubernetes.io/managed-by"]),
        ["endpointslicemirroring-controller.k8s.io"],
      );
      await putEndpoints(fetch, ns, "manual", {
        ready: ["10.215.0.2", "10.215.0.4"],
        ports: [{ name: "grpc", port: 50051 }],
      });
      await eventually("the changed Endpoints", () => hosts() === "10.215.0.2:50051,10.215.0.4:50051");

      const ports = [{ name: "metrics", port: 9090 }, { name: "grpc", port: 50051 }];
      await createService(fetch, ns, "two", ports);
      await putEndpoints(fetch, ns, "two", { ready: ["10.215.1.1"], ports });
      let portless: EndpointSnapshot | undefined;
      follow(`kubernetes:///two.${ns}`, (snapshot) => portless = snapshot);
      const port = () => portless?.endpoints.map((e) => e.addresses[0].port).join();
      await eventually("the Service's first port", () => port() === "9090");
      const response = await fetch(`/api/v1/namespaces/${ns}/services/two`, { method: "DELETE" });
      await response.body?.cancel();
      await createService(fetch, ns, "two", ports.toReversed());
      await putEndpoints(fetch, ns, "two", { ready: ["10.215.1.1"], ports });
      await eventually("the first port of the new Service", () => port() === "50051");
      log(`a target without a port after the Service was created again: ${port()}`);

      // An Endpoints object whose one port has no name, for a Service whose port is named "grpc": kube-proxy gives
      // that port no endpoint, and the reason says that the slices have the Endpoints object's port names (it said
      // that the Service's only port had no name).
      await createService(fetch, ns, "unnamed", [{ name: "grpc", port: 80, targetPort: 50051 }]);
      await putEndpoints(fetch, ns, "unnamed", { ready: ["10.215.2.1"], ports: [{ name: "", port: 50051 }] });
      let reason: string | undefined;
      follow(`kubernetes:///unnamed.${ns}:grpc`, (snapshot) => reason = snapshot.emptyReason);
      await eventually(
        "the reason for an unnamed port",
        () => reason?.includes("their only port has no name") === true,
      );
      assert.equal(
        reason,
        'its EndpointSlices have no port named "grpc": their only port has no name, as the Endpoints object they ' +
          `are mirrored from names it (kubectl get endpoints unnamed -n ${ns} -o yaml); kube-proxy matches them to ` +
          "the Service's ports by name, so if the Service's port is named \"grpc\", name the Endpoints object's port " +
          '"grpc" too (its ClusterIP has no endpoint until then); if the Service\'s port has no name, leave the port ' +
          "out of the target",
      );

      // Only notReadyAddresses: mirrored ready: false, and said to be so in the Endpoints object (it said to check
      // that the pods are ready, for a Service without pods).
      await createService(fetch, ns, "unready", [{ name: "grpc", port: 80, targetPort: 50051 }]);
      await putEndpoints(fetch, ns, "unready", {
        ready: [],
        notReady: ["10.215.3.1"],
        ports: [{ name: "grpc", port: 50051 }],
      });
      let unready: string | undefined;
      follow(`kubernetes:///unready.${ns}:grpc`, (snapshot) => unready = snapshot.emptyReason);
      await eventually("the reason for notReadyAddresses", () => unready?.startsWith("none of its endpoints") === true);
      assert.equal(
        unready,
        "none of its endpoints is ready: the Endpoints object they are mirrored from lists them under " +
          `notReadyAddresses (kubectl get endpoints unready -n ${ns} -o yaml)`,
      );
      // No address at all: the mirroring controller deletes the slices, and the reason says that the Endpoints
      // object needs addresses (it asked only for the object, which exists).
      await putEndpoints(fetch, ns, "unready", { ready: [], ports: [{ name: "grpc", port: 50051 }] });
      await eventually("the reason for no address", () => unready?.startsWith("service unready has no sel") === true);
      assert.match(unready!, /or an Endpoints object of its name that lists addresses/);

      // The same with one unnamed port, through a target without a port (which selects it by the name ""): the
      // reason said that the slices had no port named "".
      await createService(fetch, ns, "unnamed-unready", [{ name: "", port: 80, targetPort: 50051 }]);
      await putEndpoints(fetch, ns, "unnamed-unready", {
        ready: [],
        notReady: ["10.215.4.1"],
        ports: [{ name: "", port: 50051 }],
      });
      let unnamedUnready: string | undefined;
      follow(`kubernetes:///unnamed-unready.${ns}`, (snapshot) => unnamedUnready = snapshot.emptyReason);
      await eventually(
        "the reason for an unnamed port's notReadyAddresses",
        () => unnamedUnready !== undefined && !unnamedUnready.startsWith("service unnamed-unready has no selector"),
      );
      assert.equal(
        unnamedUnready,
        "none of its endpoints is ready: the Endpoints object they are mirrored from lists them under " +
          `notReadyAddresses (kubectl get endpoints unnamed-unready -n ${ns} -o yaml)`,
      );
    } finally {
      controller.abort();
      await Promise.all(following.map((done) => done.catch(() => {})));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await cluster.stop();
    }
  },
});
