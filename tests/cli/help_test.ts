import assert from "node:assert/strict";
import { checkHelpText, helpText } from "../../src/cli/help.ts";
import { parseArgs } from "../../src/cli/args.ts";

const TARGET = "kubernetes:///echo.prod:grpc";
const HELPS = { "--help": helpText, "check --help": checkHelpText };

/** The flags an option line of a help text names, with the value each takes (`--timeout SECONDS`). */
function optionFlags(text: string): [flag: string, value: string | undefined][] {
  const options = text.slice(text.indexOf("Options:\n"), text.indexOf("\n\nExamples:"));
  return options.split("\n").filter((line) => line.startsWith("  -")).flatMap((line) => {
    const [names, value] = line.slice(2, 23).trim().split(/(?<=[a-z]) (?=[A-Z])/);
    return names.split(", ").map((flag): [string, string | undefined] => [flag, value]);
  });
}

Deno.test("helpText() and checkHelpText() fit an 80-column terminal, which wrapped their lines mid-word", () => {
  for (const [name, text] of Object.entries(HELPS)) {
    for (const line of text().split("\n")) assert.ok(line.length < 80, `${name}: ${line.length} columns: ${line}`);
  }
});

Deno.test("helpText() says that --zone or --node replaces both ZONE and NODE_NAME, as the CLI reads them", () => {
  // `ZONE=a kgr-resolver --node n1` takes n1's zone label, not a: ZONE is no default of --zone once --node is given.
  const text = helpText().replace(/\s+/g, " ");
  assert.ok(!text.includes("(default: ZONE)"), text);
  assert.match(text, /without either flag, ZONE and NODE_NAME/);
});

Deno.test("helpText() says that --subset-size and --subset-seed each need the other, as parseArgs() refuses one alone", () => {
  // It read "--subset-size K  with --subset-seed: the subset of a client registered with subsetSize K ..." and
  // "--subset-seed S  ... and subsetSeed S": whether both were needed was left to guess.
  const text = helpText().replace(/\s+/g, " ");
  assert.match(text, /--subset-size K [^-]*needs --subset-seed/);
  assert.match(text, /--subset-seed S [^-]*needs --subset-size/);
  assert.throws(() => parseArgs(["--subset-size", "3", TARGET]), /without both --subset-size and --subset-seed/);
  assert.throws(() => parseArgs(["--subset-seed", "3", TARGET]), /without both --subset-size and --subset-seed/);
});

Deno.test("helpText() points to check's own help", () => {
  assert.match(helpText(), /\(its own help: kgr-resolver check --help\)/);
});

Deno.test("checkHelpText() names only the options that check takes, and says what check does and exits with", () => {
  // check --help printed the main help, whose --once, --json and --min-usable check refuses.
  const text = checkHelpText();
  assert.notEqual(text, helpText());
  assert.match(text, /^Usage:\n {2}kgr-resolver check \[options\] TARGET\n\n/m);
  const flags = optionFlags(text);
  assert.ok(flags.length >= 10, JSON.stringify(flags));
  for (const [flag, value] of flags) {
    const args = value === undefined ? [flag] : [flag, /^[A-Z]$|SECONDS/.test(value) ? "1" : "x"];
    // The two subset flags go together.
    const pair = flag.startsWith("--subset-") ? ["--subset-size", "1", "--subset-seed", "1"] : [];
    assert.doesNotThrow(() => parseArgs(["check", ...pair, ...args, TARGET]), `check ${args.join(" ")}`);
  }
  const own = new Set(flags.map(([flag]) => flag));
  for (const [flag] of optionFlags(helpText())) {
    if (own.has(flag) || flag === "--version") continue;
    assert.throws(() => parseArgs(["check", flag, ...(flag === "--min-usable" ? ["1"] : []), TARGET]), flag);
    assert.ok(!text.includes(flag), `check's help names ${flag}, which check refuses`);
  }
  const words = text.replace(/\s+/g, " ");
  for (const verdict of ["ok", "MISSING", "FAILED", "unknown"]) assert.ok(words.includes(` ${verdict}`), verdict);
  assert.match(words, /list and watch EndpointSlices and get Services/);
  assert.match(words, /kubeconfig sa\.yaml --yaml kubernetes:\/\/\/echo\.prod:grpc \| kubectl apply -f -/);
  // The exit codes of runCheck()'s doc comment and the README's check section, and main's 2 for a bad command line.
  const exit = words.slice(words.indexOf("Exit status:"));
  for (const code of [0, 1, 2, 130, 143, 141, 131, 129]) assert.match(exit, new RegExp(`\\b${code}\\b`), `${code}`);
  // As the main help says it: Ctrl-C and SIGTERM leave a line on standard error (stopped_by_test.ts).
  assert.match(exit, /130 on Ctrl-C and 143 for SIGTERM, after a line on standard error that says which step/);
});

Deno.test("helpText() and checkHelpText() on a narrow terminal wrap at spaces, and keep each example one command", () => {
  // Seen in tmux at 40 columns: '(default: KUBECONFIG, in-cluster, ~/.ku' / 'be/config)', 'kgr-resolver --zone
  // eu-west-1a kuberne' / 'tes:///echo.prod:grpc': the terminal broke the 80-column text mid-word.
  const words = (text: string) => text.replace(/ \\$/gm, "").split(/\s+/).filter(Boolean);
  for (const [name, help] of Object.entries(HELPS)) {
    for (const columns of [30, 40, 60]) {
      const text = help(columns);
      // Only a word wider than the terminal (the target, 28 cells, after an example's indent at 30) is left for it.
      for (const line of text.split("\n")) {
        const single = line.trim().replace(/ \\$/, "").split(" ").length === 1;
        assert.ok(line.length <= columns || single, `${name} at ${columns} columns: ${line}`);
      }
      assert.deepEqual(words(text), words(help()), `${name} at ${columns} columns:\n${text}`);
      // An example wrapped goes on with a backslash, so that it pastes as one command.
      const examples = text.slice(text.indexOf("Examples:\n"), text.indexOf("\n\nExit status"));
      for (const [at, line] of examples.split("\n").entries()) {
        if (at > 0 && !line.startsWith("  kgr-resolver ")) {
          assert.match(examples.split("\n")[at - 1], / [\\|]$/, `${name} at ${columns} columns:\n${examples}`);
        }
      }
    }
    assert.equal(help(80), help(), name);
  }
});
