// Run with `--v8-flags=--allow-natives-syntax`: prints, for a new selection memo's merged entries and for those after
// the first list and after an update, whether V8 stores them as small integers (`smi`) or as objects (`objects`);
// then whether the memo after those calls has the map (hidden class) of a new memo (`same`) or another (`other`).
import { createSelectionMemo, selectEndpoints } from "../../src/selection/endpoint_selection.ts";
import { largeServiceSlice } from "../_large_service_slice.ts";

const hasSmiElements = new Function("array", "return %HasSmiElements(array)") as (array: unknown[]) => boolean;
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;
const slices = Array.from({ length: 12 }, (_, s) => largeServiceSlice(s));
const memo = createSelectionMemo();
const kinds = [hasSmiElements(memo.merged) ? "smi" : "objects"];
for (const marker of [undefined, "10.99.0.1"]) {
  if (marker) slices[3] = largeServiceSlice(3, marker);
  selectEndpoints(slices, "grpc", { memo });
  kinds.push(hasSmiElements(memo.merged) ? "smi" : "objects");
}
kinds.push(haveSameMap(memo, createSelectionMemo()) ? "same" : "other");
console.log(kinds.join(" "));
