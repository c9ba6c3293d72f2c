// topologyMode() and isPreferred() against the cases of kube-proxy's topology tests
// (kubernetes pkg/proxy/topology_test.go), restated as "which endpoints kube-proxy would route to".
import assert from "node:assert/strict";
import fc from "fast-check";
import { isPreferred, type Locality, readHints, type TopologyHints, topologyMode } from "../src/topology.ts";

interface Case {
  name: string;
  locality: Locality;
  endpoints: {
    ip: string;
    ready?: boolean;
    serving?: boolean;
    terminating?: boolean;
    zones?: string[];
    nodes?: string[];
  }[];
  /** What kube-proxy routes to: the preferred ready ones, or the serving-terminating fallback. */
  expected: string[];
}

const hints = (zones?: string[], nodes?: string[]): TopologyHints | undefined =>
  zones || nodes ? { forZones: zones ?? [], forNodes: nodes ?? [] } : undefined;

/** kube-proxy's cluster endpoints: ready ones allowed by the mode, else serving-terminating ones, without topology. */
function routedTo(testCase: Case): string[] {
  const endpoints = testCase.endpoints.map((endpoint) => ({
    ip: endpoint.ip,
    ready: endpoint.ready ?? true,
    serving: endpoint.serving ?? endpoint.ready ?? true,
    terminating: endpoint.terminating ?? false,
    hints: hints(endpoint.zones, endpoint.nodes),
  }));
  const mode = topologyMode(endpoints, testCase.locality);
  const ready = endpoints.filter((endpoint) => endpoint.ready && isPreferred(endpoint, mode, testCase.locality));
  const chosen = ready.length > 0 ? ready : endpoints.filter((endpoint) => endpoint.serving && endpoint.terminating);
  return chosen.map((endpoint) => endpoint.ip).sort();
}

const fourZoned = (ready6 = true) => [
  { ip: "10.1.2.3", zones: ["zone-a"] },
  { ip: "10.1.2.4", zones: ["zone-b"] },
  { ip: "10.1.2.5", zones: ["zone-c"] },
  { ip: "10.1.2.6", zones: ["zone-a"], ready: ready6 },
];

const CASES: Case[] = [
  {
    name: "normal filtering: the zone's endpoints",
    locality: { zone: "zone-a" },
    endpoints: fourZoned(),
    expected: ["10.1.2.3", "10.1.2.6"],
  },
  {
    name: "no hints (no trafficDistribution, or topology-mode disabled): no filtering",
    locality: { zone: "zone-a" },
    endpoints: fourZoned().map(({ ip }) => ({ ip })),
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"],
  },
  {
    name: "empty node labels (zone unknown): no filtering",
    locality: {},
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }],
    expected: ["10.1.2.3"],
  },
  {
    name: "node in a zone no endpoint is hinted for: no filtering",
    locality: { zone: "zone-b" },
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }, { ip: "10.1.2.4", zones: ["zone-c"] }],
    expected: ["10.1.2.3", "10.1.2.4"],
  },
  {
    name: "an unready endpoint in the zone is not used",
    locality: { zone: "zone-a" },
    endpoints: fourZoned(false),
    expected: ["10.1.2.3"],
  },
  {
    name: "only unready endpoints in the zone: no filtering",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a"], ready: false },
      { ip: "10.1.2.4", zones: ["zone-b"] },
      { ip: "10.1.2.5", zones: ["zone-c"] },
      { ip: "10.1.2.6", zones: ["zone-a"], ready: false },
    ],
    expected: ["10.1.2.4", "10.1.2.5"],
  },
  {
    name: "one ready endpoint without hints: no filtering",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a"] },
      { ip: "10.1.2.4", zones: ["zone-b"] },
      { ip: "10.1.2.5" },
      { ip: "10.1.2.6", zones: ["zone-a"] },
    ],
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"],
  },
  {
    name: "an unready endpoint without hints does not stop filtering",
    locality: { zone: "zone-a" },
    endpoints: [{ ip: "10.1.2.3", zones: ["zone-a"] }, { ip: "10.1.2.4", zones: ["zone-b"] }, {
      ip: "10.1.2.5",
      ready: false,
    }],
    expected: ["10.1.2.3"],
  },
  {
    name: "several hints per endpoint: any endpoint that includes the zone",
    locality: { zone: "zone-c" },
    endpoints: [
      { ip: "10.1.2.3", zones: ["zone-a", "zone-b", "zone-c"] },
      { ip: "10.1.2.4", zones: ["zone-b", "zone-c"] },
      { ip: "10.1.2.5", zones: ["zone-b", "zone-d"] },
      { ip: "10.1.2.6", zones: ["zone-c"] },
    ],
    expected: ["10.1.2.3", "10.1.2.4", "10.1.2.6"],
  },
  {
    name: "no endpoint ready: none is used",
    locality: { zone: "zone-a" },
    endpoints: [{ ip: "10.0.0.0", ready: false }, { ip: "10.0.0.1", ready: false }],
    expected: [],
  },
  {
    name: "some endpoints ready: only those",
    locality: {},
    endpoints: [{ ip: "10.0.0.0", ready: false }, { ip: "10.0.0.1" }],
    expected: ["10.0.0.1"],
  },
  {
    name: "every endpoint terminating but serving: the fallback, without topology",
    locality: { zone: "zone-a" },
    endpoints: [
      { ip: "10.0.0.0", ready: false, serving: true, terminating: true, zones: ["zone-b"] },
      { ip: "10.0.0.1", ready: false, serving: true, terminating: true, zones: ["zone-a"] },
    ],
    expected: ["10.0.0.0", "10.0.0.1"],
  },
  {
    name: "PreferSameNode: node hints on every ready endpoint, one for our node",
    locality: { zone: "zone-a", node: "node-1" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.2", zones: ["zone-a"], nodes: ["node-2"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.1"],
  },
  {
    name: "PreferSameNode: no endpoint for our node falls back to the zone",
    locality: { zone: "zone-a", node: "node-9" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.2", zones: ["zone-a"], nodes: ["node-2"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.1", "10.1.0.2"],
  },
  {
    name: "PreferSameNode: a ready endpoint without a node hint falls back to the zone",
    locality: { zone: "zone-b", node: "node-1" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.3", zones: ["zone-b"] },
    ],
    expected: ["10.1.0.3"],
  },
  {
    name: "PreferSameNode: node unknown uses the zone",
    locality: { zone: "zone-b" },
    endpoints: [
      { ip: "10.1.0.1", zones: ["zone-a"], nodes: ["node-1"] },
      { ip: "10.1.0.3", zones: ["zone-b"], nodes: ["node-3"] },
    ],
    expected: ["10.1.0.3"],
  },
  {
    name: "PreferSameNode without zone hints and no locality: no filtering",
    locality: {},
    endpoints: [{ ip: "10.1.0.1", nodes: ["node-1"] }, { ip: "10.1.0.3", nodes: ["node-3"] }],
    expected: ["10.1.0.1", "10.1.0.3"],
  },
];

for (const testCase of CASES) {
  Deno.test(`topologyMode() routes like kube-proxy: ${testCase.name}`, () => {
    assert.deepEqual(routedTo(testCase), testCase.expected);
  });
}

Deno.test("topologyMode() always leaves a preferred ready endpoint when any is ready, and prefers all under none", () => {
  const name = fc.constantFrom("a", "b", "c");
  const endpoint = fc.record({
    ready: fc.boolean(),
    hints: fc.option(
      fc.record({ forZones: fc.array(name, { maxLength: 2 }), forNodes: fc.array(name, { maxLength: 2 }) }),
      {
        nil: undefined,
      },
    ),
  });
  const locality = fc.record({ zone: fc.option(name, { nil: undefined }), node: fc.option(name, { nil: undefined }) });
  fc.assert(fc.property(fc.array(endpoint, { maxLength: 8 }), locality, (endpoints, where) => {
    const mode = topologyMode(endpoints, where);
    const ready = endpoints.filter((e) => e.ready);
    const preferred = ready.filter((e) => isPreferred(e, mode, where));
    if (ready.length > 0) assert.ok(preferred.length > 0, `mode ${mode} left no preferred endpoint`);
    if (mode === "none") assert.equal(preferred.length, ready.length);
    if (mode === "node") assert.ok(ready.every((e) => (e.hints?.forNodes.length ?? 0) > 0));
    if (mode === "zone") assert.ok(ready.every((e) => (e.hints?.forZones.length ?? 0) > 0));
  }));
});

Deno.test("readHints() reads forZones and forNodes, and calls anything malformed malformed", () => {
  assert.deepEqual(readHints({ forZones: [{ name: "a" }], forNodes: [{ name: "n" }] }), {
    forZones: ["a"],
    forNodes: ["n"],
  });
  assert.equal(readHints(undefined), undefined);
  assert.equal(readHints({ forZones: [] }), undefined);
  for (
    const bad of ["a", [], { forZones: "a" }, { forZones: [{ name: 3 }] }, { forNodes: [null] }, { forZones: [{}] }]
  ) {
    assert.equal(readHints(bad), "malformed", JSON.stringify(bad));
  }
});
