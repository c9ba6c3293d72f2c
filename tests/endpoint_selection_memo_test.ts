import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createSelectionMemo,
  type ResolvedEndpoint,
  sameEndpoints,
  selectEndpoints,
} from "../src/endpoint_selection.ts";
import type { EndpointSlice } from "../src/endpoint_slice.ts";

const ipv4 = fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.3");
const ipv6 = fc.constantFrom("fd00::1", "fd00::2");
const condition = fc.option(fc.boolean(), { nil: undefined });

/** A slice named `name` whose pods and addresses often repeat those of other slices. */
function arbitrarySlice(name: string): fc.Arbitrary<EndpointSlice> {
  return fc.constantFrom("IPv4", "IPv6").chain((addressType) =>
    fc.record({
      ports: fc.constantFrom<{ name: string; port: number }[][]>([{ name: "grpc", port: 1 }], [{
        name: "other",
        port: 2,
      }], []),
      endpoints: fc.array(
        fc.record({
          addresses: fc.array(addressType === "IPv6" ? ipv6 : ipv4, { minLength: 0, maxLength: 2 }),
          conditions: fc.record({ ready: condition, serving: condition, terminating: condition }),
          pod: fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
        }),
        { maxLength: 4 },
      ),
    }).map(({ ports, endpoints }) => ({
      metadata: { name, namespace: "prod" },
      addressType: addressType as "IPv4" | "IPv6",
      ports: ports.map((port) => ({ ...port })),
      endpoints: endpoints.map(({ addresses, conditions, pod }) => ({
        addresses,
        conditions: JSON.parse(JSON.stringify(conditions)),
        ...(pod ? { targetRef: { kind: "Pod", name: pod, namespace: "prod" } } : {}),
      })),
    }))
  );
}

Deno.test("selectEndpoints() with a memo selects what it selects without one, as slices change", () => {
  const states = fc.array(
    fc.tuple(
      arbitrarySlice("s0"),
      arbitrarySlice("s1"),
      arbitrarySlice("s2"),
      fc.array(fc.boolean(), { minLength: 3 }),
    ),
    { minLength: 1, maxLength: 6 },
  );
  fc.assert(
    fc.property(states, fc.constantFrom(undefined, "grpc", 7), (steps, port) => {
      const memo = createSelectionMemo();
      let previous: EndpointSlice[] = [];
      for (const [a, b, c, keep] of steps) {
        // Unchanged slices keep their object, as in the reflector's map.
        const slices = [a, b, c].map((slice, i) => keep[i] && previous[i] ? previous[i] : slice);
        previous = slices;
        const expected = selectEndpoints(slices, port);
        assert.deepEqual(selectEndpoints(slices, port, { memo }), expected);
        assert.deepEqual(selectEndpoints(structuredClone(slices), port), expected);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("sameEndpoints() agrees with comparing fingerprints", () => {
  fc.assert(
    fc.property(arbitrarySlice("s0"), arbitrarySlice("s1"), (a, b) => {
      const left = selectEndpoints([a]);
      const right = selectEndpoints([b]);
      assert.equal(sameEndpoints(left, right), endpointsFingerprint(left) === endpointsFingerprint(right));
      assert.equal(sameEndpoints(left, selectEndpoints([structuredClone(a)])), true);
    }),
    { numRuns: 500 },
  );
});

Deno.test("selectEndpoints() reuses the endpoint objects of slices that did not change", () => {
  const slice = (name: string, ip: string): EndpointSlice => ({
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: [{ addresses: [ip], conditions: {}, targetRef: { kind: "Pod", name, namespace: "prod" } }],
  });
  const memo = createSelectionMemo();
  const kept = slice("a", "10.0.0.1");
  const first = selectEndpoints([kept, slice("b", "10.0.0.2")], "grpc", { memo });
  const second = selectEndpoints([kept, slice("b", "10.0.0.3")], "grpc", { memo });
  assert.equal(second[0], first[0]);
  assert.deepEqual(second[1].addresses, [{ host: "10.0.0.3", port: 1 }]);
});

/** The reference for sameEndpoints(): every field a gRPC client uses, as a string. */
function endpointsFingerprint(endpoints: readonly ResolvedEndpoint[]): string {
  let text = "";
  for (const endpoint of endpoints) {
    text += `${endpoint.podName ?? ""}${endpoint.ready ? "R" : ""}${endpoint.serving ? "S" : ""}${
      endpoint.terminating ? "T" : ""
    }`;
    for (const address of endpoint.addresses) text += ` ${address.host}|${address.port}`;
    text += "\n";
  }
  return text;
}
