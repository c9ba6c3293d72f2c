// internalTrafficPolicy: Local, as kube-proxy's CategorizeEndpoints (pkg/proxy/topology.go, v1.36.3) applies it:
// the selection on a node, the reading of the policy from the Service, and what watchEndpoints() gives a client on
// a node, against the fake API server.
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import type { EndpointSlice } from "../src/base/endpoint_slice.ts";
import { KubeApiError } from "../src/base/errors.ts";
import { createClientSelectionMemo, selectForClient } from "../src/selection/client_selection.ts";
import {
  createTrafficPolicyReader,
  readOnSlicesComeOrGo,
  setDefaultPolicyClock,
  type TrafficPolicyReaderOptions,
  type TrafficPolicyState,
} from "../src/selection/traffic_policy.ts";
import { eventually } from "./_watch_helpers.ts";
import { driveUntil, FakeClock, policyClock } from "./_fake_clock.ts";
import { setTraceSink, setWarningSink } from "../src/runtime/trace.ts";

/** A DaemonSet-like Service: one pod per node, `conditions` per pod. */
function agentSlice(pods: { node: string; ready?: boolean; serving?: boolean; terminating?: boolean }[]) {
  return {
    metadata: { name: "agent-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 4317 }],
    endpoints: pods.map(({ node, ready = true, serving = true, terminating = false }, i) => ({
      addresses: [`10.4.0.${i + 1}`],
      nodeName: node,
      zone: "z1",
      conditions: { ready, serving, terminating },
      // Hints that topology would follow, and that Local ignores as kube-proxy does.
      hints: { forZones: [{ name: "z1" }] },
      targetRef: { kind: "Pod", name: `agent-${node}-${i}` },
    })),
  } as EndpointSlice;
}

function select(slice: EndpointSlice, node: string | undefined, policy: "Local" | undefined) {
  const slices = new Map([[slice.metadata.name!, slice]]);
  const memo = createClientSelectionMemo();
  const locality = { node, zone: "z1" };
  return selectForClient(slices, "grpc", {
    locality,
    memo,
    service: "agent",
    namespace: "prod",
    internalTrafficPolicy: policy,
  });
}

const pods = (selection: { endpoints: { podName?: string | undefined }[] }) =>
  selection.endpoints.map((endpoint) => endpoint.podName).join(",");

Deno.test("selectForClient() under Local gives only the ready pods on the client's node, and no topology", () => {
  const slice = agentSlice([{ node: "n1" }, { node: "n2" }, { node: "n1", ready: false, serving: false }]);
  const local = select(slice, "n1", "Local");
  assert.equal(pods(local), "agent-n1-0");
  assert.equal(local.topology, "none", "zone hints play no part under Local");
  assert.equal(local.internalTrafficPolicy, "Local");
  assert.equal(local.endpoints[0].preferred, true);
  assert.equal(pods(select(slice, "n1", undefined)), "agent-n1-0,agent-n2-1", "Cluster: every ready pod");
});

Deno.test("selectForClient() under Local falls back to the node's serving-terminating pods though other nodes have ready ones", () => {
  const slice = agentSlice([{ node: "n1", ready: false, terminating: true }, { node: "n2" }]);
  assert.equal(pods(select(slice, "n1", "Local")), "agent-n1-0", "kube-proxy's local fallback");
  assert.equal(pods(select(slice, "n1", undefined)), "agent-n2-1", "Cluster: the ready one");
});

Deno.test("selectForClient() under Local gives no endpoint on a node without a pod, and says where the pods are", () => {
  const slice = agentSlice([{ node: "n2" }, { node: "n3" }]);
  const local = select(slice, "n1", "Local");
  assert.deepEqual(local.endpoints, []);
  assert.equal(
    local.emptyReason,
    "no ready pod of Service agent on node n1 (internalTrafficPolicy: Local), where kube-proxy drops the calls too; " +
      "2 pods run on other nodes (n2, n3): check that a pod of it runs and is ready on this node (kubectl get pods " +
      "-n prod -o wide --field-selector spec.nodeName=n1), or set the Service's internalTrafficPolicy to Cluster",
  );
});

// Seen on kube-proxy v1.36.3: f-b1, ready but without the admin port, was told to be made ready, and kubectl showed
// it ready; a terminating pod was not named either.
Deno.test("selectForClient() under Local says what is wrong with the node's own pods: a port missing, terminating", () => {
  const withAdmin = agentSlice([{ node: "n2" }, { node: "n3" }, {
    node: "n1",
    ready: false,
    serving: false,
    terminating: true,
  }]);
  withAdmin.ports = [{ name: "admin", port: 9000 }];
  const withoutAdmin: EndpointSlice = {
    metadata: { name: "agent-y", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 4317 }],
    endpoints: [{ addresses: ["10.4.1.1"], nodeName: "n1", targetRef: { kind: "Pod", name: "f-b1" } }],
  };
  const slices = new Map([[withAdmin.metadata.name!, withAdmin], [withoutAdmin.metadata.name!, withoutAdmin]]);
  const options = { memo: createClientSelectionMemo(), service: "fb", namespace: "prod" } as const;
  const local = selectForClient(slices, "admin", {
    ...options,
    locality: { node: "n1" },
    internalTrafficPolicy: "Local",
  });
  assert.deepEqual(local.endpoints, []);
  assert.equal(
    local.emptyReason,
    "no usable pod of Service fb on node n1 (internalTrafficPolicy: Local), where kube-proxy drops the calls too: " +
      "its pod agent-n1-2 is terminating, no longer serving (calls resume once a new pod of it is ready on this " +
      "node: kubectl get pods -n prod -o wide --field-selector spec.nodeName=n1); its pod f-b1 has no port named " +
      '"admin" (give the pods the container port the Service\'s targetPort names, or change the targetPort: kubectl ' +
      "get service fb -n prod -o yaml); 2 pods run on other nodes (n2, n3): fix the pods on this node, or set the " +
      "Service's internalTrafficPolicy to Cluster",
  );
  // Its slice names the port but gives it no number a client can dial: said in the words of the pod's row.
  withoutAdmin.ports = [{ name: "admin", port: 0 }];
  const undialable = selectForClient(slices, "admin", {
    ...options,
    locality: { node: "n1" },
    internalTrafficPolicy: "Local",
  });
  assert.match(
    undialable.emptyReason ?? "",
    /; its pod f-b1 is in an EndpointSlice that gives port "admin" no number a client can dial \(1-65535\) \(kubectl get endpointslices -n prod -l kubernetes.io\/service-name=fb -o yaml shows its ports\); 2 pods run/,
  );
  const unready = { ready: false, serving: false };
  const notReady = agentSlice([{ node: "n2" }, { node: "n1", ...unready }, { node: "n1", ...unready }]);
  assert.equal(
    select(notReady, "n1", "Local").emptyReason,
    "no usable pod of Service agent on node n1 (internalTrafficPolicy: Local), where kube-proxy drops the calls " +
      "too: its pods agent-n1-1, agent-n1-2 are not ready (kubectl describe pod POD -n prod shows why, such as a " +
      "failing readiness probe); 1 pod runs on other nodes (n2): fix the pods on this node, or set the " +
      "Service's internalTrafficPolicy to Cluster",
  );
});

Deno.test("selectForClient() under Local with no usable pod anywhere gives the Service's own reason", () => {
  const local = select(agentSlice([{ node: "n1", ready: false, serving: false }]), "n1", "Local");
  assert.deepEqual(local.endpoints, []);
  assert.match(local.emptyReason!, /\(internalTrafficPolicy: Local: only pods on node n1 are used\)$/);
});

/**
 * A reader of the Service agent in prod, asked for its first read, whose GET answers with `get(read)` (`read` counts
 * from 0); `options` adds to or replaces the reader's other options.
 */
function startReader(
  get: (read: number) => Promise<unknown>,
  options: Partial<Omit<TrafficPolicyReaderOptions, "api" | "signal">> = {},
) {
  const controller = new AbortController();
  let reads = 0;
  const policy = createTrafficPolicyReader({
    service: "agent",
    namespace: "prod",
    api: { get: () => get(reads++) as never },
    signal: controller.signal,
    onChange() {},
    ...options,
  });
  policy.refresh("the first state");
  return { policy, stop: () => controller.abort(), reads: () => reads };
}

/** A reader of a Service whose GET answers from `answers` in turn, on `clock` when given. */
function reader(answers: (() => Promise<unknown>)[], onChange = () => {}, clock?: FakeClock) {
  const answer = (read: number) => answers[Math.min(read, answers.length - 1)]();
  return startReader(answer, { backoff: { initialMs: 5, maxMs: 10 }, onChange, clock });
}

const service = (spec: Record<string, unknown>) => () => Promise.resolve({ spec });
/** What a reader knows but the Service's shape, which the tests of `no_endpoints_reason_test.ts` read. */
const policyOnly = (state: TrafficPolicyState | undefined) => {
  const { shape: _, ...rest } = state ?? {};
  return rest;
};
const refuse = (status: number) => () => Promise.reject(new KubeApiError(`Cannot get service: ${status}`, { status }));

Deno.test("createTrafficPolicyReader() reads Local, and not for a headless Service, which kube-proxy leaves alone", async () => {
  const local = reader([service({ clusterIP: "10.96.0.9", internalTrafficPolicy: "Local" })]);
  const headless = reader([service({ clusterIP: "None", internalTrafficPolicy: "Local" })]);
  try {
    assert.equal(local.policy.current(), undefined, "nothing known before the first answer");
    await eventually(() => local.policy.current() !== undefined && headless.policy.current() !== undefined, "answers");
    assert.deepEqual(policyOnly(local.policy.current()), { policy: "Local" });
    assert.equal(local.policy.policyFor("n1"), "Local");
    assert.deepEqual(policyOnly(headless.policy.current()), { policy: "Cluster" });
  } finally {
    local.stop();
    headless.stop();
  }
});

Deno.test("createTrafficPolicyReader() keeps the Service's shape through a failed read, drops it on a 403 or 404, and calls onChange only when it changes", async () => {
  let changes = 0;
  const clock = new FakeClock();
  const selected = service({ selector: { app: "agent" }, ports: [{ name: "grpc", port: 4317 }] });
  const read = reader([selected, selected, refuse(503), refuse(403), selected], () => changes++, clock);
  const next = async (reads: number) => {
    // An answer less than a second old serves a refresh: past that, whatever timers the last read moved the clock by.
    clock.advance(1_500);
    read.policy.refresh("the watch resumes (timeout)");
    await driveUntil(clock, () => read.reads() === reads);
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  try {
    await eventually(() => read.policy.current() !== undefined, "the first answer");
    const first = read.policy.current();
    assert.equal(first?.shape?.selector, "app=agent");
    await next(2);
    assert.equal(read.policy.current(), first, "the same answer: the same state, no change");
    assert.equal(changes, 1);
    await next(3); // A 503: what the last answer said stays.
    assert.equal(read.policy.current(), first);
    await driveUntil(clock, () => read.reads() === 4); // Its retry's 403.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(read.policy.current()?.shape, undefined, "a refusal says nothing of the spec");
    await next(5);
    assert.equal(read.policy.current()?.shape?.selector, "app=agent");
  } finally {
    read.stop();
  }
});

Deno.test("createTrafficPolicyReader() without get on services uses every pod, and reads again when the watch resumes", async () => {
  let changes = 0;
  const clock = new FakeClock();
  const forbidden = reader([refuse(403), service({ internalTrafficPolicy: "Local" })], () => changes++, clock);
  try {
    await eventually(() => forbidden.policy.current() !== undefined, "the refusal");
    assert.equal(forbidden.policy.current()!.policy, "Cluster");
    assert.match(forbidden.policy.current()!.unknown!, /403/);
    assert.equal(changes, 1);
    // The grant came while the client ran: the next resume, every 5 to 10 minutes at most, reads the Service (a
    // relist may never come).
    clock.advance(300_000);
    forbidden.policy.refresh("the watch resumes (timeout)");
    await eventually(() => forbidden.policy.current()!.policy === "Local", "Local once the read is granted");
    assert.equal(forbidden.reads(), 2);
    assert.equal(changes, 2);
  } finally {
    forbidden.stop();
  }
});

Deno.test("createTrafficPolicyReader() traces a Service not found once, not at each resume of its watch", async () => {
  const traces: string[] = [];
  setTraceSink((text) => traces.push(text));
  const clock = new FakeClock();
  const missing = reader([refuse(404)], undefined, clock);
  try {
    await eventually(() => missing.policy.current() !== undefined, "the 404");
    for (let i = 2; i <= 3; i++) {
      clock.advance(300_000); // The watch's timeout: 5 to 10 minutes.
      missing.policy.refresh("the watch resumes (timeout)");
      await eventually(() => missing.reads() === i, `read ${i}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const said = traces.filter((text) => text.includes("cannot read its internalTrafficPolicy"));
    assert.equal(said.length, 1, said.join("\n"));
  } finally {
    setTraceSink(undefined);
    missing.stop();
  }
});

Deno.test("createTrafficPolicyReader() keeps Local through a failed read, and retries it", async () => {
  const clock = new FakeClock();
  const flaky = reader(
    [
      service({ internalTrafficPolicy: "Local" }),
      refuse(503),
      service({ internalTrafficPolicy: "Local" }),
    ],
    undefined,
    clock,
  );
  try {
    await eventually(() => flaky.policy.current() !== undefined, "the first answer");
    clock.advance(1000); // An answer less than a second old serves a refresh.
    flaky.policy.refresh("the watch resumes (timeout)");
    await driveUntil(clock, () => flaky.reads() === 3); // The retry after the 503, due 5 to 10 ms after it.
    assert.ok(clock.now() >= 1005 && clock.now() <= 1010, `the retry at ${clock.now()} ms`);
    assert.deepEqual(policyOnly(flaky.policy.current()), { policy: "Local" }, "the last good answer stays");
  } finally {
    flaky.stop();
  }
});

Deno.test("createTrafficPolicyReader() under Local with the client's node unknown gives pods on every node, and says so truly", async () => {
  const answer = service({ internalTrafficPolicy: "Local" });
  const local = startReader(answer, { service: "agent-of-unknown-node", backoff: { initialMs: 5, maxMs: 10 } });
  const warnings: string[] = [];
  const previous = setWarningSink((text) => warnings.push(text));
  try {
    await eventually(() => local.policy.current() !== undefined, "the answer");
    assert.equal(local.policy.policyFor(undefined), undefined);
    assert.equal(warnings.length, 1, "one warning");
    // Was "its calls go to every pod of it": a client whose ZONE is set still prefers its zone's pods (seen with
    // kube-proxy's zone hints on a real control plane: calls went only to zone-a's pods).
    assert.match(warnings[0], /its calls go to its pods on every node \(within the client's zone when the Service's /);
    assert.doesNotMatch(warnings[0], /every pod/);
  } finally {
    setWarningSink(previous);
    local.stop();
  }
});

Deno.test("createTrafficPolicyReader() warns once for each Local Service whose client's node is unknown, whatever others were warned about", async () => {
  const local = service({ internalTrafficPolicy: "Local" });
  const warnings: string[] = [];
  const previous = setWarningSink((text) => warnings.push(text));
  const readers = [["agent-x", "prod-x"], ["cart-x", "shop-x"], ["cart-x", "prod-x"], ["agent-x", "prod-x"]].map((
    [name, namespace],
  ) => startReader(local, { service: name, namespace, backoff: { initialMs: 5, maxMs: 10 } }));
  try {
    for (const { policy } of readers) {
      await eventually(() => policy.current() !== undefined, "the answer");
      policy.policyFor(undefined);
    }
    // Was two: cart-x in prod-x matched the keys of the two before it, one each.
    assert.deepEqual(warnings.map((text) => /^service (\S+ in namespace \S+)/.exec(text)?.[1]), [
      "agent-x in namespace prod-x",
      "cart-x in namespace shop-x",
      "cart-x in namespace prod-x",
    ]);
  } finally {
    setWarningSink(previous);
    for (const { stop } of readers) stop();
  }
});

/** Follows `agent.prod:grpc` from a client on `node`. */
function followAgent(api: FakeApiServer, node: string | undefined, server = api.url) {
  const controller = new AbortController();
  const snapshots: EndpointSnapshot[] = [];
  const errors: string[] = [];
  const done = (async () => {
    const iterable = watchEndpoints("kubernetes:///agent.prod:grpc", {
      cluster: server === api.url ? { kubeconfig: api.kubeconfig() } : { server },
      signal: controller.signal,
      locality: { node, zone: "z1" },
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (error) => errors.push(error.message),
    });
    for await (const snapshot of iterable) snapshots.push(snapshot);
  })();
  return {
    snapshots,
    errors,
    last: () => snapshots.at(-1),
    hosts: () => snapshots.at(-1)?.endpoints.map((endpoint) => endpoint.addresses[0].host).join(",") ?? "(none)",
    async stop() {
      controller.abort();
      await done;
    },
  };
}

function applyAgent(api: FakeApiServer, nodes: string[], policy: "Cluster" | "Local") {
  api.applyService({
    metadata: { namespace: "prod", name: "agent" },
    spec: { ports: [{ name: "grpc", port: 4317 }], internalTrafficPolicy: policy },
  });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "agent",
    port: { name: "grpc", port: 4317 },
    endpoints: nodes.map((node, i) => ({ ip: `10.4.0.${i + 1}`, pod: `agent-${node}`, nodeName: node })),
  }));
}

Deno.test("watchEndpoints() on a Service with internalTrafficPolicy: Local gives each node's client only its own pod", async () => {
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Local");
  const one = followAgent(api, "n1");
  const two = followAgent(api, "n2");
  const three = followAgent(api, "n3");
  try {
    await eventually(() => one.hosts() === "10.4.0.1" && two.hosts() === "10.4.0.2", "each node's own pod");
    assert.equal(one.snapshots.length, 1, "never every pod first");
    assert.equal(one.last()!.internalTrafficPolicy, "Local");
    await eventually(() => three.snapshots.length > 0, "the client on a node without a pod");
    assert.equal(three.hosts(), "");
    assert.match(
      three.last()!.emptyReason!,
      /^no ready pod of Service agent on node n3 \(internalTrafficPolicy: Local\)/,
    );
  } finally {
    await Promise.all([one.stop(), two.stop(), three.stop()]);
    await api.close();
  }
});

Deno.test("watchEndpoints() follows a Service switched to Local when its watch resumes", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Cluster");
  const one = followAgent(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod under Cluster");
    assert.equal(one.last()!.internalTrafficPolicy, undefined);
    applyAgent(api, ["n1", "n2"], "Local");
    clock.advance(1000); // An answer less than a second old serves a resume.
    api.endWatches();
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod once the Service is read again");
    assert.equal(one.last()!.internalTrafficPolicy, "Local");
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() without get on services gives every pod of a Local Service, without an error", async () => {
  const api = await startFakeApiServer({ token: "t" });
  applyAgent(api, ["n1", "n2"], "Local");
  api.setAccess({
    username: "client",
    rules: [{ verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] }],
  });
  const one = followAgent(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod, as before the policy was read");
    assert.ok(api.requests.some((request) => request.kind === "get" && request.status === 403));
    assert.deepEqual(one.errors, [], "no error: the policy is optional, as the Role may lack it");
  } finally {
    await one.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() honours Local once get on services is granted, when its watch resumes", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer({ token: "t" });
  applyAgent(api, ["n1", "n2"], "Local");
  const slicesOnly = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
  api.setAccess({ username: "client", rules: [slicesOnly] });
  const one = followAgent(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod while the Service cannot be read");
    // The Role that `kgr-resolver check` prints, applied while the client runs.
    api.setAccess({
      username: "client",
      rules: [slicesOnly, { verbs: ["get"], apiGroups: [""], resources: ["services"] }],
    });
    // A refusal less than a second old serves a resume (as an answer does); the watch's timeout is minutes away.
    clock.advance(1000);
    api.endWatches(); // The watch's timeout (5 to 10 minutes): it resumes without listing again.
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod once the Service is read again");
    assert.equal(one.last()!.internalTrafficPolicy, "Local");
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() reads the policy again for a client that joins a running watch, and moves every client", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Cluster");
  const first = followAgent(api, "n1");
  let second: ReturnType<typeof followAgent> | undefined;
  try {
    await eventually(() => first.hosts() === "10.4.0.1,10.4.0.2", "every pod under Cluster");
    applyAgent(api, ["n1", "n2"], "Local");
    clock.advance(1000); // A channel that joins within a second of the last read waits for the second's end.
    second = followAgent(api, "n2");
    await eventually(() => second!.hosts() === "10.4.0.2", "the new client's node's pod");
    await eventually(() => first.hosts() === "10.4.0.1", "the running client moved too");
  } finally {
    setDefaultPolicyClock(undefined);
    await first.stop();
    await second?.stop();
    await api.close();
  }
});

/** A loopback proxy to the fake API server that holds every GET of a Service until `release()`. */
function holdServiceReads(api: FakeApiServer) {
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const held = { count: 0 };
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    if (/\/services\/[^/]+$/.test(url.pathname)) {
      held.count++;
      await released;
    }
    return fetch(`${api.url}${url.pathname}${url.search}`, { method: request.method, headers: request.headers });
  });
  return { url: `http://127.0.0.1:${proxy.addr.port}`, held, release, close: () => proxy.shutdown() };
}

Deno.test("watchEndpoints() does not wait for a Service read that hangs: every pod within 2 s, then the node's own", async () => {
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Local");
  const proxy = holdServiceReads(api);
  const one = followAgent(api, "n1", proxy.url);
  try {
    const start = Date.now();
    // The slices came (a list answered) but the Service's GET hangs (a stalled API server, APF queueing): the
    // first endpoints must not wait for its 150 s timeout.
    await eventually(() => one.snapshots.length > 0, "the first endpoints while the Service read hangs", 4000);
    assert.ok(Date.now() - start < 3000, `first endpoints after ${Date.now() - start} ms`);
    assert.equal(proxy.held.count, 1);
    assert.equal(one.hosts(), "10.4.0.1,10.4.0.2", "every pod, as while the policy is unknown");
    assert.equal(one.last()!.internalTrafficPolicy, undefined);
    proxy.release();
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod once the Service answers");
    assert.equal(one.last()!.internalTrafficPolicy, "Local");
    assert.deepEqual(one.errors, []);
  } finally {
    proxy.release();
    await one.stop();
    await proxy.close();
    await api.close();
  }
});

Deno.test("watchEndpoints() reads the Service at most once a second for channels that join one after another", async () => {
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Cluster");
  const clients = [followAgent(api, "n1")];
  const serviceReads = () => api.requests.filter(({ path }) => path.endsWith("/services/agent")).length;
  try {
    await eventually(() => clients[0].snapshots.length > 0, "the first client's endpoints");
    const before = serviceReads();
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      const client = followAgent(api, "n1");
      clients.push(client);
      await eventually(() => client.snapshots.length > 0, `joining client ${i}'s endpoints`);
    }
    // Was one GET per channel (10): a process that makes channels steadily sent as many Service reads.
    const seconds = Math.ceil((Date.now() - start) / 1000);
    assert.ok(serviceReads() - before <= seconds + 1, `${serviceReads() - before} reads in ${seconds} s`);
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await api.close();
  }
});

Deno.test("watchEndpoints() on a client whose node is unknown does not wait for the Service read: Local changes nothing there", async () => {
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Local");
  const proxy = holdServiceReads(api);
  const unplaced = followAgent(api, undefined, proxy.url);
  try {
    const start = Date.now();
    // Was 2 s (the bound on the first read): every client paid the Service's round trip before its first endpoints.
    await eventually(() => unplaced.snapshots.length > 0, "the first endpoints of a client without a node", 4000);
    assert.ok(Date.now() - start < 1000, `first endpoints after ${Date.now() - start} ms`);
    assert.equal(unplaced.hosts(), "10.4.0.1,10.4.0.2");
    proxy.release();
    await eventually(() => proxy.held.count === 1, "the Service read");
    assert.equal(unplaced.hosts(), "10.4.0.1,10.4.0.2", "every pod still: its node is unknown");
  } finally {
    proxy.release();
    await unplaced.stop();
    await proxy.close();
    await api.close();
  }
});

Deno.test("createTrafficPolicyReader() waits out a 429's Retry-After before reading again, as the port lookup does", async () => {
  const throttled = () => Promise.reject(new KubeApiError("Too many requests", { status: 429, retryAfterSeconds: 60 }));
  const clock = new FakeClock();
  const asked = reader([throttled, service({ internalTrafficPolicy: "Local" })], undefined, clock);
  try {
    await eventually(() => asked.policy.current() !== undefined, "the 429");
    clock.advance(59_999);
    // Was 2 or more: its own backoff (5 to 10 ms here) read again at once, and under priority and fairness a read
    // every second or so whatever the server asked (and, in the CLI, cleared the 429 it had to name meanwhile).
    assert.equal(asked.reads(), 1);
    clock.advance(1);
    assert.equal(asked.reads(), 2, "read again once the minute asked for is over");
  } finally {
    asked.stop();
  }
});

Deno.test("createTrafficPolicyReader() does not read again for a relist a second after the Service answered", async () => {
  const clock = new FakeClock();
  const local = reader([service({ internalTrafficPolicy: "Local" })], undefined, clock);
  try {
    await eventually(() => local.policy.current() !== undefined, "the first answer");
    // After an API server's restart: the read retried through the outage answered, and the 410's relist came 100 ms
    // later; it read the Service again (11 of 20 clients sent two GETs).
    clock.advance(100);
    local.policy.refresh("the watch lists again");
    local.policy.refresh("the watch resumes (expired)");
    assert.equal(local.reads(), 1);
    clock.advance(899);
    local.policy.refresh("the watch lists again");
    assert.equal(local.reads(), 1, "999 ms after the answer");
    clock.advance(1);
    local.policy.refresh("the watch lists again");
    assert.equal(local.reads(), 2, "a second later it reads again");
  } finally {
    local.stop();
  }
});

Deno.test("createTrafficPolicyReader() does not read again for a relist a second after the Service was refused", async () => {
  for (const status of [403, 404]) {
    const clock = new FakeClock();
    const refused = reader([refuse(status)], undefined, clock);
    try {
      await eventually(() => refused.policy.current() !== undefined, `the ${status}`);
      // A resume from a point the watch cache lost: the watch's 200 read the Service, then its 410 Expired made the
      // watch list again 100 ms later; a refusal is as fresh an answer as a Service (it read twice, where a grant read
      // once: fake API server with watchCacheSize 1).
      clock.advance(100);
      refused.policy.refresh("the watch lists again");
      assert.equal(refused.reads(), 1, `${status}: 100 ms after the refusal`);
      clock.advance(900);
      refused.policy.refresh("the watch resumes (timeout)");
      await eventually(() => refused.reads() === 2, `${status}: a second later it reads again`);
    } finally {
      refused.stop();
    }
  }
});

Deno.test("watchEndpoints() reads the Service for a resume once the API server answers again: one read, none in the outage", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Local");
  const one = followAgent(api, "n1");
  const serviceReads = () => api.requests.filter(({ path }) => path.endsWith("/services/agent"));
  try {
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod");
    clock.advance(1000); // An answer less than a second old serves a resume.
    const before = serviceReads().length;
    // An API server's restart: its requests fail for a while, and then its watch cache no longer has the watch's
    // resourceVersion (410, relist).
    api.applySlice(endpointSlice({ namespace: "prod", service: "other", endpoints: [{ ip: "10.5.0.1" }] }));
    api.compact();
    api.failNext(6, { status: 503, path: "any" });
    api.dropWatches();
    await eventually(() => api.pendingFailures === 0, "the outage's failures");
    await eventually(() => serviceReads().length > before, "the read after the outage");
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Was a read at the end of the watch, failed and retried through the outage, and often one more for the relist.
    const statuses = serviceReads().slice(before).map(({ status }) => status);
    assert.deepEqual(statuses, [200], "one read, once the API server answered");
    assert.equal(one.hosts(), "10.4.0.1");
    const relisted = api.requests.some(({ query }) => query.sendInitialEvents === "true" && query.resourceVersion);
    assert.ok(relisted, "the 410's relist (a streaming list from the watch's resourceVersion) came too");
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

Deno.test("createTrafficPolicyReader() holds the retry of a failed read while the watch resumes, and reads once it is answered", async () => {
  const clock = new FakeClock();
  const flaky = reader([refuse(503), service({ internalTrafficPolicy: "Local" })], undefined, clock);
  // The watch resumes as the first read is under way. Behind a balancer that hands out connections in turn, a retry
  // sent meanwhile took the live server's turn, and the watch met the dead one twice in a row (reported).
  const traces: string[] = [];
  setTraceSink((text) => traces.push(text));
  flaky.policy.hold(true);
  try {
    await eventually(() => flaky.policy.current() !== undefined, "the failed read");
    clock.advance(100); // Its retry was due 5 to 10 ms after it failed.
    assert.equal(flaky.reads(), 1, "no retry while held");
    // The trace said only "reading again in 7 ms", and nothing came then.
    assert.equal(traces.filter((text) => text.includes("waits until the watch's API server answers again")).length, 1);
    flaky.policy.hold(false);
    await eventually(() => flaky.policy.current()?.policy === "Local", "the retry once released");
    assert.equal(flaky.reads(), 2);
  } finally {
    setTraceSink(undefined);
    flaky.stop();
  }
});

Deno.test("watchEndpoints() reads the Service from the API server's watch cache (resourceVersion=0), not from etcd", async () => {
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Local");
  const one = followAgent(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod");
    const reads = api.requests.filter(({ path }) => path.endsWith("/services/agent"));
    // Was no resourceVersion: kube-apiserver v1.36.3 sends such a GET to etcd (a quorum read) every time, where
    // resourceVersion=0 is answered from its watch cache, as kube-proxy's informer reads Services.
    assert.deepEqual(reads.map(({ query }) => query.resourceVersion), ["0"]);
  } finally {
    await one.stop();
    await api.close();
  }
});

Deno.test("createTrafficPolicyReader() does not hold the first read: deliveries wait for it", async () => {
  const controller = new AbortController();
  let reads = 0;
  const policy = createTrafficPolicyReader({
    service: "agent",
    namespace: "prod",
    api: { get: () => (reads++, Promise.resolve({ spec: { internalTrafficPolicy: "Local" } })) },
    signal: controller.signal,
    onChange() {},
  });
  try {
    // A watch that failed between its first LIST and the first delivery (credentials that may list but not watch).
    policy.hold(true);
    policy.refresh("the first state");
    await eventually(() => policy.current() !== undefined, "the first answer");
    assert.equal(reads, 1);
  } finally {
    controller.abort();
  }
});

Deno.test("watchEndpoints() reads a Service deleted and created again as Local a moment after a resume's read", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyAgent(api, ["n1", "n2"], "Cluster");
  const one = followAgent(api, "n1");
  try {
    await eventually(() => one.hosts() === "10.4.0.1,10.4.0.2", "every pod under Cluster");
    clock.advance(1000); // An answer less than a second old serves a resume.
    api.endWatches();
    const reads = () => api.requests.filter(({ path }) => path.endsWith("/services/agent")).length;
    await eventually(() => reads() === 2, "the resume's read");
    // `kubectl replace --force`: the Service and its slices go, and come back with Local. Its slices where there
    // were none read it again; that read was skipped as the old Service had answered less than a second before, and
    // the client kept every pod until the next resume (5 to 10 minutes).
    api.deleteService("prod", "agent");
    for (const slice of api.slices("prod")) api.deleteSlice("prod", slice.metadata.name!);
    await eventually(() => one.hosts() === "", "no pod while the Service is gone");
    clock.advance(900); // Less than a second after the resume's read still: the new slices' read waits 0.1 s.
    applyAgent(api, ["n1", "n2"], "Local");
    await eventually(() => one.hosts() === "10.4.0.1", "the node's own pod under the new Service's Local");
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

const notFound = () => () =>
  Promise.reject(
    new KubeApiError(`Cannot get service "agent": 404`, { status: 404, details: { kind: "services", name: "agent" } }),
  );

Deno.test("createTrafficPolicyReader() reads a Service not found again within 30 s, so a Service created without a selector is no longer said missing", async () => {
  let changes = 0;
  const clock = new FakeClock();
  // No slice will come: a Service without a selector (or ExternalName) has none, and the watch relists every 5 to 10
  // minutes at most.
  const missing = reader([notFound(), notFound(), service({})], () => changes++, clock);
  try {
    await eventually(() => missing.policy.current()?.missing === "service", "the 404");
    const found = clock.now();
    await driveUntil(clock, () => missing.reads() === 2);
    const first = clock.now() - found;
    assert.ok(first >= 10_000 && first <= 30_000, `read again ${first} ms after the 404`);
    assert.equal(missing.policy.current()?.missing, "service", "still missing");
    await driveUntil(clock, () => missing.policy.current()?.missing === undefined);
    assert.ok(clock.now() - found <= 60_000, `created, said so ${clock.now() - found} ms after the first 404`);
    assert.equal(missing.reads(), 3);
    assert.deepEqual(policyOnly(missing.policy.current()), { policy: "Cluster" });
    // Found, with no slice that lists a pod (none here): read again within 30 s all the same (see the next test).
    await driveUntil(clock, () => missing.reads() === 4);
    assert.ok(clock.now() - found <= 90_000, `read again ${clock.now() - found} ms after the first 404`);
  } finally {
    missing.stop();
  }
});

Deno.test("createTrafficPolicyReader() reads a Service found again within 30 s while its slices list no pod, and not once they do", async () => {
  // v1.36.3 leaves a slice without endpoints as it was when the selector changes to another that matches no pod,
  // and an ExternalName Service has no slice to change: only a read tells the empty set's reason of the new spec.
  const clock = new FakeClock();
  const slice = { metadata: { name: "agent-x1" }, addressType: "IPv4" as const, endpoints: null as null | object[] };
  const selectors = (read: number) => Promise.resolve({ spec: { selector: { app: `v${read + 1}` } } });
  const { policy, stop, reads } = startReader(selectors, { slices: () => [slice as never], clock });
  try {
    await eventually(() => policy.current()?.shape?.selector === "app=v1", "the first answer");
    const answered = clock.now();
    await driveUntil(clock, () => reads() === 2);
    assert.ok(clock.now() - answered <= 30_000, `read again ${clock.now() - answered} ms after`);
    await eventually(() => policy.current()?.shape?.selector === "app=v2", "the new selector");
    // A pod listed: its slices change with the selector, and the watch's events read it (no timer of its own).
    slice.endpoints = [{ addresses: ["10.1.0.1"] }];
    while (clock.fireNext()) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(reads(), 2, "no read once a slice lists a pod");
  } finally {
    stop();
  }
});

Deno.test("createTrafficPolicyReader() reads a Service found without pods less and less often, down to one GET in 5 minutes", async () => {
  // A Service scaled to zero for hours, watched by a thousand clients: a read every 15-30 s each is 33-66 GETs a
  // second at the API server, for a reason that rarely changes.
  const clock = new FakeClock();
  const slice = { metadata: { name: "agent-x1" }, addressType: "IPv4" as const, endpoints: null };
  const readAt: number[] = [];
  const selector = () => (readAt.push(clock.now()), Promise.resolve({ spec: { selector: { app: "agent" } } }));
  const { stop } = startReader(selector, { slices: () => [slice as never], clock });
  try {
    await driveUntil(clock, () => readAt.length === 8);
    const gaps = readAt.slice(1).map((at, i) => at - readAt[i]);
    assert.ok(gaps[0] >= 10_000 && gaps[0] < 20_000, `the first read again after 10-20 s: ${gaps}`);
    assert.ok(gaps.every((gap) => gap <= 300_000), `never more than 5 minutes apart: ${gaps}`);
    assert.ok(gaps.at(-1)! >= 150_000, `then one read in 2.5 to 5 minutes: ${gaps}`);
  } finally {
    stop();
  }
});

Deno.test("createTrafficPolicyReader() stops reading a Service not found again once its slices are there, or it stops", async () => {
  const clock = new FakeClock();
  let sliced = false;
  const slices = () => sliced ? [{ metadata: { name: "agent-x1" }, addressType: "IPv4" as const }] : [];
  const { policy, stop, reads } = startReader(notFound(), { slices, clock });
  await eventually(() => policy.current()?.missing === "service", "the 404");
  await driveUntil(clock, () => reads() === 2);
  sliced = true; // Their arrival reads the Service (refresh for its first slices): no timer of its own.
  await eventually(() => policy.current()?.missing === "service", "the second 404");
  for (let i = 0; i < 5 && clock.fireNext(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(reads(), 2, "not read again with slices there");
  sliced = false;
  policy.refresh("the watch resumes (timeout)", true);
  await driveUntil(clock, () => reads() === 3);
  stop();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(clock.fireNext(), false, "no timer left once stopped");
  assert.equal(reads(), 3);
});

Deno.test("watchEndpoints() stops saying a Service does not exist within 30 s of its creation without a selector", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  api.applyService({ metadata: { namespace: "prod", name: "other" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const one = followAgent(api, undefined);
  const reason = () => one.last()?.emptyReason ?? "";
  try {
    await eventually(() => reason().startsWith("service agent does not exist in namespace prod"), "the 404");
    // No selector: no slice will come, and the watch does not list again for 5 to 10 minutes.
    api.applyService({
      metadata: { namespace: "prod", name: "agent" },
      spec: { ports: [{ name: "grpc", port: 4317 }] },
    });
    clock.advance(30_000);
    await eventually(() => reason() !== "" && !reason().includes("does not exist"), "the reason of a Service found");
    assert.match(reason(), /^service agent has no selector, so no controller writes its EndpointSlices/);
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

/** Applies the one slice of the Service agent as its EndpointSlice controller keeps it: agent-x1, port grpc 4317. */
function applyAgentSlice(api: FakeApiServer, endpoints: { ip: string; pod: string; ready: boolean }[]): void {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "agent",
    name: "agent-x1",
    port: { name: "grpc", port: 4317 },
    endpoints,
  }));
}

Deno.test("watchEndpoints() reads the Service again when its slices start or stop listing pods: the reason names the selector now", async () => {
  // Seen on v1.36.3: a selector changed to one that matches a pod not ready yet has the controller list that pod in
  // the slice it kept without endpoints, and one changed to a selector that matches none empties it. The reason then
  // named the old selector (kubectl get pods -l <the old one>) until the watch listed again, 5 to 10 minutes later:
  // the read every 10 to 20 s while the slices list no pod stops once they list one.
  const clock = policyClock();
  const api = await startFakeApiServer();
  const service = (app: string) =>
    api.applyService({
      metadata: { namespace: "prod", name: "agent" },
      spec: { selector: { app }, ports: [{ name: "grpc", port: 4317 }] },
    });
  const slice = (endpoints: { ip: string; pod: string; ready: boolean }[]) => applyAgentSlice(api, endpoints);
  service("agnet");
  slice([]);
  const one = followAgent(api, undefined);
  const reason = () => one.last()?.emptyReason ?? "";
  try {
    await eventually(() => reason().startsWith("its selector app=agnet matches no pod"), "the misspelled selector");
    // The user mends it with kubectl edit: the pod it selects is not ready yet.
    service("agent");
    slice([{ ip: "10.4.0.1", pod: "agent-1", ready: false }]);
    await eventually(() => reason().startsWith("none of its pods is ready"), "the pod listed");
    await eventually(() => reason().includes("-l app=agent lists them"), "the mended selector").catch(() => {
      assert.fail(`the reason names the old selector: ${reason()}`);
    });
    // A second later, the selector is changed to one that matches no pod: the controller empties the slice.
    clock.advance(1_000);
    service("tier");
    slice([]);
    await eventually(() => reason().startsWith("its selector app=tier matches no pod"), "the new selector").catch(
      () => {
        assert.fail(`the reason names the old selector: ${reason()}`);
      },
    );
  } finally {
    setDefaultPolicyClock(undefined);
    await one.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() does not read the Service for a pod that flaps ready, and at most once a second for one scaled 0, 1, 0", async () => {
  // The reads when the slices start or stop listing pods must not become a loop: a pod not ready is still listed.
  const api = await startFakeApiServer();
  api.applyService({
    metadata: { namespace: "prod", name: "agent" },
    spec: { selector: { app: "agent" }, ports: [{ name: "grpc", port: 4317 }] },
  });
  const slice = (endpoints: { ip: string; pod: string; ready: boolean }[]) => applyAgentSlice(api, endpoints);
  const serviceReads = () => api.requests.filter(({ path }) => path.endsWith("/services/agent")).length;
  const flap = async (step: (i: number) => void) => {
    const before = serviceReads();
    const start = Date.now();
    for (let i = 0; i < 20; i++) {
      step(i);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A read due is at most a second away.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    return { reads: serviceReads() - before, seconds: Math.ceil((Date.now() - start) / 1000) };
  };
  slice([{ ip: "10.4.0.1", pod: "agent-1", ready: true }]);
  const one = followAgent(api, undefined);
  try {
    await eventually(() => one.snapshots.length > 0 && serviceReads() === 1, "the first state and its read");
    const ready = await flap((i) => slice([{ ip: "10.4.0.1", pod: "agent-1", ready: i % 2 === 1 }]));
    assert.equal(ready.reads, 0, "reads while one pod flaps ready");
    const scaled = await flap((i) => slice(i % 2 === 0 ? [] : [{ ip: "10.4.0.1", pod: "agent-1", ready: true }]));
    assert.ok(scaled.reads >= 1 && scaled.reads <= scaled.seconds + 1, `${scaled.reads} reads in ${scaled.seconds} s`);
  } finally {
    await one.stop();
    await api.close();
  }
});

Deno.test("readOnSlicesComeOrGo() reads the Service again after a read under way when its slices start listing pods", async () => {
  // The read under way may have been answered before the selector changed (a slow API server): once the slices list
  // pods, no read every 10 to 20 s follows it, so the reason named the old selector until the watch listed again.
  const clock = new FakeClock();
  const slice = { metadata: { name: "agent-x1" }, addressType: "IPv4" as const, endpoints: null as null | object[] };
  const answers: ((service: unknown) => void)[] = [];
  const get = () => new Promise((resolve) => answers.push(resolve));
  const { policy, stop, reads } = startReader(get, { slices: () => [slice as never], clock });
  const answer = (app: string) => answers.at(-1)!({ spec: { selector: { app } } });
  try {
    readOnSlicesComeOrGo(policy, undefined, 1);
    answer("agnet");
    await eventually(() => policy.current()?.shape?.selector === "app=agnet", "the first answer");
    await driveUntil(clock, () => reads() === 2);
    // The user mends the selector as the second read is under way; the controller lists the pod it matches.
    slice.endpoints = [{ addresses: ["10.1.0.1"] }];
    readOnSlicesComeOrGo(policy, 1, 1);
    answer("agnet");
    // Five seconds on the reader's clock, a tenth at a time: its reads are spaced a second apart.
    for (let step = 0; step < 50 && reads() < 3; step++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      clock.advance(100);
    }
    assert.equal(reads(), 3, "a read after the one under way, which answered the old selector");
    answer("agent");
    await eventually(() => policy.current()?.shape?.selector === "app=agent", "the mended selector");
  } finally {
    stop();
  }
});
