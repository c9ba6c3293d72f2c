// The live table's rows of pods: laid out once for a list of pods and a width, not again on each tick of the clock.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** A Service of `count` pods, every tenth not ready, in zones a and b. */
function sliceOf(count: number): EndpointSlice {
  return {
    metadata: { name: "echo-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: Array.from({ length: count }, (_, i) => ({
      addresses: [`10.1.${i >> 6}.${(i & 63) + 1}`],
      targetRef: { name: `echo-7d9c5b6f8-${i}` },
      zone: "ab"[i % 2],
      conditions: { ready: i % 10 !== 0 },
    })),
  };
}

/** The view, its pods' messages counting how often they are read (once a pod's cells are worked out, and its reason). */
function counted(view: ServiceView): { view: ServiceView; reads: () => number } {
  let reads = 0;
  const pods = view.pods!.map((pod) => {
    const { message, ...rest } = pod;
    return Object.defineProperty({ ...rest }, "message", { get: () => (reads++, message), enumerable: true });
  }) as typeof view.pods;
  return { view: { ...view, pods }, reads: () => reads };
}

Deno.test("renderTable() redrawn for the clock alone lays none of the pods' rows out again", () => {
  // Was: every pod's cells, widths, layout and reasons worked out on every redraw, 100 ms and more for 5,000 pods on
  // each tick of the clock (the time since the last change), where nothing else changed.
  for (const [columns, rows] of [[80, 24], [200, 50], [20, 12]]) {
    const { view, reads } = counted({ ...serviceViewOf([sliceOf(300)], { zone: "a" }), changedAt: 0, changes: 1 });
    const first = tableAt(view, columns, { rows, now: 1_000 });
    const before = reads();
    const second = tableAt(view, columns, { rows, now: 2_000 });
    assert.equal(reads(), before, `${columns}x${rows}: the second redraw read the pods' messages again`);
    // At 20x12 the time since the last change is given up for a row of pods.
    if (columns > 20) assert.notDeepEqual(second, first, `${columns}x${rows}: the time since the last change moved`);
  }
});

Deno.test("renderTable() lays the rows out anew for new pods or a new width", () => {
  const view = serviceViewOf([sliceOf(30)], {});
  for (const [columns, rows] of [[200, 50], [40, 15], [200, 50]]) {
    // A copy of the list, never laid out before, is the table drawn fresh.
    const fresh = tableAt({ ...view, pods: [...view.pods!] }, columns, { rows });
    assert.deepEqual(tableAt(view, columns, { rows }), fresh, `${columns}x${rows}`);
  }
  // The first three by name: echo-0, echo-1, echo-10, two of them not ready.
  const fewer = { ...view, pods: view.pods!.slice(0, 3) };
  assert.ok(tableAt(fewer, 200, { rows: 50 }).at(-1)!.startsWith("1 used, 2 not used "), "the new list's pods counted");
});
