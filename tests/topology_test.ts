// topologyMode() and isPreferred() against the cases of kube-proxy's topology tests
// (tests/topology_cases.mjs), and a property test of the mode.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  isPreferred,
  preferEndpoints,
  readHints,
  type TopologyHints,
  topologyMode,
} from "../src/selection/topology.ts";
import { TOPOLOGY_CASES } from "./topology_cases.mjs";

type Case = (typeof TOPOLOGY_CASES)[number];

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

for (const testCase of TOPOLOGY_CASES) {
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
  // kube-apiserver accepts an empty zone name (a label value may be empty): a hint for no client's zone.
  assert.deepEqual(readHints({ forZones: [{ name: "" }] }), { forZones: [""], forNodes: [] });
  for (
    const bad of ["a", [], { forZones: "a" }, { forZones: [{ name: 3 }] }, { forNodes: [null] }, { forZones: [{}] }]
  ) {
    assert.equal(readHints(bad), "malformed", JSON.stringify(bad));
  }
});

Deno.test("preferEndpoints() marks the client's zone as the first failover under node preference", () => {
  // As the EndpointSlice controller hints PreferSameNode: each endpoint for its own node and its own zone.
  type Marked = { ready: boolean; preferred: boolean; sameZone?: boolean; hints?: TopologyHints };
  const at = (node: string, zone: string): Marked => ({ ready: true, preferred: true, hints: hints([zone], [node]) });
  const endpoints = [at("n1", "a"), at("n2", "a"), at("n3", "b")];
  const tiers = (locality: { node?: string; zone?: string }) => {
    const { endpoints: marked, mode } = preferEndpoints(endpoints, locality);
    return [mode, ...marked.map((e) => e.preferred ? "first" : e.sameZone ? "zone" : "rest")].join(" ");
  };
  assert.equal(tiers({ node: "n1", zone: "a" }), "node first zone rest");
  // Without the client's zone, or a zone none is hinted for, there are two tiers.
  assert.equal(tiers({ node: "n1" }), "node first rest rest");
  assert.equal(tiers({ node: "n1", zone: "c" }), "node first rest rest");
  // Zone mode itself has two: the zone, then the rest.
  assert.equal(tiers({ node: "n9", zone: "a" }), "zone first first rest");
  // A ready endpoint without a zone hint: kube-proxy would not use zone mode either.
  const unhinted: Marked = { ready: true, preferred: true, hints: hints(undefined, ["n4"]) };
  const marked = preferEndpoints([...endpoints, unhinted], { node: "n1", zone: "a" }).endpoints;
  assert.deepEqual(marked.map((e) => e.sameZone ?? false), [false, false, false, false]);
  // Unchanged input gives the same objects.
  const again = () => preferEndpoints(endpoints, { node: "n1", zone: "a" }).endpoints[1];
  assert.equal(again(), again());
});
