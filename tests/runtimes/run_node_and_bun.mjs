// Runs the cross-runtime scenarios (run.mjs) on Node and on Bun at once, then prints each run's output whole,
// Node's first: `node tests/runtimes/run_node_and_bun.mjs [filter]` (part of `deno task test`). The two runs
// wait on timers and sockets far more than they compute, and each picks its own ports.
// KGR_EXTRA_NODES names more Node executables, separated by ':', whose runs go at once with those two and print
// after them, for the Node versions CI does not run (22 and 24 took 28-30 s each alone, as Node 20 did):
// `KGR_EXTRA_NODES=/tmp/node22/bin/node:/tmp/node24/bin/node node tests/runtimes/run_node_and_bun.mjs`.
import { spawn } from "node:child_process";
import { delimiter } from "node:path";
import process from "node:process";
import { childEnv } from "../_child_env.mjs";

const run = new URL("./run.mjs", import.meta.url).pathname;
const bun = new URL("../../node_modules/.bin/bun", import.meta.url).pathname;
const filter = process.argv.slice(2);
const extraNodes = (process.env.KGR_EXTRA_NODES ?? "").split(delimiter).filter((path) => path !== "");

/** Runs `run.mjs` with `executable`; resolves to its exit code and everything it printed. */
function runScenarios(executable) {
  return new Promise((resolve) => {
    const child = spawn(executable, [run, ...filter], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => output += chunk);
    child.stderr.on("data", (chunk) => output += chunk);
    child.on(
      "error",
      (error) => resolve({ code: 1, output: `${output}Cannot start ${executable}: ${error.message}\n` }),
    );
    child.on("close", (code, signal) => resolve({ code: code ?? 1, output: signal ? `${output}${signal}\n` : output }));
  });
}

const results = await Promise.all([process.execPath, bun, ...extraNodes].map(runScenarios));
for (const { output } of results) process.stdout.write(output);
process.exitCode = results.every(({ code }) => code === 0) ? 0 : 1;
