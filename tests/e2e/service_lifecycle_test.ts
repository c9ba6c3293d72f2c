// A Service changed while a client watches it, against the real API server and the real EndpointSlice controller
// (kube-controller-manager), as the README describes: a Service whose only slices are FQDN ones says so (kubectl
// lists them: "no EndpointSlice" would send the user looking for a Service that exists); a Service made headless in
// place (type ExternalName, then ClusterIP with clusterIP None) keeps its slices, and the client its pods, without
// an empty moment; a Service whose selector is removed keeps the controller's last slices, which a pod created
// afterwards never joins. Only watches: the pods' addresses are never dialed.
import assert from "node:assert/strict";
import { createNamespace, createService, deleteNamespace, kubeRequest, listEndpointSlices } from "./kube_objects.ts";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { openTestCluster } from "./test_cluster.ts";
import { applyNode, applySelectorService, createReadyPod, deleteNode } from "./workloads.ts";

const log = (line: string) => console.log(`    [lifecycle] ${line}`);
const NODE = "kgr-lifecycle-n1";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name:
    "service lifecycle: only FQDN slices are named as such; a Service made headless in place keeps its pods; one whose selector is removed keeps its last slices",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const recorders: ReturnType<typeof recordEndpoints>[] = [];
    const record = (target: string) => {
      const recorder = recordEndpoints(target, { cluster: { kubeconfig: cluster.adminKubeconfigPath } });
      recorders.push(recorder);
      return recorder;
    };
    let namespace: string | undefined;
    try {
      // Any other cluster runs its own EndpointSlice controller.
      await cluster.controlPlane?.startControllerManager();
      await applyNode(fetch, NODE, "zone-a");
      namespace = await createNamespace(fetch, "e2e-lifecycle");
      const ns = namespace;

      // A hand-written FQDN slice (no controller writes one): kubectl lists it, kube-proxy and the resolver skip it.
      await createService(fetch, ns, "names", [{ name: "grpc", port: 80, targetPort: 50051 }]);
      await kubeRequest(fetch, "POST", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "names-fqdn", labels: { "kubernetes.io/service-name": "names" } },
        addressType: "FQDN",
        ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
        endpoints: [{ addresses: ["backend.example.com"] }],
      });
      const names = record(`kubernetes:///names.${ns}:grpc`);
      const fqdn = await names.waitFor("an empty snapshot", (snapshot) => snapshot.emptyReason !== undefined);
      log(`only FQDN slices: ${fqdn.snapshot.emptyReason}`);
      assert.match(fqdn.snapshot.emptyReason!, /^its only EndpointSlices have addressType FQDN \(deprecated\)/);

      await applySelectorService(fetch, ns, { name: "echo", ports: [{ name: "grpc", port: 80, targetPort: "grpc" }] });
      await createReadyPod(fetch, ns, {
        name: "echo-1",
        app: "echo",
        node: NODE,
        ip: "10.216.0.1",
        ports: [{ name: "grpc", containerPort: 50051 }],
      });
      const echo = record(`kubernetes:///echo.${ns}:grpc`);
      const first = await echo.waitFor("the pod", (snapshot) => snapshot.endpoints.length === 1);
      const slicesOf = async (service: string) =>
        (await listEndpointSlices(fetch, ns, service)).items.map((slice) => slice.metadata.name).sort().join();
      const before = await slicesOf("echo");

      // Headless in place: clusterIP cannot change by itself, but ExternalName clears it and ClusterIP sets it anew.
      const patch = (spec: Record<string, unknown>) =>
        kubeRequest(fetch, "PATCH", `/api/v1/namespaces/${ns}/services/echo`, { spec }, "application/merge-patch+json");
      await patch({ type: "ExternalName", externalName: "echo.example.com" });
      await patch({ type: "ClusterIP", externalName: null, clusterIP: "None" });
      const service = await kubeRequest<{ spec: { clusterIP?: string } }>(
        fetch,
        "GET",
        `/api/v1/namespaces/${ns}/services/echo`,
      );
      assert.equal(service.spec.clusterIP, "None");
      await sleep(1500); // The controller syncs a changed Service at once; give it time to do anything it would.
      const during = echo.snapshots.filter(({ at }) => at >= first.at).map(({ snapshot }) => snapshot.endpoints.length);
      log(`made headless in place: slices ${before} then ${await slicesOf("echo")}, endpoints ${during.join(" → ")}`);
      assert.equal(await slicesOf("echo"), before);
      assert.deepEqual(during.filter((count) => count !== 1), []);

      // The selector removed: the controller leaves its slices as they were, and kube-proxy uses them too.
      await kubeRequest(
        fetch,
        "PATCH",
        `/api/v1/namespaces/${ns}/services/echo`,
        [{ op: "remove", path: "/spec/selector" }],
        "application/json-patch+json",
      );
      // The controller must have seen that change before the pod comes: a pod's event makes it sync the Services
      // that its copy of them selects the pod with, and that copy could still have the selector (the Services' and
      // the pods' watches are two streams), adding echo-2 for good. It hears of Services in order: once it wrote the
      // (empty) slice of a Service created after the change, it has the change.
      await applySelectorService(fetch, ns, { name: "fence", ports: [{ name: "grpc", port: 80, targetPort: "grpc" }] });
      for (let attempt = 0; (await listEndpointSlices(fetch, ns, "fence")).items.length === 0; attempt++) {
        assert.ok(attempt < 100, "the EndpointSlice controller writes the slice of a new Service within 20 s");
        await sleep(200);
      }
      await createReadyPod(fetch, ns, {
        name: "echo-2",
        app: "echo",
        node: NODE,
        ip: "10.216.0.2",
        ports: [{ name: "grpc", containerPort: 50051 }],
      });
      await sleep(1500);
      log(`selector removed, a second pod created: ${echo.current().join(" ")}`);
      assert.deepEqual(echo.current(), ["echo-1=10.216.0.1"]);
    } finally {
      await Promise.all(recorders.map((recorder) => recorder.stop()));
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await deleteNode(fetch, NODE).catch(() => {});
      await cluster.stop();
    }
  },
});
