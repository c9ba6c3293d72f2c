// Runs the CLI scenarios (bin_scenarios.mjs) against the `kgr-resolver` bin installed in this project's
// node_modules, started as a user would on each runtime: `node node_modules/.bin/kgr-resolver` (npx),
// `bun node_modules/.bin/kgr-resolver` (bunx --bun) and `deno run -A node_modules/.bin/kgr-resolver`.
// Usage, from scripts/pack_check.sh: BUN=path DENO=path node tests/cli/run_bin.mjs [filter]
// KGR_BIN_RUNTIME=node, bun or deno runs only that runtime's (pack_check.sh runs the three at once that way).
import process from "node:process";
import { runAll } from "./bin_scenarios.mjs";

const bin = "node_modules/.bin/kgr-resolver";
const runtimes = {
  node: [process.execPath, bin],
  bun: [process.env.BUN ?? "bun", bin],
  deno: [process.env.DENO ?? "deno", "run", "-A", bin],
};
const only = process.env.KGR_BIN_RUNTIME;
if (only !== undefined && !(only in runtimes)) {
  console.log(
    `KGR_BIN_RUNTIME=${only} is none of ${Object.keys(runtimes).join(", ")}: set one of them, or unset it for all`,
  );
  process.exit(2);
}
let failures = 0;
for (const [runtime, cli] of Object.entries(runtimes)) {
  if (only !== undefined && runtime !== only) continue;
  console.log(`--- kgr-resolver on ${runtime}: ${cli.join(" ")}`);
  const { passed, failed } = await runAll(cli, process.argv[2] ?? "");
  console.log(`${runtime}: ${passed} passed, ${failed} failed`);
  if (failed > 0 || passed === 0) failures++;
}
process.exitCode = failures === 0 ? 0 : 1;
