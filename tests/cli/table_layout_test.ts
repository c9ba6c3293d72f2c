// tableLayout(): which columns a live table keeps on a narrow terminal.
import assert from "node:assert/strict";
import { tableLayout } from "../../src/cli/table_layout.ts";

Deno.test("tableLayout() without topology drops ZONE before TERMINATING and SERVING, and keeps READY", () => {
  // Widths of POD, ADDRESS, ZONE, NODE, READY, SERVING, TERMINATING, USED. The order kept for zone routing (READY
  // before ZONE, ZONE beside a wrapped USED) once applied without topology too: at 60 columns the demo's table read
  // 'POD ADDRESS ZONE SERVING TERMINATING USED', its ZONE all '-', READY gone.
  assert.deepEqual(tableLayout([7, 15, 4, 4, 5, 7, 11, 4], 60).shown, [0, 1, 4, 5, 6, 7]);
  assert.deepEqual(tableLayout([26, 15, 10, 8, 5, 7, 11, 44], 110).shown, [0, 1, 4, 5, 7]);
  // With topology, ZONE outlasts TERMINATING and SERVING, and READY too where USED would wrap (in 24 cells or more).
  assert.deepEqual(tableLayout([26, 15, 10, 8, 5, 7, 11, 44], 110, { topology: true }).shown, [0, 1, 2, 4, 7]);
  assert.deepEqual(tableLayout([26, 15, 10, 8, 5, 7, 11, 44], 90, { topology: true }).shown, [0, 1, 2, 7]);
});
