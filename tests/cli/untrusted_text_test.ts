// Text from EndpointSlices (pod, zone, node and hint names) may hold control characters: no output but --json shows
// them raw.
import assert from "node:assert/strict";
import { changeLine } from "../../src/cli/report.ts";
import { renderTable } from "../../src/cli/table.ts";
import { painter, printable } from "../../src/cli/terminal.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf } from "./_service_view.ts";

const TITLE = "x\u001b]0;pwned\u0007";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const SLICE: EndpointSlice = {
  metadata: { name: "echo-a", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 8080 }],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      targetRef: { name: TITLE },
      zone: "a\r\u009b2J",
      nodeName: "n\u007f1",
      hints: { forZones: [{ name: "a\r\u009b2J" }] },
    },
    {
      addresses: ["10.0.0.2"],
      targetRef: { name: "echo-1\n" },
      zone: "b",
      hints: { forZones: [{ name: "b\u001b[2J" }] },
    },
  ],
};

Deno.test("printable() escapes every C0 and C1 control character and DEL, ESC as ^[, and keeps the rest", () => {
  assert.equal(printable(TITLE), "x^[]0;pwned\\x07");
  assert.equal(printable("a\r\n\t\u0000\u007f\u0085\u009b"), "a\\x0d\\x0a\\x09\\x00\\x7f\\x85\\x9b");
  assert.equal(printable("echo-0 本番 ✓"), "echo-0 本番 ✓");
  assert.equal(printable(printable(TITLE)), printable(TITLE));
});

Deno.test("renderTable() shows names from slices with their control characters escaped", () => {
  for (const zone of ["a", "b"]) {
    const lines = renderTable(serviceViewOf([SLICE], { zone }), {
      input: "kubernetes:///echo.prod:grpc",
      server: "https://10.0.0.1:6443",
      source: 'kubeconfig /k (context "kind")',
      now: 0,
      columns: 200,
      rows: 40,
      paint: painter(false),
      live: false,
    });
    for (const line of lines) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    assert.ok(lines.some((line) => line.includes("x^[]0;pwned\\x07")), lines.join("\n"));
  }
});

Deno.test("changeLine() shows names from slices with their control characters escaped", () => {
  for (const zone of ["a", "b", "c"]) {
    const line = changeLine(serviceViewOf([SLICE], { zone }), 0);
    assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    assert.match(line, /x\^\[\]0;pwned\\x07 10\.0\.0\.1:8080/);
  }
});
