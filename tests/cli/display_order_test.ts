// The order the CLI shows pods in: numbers in names by their value, for display only.
import assert from "node:assert/strict";
import { byNumbersInText, inDisplayOrder } from "../../src/cli/display_order.ts";
import { changeLine, snapshotReport } from "../../src/cli/report.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** A slice of `count` ready pods `big-v1-1` to `big-v1-<count>`, listed in text order as the library sorts them. */
function bigSlice(count: number): EndpointSlice {
  const names = Array.from({ length: count }, (_, i) => `big-v1-${i + 1}`).sort();
  return {
    metadata: { name: "big-a", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: names.map((name, i) => ({ addresses: [`10.0.${i >> 8}.${i & 255}`], targetRef: { name } })),
  };
}

Deno.test("byNumbersInText() sorts numbers in names by their value", () => {
  const names = ["big-v1-101", "big-v1-1000", "big-v1-10", "big-v1-2", "big-v1-1", "big-v10-1", "big-v2-1", "web"];
  assert.deepEqual(names.sort(byNumbersInText), [
    "big-v1-1",
    "big-v1-2",
    "big-v1-10",
    "big-v1-101",
    "big-v1-1000",
    "big-v2-1",
    "big-v10-1",
    "web",
  ]);
});

Deno.test("byNumbersInText() gives a total order: leading zeros, long numbers and equal texts", () => {
  assert.deepEqual(["web-1", "web-01", "web-001"].sort(byNumbersInText), ["web-001", "web-01", "web-1"]);
  assert.ok(byNumbersInText("p-99999999999999999999", "p-100000000000000000000") < 0);
  assert.equal(byNumbersInText("web-7", "web-7"), 0);
  assert.ok(byNumbersInText("web", "web-1") < 0);
  assert.ok(byNumbersInText("web-1", "web-a") < 0);
});

Deno.test("inDisplayOrder() puts pods that their slices name first, the others in the library's order, and returns the same copy for the same pods", () => {
  const view = serviceViewOf([{
    ...bigSlice(0),
    endpoints: [{ addresses: ["10.0.0.10"] }, { addresses: ["10.0.0.9"] }, {
      addresses: ["10.0.1.1"],
      targetRef: { name: "z-1" },
    }],
  }], {});
  const sorted = inDisplayOrder(view.pods!);
  assert.deepEqual(sorted.map((pod) => pod.pod ?? pod.addresses[0].host), ["z-1", "10.0.0.10", "10.0.0.9"]);
  assert.equal(inDisplayOrder(view.pods!), sorted);
});

Deno.test("the table and the line per change show big-v1-2 before big-v1-10, --json keeps the library's order", () => {
  const view = serviceViewOf([bigSlice(12)], {});
  // The library's order, text order, is untouched: it is the one gRPC gets.
  assert.deepEqual(view.pods!.slice(0, 4).map((pod) => pod.pod), ["big-v1-1", "big-v1-10", "big-v1-11", "big-v1-12"]);
  const rows = tableAt(view, 100).filter((line) => line.startsWith("big-v1-")).map((line) => line.split(" ")[0]);
  assert.deepEqual(rows, Array.from({ length: 12 }, (_, i) => `big-v1-${i + 1}`));
  const named = [...changeLine(view, 0).matchAll(/big-v1-\d+/g)].map(([name]) => name);
  assert.deepEqual(named, Array.from({ length: 12 }, (_, i) => `big-v1-${i + 1}`));
  const json = snapshotReport(view, 0).endpoints.map((endpoint) => endpoint.podName);
  assert.deepEqual(json, view.snapshot!.endpoints.map((endpoint) => endpoint.podName));
});
