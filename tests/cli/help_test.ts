import assert from "node:assert/strict";
import { helpText } from "../../src/cli/help.ts";

Deno.test("helpText() fits an 80-column terminal, which wrapped its lines mid-word", () => {
  for (const line of helpText().split("\n")) assert.ok(line.length < 80, `${line.length} columns: ${line}`);
});

Deno.test("helpText() says that --zone or --node replaces both ZONE and NODE_NAME, as the CLI reads them", () => {
  // `ZONE=a kgr-resolver --node n1` takes n1's zone label, not a: ZONE is no default of --zone once --node is given.
  const text = helpText().replace(/\s+/g, " ");
  assert.ok(!text.includes("(default: ZONE)"), text);
  assert.match(text, /without either flag, ZONE and NODE_NAME/);
});
