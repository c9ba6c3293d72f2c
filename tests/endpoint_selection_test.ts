import assert from "node:assert/strict";
import { selectEndpoints } from "../src/selection/endpoint_selection.ts";
import { sameEndpoints } from "../src/selection/same_endpoints.ts";
import type { EndpointSlice, SliceEndpoint } from "../src/base/endpoint_slice.ts";

function slice(name: string, endpoints: SliceEndpoint[], options: Partial<EndpointSlice> = {}): EndpointSlice {
  return {
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 50051 }, { name: "metrics", port: 9090 }],
    endpoints,
    ...options,
  };
}

function pod(name: string, ip: string | string[], conditions: SliceEndpoint["conditions"] = {}): SliceEndpoint {
  return {
    addresses: Array.isArray(ip) ? ip : [ip],
    conditions,
    targetRef: { kind: "Pod", name, namespace: "prod" },
  };
}

const hosts = (endpoints: ReturnType<typeof selectEndpoints>) =>
  endpoints.map((endpoint) => endpoint.addresses.map((address) => `${address.host}:${address.port}`).join(","));

Deno.test("selectEndpoints() treats an unset ready condition as ready", () => {
  const result = selectEndpoints(
    [slice("s1", [{ addresses: ["10.0.0.1"] }, pod("b", "10.0.0.2", { ready: false })])],
    "grpc",
  );
  assert.deepEqual(hosts(result), ["10.0.0.1:50051"]);
  assert.equal(result[0].ready, true);
  assert.equal(result[0].serving, true);
  assert.equal(result[0].terminating, false);
});

Deno.test("selectEndpoints() merges every slice of a service with more than 100 pods", () => {
  const slices = [0, 1, 2].map((s) =>
    slice(`s${s}`, Array.from({ length: 100 }, (_, i) => pod(`p${s}-${i}`, `10.${s}.0.${i}`)))
  );
  assert.equal(selectEndpoints(slices, "grpc").length, 300);
});

Deno.test("selectEndpoints() groups the IPv4 and IPv6 addresses of one pod into one endpoint", () => {
  const v4 = slice("v4", [pod("a", "10.0.0.1"), pod("b", "10.0.0.2")]);
  const v6 = slice("v6", [pod("a", "fd00::1"), pod("b", "fd00::2")], { addressType: "IPv6" });
  const result = selectEndpoints([v6, v4], "grpc");
  assert.deepEqual(hosts(result), ["10.0.0.1:50051,fd00::1:50051", "10.0.0.2:50051,fd00::2:50051"]);
  assert.deepEqual(result.map((endpoint) => endpoint.podName), ["a", "b"]);
});

Deno.test("selectEndpoints() looks up a named port in each slice", () => {
  const a = slice("a", [pod("a", "10.0.0.1")]);
  const b = slice("b", [pod("b", "10.0.0.2")], { ports: [{ name: "grpc", port: 7000 }] });
  const c = slice("c", [pod("c", "10.0.0.3")], { ports: [{ name: "http", port: 80 }] });
  assert.deepEqual(hosts(selectEndpoints([a, b, c], "grpc")), ["10.0.0.1:50051", "10.0.0.2:7000"]);
  assert.deepEqual(hosts(selectEndpoints([a], "metrics")), ["10.0.0.1:9090"]);
});

Deno.test("selectEndpoints() uses a numeric port as given and an empty name for an unnamed port", () => {
  const a = slice("a", [pod("a", "10.0.0.1")]);
  assert.deepEqual(hosts(selectEndpoints([a], 8080)), ["10.0.0.1:8080"]);
  assert.deepEqual(selectEndpoints([a], ""), []);
  const unnamed = slice("u", [pod("u", "10.0.0.2")], { ports: [{ name: "", port: 7000 }] });
  const absent = slice("v", [pod("v", "10.0.0.3")], { ports: [{ port: 7001 }] });
  assert.deepEqual(hosts(selectEndpoints([unnamed, absent], "")), ["10.0.0.2:7000", "10.0.0.3:7001"]);
  assert.deepEqual(selectEndpoints([slice("n", [pod("n", "10.0.0.9")], { ports: [] })], ""), []);
});

Deno.test("selectEndpoints() falls back to serving terminating endpoints when none is ready", () => {
  const endpoints = [
    pod("old-1", "10.0.0.1", { ready: false, serving: true, terminating: true }),
    pod("old-2", "10.0.0.2", { ready: false, serving: false, terminating: true }),
    pod("new", "10.0.0.3", { ready: false, serving: false, terminating: false }),
  ];
  const result = selectEndpoints([slice("s", endpoints)], "grpc");
  assert.deepEqual(hosts(result), ["10.0.0.1:50051"]);
  assert.equal(result[0].terminating, true);
  endpoints.push(pod("ready", "10.0.0.4"));
  assert.deepEqual(hosts(selectEndpoints([slice("s", endpoints)], "grpc")), ["10.0.0.4:50051"]);
});

Deno.test("selectEndpoints() drops a host:port that appears in two slices", () => {
  const a = slice("a", [pod("a", "10.0.0.1")]);
  const b = slice("b", [pod("a", "10.0.0.1"), { addresses: ["10.0.0.1"] }]);
  assert.deepEqual(hosts(selectEndpoints([a, b], "grpc")), ["10.0.0.1:50051"]);
});

Deno.test("selectEndpoints() ignores FQDN slices", () => {
  const fqdn = slice("f", [{ addresses: ["echo.example.com"] }], { addressType: "FQDN" });
  assert.deepEqual(selectEndpoints([fqdn], "grpc"), []);
});

Deno.test("selectEndpoints() returns the same order whatever the slice order", () => {
  const a = slice("a", [pod("z", "10.0.0.26"), pod("m", "10.0.0.13")]);
  const b = slice("b", [pod("c", "10.0.0.3")]);
  assert.deepEqual(selectEndpoints([b, a], "grpc"), selectEndpoints([a, b], "grpc"));
});

Deno.test("selectEndpoints() keeps zone and node of an endpoint", () => {
  const endpoint = { ...pod("a", "10.0.0.1"), zone: "eu-1a", nodeName: "node-1" };
  const [result] = selectEndpoints([slice("s", [endpoint])], "grpc");
  assert.equal(result.zone, "eu-1a");
  assert.equal(result.nodeName, "node-1");
});

Deno.test("selectEndpoints() gives an endpoint only the fields it has, always in the same order", () => {
  const hinted = { forZones: [{ name: "eu-1a" }] };
  const base = { addresses: ["10.0.0.1"], conditions: {} };
  const cases: [Partial<SliceEndpoint>, string[]][] = [
    [{}, []],
    [{ targetRef: { kind: "Pod", name: "a" } }, ["podName"]],
    [{ targetRef: { kind: "Pod", name: "" }, zone: "", nodeName: "" }, []],
    [{ targetRef: { kind: "Pod", name: "a" }, zone: "eu-1a" }, ["podName", "zone"]],
    [{ targetRef: { kind: "Pod", name: "a" }, nodeName: "n1" }, ["podName", "nodeName"]],
    [{ targetRef: { kind: "Pod", name: "a" }, zone: "eu-1a", nodeName: "n1" }, ["podName", "zone", "nodeName"]],
    [{ targetRef: { kind: "Pod", name: "a" }, zone: "eu-1a", nodeName: "n1", hints: hinted }, [
      "podName",
      "zone",
      "nodeName",
      "hints",
    ]],
    [{ zone: "eu-1a", hints: hinted }, ["zone", "hints"]],
    [{ targetRef: { kind: "Pod", name: "a" }, hints: hinted }, ["podName", "hints"]],
  ];
  for (const [fields, optional] of cases) {
    const [result] = selectEndpoints([slice("s", [{ ...base, ...fields }])], "grpc");
    assert.deepEqual(
      Object.keys(result),
      ["addresses", "ready", "serving", "terminating", "preferred", ...optional],
      JSON.stringify(fields),
    );
  }
});

Deno.test("sameEndpoints() tells apart a moved address, a changed condition and a changed failover tier", () => {
  const base = selectEndpoints([slice("s", [pod("a", "10.0.0.1")])], "grpc");
  const moved = selectEndpoints([slice("s", [pod("a", "10.0.0.2")])], "grpc");
  const fallback = selectEndpoints([slice("s", [pod("a", "10.0.0.1", { ready: false, terminating: true })])], "grpc");
  assert.equal(sameEndpoints(base, selectEndpoints([slice("s", [pod("a", "10.0.0.1")])], "grpc")), true);
  assert.equal(sameEndpoints(base, moved), false);
  assert.equal(sameEndpoints(base, fallback), false);
  // Under PreferSameNode, a failover pod that becomes the first failover (the client's zone's) alone.
  const failover = base.map((endpoint) => ({ ...endpoint, preferred: false }));
  const zone = failover.map((endpoint) => ({ ...endpoint, sameZone: true as const }));
  assert.equal(sameEndpoints(failover, zone), false);
  assert.equal(sameEndpoints(zone, zone.map((endpoint) => ({ ...endpoint }))), true);
});

Deno.test("selectEndpoints() merges a pod named with its namespace in a slice without one and in its own", () => {
  const slice = (name: string, namespace: string | undefined, ip: string): EndpointSlice => ({
    metadata: { name, ...(namespace ? { namespace } : {}) },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 80 }],
    endpoints: [{ addresses: [ip], targetRef: { kind: "Pod", name: "p", namespace: "prod" } }],
  });
  const endpoints = selectEndpoints([slice("a", undefined, "10.0.0.1"), slice("b", "prod", "10.0.0.2")], "grpc");
  assert.deepEqual(endpoints.map((endpoint) => endpoint.addresses.map(({ host }) => host)), [["10.0.0.1", "10.0.0.2"]]);
});

Deno.test("selectEndpoints() leaves a reused IP to the pod that is not terminating, as kube-proxy does", () => {
  // The old pod's Pod object lingers (serving while terminating) after its IP went to a new pod that is not
  // ready yet: kube-proxy v1.36 sends nothing there, and neither do we, in either slice order.
  const old = pod("echo-old", "10.0.0.1", { ready: false, serving: true, terminating: true });
  const fresh = pod("echo-new", "10.0.0.1", { ready: false, serving: false, terminating: false });
  assert.deepEqual(selectEndpoints([slice("a", [old]), slice("b", [fresh])], "grpc"), []);
  assert.deepEqual(selectEndpoints([slice("a", [fresh]), slice("b", [old])], "grpc"), []);
  assert.deepEqual(selectEndpoints([slice("a", [old, fresh])], "grpc"), []);
  // Another pod serving while terminating keeps its own address.
  const other = pod("echo-other", "10.0.0.2", { ready: false, serving: true, terminating: true });
  assert.deepEqual(hosts(selectEndpoints([slice("a", [old, other]), slice("b", [fresh])], "grpc")), [
    "10.0.0.2:50051",
  ]);
  // A terminating pod that still shows ready (publishNotReadyAddresses) gives the address to the new pod.
  const published = pod("echo-old", "10.0.0.1", { ready: true, serving: true, terminating: true });
  const ready = pod("echo-new", "10.0.0.1", { ready: true, serving: true, terminating: false });
  const result = selectEndpoints([slice("a", [published, ready])], "grpc");
  assert.deepEqual(result.map((endpoint) => [endpoint.podName, endpoint.terminating]), [["echo-new", false]]);
  // When that leaves no ready pod, the serving-terminating fallback applies.
  const starting = pod("echo-new", "10.0.0.1", { ready: false, serving: false, terminating: false });
  assert.deepEqual(hosts(selectEndpoints([slice("a", [published, starting, other])], "grpc")), ["10.0.0.2:50051"]);
});

Deno.test("selectEndpoints() does not use a pod that one of its slices shows terminating, unlike kube-proxy", () => {
  // The same pod (same targetRef) in two slices, as while the controller moves it: terminating is never undone,
  // so that copy is the newer one. kube-proxy v1.36 uses the copy that is not terminating.
  const stale = slice("a", [pod("echo-0", "10.0.0.1"), pod("echo-1", "10.0.0.2")]);
  const moved = slice("b", [pod("echo-0", "10.0.0.1", { ready: false, serving: true, terminating: true })]);
  assert.deepEqual(hosts(selectEndpoints([stale, moved], "grpc")), ["10.0.0.2:50051"]);
});

Deno.test("selectEndpoints() keeps a StatefulSet's new pod apart from the old one of the same name, as kube-proxy does", () => {
  // The old echo-0 still shows terminating in a slice the controller has not rewritten yet; the new echo-0 (a new
  // uid and address) is ready in another. Keyed by name alone they were one terminating pod, and unused.
  const withUid = (endpoint: SliceEndpoint, uid: string) => ({
    ...endpoint,
    targetRef: { ...endpoint.targetRef, uid },
  });
  const old = withUid(pod("echo-0", "10.0.0.1", { ready: false, serving: true, terminating: true }), "uid-old");
  const fresh = withUid(pod("echo-0", "10.0.0.3", { ready: true }), "uid-new");
  const other = withUid(pod("echo-1", "10.0.0.2"), "uid-1");
  for (
    const slices of [[slice("a", [old, other]), slice("b", [fresh])], [slice("b", [fresh]), slice("a", [other, old])]]
  ) {
    const result = selectEndpoints(slices, "grpc");
    assert.deepEqual(hosts(result), ["10.0.0.3:50051", "10.0.0.2:50051"]);
    assert.deepEqual(result.map((endpoint) => endpoint.podName), ["echo-0", "echo-1"]);
  }
  // The same pod (one uid) in an IPv4 and an IPv6 slice is still one endpoint.
  const v6 = slice("v6", [withUid(pod("echo-1", "fd00::2"), "uid-1")], { addressType: "IPv6" });
  assert.deepEqual(hosts(selectEndpoints([slice("a", [other]), v6], "grpc")), ["10.0.0.2:50051,fd00::2:50051"]);
});

Deno.test("selectEndpoints() skips a slice whose port of the target's name has no number a client can dial", () => {
  // kube-apiserver v1.36.3 stores ports 0 and 65536 (and any int32); kube-proxy skips port 0
  // (pkg/proxy/endpointslicecache.go), and grpc-js cannot connect to any of them.
  for (const port of [0, 65536, -1]) {
    const result = selectEndpoints(
      [
        slice("bad", [pod("a", "10.0.0.1")], { ports: [{ name: "grpc", port }] }),
        slice("good", [pod("b", "10.0.0.2")]),
      ],
      "grpc",
    );
    assert.deepEqual(hosts(result), ["10.0.0.2:50051"], `port ${port}`);
  }
});
