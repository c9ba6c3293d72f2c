// The ServiceView the observer makes of some slices, and its live table, for the CLI's output tests.
import assert from "node:assert/strict";
import { explainEndpoints } from "../../src/selection/endpoint_explanation.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { selectEndpoints } from "../../src/selection/endpoint_selection.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { type Locality, preferEndpoints } from "../../src/selection/topology.ts";
import { renderTable, type TableContext } from "../../src/cli/table.ts";
import { cellWidth, painter } from "../../src/cli/terminal.ts";

/** The view of service `echo` in `prod`, port `grpc`, watching at resourceVersion `resourceVersion`. */
export function serviceViewOf(slices: EndpointSlice[], locality: Locality, resourceVersion = "7"): ServiceView {
  const { endpoints, mode } = preferEndpoints(selectEndpoints(slices, "grpc"), locality);
  return {
    namespace: "prod",
    service: "echo",
    port: "grpc",
    locality,
    watch: { state: "watching" },
    snapshot: { endpoints, resourceVersion, namespace: "prod", service: "echo", topology: mode },
    pods: explainEndpoints(slices, "grpc", locality).pods,
  };
}

/**
 * The lines of `view`'s table on a terminal `columns` wide, each checked to fit that width: a live table 40 rows high
 * of an in-cluster cluster at `https://10.0.0.1`, unless `context` says otherwise.
 */
export function tableAt(view: ServiceView, columns: number, context: Partial<TableContext> = {}): string[] {
  const lines = renderTable(view, {
    input: "kubernetes:///echo.prod:grpc",
    server: "https://10.0.0.1",
    source: "the in-cluster service account",
    origin: { kind: "in-cluster" },
    now: 0,
    columns,
    rows: 40,
    paint: painter(false),
    live: true,
    ...context,
  });
  for (const line of lines) assert.ok(cellWidth(line) <= columns, `${line} is wider than ${columns}`);
  return lines;
}
