// Runs the Deno suite (`deno test -A`) for `deno task test` as two `deno test` processes at once: the end-to-end
// files (tests/e2e/, which mostly wait on a real control plane) and the rest (which mostly wait on timers, sockets
// and child processes), each running its files one after another, as the one run did. The rest also runs the
// examples in the doc comments of mod.ts, nice_grpc.ts, testing.ts and src/ (`--doc`; `deno task check` only
// type-checks them, and cli.ts exits when loaded), so that an example a user would copy cannot stop working
// unnoticed. The rest prints as it runs; the end-to-end run's output follows it whole. With arguments
// (`node scripts/deno_test.mjs [flags] [files]`) it runs one `deno test -A` with them instead.
// A part is run once more, saying so, only when Deno itself crashes (SIGSEGV, SIGABRT or SIGBUS): Deno 2.9.6's
// node:http2 can crash inside nghttp2 on a GOAWAY (denoland/deno#36788; README, Known issues), which the
// resolver's workaround makes rare but cannot rule out. A failing test is never run again: Deno then exits with
// code 1, and so does this script.
import { spawn } from "node:child_process";
import process from "node:process";
import { childEnv } from "../tests/_child_env.mjs";

const CRASHES = ["SIGSEGV", "SIGABRT", "SIGBUS"];
const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

/**
 * Runs `deno test -A ...args` until it exits, or once more after a crash of Deno; resolves to whether it passed.
 * Its output goes to this process's, or into `collected` when given, as does what this script says about it.
 */
async function runPart(label, args, collected) {
  const say = (text) => collected ? collected.push(text) : process.stderr.write(text);
  for (let attempt = 1;; attempt++) {
    const { status, signal } = await new Promise((resolve, reject) => {
      const child = spawn(deno, ["test", "-A", ...args], {
        env: childEnv(),
        stdio: collected ? ["inherit", "pipe", "pipe"] : "inherit",
      });
      child.stdout?.on("data", (chunk) => collected.push(chunk));
      child.stderr?.on("data", (chunk) => collected.push(chunk));
      child.on("error", reject);
      child.on("close", (status, signal) => resolve({ status, signal }));
    });
    if (signal === null) return status === 0;
    const crash = `Deno itself died by ${signal} before ${label} ended`;
    if (!CRASHES.includes(signal) || attempt === 2) {
      say(`\n=== ${crash}${attempt === 2 ? ", the second time" : ""} ===\n`);
      return false;
    }
    say(
      `\n=== ${crash}, as Deno 2.9.6's node:http2 can (denoland/deno#36788): running ${label} once more ` +
        "(a crash of the runtime, not a failed test, which is never run again) ===\n\n",
    );
  }
}

const args = process.argv.slice(2);
if (args.length > 0) {
  process.exitCode = await runPart("the suite", args) ? 0 : 1;
} else {
  const e2eOutput = [];
  const [rest, e2e] = await Promise.all([
    runPart("the Deno suite but tests/e2e/", [
      "--ignore=tests/e2e/",
      "--doc",
      "tests/",
      "mod.ts",
      "nice_grpc.ts",
      "testing.ts",
      "src/",
    ]),
    runPart("the end-to-end suite (tests/e2e/)", ["tests/e2e/"], e2eOutput),
  ]);
  process.stdout.write("\n=== the end-to-end suite (tests/e2e/), which ran at the same time as the rest ===\n\n");
  for (const chunk of e2eOutput) process.stdout.write(chunk);
  process.exitCode = rest && e2e ? 0 : 1;
}
