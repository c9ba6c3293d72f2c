import assert from "node:assert/strict";
import { helpText } from "../../src/cli/help.ts";

Deno.test("helpText() fits an 80-column terminal, which wrapped its lines mid-word", () => {
  for (const line of helpText().split("\n")) assert.ok(line.length < 80, `${line.length} columns: ${line}`);
});
