import assert from "node:assert/strict";
import fc from "fast-check";
import type { EndpointSlice, SliceEndpoint } from "../src/base/endpoint_slice.ts";
import { explainEndpoints, type PodExplanation } from "../src/selection/endpoint_explanation.ts";
import { createSelectionMemo, selectEndpoints, selectLocalEndpoints } from "../src/selection/endpoint_selection.ts";
import { type Locality, preferEndpoints } from "../src/selection/topology.ts";
import { createSubsetter } from "../src/selection/subset.ts";

function slice(name: string, endpoints: SliceEndpoint[], extra: Partial<EndpointSlice> = {}): EndpointSlice {
  return {
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints,
    ...extra,
  };
}

function pod(name: string, ip: string, extra: Partial<SliceEndpoint> = {}): SliceEndpoint {
  return { addresses: [ip], targetRef: { kind: "Pod", name }, ...extra };
}

const zoneHint = (zone: string) => ({ forZones: [{ name: zone }] });

/** `pod: message` of each row. */
function summary(pods: PodExplanation[]): string[] {
  return pods.map((row) => `${row.pod ?? row.addresses[0].host}: ${row.message}`);
}

Deno.test("explainEndpoints() says why each pod is or is not used", () => {
  const { pods, topology } = explainEndpoints(
    [
      slice("echo-a", [
        pod("a", "10.0.0.1"),
        pod("b", "10.0.0.2", { conditions: { ready: false } }),
        pod("c", "10.0.0.3", { conditions: { ready: false, serving: true, terminating: true } }),
      ]),
      slice("echo-b", [pod("d", "10.0.0.4")], { ports: [{ name: "http", port: 80 }] }),
      slice("echo-c", [pod("e", "e.example")], { addressType: "FQDN" }),
      slice("echo-d", [pod("f", "10.0.0.1")]),
    ],
    "grpc",
    {},
  );
  assert.equal(topology, "none");
  assert.deepEqual(summary(pods), [
    "a: used",
    "b: not used: not ready",
    "c: not used: terminating while others are ready",
    'd: not used: in an EndpointSlice with no port named "grpc"',
    "e: not used: in an FQDN EndpointSlice",
    "f: not used: with every address already a's",
  ]);
  assert.deepEqual(pods.map((row) => row.reason), [
    undefined,
    "not-ready",
    "terminating",
    "no-port",
    "fqdn",
    "duplicate",
  ]);
  assert.deepEqual(pods[0].addresses, [{ host: "10.0.0.1", port: 8080 }]);
  assert.deepEqual(pods[3].addresses, [{ host: "10.0.0.4" }]);
});

Deno.test('explainEndpoints() says a slice has no port at all, not that it lacks one named ""', () => {
  // A headless Service without ports: the controller's slices have none, and a target without a port looks for "".
  const { pods } = explainEndpoints([slice("peers-a", [pod("a", "10.0.0.1")], { ports: null })], "", {});
  assert.deepEqual(summary(pods), ["a: not used: in an EndpointSlice with no port"]);
  assert.equal(pods[0].reason, "no-port");
});

Deno.test("explainEndpoints() says a pod lacks the Service's port, not a port named \"\", for a Service's unnamed port", () => {
  // Was 'in an EndpointSlice with no port named ""' (a target without a port on a Service whose one port has no
  // name), in --once's line, check's resolve step and the JSON's message, where the topology reason said "the
  // Service's port".
  const slices = [
    slice("echo-a", [pod("a", "10.0.0.1")], { ports: [{ port: 50051 }] }),
    slice("echo-b", [pod("b", "10.0.0.2")], { ports: [{ name: "admin", port: 9000 }] }),
    slice("echo-c", [pod("c", "10.0.0.3")], { ports: [{ name: "", port: 0 }] }),
  ];
  const { pods } = explainEndpoints(slices, "", {});
  assert.deepEqual(summary(pods), [
    "a: used",
    "b: not used: in an EndpointSlice with no port for the Service's port",
    "c: not used: in an EndpointSlice that gives the Service's port no number a client can dial (1-65535)",
  ]);
  assert.deepEqual(pods.map((row) => row.reason), [undefined, "no-port", "no-port"]);
});

Deno.test("explainEndpoints() shows the serving-terminating fallback as used", () => {
  const { pods } = explainEndpoints(
    [
      slice("echo-a", [
        pod("a", "10.0.0.1", { conditions: { ready: false, serving: true, terminating: true } }),
        pod("b", "10.0.0.2", { conditions: { ready: false, serving: false, terminating: true } }),
      ]),
    ],
    "grpc",
    {},
  );
  assert.deepEqual(summary(pods), [
    "a: used: serving while terminating, as no pod is ready",
    "b: not used: terminating, no longer serving",
  ]);
});

// Seen on kube-proxy v1.36.3: f-b1 was ready but without the admin port, and the rows said that no pod was ready.
Deno.test("explainEndpoints() says the fallback is for want of a ready pod with the port, when a ready one lacks it", () => {
  const leaving = { conditions: { ready: false, serving: true, terminating: true } };
  const slices = [
    slice("fb-a", [pod("f-a1", "10.0.0.1", { ...leaving, nodeName: "n1" })], {
      ports: [{ name: "admin", port: 9000 }],
    }),
    slice("fb-b", [pod("f-b1", "10.0.0.2", { nodeName: "n1" })]),
  ];
  assert.deepEqual(summary(explainEndpoints(slices, "admin", {}).pods), [
    'f-a1: used: serving while terminating, as no pod with a port named "admin" is ready',
    'f-b1: not used: in an EndpointSlice with no port named "admin"',
  ]);
  assert.deepEqual(summary(explainEndpoints(slices, "admin", {}, { localNode: "n1" }).pods), [
    'f-a1: used: serving while terminating, as no pod on this node with a port named "admin" is ready ' +
    "(internalTrafficPolicy: Local)",
    'f-b1: not used: in an EndpointSlice with no port named "admin"',
  ]);
  // The ready pod on another node does not count under Local: no pod there is ready at all.
  assert.deepEqual(summary(explainEndpoints(slices, "admin", {}, { localNode: "n2" }).pods), [
    "f-a1: not used: on node n1, not this client's (internalTrafficPolicy: Local)",
    'f-b1: not used: in an EndpointSlice with no port named "admin"',
  ]);
});

Deno.test("explainEndpoints() shows pods of another zone as failover, not unused", () => {
  const { pods, topology } = explainEndpoints(
    [
      slice("echo-a", [
        pod("a", "10.0.0.1", { zone: "z1", hints: zoneHint("z1") }),
        pod("b", "10.0.0.2", { zone: "z2", hints: zoneHint("z2") }),
      ]),
    ],
    "grpc",
    { zone: "z1" },
  );
  assert.equal(topology, "zone");
  assert.deepEqual(summary(pods), [
    "a: used: hinted for the client's zone",
    "b: failover: hinted for zone z2",
  ]);
  assert.deepEqual(pods.map((row) => [row.use, row.reason]), [["used", undefined], ["failover", "other-zone"]]);
});

Deno.test("explainEndpoints() says that a used pod of another zone or node is hinted for the client's", () => {
  // The controller may hint a pod of zone-b for zone-a, whose pods are all down: its row read 'zone-b ... used: hinted
  // for this zone', which read as its own zone.
  const zones = explainEndpoints(
    [slice("echo-a", [pod("b", "10.0.0.2", { zone: "zone-b", hints: zoneHint("zone-a") })])],
    "grpc",
    { zone: "zone-a" },
  );
  assert.deepEqual(summary(zones.pods), ["b: used: hinted for the client's zone"]);
  const nodes = explainEndpoints(
    [slice("echo-a", [pod("b", "10.0.0.2", { nodeName: "n2", hints: { forNodes: [{ name: "n1" }] } })])],
    "grpc",
    { node: "n1" },
  );
  assert.deepEqual(summary(nodes.pods), ["b: used: hinted for the client's node"]);
});

Deno.test("explainEndpoints() merges a pod's addresses from its IPv4 and IPv6 slices", () => {
  const { pods } = explainEndpoints(
    [
      slice("echo-v6", [pod("a", "fd00::1")], { addressType: "IPv6" }),
      slice("echo-v4", [pod("a", "10.0.0.1")]),
    ],
    9090,
    {},
  );
  assert.deepEqual(pods.map((row) => row.addresses), [[{ host: "10.0.0.1", port: 9090 }, {
    host: "fd00::1",
    port: 9090,
  }]]);
});

Deno.test("a dual-stack pod hinted apart per family takes its IPv4 slice's hints, as kube-proxy's IPv4 rules do", () => {
  // The controller hints each family's slices apart (Auto mode): pod x for zone-c in its IPv6 slice, which sorts
  // first, and for zone-b in its IPv4 one. gRPC dials the IPv4 address, where kube-proxy follows the IPv4 hints.
  const slices = [
    slice("d-6abcd", [
      pod("x", "fd00::1", { zone: "zone-b", hints: zoneHint("zone-c") }),
      pod("y", "fd00::2", { zone: "zone-b", hints: zoneHint("zone-b") }),
      pod("z", "fd00::3", { zone: "zone-c", hints: zoneHint("zone-c") }),
    ], { addressType: "IPv6" }),
    slice("d-xyzab", [
      pod("x", "10.90.0.1", { zone: "zone-b", hints: zoneHint("zone-b") }),
      pod("y", "10.90.0.2", { zone: "zone-b", hints: zoneHint("zone-b") }),
      pod("z", "10.90.0.3", { zone: "zone-c", hints: zoneHint("zone-c") }),
    ]),
  ];
  for (const [zone, preferred] of [["zone-c", ["z"]], ["zone-b", ["x", "y"]]] as const) {
    const selected = preferEndpoints(selectEndpoints(slices, "grpc"), { zone }).endpoints;
    assert.deepEqual(selected.filter((endpoint) => endpoint.preferred).map((endpoint) => endpoint.podName), preferred);
    const { pods } = explainEndpoints(slices, "grpc", { zone });
    assert.deepEqual(pods.filter((row) => row.use === "used").map((row) => row.pod), preferred);
  }
});

Deno.test("explainEndpoints() lists each address of a pod in two slices once, used or not", () => {
  // The EndpointSlice controller can list a pod in two slices for a moment while it moves endpoints.
  for (const ready of [true, false]) {
    const conditions = { ready };
    const { pods } = explainEndpoints(
      [
        slice("echo-a", [pod("a", "10.0.0.1", { conditions })]),
        slice("echo-b", [pod("a", "10.0.0.1", { conditions })]),
      ],
      "grpc",
      {},
    );
    assert.deepEqual(pods.map((row) => row.addresses), [[{ host: "10.0.0.1", port: 8080 }]]);
  }
});

Deno.test("explainEndpoints() calls another slice's copy of a pod-less address a duplicate, whatever use the address has", () => {
  // Hand-made slices of a Service without a selector: 10.0.0.2 is used once, on failover, from echo-a; echo-b's
  // not-ready copy is no other endpoint. A pod's address listed without a targetRef is another endpoint.
  const slices = [
    slice("echo-a", [
      { addresses: ["10.0.0.1"], hints: zoneHint("z1") },
      { addresses: ["10.0.0.2"], hints: zoneHint("z2") },
      pod("x", "10.0.0.3", { hints: zoneHint("z1") }),
    ]),
    slice("echo-b", [
      { addresses: ["10.0.0.2"], conditions: { ready: false } },
      { addresses: ["10.0.0.3"], conditions: { ready: false } },
    ]),
  ];
  assert.deepEqual(summary(explainEndpoints(slices, "grpc", { zone: "z1" }).pods), [
    "10.0.0.1: used: hinted for the client's zone",
    "10.0.0.2: failover: hinted for zone z2",
    "10.0.0.2: not used: duplicate of an address on failover from another slice",
    "10.0.0.3: not used: not ready",
    "x: used: hinted for the client's zone",
  ]);
  // Seed 7 leaves 10.0.0.2 outside a subset of 1.
  const { pods } = explainEndpoints(slices, "grpc", {}, { subset: { size: 1, seed: 7 } });
  assert.deepEqual(pods.filter((row) => row.addresses[0].host === "10.0.0.2").map((row) => row.message), [
    "not used: outside this client's subset of 1",
    "not used: duplicate of an address in another slice, outside this client's subset",
  ]);
});

Deno.test("explainEndpoints() says a terminating pod's reused IP went to the pod that is not terminating", () => {
  const { pods } = explainEndpoints(
    [slice("echo-a", [
      pod("echo-old", "10.0.0.1", { conditions: { ready: false, serving: true, terminating: true } }),
      pod("echo-new", "10.0.0.1", { conditions: { ready: false, serving: false, terminating: false } }),
    ])],
    "grpc",
    {},
  );
  assert.deepEqual(summary(pods), [
    "echo-new: not used: not ready",
    "echo-old: not used: with an address reused by echo-new, which is not terminating",
  ]);
  // A pod still shown ready loses it too, and then is no ready pod: the fallback applies.
  const fallback = explainEndpoints(
    [slice("echo-a", [
      pod("echo-old", "10.0.0.1", { conditions: { ready: true, serving: true, terminating: true } }),
      pod("echo-new", "10.0.0.1", { conditions: { ready: false, serving: false, terminating: false } }),
      pod("echo-other", "10.0.0.2", { conditions: { ready: false, serving: true, terminating: true } }),
    ])],
    "grpc",
    {},
  );
  assert.deepEqual(summary(fallback.pods), [
    "echo-new: not used: not ready",
    "echo-old: not used: with an address reused by echo-new, which is not terminating",
    "echo-other: used: serving while terminating, as no pod is ready",
  ]);
});

// --- The used rows are exactly the selection ---------------------------------

const POD_NAMES = ["a", "b", "c", "d"];
const IPV4 = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
const IPV6 = ["fd00::1", "fd00::2"];
const ZONES = ["z1", "z2"];
const NODES = ["n1", "n2"];

const optionalBoolean = fc.constantFrom(undefined, null, true, false);
const hintNames = (names: string[]) =>
  fc.array(fc.constantFrom(...names), { maxLength: 2 }).map((list) => list.map((name) => ({ name })));

const endpointOf = (hosts: string[]) =>
  fc.record({
    addresses: fc.array(fc.constantFrom(...hosts), { minLength: 0, maxLength: 2 }),
    conditions: fc.option(
      fc.record({ ready: optionalBoolean, serving: optionalBoolean, terminating: optionalBoolean }),
      {
        nil: undefined,
      },
    ),
    targetRef: fc.option(
      fc.record({ name: fc.constantFrom(...POD_NAMES), namespace: fc.constantFrom(undefined, "prod", "other") }),
      { nil: undefined },
    ),
    zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
    nodeName: fc.option(fc.constantFrom(...NODES), { nil: undefined }),
    hints: fc.option(
      fc.oneof(fc.record({ forZones: hintNames(ZONES), forNodes: hintNames(NODES) }), fc.constant("junk")),
      { nil: undefined },
    ),
  }, { requiredKeys: ["addresses"] }) as fc.Arbitrary<SliceEndpoint>;

const portsArbitrary = fc.array(
  fc.record({ name: fc.constantFrom(undefined, null, "", "grpc", "http"), port: fc.constantFrom(null, 80, 8080) }),
  { maxLength: 2 },
);

const sliceArbitrary = fc.constantFrom("IPv4", "IPv6", "FQDN").chain((addressType) =>
  fc.record({
    addressType: fc.constant(addressType),
    ports: fc.option(portsArbitrary, { nil: undefined }),
    endpoints: fc.array(endpointOf(addressType === "IPv6" ? IPV6 : IPV4), { maxLength: 4 }),
  })
);

const slicesArbitrary = fc.array(sliceArbitrary, { maxLength: 4 }).map((list) =>
  list.map((partial, i): EndpointSlice => ({
    metadata: { name: `s${(i * 7) % 5}-${i}`, namespace: "prod" },
    ...partial,
  }))
);

const localityArbitrary: fc.Arbitrary<Locality> = fc.record({
  zone: fc.constantFrom(...ZONES),
  node: fc.constantFrom(...NODES),
}, { requiredKeys: [] });

Deno.test("explainEndpoints() marks used exactly the endpoints selectEndpoints() and preferEndpoints() choose", () => {
  fc.assert(
    fc.property(
      slicesArbitrary,
      fc.constantFrom<number | string>("grpc", "", "http", 8080),
      localityArbitrary,
      (slices, port, locality) => {
        const { endpoints, mode } = preferEndpoints(selectEndpoints(slices, port), locality);
        const { pods, topology } = explainEndpoints(slices, port, locality);
        assert.equal(topology, mode);
        const usedRows = pods.filter((row) => row.use !== "unused");
        assert.deepEqual(
          usedRows.map((row) => ({
            podName: row.pod,
            addresses: row.addresses,
            ready: row.ready,
            serving: row.serving,
            terminating: row.terminating,
            zone: row.zone,
            nodeName: row.nodeName,
            preferred: row.use === "used",
            sameZone: row.sameZone,
          })),
          endpoints.map((endpoint) => ({
            podName: endpoint.podName,
            addresses: endpoint.addresses,
            ready: endpoint.ready,
            serving: endpoint.serving,
            terminating: endpoint.terminating,
            zone: endpoint.zone,
            nodeName: endpoint.nodeName,
            preferred: endpoint.preferred,
            sameZone: endpoint.sameZone,
          })),
        );
        // Every pod with an address has exactly one row, and every row not used says why.
        const podKeys = new Set(
          slices.flatMap((item) =>
            (item.endpoints ?? []).filter((endpoint) => endpoint.addresses.length > 0).map((endpoint) =>
              endpoint.targetRef?.name
                ? `${endpoint.targetRef.namespace ?? "prod"}/${endpoint.targetRef.name}`
                : `${item.metadata.name}/${endpoint.addresses[0]}`
            )
          ),
        );
        assert.equal(pods.length, podKeys.size);
        for (const row of pods) assert.equal(row.use === "used", row.reason === undefined, row.message);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("explainEndpoints() under internalTrafficPolicy Local marks used exactly the pods selectLocalEndpoints() chooses", () => {
  fc.assert(
    fc.property(slicesArbitrary, fc.constantFrom<number | string>("grpc", "", 8080), fc.constantFrom(...NODES), (
      slices,
      port,
      node,
    ) => {
      const memo = createSelectionMemo();
      selectEndpoints(slices, port, { memo });
      const endpoints = selectLocalEndpoints(memo, node);
      const { pods, topology } = explainEndpoints(slices, port, { node, zone: "z1" }, { localNode: node });
      assert.equal(topology, "none", "no hints under Local");
      const usedRows = pods.filter((row) => row.use !== "unused");
      assert.ok(usedRows.every((row) => row.use === "used" && row.nodeName === node));
      assert.deepEqual(
        usedRows.map((row) => ({ podName: row.pod, addresses: row.addresses, terminating: row.terminating })),
        endpoints.map((endpoint) => ({
          podName: endpoint.podName,
          addresses: endpoint.addresses,
          terminating: endpoint.terminating,
        })),
      );
      for (const row of pods.filter((row) => row.reason === "other-node-local")) assert.notEqual(row.nodeName, node);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("explainEndpoints() under internalTrafficPolicy Local says which pods are on other nodes", () => {
  const { pods } = explainEndpoints(
    [slice("agent-a", [
      pod("a", "10.0.0.1", { nodeName: "n1", hints: zoneHint("z2") }),
      pod("b", "10.0.0.2", { nodeName: "n2" }),
      pod("c", "10.0.0.3"),
    ])],
    "grpc",
    { node: "n1", zone: "z1" },
    { localNode: "n1" },
  );
  assert.deepEqual(summary(pods), [
    "a: used: on this node (internalTrafficPolicy: Local)",
    "b: not used: on node n2, not this client's (internalTrafficPolicy: Local)",
    "c: not used: on no node, not this client's (internalTrafficPolicy: Local)",
  ]);
});

Deno.test("explainEndpoints() with a subset keeps exactly the pods a channel with that size and seed uses", () => {
  fc.assert(
    fc.property(
      slicesArbitrary,
      localityArbitrary,
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (slices, locality, size, seed) => {
        const { endpoints } = preferEndpoints(selectEndpoints(slices, "grpc"), locality);
        const chosen = createSubsetter(size, seed).select(endpoints);
        const { pods } = explainEndpoints(slices, "grpc", locality, { subset: { size, seed } });
        const inSubset = pods.filter((row) => row.use !== "unused").map((row) => row.addresses);
        assert.deepEqual(inSubset, chosen.map((endpoint) => endpoint.addresses));
        for (const row of pods.filter((row) => row.reason === "outside-subset")) {
          assert.equal(row.message, `not used: outside this client's subset of ${size}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("explainEndpoints() says when the port of the target's name has no number a client can dial", () => {
  const { pods } = explainEndpoints(
    [slice("echo-a", [pod("a", "10.0.0.1")], { ports: [{ name: "grpc", port: 0 }] })],
    "grpc",
    {},
  );
  assert.deepEqual(summary(pods), [
    'a: not used: in an EndpointSlice that gives port "grpc" no number a client can dial (1-65535)',
  ]);
});
