// A headless Service (clusterIP: None) end to end: watchEndpoints() against the fake API server, which stores one as
// kube-apiserver v1.36.3 does. kube-proxy leaves headless Services alone (`CategorizeEndpoints` never runs for them),
// so their internalTrafficPolicy: Local must change nothing: every client gets every pod, as under Cluster.
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, type ServiceInput, startFakeApiServer } from "@kgr/resolver/testing";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { setDefaultPolicyClock } from "../src/selection/traffic_policy.ts";
import { eventually } from "./_watch_helpers.ts";
import { policyClock } from "./_fake_clock.ts";

const PORT = { name: "grpc", port: 4317 };
const NODES = ["n1", "n2"];

/** Applies Service `prod/agent` with `spec` (ports and selector added) and its one slice, a pod on each of NODES. */
function applyAgent(api: FakeApiServer, spec: Partial<ServiceInput["spec"]>) {
  const service = api.applyService({
    metadata: { namespace: "prod", name: "agent" },
    spec: { ports: [PORT], selector: { app: "agent" }, ...spec },
  });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "agent",
    port: PORT,
    endpoints: NODES.map((node, i) => ({ ip: `10.4.0.${i + 1}`, pod: `agent-${node}`, nodeName: node })),
  }));
  return service;
}

/** Follows `target` from a client on `node`, with every snapshot and error kept. */
function follow(api: FakeApiServer, node: string, target = "kubernetes:///agent.prod:grpc") {
  const controller = new AbortController();
  const snapshots: EndpointSnapshot[] = [];
  const errors: string[] = [];
  const done = (async () => {
    const iterable = watchEndpoints(target, {
      cluster: { kubeconfig: api.kubeconfig() },
      signal: controller.signal,
      locality: { node, zone: "z1" },
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (error) => errors.push(error.message),
    });
    for await (const snapshot of iterable) snapshots.push(snapshot);
  })();
  const hostsOf = (snapshot: EndpointSnapshot | undefined) =>
    snapshot?.endpoints.map((endpoint) => endpoint.addresses[0].host).join(",") ?? "(none)";
  return {
    snapshots,
    errors,
    hostsOf,
    hosts: () => hostsOf(snapshots.at(-1)),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

Deno.test("watchEndpoints() uses internalTrafficPolicy: Local on a headless Service as Cluster: every pod on every node", async () => {
  const api = await startFakeApiServer();
  const stored = applyAgent(api, { clusterIP: "None", internalTrafficPolicy: "Local" });
  assert.equal(stored.spec.clusterIP, "None");
  assert.equal(stored.spec.internalTrafficPolicy, "Local", "the fake keeps the policy, as a real server does");
  // n1 and n2 have a pod; n3 has none, where a ClusterIP Service under Local would give nothing.
  const clients = ["n1", "n2", "n3"].map((node) => follow(api, node));
  try {
    for (const client of clients) await eventually(() => client.hosts() === "10.4.0.1,10.4.0.2", "every pod");
    // Let a late Service read land: it must not narrow anything.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const client of clients) {
      assert.deepEqual(client.snapshots.map(client.hostsOf), ["10.4.0.1,10.4.0.2"], "never only the node's own pod");
      assert.equal(client.snapshots[0].internalTrafficPolicy, undefined);
      assert.equal(client.snapshots[0].emptyReason, undefined);
      assert.deepEqual(client.errors, []);
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await api.close();
  }
});

Deno.test("watchEndpoints() gives every pod once a Local Service is created again headless, when its watch resumes", async () => {
  // A Service cannot become headless in place (the fake refuses it as kube-apiserver does): it is deleted and created
  // again with clusterIP None, and a resume reads it again.
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyAgent(api, { internalTrafficPolicy: "Local" });
  const one = follow(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod under Local");
    assert.equal(one.snapshots.at(-1)!.internalTrafficPolicy, "Local");
    assert.throws(
      () => applyAgent(api, { clusterIP: "None", internalTrafficPolicy: "Local" }),
      { name: "TypeError", message: /may not change once set .*delete it, then apply it again/ },
    );
    assert.equal(api.deleteService("prod", "agent"), true);
    applyAgent(api, { clusterIP: "None", internalTrafficPolicy: "Local" });
    clock.advance(1000); // An answer less than a second old serves a resume.
    api.endWatches();
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod once the headless Service is read");
    assert.equal(one.snapshots.at(-1)!.internalTrafficPolicy, undefined);
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() follows a headless Service without ports or selector by its slices' numeric port", async () => {
  // Stored without `ports` (kube-apiserver leaves an empty list out): the resolver's read of it must not trip on that.
  const api = await startFakeApiServer();
  const stored = api.applyService({
    metadata: { namespace: "prod", name: "agent" },
    spec: { clusterIP: "None", ports: [], internalTrafficPolicy: "Local" },
  });
  assert.equal(stored.spec.ports, undefined);
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "agent",
    port: { name: "", port: 4317 },
    endpoints: NODES.map((node, i) => ({ ip: `10.4.0.${i + 1}`, pod: `agent-${node}`, nodeName: node })),
  }));
  const one = follow(api, "n3", "kubernetes:///agent.prod:4317");
  try {
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod");
    assert.equal(one.snapshots.at(-1)!.internalTrafficPolicy, undefined);
    assert.deepEqual(one.errors, []);
  } finally {
    await one.stop();
    await api.close();
  }
});
