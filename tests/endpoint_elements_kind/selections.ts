// Run with `--v8-flags=--allow-natives-syntax`: prints, for each of three selections of a large Service (the first
// list, the call after it that copies the endpoints, and the next update), whether V8 stores its array's elements as
// HOLEY (`holey`) or PACKED (`packed`).
import { createSelectionMemo, selectEndpoints } from "../../src/selection/endpoint_selection.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";

const isHoley = new Function("array", "return %HasHoleyElements(array)") as (array: unknown[]) => boolean;
const slice = (s: number, first?: string): EndpointSlice => ({
  metadata: { name: `s${s}`, namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 1 }],
  endpoints: Array.from({ length: 100 }, (_, e) => ({
    addresses: [e === 0 && first ? first : `10.${s}.0.${e + 1}`],
    conditions: { ready: true },
    targetRef: { kind: "Pod", name: `p${s}-${e}`, namespace: "prod" },
  })),
});
const slices = Array.from({ length: 12 }, (_, s) => slice(s));
const memo = createSelectionMemo();
const kinds: string[] = [];
for (const marker of [undefined, "10.99.0.1", "10.99.0.2"]) {
  if (marker) slices[3] = slice(3, marker);
  kinds.push(isHoley(selectEndpoints(slices, "grpc", { memo })) ? "holey" : "packed");
}
console.log(kinds.join(" "));
