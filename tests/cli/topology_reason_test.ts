import assert from "node:assert/strict";
import { changeLine, snapshotReport } from "../../src/cli/report.ts";
import { renderTable } from "../../src/cli/table.ts";
import { topologyReason } from "../../src/cli/topology_reason.ts";
import { painter } from "../../src/cli/terminal.ts";
import type { EndpointSlice, SliceEndpoint } from "../../src/base/endpoint_slice.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import type { Locality } from "../../src/selection/topology.ts";
import { serviceViewOf } from "./_service_view.ts";
import { explainEndpoints } from "../../src/selection/endpoint_explanation.ts";

/** A view of one slice for a client at `locality`, as the observer makes it. */
function viewOf(endpoints: SliceEndpoint[], locality: Locality): ServiceView {
  const slice: EndpointSlice = {
    metadata: { name: "echo-a", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints,
  };
  return serviceViewOf([slice], locality);
}

const pod = (i: number, zones?: string[], ready = true): SliceEndpoint => ({
  addresses: [`10.0.0.${i}`],
  targetRef: { name: `echo-${i}` },
  ...(zones ? { hints: { forZones: zones.map((name) => ({ name })) } } : {}),
  conditions: { ready, serving: ready || i === 9, terminating: !ready && i === 9 },
});

Deno.test("topologyReason() says why topology does not apply, and nothing when it does", () => {
  const cases: [SliceEndpoint[], Locality, string | undefined][] = [
    [[pod(1, ["a"]), pod(2, ["b"])], { zone: "a" }, undefined],
    [[pod(1, ["a"])], {}, "client locality unknown"],
    [
      [pod(1), pod(2)],
      { zone: "a" },
      // kube-apiserver v1.30.14 accepts a Service's trafficDistribution: PreferClose without a word and drops it (its
      // ServiceTrafficDistribution gate is alpha, off), and v1.29.6 refuses it in kubectl apply as an unknown field:
      // the advice names the version that has it.
      "no pod has a topology hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; its topology-mode Auto annotation only while it can balance the zones: kubectl get events -n prod --field-selector involvedObject.name=echo shows why)",
    ],
    // The pods without one are named: a node without a zone label leaves its pods without hints.
    [[pod(1, ["a"]), pod(2)], { zone: "a" }, "1 of 2 ready pods has no zone hint (echo-2)"],
    [
      [pod(1, ["a"]), pod(2), pod(3), pod(4), pod(5)],
      { zone: "a" },
      "4 of 5 ready pods have no zone hint (echo-2, echo-3, echo-4 and 1 more)",
    ],
    [[pod(1, ["b"]), pod(2, ["c"])], { zone: "a" }, "no ready pod is hinted for zone a, only for zones b and c"],
    [[pod(1, ["a"])], { node: "n1" }, "client zone unknown"],
    // Only the serving-terminating fallback: it has no topology, whatever its hints.
    [[pod(9, ["a"], false)], { zone: "a" }, "no pod is ready; the serving-terminating fallback has no topology"],
    // A pod that is not ready does not count: the ready one alone decides.
    [[pod(1, ["b"]), pod(2, undefined, false)], { zone: "a" }, "no ready pod is hinted for zone a, only for zone b"],
  ];
  for (const [endpoints, locality, reason] of cases) {
    assert.equal(topologyReason(viewOf(endpoints, locality)), reason, JSON.stringify([endpoints, locality]));
  }
});

// Seen on v1.36.3: one pod on a Node without a zone label; the controller gives it no zone, and hints no pod.
Deno.test("topologyReason() names the Node without a zone label that leaves a pod without a zone hint", () => {
  const on = (node: string, endpoint: SliceEndpoint, zone?: string): SliceEndpoint => ({
    ...endpoint,
    nodeName: node,
    ...(zone ? { zone } : {}),
  });
  const cases: [SliceEndpoint[], string][] = [
    [
      [on("n-a1", pod(1, ["a"]), "a"), on("n-b1", pod(2, ["b"]), "b"), on("n-e1", pod(3))],
      "1 of 3 ready pods has no zone hint (echo-3, on node n-e1, which has no zone label: label the Node)",
    ],
    [
      [on("n-a1", pod(1, ["a"]), "a"), on("n-e1", pod(2)), on("n-e2", pod(3))],
      "2 of 3 ready pods have no zone hint (echo-2, echo-3, on nodes n-e1, n-e2, which have no zone label: label the Nodes)",
    ],
    // A pod with a zone but no hint is not the Node's fault: only the zoneless one is named with its Node.
    [
      [on("n-a1", pod(1, ["a"]), "a"), on("n-b1", pod(2), "b"), on("n-e1", pod(3))],
      "2 of 3 ready pods have no zone hint (echo-2, echo-3; echo-3 on node n-e1, which has no zone label: label the Node)",
    ],
    // Neither zone nor node in the slice: nothing to say about a Node.
    [[on("n-a1", pod(1, ["a"]), "a"), pod(2)], "1 of 2 ready pods has no zone hint (echo-2)"],
  ];
  for (const [endpoints, reason] of cases) assert.equal(topologyReason(viewOf(endpoints, { zone: "a" })), reason);
});

// Seen on kube-proxy v1.36.3: the only ready pod lacked the admin port, and the reason said that no pod was ready.
Deno.test("topologyReason() says the fallback is for want of a ready pod with the port, when a ready one lacks it", () => {
  const slices: EndpointSlice[] = [
    {
      metadata: { name: "fb-a", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "admin", port: 9000 }],
      endpoints: [pod(9, ["a"], false)],
    },
    {
      metadata: { name: "fb-b", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 8080 }],
      endpoints: [pod(1, ["a"])],
    },
  ];
  const view = serviceViewOf(slices, { zone: "a" });
  const { pods } = explainEndpoints(slices, "admin", { zone: "a" });
  assert.equal(
    topologyReason({ ...view, port: "admin", snapshot: { ...view.snapshot!, topology: "none" }, pods }),
    'no pod with a port named "admin" is ready; the serving-terminating fallback has no topology',
  );
});

// The pod hinted for the client's zone is ready, but its slice lacks the target's port: kubectl shows it ready.
Deno.test("topologyReason() names the ready pod hinted for the client's zone that lacks the target's port", () => {
  const sliceOf = (name: string, ports: EndpointSlice["ports"], endpoints: SliceEndpoint[]): EndpointSlice => ({
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports,
    endpoints,
  });
  const reasonFor = (slices: EndpointSlice[], zone: string) => {
    const view = serviceViewOf(slices, { zone });
    const { pods } = explainEndpoints(slices, "grpc", { zone });
    return topologyReason({ ...view, port: "grpc", snapshot: { ...view.snapshot!, topology: "none" }, pods });
  };
  const withPort = sliceOf("echo-a", [{ name: "grpc", port: 8080 }], [pod(1, ["b"])]);
  const withoutPort = sliceOf("echo-b", [{ name: "admin", port: 9000 }], [pod(2, ["a"])]);
  assert.equal(
    reasonFor([withPort, withoutPort], "a"),
    'the ready pod hinted for zone a (echo-2) has no port named "grpc"',
  );
  // A near name is no typo when the zone is hinted on such a pod: no "did you mean".
  const nearMiss = sliceOf("echo-b", [{ name: "admin", port: 9000 }], [pod(2, ["zone-A"])]);
  const hintedB = sliceOf("echo-a", [{ name: "grpc", port: 8080 }], [pod(1, ["zone-a"])]);
  assert.equal(
    reasonFor([hintedB, nearMiss], "zone-A"),
    'the ready pod hinted for zone zone-A (echo-2) has no port named "grpc"',
  );
  // Its slice names the port without a number a client can dial: said in its row's words.
  const undialable = sliceOf("echo-b", [{ name: "grpc", port: 0 }], [pod(2, ["a"]), pod(3, ["a"])]);
  assert.equal(
    reasonFor([withPort, undialable], "a"),
    'the ready pods hinted for zone a (echo-2, echo-3) are in an EndpointSlice that gives port "grpc" no number ' +
      "a client can dial (1-65535)",
  );
  // A zone that no pod is hinted for, with or without the port: the zones of the usable pods, then those hinted only on
  // pods without the port, named apart (a review: "only for zone eu-1b; did you mean eu-1a?" read as a contradiction).
  assert.equal(
    reasonFor([withPort, withoutPort], "c"),
    "no ready pod is hinted for zone c, only for zone b (zone a only on pods without the target's port)",
  );
  const eu1a = sliceOf("echo-b", [{ name: "admin", port: 9000 }], [pod(2, ["eu-1a"])]);
  const eu1b = sliceOf("echo-a", [{ name: "grpc", port: 8080 }], [pod(1, ["eu-1b"])]);
  assert.equal(
    reasonFor([eu1b, eu1a], "EU-1A"),
    "no ready pod is hinted for zone EU-1A, only for zone eu-1b (zone eu-1a only on pods without the target's port); " +
      "did you mean eu-1a?",
  );
});

Deno.test("topologyReason() names the hinted zone that the client's zone was likely meant to be", () => {
  assert.equal(
    topologyReason(viewOf([pod(1, ["zone-a"]), pod(2, ["zone-b"])], { zone: "zone-A" })),
    "no ready pod is hinted for zone zone-A, only for zones zone-a and zone-b; did you mean zone-a?",
  );
  assert.equal(
    topologyReason(viewOf([pod(1, ["eu-west-1a"])], { zone: "eu-wset-1a" })),
    "no ready pod is hinted for zone eu-wset-1a, only for zone eu-west-1a; did you mean eu-west-1a?",
  );
  // A sibling zone without pods is no typo: kube-proxy falls back there without a word too.
  assert.equal(
    topologyReason(viewOf([pod(1, ["eu-west-1a"])], { zone: "eu-west-1d" })),
    "no ready pod is hinted for zone eu-west-1d, only for zone eu-west-1a",
  );
});

// `kgr-resolver --zone a` against the demo's zoned Service said only "no ready pod is hinted for zone a": its zones
// are zone-a, zone-b and zone-c. Many zones are named as pods are: the first three, then how many more.
Deno.test("topologyReason() names the zones that are hinted when the client's is not, the first three of them", () => {
  const demo = [pod(1, ["zone-a"]), pod(2, ["zone-b"]), pod(3, ["zone-c"])];
  assert.equal(
    topologyReason(viewOf(demo, { zone: "a" })),
    "no ready pod is hinted for zone a, only for zones zone-a, zone-b and zone-c",
  );
  const many = ["z5", "z1", "z4", "z2", "z3"].map((zone, i) => pod(i + 1, [zone]));
  assert.equal(
    topologyReason(viewOf(many, { zone: "z9" })),
    "no ready pod is hinted for zone z9, only for zones z1, z2, z3 and 2 more",
  );
});

Deno.test("topologyReason() says why the zone of a known node is unknown, when the observer knows", () => {
  const view = viewOf([pod(1, ["a"])], { node: "n1" });
  assert.equal(
    topologyReason({ ...view, zoneNote: "node n1 does not exist" }),
    "client zone unknown (node n1 does not exist)",
  );
  const hinted: SliceEndpoint[] = [{
    addresses: ["10.0.0.1"],
    hints: { forNodes: [{ name: "n2" }], forZones: [{ name: "b" }] },
  }];
  assert.equal(
    topologyReason({ ...viewOf(hinted, { node: "n1" }), zoneNote: "node n1 has no topology.kubernetes.io/zone label" }),
    "no ready pod is hinted for node n1; client zone unknown (node n1 has no topology.kubernetes.io/zone label)",
  );
});

Deno.test("topologyReason() adds nothing when no pod is usable: the empty reason says why", () => {
  assert.equal(topologyReason(viewOf([], { zone: "a" })), undefined);
  const withoutPort = viewOf([pod(1, ["a"])], { zone: "a" });
  withoutPort.pods = withoutPort.pods!.map((row) => ({ ...row, use: "unused", reason: "no-port" }));
  assert.equal(topologyReason(withoutPort), undefined);
});

Deno.test("topologyReason() names the node rule only when some pod has a node hint", () => {
  const endpoints: SliceEndpoint[] = [
    { addresses: ["10.0.0.1"], hints: { forNodes: [{ name: "n2" }], forZones: [{ name: "b" }] } },
    { addresses: ["10.0.0.2"], hints: { forNodes: [{ name: "n3" }], forZones: [{ name: "b" }] } },
  ];
  assert.equal(
    topologyReason(viewOf(endpoints, { zone: "a", node: "n1" })),
    "no ready pod is hinted for node n1; no ready pod is hinted for zone a, only for zone b",
  );
  const zonesOnly = endpoints.map(({ addresses }) => ({ addresses, hints: { forZones: [{ name: "b" }] } }));
  assert.equal(
    topologyReason(viewOf(zonesOnly, { zone: "a", node: "n1" })),
    "no ready pod is hinted for zone a, only for zone b",
  );
});

Deno.test("the table's header, the change line and the JSON object say why topology is none", () => {
  const view = viewOf([pod(1, ["b"]), pod(2, ["c"])], { zone: "a" });
  const lines = renderTable(view, { ...context(), columns: 200 });
  assert.equal(
    lines[2],
    "resourceVersion 7  no change yet  watching  topology none: no ready pod is hinted for zone a, only for zones b " +
      "and c (client in zone a)",
  );
  assert.equal(
    changeLine(view, 0),
    "1970-01-01T00:00:00.000Z prod/echo rv 7 topology none (no ready pod is hinted for zone a, only for zones b and " +
      "c): " +
      "2 used: echo-1 10.0.0.1:8080, echo-2 10.0.0.2:8080",
  );
  assert.equal(snapshotReport(view, 0).topologyReason, "no ready pod is hinted for zone a, only for zones b and c");
  assert.equal("topologyReason" in snapshotReport(viewOf([pod(1, ["a"])], { zone: "a" }), 0), false);
  // An unknown locality is said once, as before.
  const unknown = renderTable(viewOf([pod(1)], {}), { ...context(), columns: 200 });
  assert.ok(unknown[2].endsWith("topology none (client locality unknown)"), unknown[2]);
});

Deno.test("the table's header says the client is in its zone and on its node", () => {
  const header = (locality: Locality) =>
    renderTable(viewOf([pod(1, ["a"])], locality), { ...context(), columns: 200 })[2];
  assert.ok(header({}).endsWith("(client locality unknown)"));
  assert.ok(header({ node: "n1" }).endsWith("(client on node n1)"), header({ node: "n1" }));
  assert.ok(header({ zone: "a", node: "n1" }).endsWith("topology zone (client in zone a, on node n1)"));
});

Deno.test("the table counts the pods not used per zone where topology applies, at 80 columns too", () => {
  const zoned = (i: number, zone: string, ready = true): SliceEndpoint => ({ ...pod(i, [zone], ready), zone });
  const endpoints = [zoned(1, "a"), zoned(2, "b"), zoned(3, "b", false), zoned(4, "b", false), zoned(5, "c", false)];
  const lines = renderTable(viewOf(endpoints, { zone: "b" }), { ...context(), columns: 80 });
  assert.equal(lines.at(-1), "1 used, 1 failover, 3 not used (2 in zone b, 1 in zone c)  Ctrl-C to quit");
  // Without topology, the zones do not decide which pods get calls: the summary does not count by zone.
  const unhinted = endpoints.map(({ hints: _, ...endpoint }) => endpoint);
  assert.equal(renderTable(viewOf(unhinted, { zone: "b" }), context()).at(-1), "2 used, 3 not used  Ctrl-C to quit");
  // A pod whose slice gives no zone is counted as such.
  const { zone: _, ...zoneless } = zoned(5, "c", false);
  const withZoneless = renderTable(viewOf([...endpoints.slice(0, 4), zoneless], { zone: "b" }), context());
  assert.equal(withZoneless.at(-1), "1 used, 1 failover, 3 not used (2 in zone b, 1 without a zone)  Ctrl-C to quit");
  // Too narrow for every zone and how to quit, every zone where the screen has the lines, how to quit under them.
  const narrow = renderTable(viewOf(endpoints, { zone: "b" }), { ...context(), columns: 64 });
  assert.deepEqual(narrow.slice(-2), ["1 used, 1 failover, 3 not used (2 in zone b, 1 in zone c)", "Ctrl-C to quit"]);
  const narrower = renderTable(viewOf(endpoints, { zone: "b" }), { ...context(), columns: 50 });
  assert.deepEqual(narrower.slice(-3), [
    "1 used, 1 failover, 3 not used (2 in zone b,",
    "1 in zone c)",
    "Ctrl-C to quit",
  ]);
  // Where it has none to spare, the zones that fit beside how to quit, the most first.
  const short = { ...context(), rows: narrow.length };
  assert.equal(
    renderTable(viewOf(endpoints, { zone: "b" }), { ...short, columns: 64 }).at(-1),
    "1 used, 1 failover, 3 not used (2 in zone b, …)  Ctrl-C to quit",
  );
  assert.equal(
    renderTable(viewOf(endpoints, { zone: "b" }), { ...short, columns: 50 }).at(-1),
    "1 used, 1 failover, 3 not used  Ctrl-C to quit",
  );
});

Deno.test("the table counts every zone at 80 columns with real zone names, how to quit on a line of its own", () => {
  // A rollout seen at 80x24 (kube-apiserver v1.36.3, PreferClose): ZONE is left out at that width, and the counts cut
  // after the first zone hid the one without a usable pod (eu-west-1c) though the screen had lines to spare.
  const zoned = (i: number, zone: string, ready = true): SliceEndpoint => ({ ...pod(i, [zone], ready), zone });
  const endpoints = [
    zoned(1, "eu-west-1a"),
    zoned(2, "eu-west-1a", false),
    zoned(3, "eu-west-1a", false),
    zoned(4, "eu-west-1b"),
    zoned(5, "eu-west-1b", false),
    zoned(6, "eu-west-1c", false),
    zoned(7, "eu-west-1c", false),
  ];
  const view = viewOf(endpoints, { zone: "eu-west-1a" });
  const lines = renderTable(view, { ...context(), columns: 80, rows: 24 });
  // Each zone's count whole on one line: wrapped at any space, '1 in zone' and its name were apart.
  assert.deepEqual(lines.slice(-3), [
    "1 used, 1 failover, 5 not used (2 in zone eu-west-1a, 2 in zone eu-west-1c,",
    "1 in zone eu-west-1b)",
    "Ctrl-C to quit",
  ]);
  // A terminal with no line to spare for them keeps its rows, and the counts of the zones that fit beside how to quit.
  const short = renderTable(view, { ...context(), columns: 80, rows: lines.length - 1 });
  assert.equal(short.at(-1), "1 used, 1 failover, 5 not used (2 in zone eu-west-1a, …)  Ctrl-C to quit");
  assert.equal(short.filter((line) => line.startsWith("echo-")).length, endpoints.length);
});

Deno.test("the table counts every zone at 80x24 where the pods' rows fill it, taking lines from the rows", () => {
  // 28 pods in three zones at 80x24, seen in a real rollout: the rows filled the screen, and the counts ended in
  // '(3 in zone eu-west-1a, …)', hiding the other zones' pods not used.
  const zones = ["eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1c"];
  const endpoints = Array.from({ length: 28 }, (_, i): SliceEndpoint => ({
    ...pod(i + 10, [zones[i % 4]], i % 5 !== 0),
    zone: zones[i % 4],
  }));
  const lines = renderTable(viewOf(endpoints, { zone: "eu-west-1b" }), { ...context(), columns: 80, rows: 24 });
  assert.ok(lines.length <= 23, lines.join("\n"));
  assert.deepEqual(lines.slice(-3), [
    "6 used, 16 failover, 6 not used (4 in zone eu-west-1a, 1 in zone eu-west-1b,",
    "1 in zone eu-west-1c)",
    "Ctrl-C to quit",
  ]);
  assert.ok(lines.filter((line) => line.startsWith("echo-")).length >= 5, lines.join("\n"));
});

/** What the table shows besides the view. */
Deno.test("the table counts every zone at 80 columns in --once and in the frame left when a live table stops", () => {
  // Ctrl-C at 80x24 left a last frame whose counts ended in '1 in zone eu-west-1b, …)' where the live frames had shown
  // every zone, and --once cut them too: no 'Ctrl-C to quit' there, but a line of 80 has no room for three zones.
  const zones = ["eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1c"];
  const endpoints = Array.from({ length: 28 }, (_, i): SliceEndpoint => ({
    ...pod(i + 10, [zones[i % 4]], i % 5 !== 0),
    zone: zones[i % 4],
  }));
  const view = viewOf(endpoints, { zone: "eu-west-1b" });
  const whole = [
    "6 used, 16 failover, 6 not used (4 in zone eu-west-1a, 1 in zone eu-west-1b,",
    "1 in zone eu-west-1c)",
  ];
  for (const rows of [24, Infinity]) {
    const lines = renderTable(view, { ...context(), columns: 80, rows, live: false, stopped: rows === 24 });
    assert.deepEqual(lines.slice(-2), whole, `${rows} rows:\n${lines.join("\n")}`);
    assert.ok(lines.length <= rows - 1, lines.join("\n"));
  }
});

function context() {
  return {
    input: "kubernetes:///echo.prod:grpc",
    server: "https://10.0.0.1:6443",
    source: "in-cluster",
    origin: { kind: "in-cluster" } as const,
    now: 0,
    columns: 120,
    rows: 40,
    paint: painter(false),
    live: true,
  };
}
