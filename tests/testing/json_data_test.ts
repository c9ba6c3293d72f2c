// The fake API server's copies and comparisons of its stored objects.
import assert from "node:assert/strict";
import { copyJson, sameJson } from "../../src/testing/_json_data.ts";

Deno.test("copyJson() copies plain JSON data deeply: changing the copy leaves the original alone", () => {
  const original = {
    metadata: { name: "a", labels: { app: "echo" } },
    endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true }, hints: { forZones: [{ name: "z" }] } }],
    ports: null,
    count: 3,
  };
  const copy = copyJson(original);
  assert.deepEqual(copy, original);
  copy.metadata.labels.app = "other";
  copy.endpoints[0].addresses.push("10.0.0.2");
  copy.endpoints[0].hints.forZones[0].name = "y";
  assert.deepEqual(original.metadata.labels, { app: "echo" });
  assert.deepEqual(original.endpoints[0].addresses, ["10.0.0.1"]);
  assert.equal(original.endpoints[0].hints.forZones[0].name, "z");
});

Deno.test("copyJson() leaves out properties set to undefined, as JSON does", () => {
  const copy = copyJson({
    kind: "Pod",
    namespace: undefined,
    hints: { forZones: undefined, forNodes: [{ name: "n" }] },
  });
  assert.deepEqual(copy, { kind: "Pod", hints: { forNodes: [{ name: "n" }] } });
});

Deno.test("sameJson() compares as JSON with sorted keys would: order of keys aside, undefined as absent", () => {
  assert.ok(sameJson({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 }));
  assert.ok(sameJson({ a: 1, gone: undefined }, { a: 1 }));
  assert.ok(sameJson(undefined, undefined));
  assert.ok(sameJson(null, null));
  assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!sameJson({ a: 1, b: 2 }, { a: 1 }));
  assert.ok(!sameJson([1, 2], [2, 1]), "arrays keep their order");
  assert.ok(!sameJson([1], { 0: 1 }));
  assert.ok(!sameJson({ a: null }, { a: {} }));
  assert.ok(!sameJson(undefined, {}));
  assert.ok(!sameJson("1", 1));
});
