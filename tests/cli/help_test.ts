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

Deno.test("helpText() on a narrow terminal wraps at spaces, and keeps each example one shell command", () => {
  // Seen in tmux at 40 columns: '(default: KUBECONFIG, in-cluster, ~/.ku' / 'be/config)', 'kgr-resolver --zone
  // eu-west-1a kuberne' / 'tes:///echo.prod:grpc': the terminal broke the 80-column text mid-word.
  const words = (text: string) => text.replace(/ \\$/gm, "").split(/\s+/).filter(Boolean);
  for (const columns of [30, 40, 60]) {
    const text = helpText(columns);
    // Only a word wider than the terminal (the target, 28 cells, after an example's indent at 30) is left for it.
    for (const line of text.split("\n")) {
      const single = line.trim().replace(/ \\$/, "").split(" ").length === 1;
      assert.ok(line.length <= columns || single, `${columns} columns: ${line}`);
    }
    assert.deepEqual(words(text), words(helpText()), `${columns} columns:\n${text}`);
    // An example wrapped goes on with a backslash, so that it pastes as one command.
    const examples = text.slice(text.indexOf("Examples:\n"), text.indexOf("\n\nExit status"));
    for (const [at, line] of examples.split("\n").entries()) {
      if (at > 0 && !line.startsWith("  kgr-resolver ")) {
        assert.match(examples.split("\n")[at - 1], / [\\|]$/, `${columns} columns:\n${examples}`);
      }
    }
  }
  assert.equal(helpText(80), helpText());
});
