// Runs the Deno suite (`deno test -A`) for `deno task test` as two `deno test` processes at once: the end-to-end
// files (tests/e2e/, which mostly wait on a real control plane) and the rest (which mostly wait on timers, sockets
// and child processes), each running its files one after another, as the one run did. The rest also runs the
// examples in the doc comments of mod.ts, nice_grpc.ts, testing.ts and src/ (`--doc`; `deno task check` only
// type-checks them, and cli.ts exits when loaded), so that an example a user would copy cannot stop working
// unnoticed. The rest prints as it runs; the end-to-end run's output follows it whole, and when the rest failed its
// errors and failures come once more at the very end, where a reader of a long log looks first. With arguments
// (`node scripts/deno_test.mjs [flags] [files]`) it runs one `deno test -A` with them instead.
// A part is run once more, saying so, only when Deno itself crashes (SIGSEGV, SIGABRT or SIGBUS): Deno 2.9.6's
// node:http2 can crash inside nghttp2 on a GOAWAY (denoland/deno#36788; README, Known issues), which the
// resolver's workaround makes rare but cannot rule out. A failing test is never run again: Deno then exits with
// code 1, and so does this script.
// Each part runs with a TMPDIR of its own (tests/_own_tmpdir.mjs): a part that leaves anything there fails, naming
// what it left, and the folder is removed however the run ends, on Ctrl-C too.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import process from "node:process";
import { stripVTControlCharacters } from "node:util";
import { childEnv } from "../tests/_child_env.mjs";
import { ownTmpdir } from "../tests/_own_tmpdir.mjs";

const CRASHES = ["SIGSEGV", "SIGABRT", "SIGBUS"];
const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

/** The `deno test` processes running (with a promise of their end) and their TMPDIRs. */
const running = new Map();
const folders = new Set();
// A signal that ends this script goes on to the parts, and their TMPDIRs are removed once they have ended (at most
// 5 s later), so that no test writes there after.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, async () => {
    for (const child of running.keys()) child.kill(signal);
    await Promise.race([Promise.all(running.values()), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    process.kill(process.pid, signal);
  });
}

/**
 * Runs `deno test -A ...args` until it exits, or once more after a crash of Deno, with a TMPDIR of its own; resolves
 * to whether it passed and left nothing there. Its output, and what this script says about it, goes to this
 * process's, or into `output.chunks` when given, and then also to this process's as it comes when `output.live`.
 */
async function runPart(label, args, output) {
  const say = (text) => {
    if (output === undefined || output.live) process.stderr.write(text);
    output?.chunks.push(text);
  };
  const tmp = await ownTmpdir(label);
  folders.add(tmp.path);
  try {
    const passed = await runDeno(label, args, output, say, tmp.path);
    const leftovers = await tmp.leftovers();
    if (leftovers !== undefined) say(`\n=== ${leftovers}`);
    return passed && leftovers === undefined;
  } finally {
    await tmp.remove();
    folders.delete(tmp.path);
  }
}

/** Runs `deno test -A ...args` with `TMPDIR` until it exits, or once more after a crash of Deno. */
async function runDeno(label, args, output, say, tmpdir) {
  for (let attempt = 1;; attempt++) {
    const { status, signal } = await new Promise((resolve, reject) => {
      const child = spawn(deno, ["test", "-A", ...args], {
        env: childEnv({ ...process.env, TMPDIR: tmpdir }),
        stdio: output ? ["inherit", "pipe", "pipe"] : "inherit",
      });
      running.set(child, new Promise((ended) => child.on("close", ended)));
      for (const [stream, echo] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
        stream?.on("data", (chunk) => {
          output.chunks.push(chunk);
          if (output.live) echo.write(chunk);
        });
      }
      child.on("error", reject);
      child.on("close", (status, signal) => {
        running.delete(child);
        resolve({ status, signal });
      });
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

/**
 * The end of a failed `deno test` run's output: its ERRORS section (the first 80 lines when longer, then how many were
 * left out) and everything from its FAILURES list on, or its last 40 lines when it has no ERRORS section (a crash, or
 * a TMPDIR left full).
 */
function failureEnd(chunks) {
  const lines = chunks.map((chunk) => chunk.toString()).join("").split("\n");
  const plain = lines.map(stripVTControlCharacters);
  const errors = plain.lastIndexOf(" ERRORS ");
  if (errors === -1) return lines.slice(-40).join("\n");
  const failures = Math.max(plain.lastIndexOf(" FAILURES "), errors);
  const shown = lines.slice(errors, Math.min(failures, errors + 80));
  if (failures > errors + 80) shown.push(`[... ${failures - errors - 80} more lines of errors above ...]`, "");
  return [...shown, ...lines.slice(failures)].join("\n");
}

const args = process.argv.slice(2);
if (args.length > 0) {
  process.exitCode = await runPart("the suite", args) ? 0 : 1;
} else {
  const restLabel = "the Deno suite but tests/e2e/";
  const restOutput = { live: true, chunks: [] };
  const e2eOutput = { live: false, chunks: [] };
  const [rest, e2e] = await Promise.all([
    runPart(restLabel, [
      "--ignore=tests/e2e/",
      "--doc",
      "tests/",
      "mod.ts",
      "nice_grpc.ts",
      "testing.ts",
      "src/",
    ], restOutput),
    runPart("the end-to-end suite (tests/e2e/)", ["tests/e2e/"], e2eOutput),
  ]);
  process.stdout.write("\n=== the end-to-end suite (tests/e2e/), which ran at the same time as the rest ===\n\n");
  for (const chunk of e2eOutput.chunks) process.stdout.write(chunk);
  if (!rest) {
    process.stdout.write(`\n=== ${restLabel} failed; its end once more ===\n\n${failureEnd(restOutput.chunks)}`);
  }
  process.exitCode = rest && e2e ? 0 : 1;
}
