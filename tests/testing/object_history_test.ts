import assert from "node:assert/strict";
import { type ChangeType, createObjectHistory, type ObjectHistory } from "../../src/testing/_object_history.ts";
import type { EndpointSlice } from "../../src/testing/types.ts";
import { seededRandom } from "../_seeded_random.ts";

/** A slice reduced to what the history reads: its key's name and its resourceVersion. */
function slice(name: string, rv: number): EndpointSlice {
  return { metadata: { namespace: "default", name, resourceVersion: String(rv) } } as unknown as EndpointSlice;
}

/** Makes the same random writes (and quiet advances) on every history. */
function writeRandomly(histories: ObjectHistory[], count: number, seed: number): void {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const name = `s-${Math.floor(random() * 5)}`;
    if (random() < 0.1) {
      for (const history of histories) history.advance();
      continue;
    }
    const key = `default/${name}`;
    const type: ChangeType = !histories[0].current.has(key) ? "ADDED" : random() < 0.3 ? "DELETED" : "MODIFIED";
    for (const history of histories) {
      history.record(type, key, slice(name, history.nextRv()), history.current.get(key));
    }
  }
}

Deno.test("a bounded history keeps at most historyLimit changes and rebuilds every state it still holds", () => {
  for (const limit of [1, 2, 3, 7, 64]) {
    const whole = createObjectHistory({ historyLimit: Infinity });
    const bounded = createObjectHistory({ historyLimit: limit });
    writeRandomly([whole, bounded], 500, limit);
    assert.equal(bounded.rv, whole.rv);
    assert.ok(bounded.changesAfter(0).length <= limit, `limit ${limit}: at most ${limit} changes kept`);
    assert.ok(bounded.changesAfter(0).length >= Math.ceil(limit / 2), `limit ${limit}: the newest half kept`);
    assert.deepEqual(bounded.changesAfter(bounded.compactedRv), whole.changesAfter(bounded.compactedRv));
    for (let rv = bounded.compactedRv; rv <= bounded.rv; rv++) {
      assert.deepEqual(bounded.stateAt(rv), whole.stateAt(rv), `limit ${limit}: the state at ${rv}`);
    }
  }
});

Deno.test("a history without a limit keeps every change until compact()", () => {
  const history = createObjectHistory({ historyLimit: Infinity });
  writeRandomly([history], 300, 1);
  assert.equal(history.compactedRv, 1);
  history.compact();
  assert.equal(history.compactedRv, history.rv);
  assert.deepEqual(history.changesAfter(0), []);
});

Deno.test("recordBeside() stores an ADDED change at the next resourceVersion, which the write after it uses", () => {
  const clock = { rv: 1 };
  const namespaces = createObjectHistory({ historyLimit: Infinity, clock });
  const slices = createObjectHistory({ historyLimit: Infinity, clock });
  const made = namespaces.recordBeside("shop", slice("shop", 2));
  assert.deepEqual([made.type, made.rv, clock.rv], ["ADDED", 2, 1], "the resourceVersion does not move");
  slices.record("ADDED", "shop/a", slice("a", slices.nextRv()));
  assert.equal(clock.rv, 2);
  assert.deepEqual(namespaces.changesAfter(1).map((change) => change.key), ["shop"]);
  assert.deepEqual(namespaces.changesAfter(2), []);
  assert.deepEqual([...namespaces.stateAt(1).keys()], []);
  assert.deepEqual([...namespaces.stateAt(2).keys()], ["shop"]);
});
