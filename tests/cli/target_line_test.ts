// The header's first line (the target, the Service and the port) is never cut: too wide for the terminal, the
// Service and the port go on a line of their own, then on one each, as the watch's state does (state_line_test.ts).
import assert from "node:assert/strict";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** The header's lines before the cluster's. */
function targetLines(columns: number, input = "kubernetes:///echo.prod:grpc"): string[] {
  const lines = tableAt(serviceViewOf([], {}), columns, { input });
  return lines.slice(0, lines.findIndex((line) => line.startsWith("cluster")));
}

Deno.test("renderTable() keeps the target, the Service and the port on one line where they fit", () => {
  assert.deepEqual(targetLines(60), ["kubernetes:///echo.prod:grpc  service prod/echo  port grpc"]);
  assert.deepEqual(targetLines(58), ["kubernetes:///echo.prod:grpc  service prod/echo  port grpc"]);
});

Deno.test("renderTable() puts the Service and the port on a line of their own rather than cut them", () => {
  // At 50 columns the line ended "port …": the port the target names was hidden.
  assert.deepEqual(targetLines(50), ["kubernetes:///echo.prod:grpc", "service prod/echo  port grpc"]);
  assert.deepEqual(targetLines(28), ["kubernetes:///echo.prod:grpc", "service prod/echo  port grpc"]);
  assert.deepEqual(targetLines(27), ["kubernetes:///echo.prod:gr…", "service prod/echo", "port grpc"]);
  const long = "kubernetes:///a-very-long-service-name.a-long-namespace:grpc";
  assert.deepEqual(targetLines(40, long), [
    "kubernetes:///a-very-long-service-name.…",
    "service prod/echo  port grpc",
  ]);
});
