import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { wrappedLines } from "../../src/cli/wrapped_lines.ts";
import type { CliOutput } from "../../src/runtime/cli_process.ts";

/** Runs the CLI with standard error a terminal `columns` wide (or not a terminal), and returns what it wrote there. */
async function stderrOf(args: string[], columns?: number): Promise<{ code: number; text: string }> {
  let text = "";
  const output = (write: (text: string) => void, tty: boolean): CliOutput => ({
    write,
    isTTY: tty,
    size: () => tty ? { columns: columns!, rows: 24 } : undefined,
  });
  const code = await runCli({
    args,
    env: () => undefined,
    stdout: output(() => {}, false),
    stderr: output((written) => text += written, columns !== undefined),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  });
  return { code, text };
}

Deno.test("runCli() wraps a message on a terminal's standard error at spaces, not in the middle of a word", async () => {
  // Was, at 80 columns: 'a resolver with these crede' over 'ntials would see a change', the terminal's own wrap.
  const args = [
    "--once",
    "--kubeconfig",
    "/nonexistent/dir/kubeconfig-of-the-staging-cluster.yaml",
    "kubernetes:///e.p:g",
  ];
  const piped = await stderrOf(args);
  const tty = await stderrOf(args, 40);
  assert.equal(tty.code, piped.code);
  const lines = tty.text.trimEnd().split("\n");
  assert.ok(lines.length > 1, tty.text);
  // Each line fits, but for a word wider than the terminal (the path), and the words are the same.
  for (const line of lines) assert.ok(line.length <= 40 || !line.includes(" "), tty.text);
  assert.equal(lines.join(" "), piped.text.trimEnd());
});

Deno.test("wrappedLines() leaves a line that another write began, or that this one does not end, as given", () => {
  let printed = "";
  const output = wrappedLines({
    write: (text) => printed += text,
    isTTY: true,
    size: () => ({ columns: 10, rows: 5 }),
  });
  output.write("Password for some user: ");
  output.write("typed and more words\nthe next line wraps here\nunfinished prompt text ");
  assert.equal(
    printed,
    "Password for some user: typed and more words\nthe next\nline wraps\nhere\nunfinished prompt text ",
  );
});

Deno.test("wrappedLines() keeps a line's indent, on each line it wraps it into", () => {
  // Was, at 30 columns: an unexpected failure's stack lost its indent ('at runWatch (file:...)' flush left), as did a
  // plugin's indented line.
  let printed = "";
  const output = wrappedLines({
    write: (text) => printed += text,
    isTTY: true,
    size: () => ({ columns: 30, rows: 5 }),
  });
  output.write("kgr-resolver: unexpected failure: Error: boom\n    at runWatch (file:///a/b/watch_command.ts:1:2)\n");
  assert.equal(
    printed,
    "kgr-resolver: unexpected\nfailure: Error: boom\n    at runWatch\n    (file:///a/b/watch_command.ts:1:2)\n",
  );
  // An indent as wide as the terminal leaves the line as given.
  printed = "";
  output.write(`${" ".repeat(30)}x y\n`);
  assert.equal(printed, `${" ".repeat(30)}x y\n`);
});
