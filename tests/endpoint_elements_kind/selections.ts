// Run with `--v8-flags=--allow-natives-syntax`: prints, for each of three selections of a large Service (the first
// list, the call after it that copies the endpoints, and the next update), whether V8 stores its array's elements as
// HOLEY (`holey`) or PACKED (`packed`).
import { createSelectionMemo, selectEndpoints } from "../../src/selection/endpoint_selection.ts";
import { largeServiceSlice } from "../_large_service_slice.ts";

const isHoley = new Function("array", "return %HasHoleyElements(array)") as (array: unknown[]) => boolean;
const slices = Array.from({ length: 12 }, (_, s) => largeServiceSlice(s));
const memo = createSelectionMemo();
const kinds: string[] = [];
for (const marker of [undefined, "10.99.0.1", "10.99.0.2"]) {
  if (marker) slices[3] = largeServiceSlice(3, marker);
  kinds.push(isHoley(selectEndpoints(slices, "grpc", { memo })) ? "holey" : "packed");
}
console.log(kinds.join(" "));
