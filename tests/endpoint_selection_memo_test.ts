import assert from "node:assert/strict";
import fc from "fast-check";
import { createSelectionMemo, selectEndpoints } from "../src/selection/endpoint_selection.ts";
import { hostKey } from "../src/selection/_host_key.ts";
import { sameEndpoints } from "../src/selection/same_endpoints.ts";
import type { ResolvedEndpoint } from "../src/selection/resolved_endpoint.ts";
import type { EndpointSlice, SliceEndpoint } from "../src/base/endpoint_slice.ts";
import { seededRandom } from "./_seeded_random.ts";
import { largeServiceSlice } from "./_large_service_slice.ts";

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
          zone: fc.option(fc.constantFrom("z1", "z2"), { nil: undefined }),
          nodeName: fc.option(fc.constantFrom("n1", "n2"), { nil: undefined }),
          hinted: fc.option(fc.constantFrom("z1", "z2"), { nil: undefined }),
        }),
        { maxLength: 4 },
      ),
    }).map(({ ports, endpoints }) => ({
      metadata: { name, namespace: "prod" },
      addressType: addressType as "IPv4" | "IPv6",
      ports: ports.map((port) => ({ ...port })),
      endpoints: endpoints.map(({ addresses, conditions, pod, zone, nodeName, hinted }) => ({
        addresses,
        conditions: JSON.parse(JSON.stringify(conditions)),
        ...(pod ? { targetRef: { kind: "Pod", name: pod, namespace: "prod" } } : {}),
        ...(zone ? { zone } : {}),
        ...(nodeName ? { nodeName } : {}),
        ...(hinted ? { hints: { forZones: [{ name: hinted }] } } : {}),
      })),
    }))
  );
}

Deno.test("selectEndpoints() with a memo selects what it selects without one, as slices change, come and go", () => {
  const names = ["s0", "s1", "s2", "s3", "s4"];
  const flags = fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length });
  const states = fc.array(
    fc.tuple(fc.tuple(...names.map(arbitrarySlice)), flags, flags, fc.nat(names.length - 1)),
    { minLength: 1, maxLength: 8 },
  );
  fc.assert(
    fc.property(states, fc.constantFrom("grpc", "other", 7), (steps, port) => {
      const memo = createSelectionMemo();
      let previous: (EndpointSlice | undefined)[] = [];
      for (const [candidates, keep, present, rotation] of steps) {
        // Unchanged slices keep their object, as in the reflector's map; absent ones were deleted.
        const current = candidates.map((slice, i) =>
          present[i] ? (keep[i] && previous[i] ? previous[i] : slice) : undefined
        );
        previous = current;
        const listed = current.filter((slice) => slice !== undefined);
        const slices = [
          ...listed.slice(rotation % (listed.length || 1)),
          ...listed.slice(0, rotation % (listed.length || 1)),
        ];
        const expected = selectEndpoints(slices, port);
        assert.deepEqual(selectEndpoints(slices, port, { memo }), expected);
        assert.deepEqual(selectEndpoints(structuredClone(slices), port), expected);
        assert.deepEqual(selectEndpoints(slices.toReversed(), port), expected);
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("selectEndpoints() with a memo selects what it selects without one when few of many slices change", () => {
  // 40 slices that never change around 3 that do: an update then takes the paths that find the replaced
  // entries by binary search, and that patch the last selection when it has one endpoint per entry. With
  // `shared`, three of them hold pods named like the changing slices' ("a", "b", "c").
  const stable = (shared: boolean): EndpointSlice[] =>
    Array.from({ length: 40 }, (_, s) => ({
      metadata: { name: `k${String(s).padStart(2, "0")}`, namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 1 }],
      endpoints: Array.from({ length: 4 }, (_, e) => ({
        addresses: [`10.1.${s}.${e}`],
        targetRef: { kind: "Pod", name: shared && s < 3 && e === 0 ? "abc"[s] : `p${s}-${e}`, namespace: "prod" },
      })),
    }));
  const names = ["s0", "s1", "s2"];
  const steps = fc.array(fc.tuple(fc.tuple(...names.map(arbitrarySlice)), fc.nat(names.length - 1)), {
    minLength: 2,
    maxLength: 10,
  });
  fc.assert(
    fc.property(fc.boolean(), steps, (shared, updates) => {
      const memo = createSelectionMemo();
      const current = new Map<string, EndpointSlice>(stable(shared).map((slice) => [slice.metadata.name!, slice]));
      for (const [candidates, which] of updates) {
        // One slice replaced per step, as a watch event does.
        current.set(names[which], candidates[which]);
        const slices = [...current.values()];
        assert.deepEqual(selectEndpoints(slices, "grpc", { memo }), selectEndpoints(slices, "grpc"));
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("selectEndpoints() with a memo shows each field of an endpoint that changed only there, and keeps it", () => {
  const base = {
    addresses: ["10.0.0.1"],
    conditions: { ready: true },
    targetRef: { kind: "Pod", name: "p", namespace: "prod" },
    zone: "z1",
    nodeName: "n1",
    hints: { forZones: [{ name: "z1" }] },
  };
  const changes: Record<string, unknown>[] = [
    { zone: "z2" },
    { nodeName: "n2" },
    { hints: { forZones: [{ name: "z2" }] } },
    { hints: { forZones: [{ name: "z1" }], forNodes: [{ name: "n1" }] } },
    { conditions: { ready: true, terminating: true } },
    { addresses: ["10.0.0.1", "10.0.0.2"] },
    { addresses: ["10.0.0.2"] },
    // Hints that read as none, or as malformed (then none, traced): no longer those of the endpoint before.
    { hints: {} },
    { hints: { forZones: [] } },
    { hints: { forZones: [{ name: 5 }] } },
    { hints: { forZones: [{ name: "z1" }, { name: "z1" }] } },
    { hints: { forZones: "z1" } },
    { hints: null },
    { conditions: { ready: true, serving: true, terminating: false } },
    { conditions: { ready: false, serving: true } },
    // Another pod in its place, sorting after every other.
    { targetRef: { kind: "Pod", name: "z", namespace: "prod" } },
  ];
  // 40 other slices, so that the update takes the path that reuses and patches.
  const others: EndpointSlice[] = Array.from({ length: 40 }, (_, s) => ({
    metadata: { name: `k${s}`, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: [{ addresses: [`10.1.0.${s}`], targetRef: { kind: "Pod", name: `q${s}`, namespace: "prod" } }],
  }));
  const slice = (endpoint: object, otherReady = true): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: [
      endpoint,
      {
        addresses: ["10.0.0.9"],
        conditions: { ready: otherReady },
        targetRef: { kind: "Pod", name: "r", namespace: "prod" },
      },
    ] as EndpointSlice["endpoints"],
  });
  for (const change of changes) {
    const memo = createSelectionMemo();
    selectEndpoints([...others, slice(base)], "grpc", { memo });
    // Changed in place, then the other pod turns not ready (the update that cannot be patched reads every
    // entry kept), then both back.
    const steps = [slice({ ...base, ...change }), slice({ ...base, ...change }, false), slice(base)];
    for (const [step, changed] of steps.entries()) {
      const slices = [...others, changed];
      assert.deepEqual(
        selectEndpoints(slices, "grpc", { memo }),
        selectEndpoints(slices, "grpc"),
        `${JSON.stringify(change)}, step ${step}`,
      );
    }
  }
});

Deno.test("sameEndpoints() agrees with comparing fingerprints", () => {
  fc.assert(
    fc.property(arbitrarySlice("s0"), arbitrarySlice("s1"), (a, b) => {
      const left = selectEndpoints([a], "grpc");
      const right = selectEndpoints([b], "grpc");
      assert.equal(sameEndpoints(left, right), endpointsFingerprint(left) === endpointsFingerprint(right));
      assert.equal(sameEndpoints(left, selectEndpoints([structuredClone(a)], "grpc")), true);
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

Deno.test("selectEndpoints() keeps the objects of the unchanged endpoints of a slice that changed", () => {
  const slice = (ips: string[]): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: ips.map((ip, i) => ({
      addresses: [ip],
      conditions: { ready: true },
      targetRef: { kind: "Pod", name: `p${i}`, namespace: "prod" },
      zone: "z1",
      hints: { forZones: [{ name: "z1" }] },
    })),
  });
  const memo = createSelectionMemo();
  const first = selectEndpoints([slice(["10.0.0.1", "10.0.0.2", "10.0.0.3"])], "grpc", { memo });
  const second = selectEndpoints([slice(["10.0.0.1", "10.0.0.9", "10.0.0.3"])], "grpc", { memo });
  assert.equal(second[0], first[0]);
  assert.notEqual(second[1], first[1]);
  assert.deepEqual(second[1].addresses, [{ host: "10.0.0.9", port: 1 }]);
  assert.equal(second[2], first[2]);
});

Deno.test("selectEndpoints() with a memo orders a slice's pods as without one when it lists them in another order", () => {
  // Pods p0..p11 listed by number are not in name order (p10 sorts before p2): a new object of the slice with
  // the same pods takes their order from the previous one's entries, and one that repeats a pod, or changes
  // which pods it has, is sorted.
  const slice = (pods: number[], changed?: number): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: pods.map((pod) => ({
      addresses: [`10.0.${pod === changed ? 1 : 0}.${pod}`],
      targetRef: { kind: "Pod", name: `p${pod}`, namespace: "prod" },
    })),
  });
  const pods = Array.from({ length: 12 }, (_, i) => i);
  const memo = createSelectionMemo();
  const objects = [
    slice(pods),
    slice(pods, 3),
    slice(pods.toReversed(), 10),
    slice([...pods.slice(0, 5), 3, ...pods.slice(6)]),
    slice(pods.slice(1)),
    slice(pods),
  ];
  for (const object of objects) {
    const expected = selectEndpoints([object], "grpc");
    assert.deepEqual(selectEndpoints([object], "grpc", { memo }), expected);
    assert.deepEqual(expected.map((endpoint) => endpoint.podName), [...new Set(expected.map((e) => e.podName))].sort());
  }
});

Deno.test("selectEndpoints() with a memo keeps the unchanged pods of a slice whose probed pods are all new, as without one", () => {
  // Eight endpoints spread over a slice are looked up first: when all are new pods (a burst), no other is looked
  // up, and the pods that did not change are found by comparing the sorted entries with the previous ones instead.
  const endpoint = (pod: string, ip: string) => ({
    addresses: [ip],
    conditions: { ready: true },
    targetRef: { kind: "Pod", name: pod, namespace: "prod" },
  });
  const slice = (endpoints: SliceEndpoint[]): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints,
  });
  const old = Array.from({ length: 64 }, (_, i) => endpoint(`p${i}`, `10.0.0.${i}`));
  const memo = createSelectionMemo();
  const first = selectEndpoints([slice(old)], "grpc", { memo });
  // Fresh objects (as a JSON watch gives), new pods at every fourth index (each probe's among them), the rest kept.
  const mixed = old.map((e, i) => i % 4 === 0 ? endpoint(`q${i}`, `10.0.1.${i}`) : structuredClone(e));
  const second = selectEndpoints([slice(mixed)], "grpc", { memo });
  assert.deepEqual(second, selectEndpoints([slice(mixed)], "grpc"));
  const before = new Map(first.map((e) => [e.podName, e]));
  const kept = second.filter((e) => e.podName!.startsWith("p"));
  assert.equal(kept.length, 48);
  for (const e of kept) assert.equal(e, before.get(e.podName), e.podName);
  // Then every pod new, with one of them twice: the second copy combines with the first, as without a memo.
  const fresh = Array.from({ length: 64 }, (_, i) => endpoint(`r${i}`, `10.0.2.${i}`));
  fresh.push(endpoint("r5", "10.0.3.5"));
  assert.deepEqual(selectEndpoints([slice(fresh)], "grpc", { memo }), selectEndpoints([slice(fresh)], "grpc"));
});

Deno.test("selectEndpoints() with a memo selects what it selects without one when new slice objects keep endpoint objects", () => {
  // A protobuf watch hands a slice's new object the endpoint objects whose bytes did not change (see
  // endpoint_memory.ts): selection takes their entries over by index. Here new objects keep, move, repeat, drop and
  // add endpoint objects, change the slice's port or namespace, and carry malformed hints.
  const next = seededRandom(0x1badb002);
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  const fresh = (): SliceEndpoint[] => {
    const pod = pick(["a", "b", "c", "d", "e", undefined]);
    return [{
      addresses: next() < 0.05 ? [] : [pick(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])],
      conditions: { ready: next() < 0.8, serving: next() < 0.9, terminating: next() < 0.1 },
      ...(pod
        ? { targetRef: { kind: "Pod", name: pod, namespace: "prod", ...(next() < 0.3 ? { uid: "u1" } : {}) } }
        : {}),
      ...(next() < 0.3 ? { zone: pick(["z1", "z2"]) } : {}),
      ...(next() < 0.2
        ? { hints: next() < 0.2 ? { forZones: "z1" } : { forZones: [{ name: pick(["z1", "z2"]) }] } }
        : {}),
    }];
  };
  for (let run = 0; run < 300; run++) {
    const memo = createSelectionMemo();
    const port = pick<string | number>(["grpc", 7]);
    const slices: EndpointSlice[] = ["s0", "s1", "s2"].map((name) => ({
      metadata: { name, namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 1 }],
      endpoints: Array.from({ length: 1 + Math.floor(next() * 6) }, () => fresh()[0]),
    }));
    for (let step = 0; step < 30; step++) {
      const at = Math.floor(next() * slices.length);
      const endpoints = [...slices[at].endpoints!];
      const change = Math.floor(next() * 8);
      const i = Math.floor(next() * endpoints.length);
      if (change === 0 && endpoints.length > 1) endpoints.splice(i, 1);
      else if (change === 1) endpoints.splice(i, 0, fresh()[0]);
      else if (change === 2) endpoints[i] = fresh()[0];
      else if (change === 3 && endpoints.length > 1) endpoints.reverse();
      else if (change === 4) endpoints.push(endpoints[i]);
      else if (change === 5) endpoints.push(pick(slices).endpoints![0]);
      const ports = change === 6 ? [{ name: "grpc", port: pick([1, 2]) }] : slices[at].ports;
      const namespace = change === 7 && next() < 0.3 ? pick(["prod", "other"]) : slices[at].metadata.namespace;
      slices[at] = { ...slices[at], metadata: { ...slices[at].metadata, namespace }, ports, endpoints };
      const expected = selectEndpoints(slices, port);
      assert.deepEqual(selectEndpoints(slices, port, { memo }), expected, `run ${run}, step ${step}`);
    }
  }
});

Deno.test("selectEndpoints() takes over the entry of an endpoint object kept at its index without reading its pod", () => {
  let reads = 0;
  const endpoints = Array.from({ length: 3 }, (_, i) => {
    const endpoint = { addresses: [`10.0.0.${i + 1}`], conditions: {} } as SliceEndpoint;
    Object.defineProperty(endpoint, "targetRef", {
      get: () => (reads++, { kind: "Pod", name: `p${i}`, namespace: "prod" }),
      enumerable: true,
    });
    return endpoint;
  });
  const slice = (first: string): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: [{ addresses: [first], targetRef: { kind: "Pod", name: "p9", namespace: "prod" } }, ...endpoints],
  });
  const memo = createSelectionMemo();
  selectEndpoints([slice("10.0.1.1")], "grpc", { memo });
  selectEndpoints([slice("10.0.1.2")], "grpc", { memo });
  const before = reads;
  const selected = selectEndpoints([slice("10.0.1.3")], "grpc", { memo });
  assert.equal(reads, before);
  assert.deepEqual(selected, selectEndpoints([slice("10.0.1.3")], "grpc"));
});

Deno.test("selectEndpoints() takes over every entry of a new slice object whose endpoint objects all stay in place, reading none", () => {
  let reads = 0;
  const endpoints = Array.from({ length: 4 }, (_, i) => {
    const endpoint = { conditions: {}, targetRef: { kind: "Pod", name: `p${i}`, namespace: "prod" } } as SliceEndpoint;
    const addresses = [`10.0.0.${4 - i}`];
    Object.defineProperty(endpoint, "addresses", { get: () => (reads++, addresses), enumerable: true });
    return endpoint;
  });
  const slice = (kept: SliceEndpoint[], resourceVersion: string): EndpointSlice => ({
    metadata: { name: "s", namespace: "prod", resourceVersion },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: kept,
  });
  const other: EndpointSlice = {
    ...slice([{ addresses: ["10.0.9.9"], conditions: {} }], "1"),
    metadata: { name: "t" },
  };
  const memo = createSelectionMemo();
  selectEndpoints([slice(endpoints, "1"), other], "grpc", { memo });
  selectEndpoints([slice([...endpoints], "2"), other], "grpc", { memo });
  const before = reads;
  const selected = selectEndpoints([slice([...endpoints], "3"), other], "grpc", { memo });
  assert.equal(reads, before, "an endpoint in place was read");
  assert.deepEqual(selected, selectEndpoints([slice(endpoints, "3"), other], "grpc"));
  // Then one endpoint replaced, and one removed: selected as without a memo.
  const changed = [endpoints[0], { addresses: ["10.0.1.1"], conditions: {} }, endpoints[2], endpoints[3]];
  for (const kept of [changed, [...changed], changed.slice(1), changed.slice(1)]) {
    const current = [slice(kept, "4"), other];
    assert.deepEqual(selectEndpoints(current, "grpc", { memo }), selectEndpoints(current, "grpc"));
  }
});

/** The reference for sameEndpoints(): every field a snapshot shows, as a string. */
function endpointsFingerprint(endpoints: readonly ResolvedEndpoint[]): string {
  let text = "";
  for (const endpoint of endpoints) {
    text += `${endpoint.podName ?? ""}${endpoint.ready ? "R" : ""}${endpoint.serving ? "S" : ""}${
      endpoint.terminating ? "T" : ""
    }${endpoint.preferred ? "P" : ""} ${JSON.stringify([endpoint.zone, endpoint.nodeName, endpoint.hints])}`;
    for (const address of endpoint.addresses) text += ` ${address.host}|${address.port}`;
    text += "\n";
  }
  return text;
}

Deno.test("selectEndpoints() gives the endpoints of a large first list copies once, in the next call, then reuses them", () => {
  // The copies are what V8 then keeps together in memory (see copyEndpoints in _pod_endpoint.ts); they must show the same.
  const slices = Array.from({ length: 12 }, (_, s) => largeServiceSlice(s));
  const memo = createSelectionMemo();
  const first = selectEndpoints(slices, "grpc", { memo });
  slices[3] = largeServiceSlice(3, "10.99.0.1");
  const second = selectEndpoints(slices, "grpc", { memo });
  assert.deepEqual(second, selectEndpoints(slices, "grpc"));
  assert.notEqual(second[150], first[150]);
  assert.notEqual(second[150].addresses, first[150].addresses);
  assert.deepEqual(Object.keys(second[150]), Object.keys(first[150]));
  slices[3] = largeServiceSlice(3, "10.99.0.2");
  const third = selectEndpoints(slices, "grpc", { memo });
  assert.deepEqual(third, selectEndpoints(slices, "grpc"));
  assert.equal(third[150], second[150]);
});

Deno.test("selectEndpoints() with a memo selects what it selects without one after copying a large list", () => {
  // Pods in two slices, several addresses, zones, nodes, hints and not-ready pods: endpoints built whole, combined,
  // and a selection that is not one endpoint per entry.
  const next = seededRandom(0x5eed5);
  const slice = (s: number, version: number): EndpointSlice => ({
    metadata: { name: `s${s}`, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: Array.from({ length: 120 }, (_, e) => {
      const pod = next() < 0.1 ? `shared-${e}` : `p${s}-${e}`;
      const zoned = next() < 0.5;
      return {
        addresses: next() < 0.2 ? [`10.${s}.${version}.${e}`, `10.${s}.${version + 100}.${e}`] : [`10.${s}.1.${e}`],
        conditions: { ready: next() < 0.9, serving: true, terminating: next() < 0.05 },
        targetRef: { kind: "Pod", name: pod, namespace: "prod" },
        ...(zoned ? { zone: "z1", nodeName: `n${e % 3}` } : {}),
        ...(zoned && next() < 0.5 ? { hints: { forZones: [{ name: "z1" }] } } : {}),
      };
    }),
  });
  const slices = Array.from({ length: 10 }, (_, s) => slice(s, 0));
  const memo = createSelectionMemo();
  for (let step = 0; step < 4; step++) {
    if (step > 0) slices[step] = slice(step, step);
    const expected = selectEndpoints(slices, "grpc");
    const selected = selectEndpoints(slices, "grpc", { memo });
    assert.deepEqual(selected, expected, `step ${step}`);
    assert.deepEqual(selected.map((endpoint) => Object.keys(endpoint)), expected.map((e) => Object.keys(e)));
  }
});

Deno.test("selectEndpoints() with a memo counts a host used three times in a burst, and again as its pods leave", () => {
  // A burst (every slice replaced) counts the hosts anew; later updates count them one by one from those counts.
  const slice = (name: string, pods: [string, string][]): EndpointSlice => ({
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: pods.map(([pod, ip]) => ({ addresses: [ip], targetRef: { kind: "Pod", name: pod } })),
  });
  const memo = createSelectionMemo();
  const steps = [
    [slice("a", [["p1", "10.0.0.1"], ["p2", "10.0.0.2"]]), slice("b", [["p3", "10.0.0.3"]])],
    [slice("a", [["q1", "10.0.0.9"], ["q2", "10.0.0.9"]]), slice("b", [["q3", "10.0.0.9"], ["q4", "10.0.0.4"]])],
    [slice("a", [["q1", "10.0.0.9"], ["q2", "10.0.0.9"]]), slice("b", [["q4", "10.0.0.4"]])],
    [slice("a", [["q1", "10.0.0.9"]]), slice("b", [["q4", "10.0.0.4"]])],
    [slice("a", [["q1", "10.0.0.9"]]), slice("b", [["q4", "10.0.0.4"], ["q5", "10.0.0.5"]])],
  ];
  for (const [step, slices] of steps.entries()) {
    assert.deepEqual(selectEndpoints(slices, "grpc", { memo }), selectEndpoints(slices, "grpc"));
    if (step === 1) assert.deepEqual([memo.counts.get(hostKey("10.0.0.9")), memo.repeated], [3, 1]);
  }
  assert.equal(memo.repeated, 0);
  assert.equal(memo.counts.get(hostKey("10.0.0.9")), 1);
});

Deno.test("selectEndpoints() with a memo selects and counts hosts as without one through bursts that copy, drop and re-add", () => {
  // Bursts of at least COPY_AFTER new pods have the next call copy the entries it keeps: here that next call also
  // replaces every pod, some, none, deletes a slice and adds it back, or copies pods and hosts into another slice.
  for (let seed = 1; seed <= 6; seed++) {
    const next = seededRandom(0x9e37 * seed);
    const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)];
    const sharedHosts = seed % 2 === 0;
    let serial = 0;
    const endpoint = (): SliceEndpoint => {
      const n = serial++;
      const host = sharedHosts && next() < 0.05 ? `10.9.0.${n % 7}` : `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
      return {
        addresses: [host],
        // Odd seeds: every pod ready on a host of its own, so that the selection is one endpoint per entry.
        conditions: sharedHosts ? { ready: next() < 0.97, serving: true, terminating: next() < 0.01 } : {},
        targetRef: { kind: "Pod", name: `p${n}`, namespace: "prod" },
        ...(next() < 0.5 ? { zone: pick(["z1", "z2"]), nodeName: pick(["n1", "n2", "n3"]) } : {}),
      };
    };
    const slice = (name: string, endpoints: SliceEndpoint[]): EndpointSlice => ({
      metadata: { name, namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 1 }],
      endpoints,
    });
    const names = ["a", "b", "c"];
    const fill = () => Array.from({ length: 400 }, endpoint);
    const slices = new Map(names.map((name) => [name, slice(name, fill())]));
    const memo = createSelectionMemo();
    for (let step = 0; step < 12; step++) {
      const name = pick(names);
      const change = step === 0
        ? "none"
        : pick(["burst", "burst", "some", "few", "few", "re-add", "delete", "copy", "none"]);
      if (change === "burst") { for (const each of names) if (slices.has(each)) slices.set(each, slice(each, fill())); }
      // Few: the last selection is patched (the pods that leave at their positions in it, whose copies line up).
      if ((change === "some" || change === "few") && slices.has(name)) {
        const share = change === "some" ? 0.3 : 0.02;
        slices.set(name, slice(name, slices.get(name)!.endpoints!.map((e) => (next() < share ? endpoint() : e))));
      }
      if (change === "re-add") {
        slices.delete(name);
        slices.set(name, slice(name, fill()));
      }
      if (change === "delete") {
        if (slices.size > 1) slices.delete(name);
        else slices.set(name, slice(name, fill()));
      }
      const other = slices.get(pick(names));
      if (change === "copy" && slices.has(name) && other) {
        // The same pods, with their hosts, in two slices.
        slices.set(name, slice(name, [...slices.get(name)!.endpoints!, ...other.endpoints!.slice(0, 50)]));
      }
      const selected = selectEndpoints(slices.values(), "grpc", { memo });
      const expected = selectEndpoints(slices.values(), "grpc");
      const where = `seed ${seed} step ${step} (${change})`;
      assert.deepEqual(selected, expected, where);
      assert.deepEqual(selected.map((e) => Object.keys(e)), expected.map((e) => Object.keys(e)), where);
      // Every merged entry's hosts, counted one by one.
      const counts = new Map<string | number, number>();
      for (const entry of memo.merged) {
        for (const { host } of entry.endpoint.addresses) {
          counts.set(hostKey(host), (counts.get(hostKey(host)) ?? 0) + 1);
        }
      }
      assert.deepEqual(memo.counts, counts, where);
      assert.equal(memo.repeated, [...counts.values()].filter((count) => count > 1).length, where);
    }
  }
});
