// Runs the Deno suite (`deno test -A`) for `deno task test`, and runs it once more, saying so, only when Deno itself
// crashes (SIGSEGV, SIGABRT or SIGBUS): Deno 2.9.6's node:http2 can crash inside nghttp2 on a GOAWAY
// (denoland/deno#36788; README, Known issues), which the resolver's workaround makes rare but cannot rule out. A
// failing test is never run again: Deno then exits with code 1, and so does this script.
import { spawnSync } from "node:child_process";

const CRASHES = ["SIGSEGV", "SIGABRT", "SIGBUS"];
const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
for (let attempt = 1;; attempt++) {
  const { status, signal, error } = spawnSync(deno, ["test", "-A", ...process.argv.slice(2)], { stdio: "inherit" });
  if (error) throw error;
  if (signal === null) process.exit(status ?? 1);
  const crash = `Deno itself died by ${signal} before the suite ended`;
  if (!CRASHES.includes(signal) || attempt === 2) {
    console.error(`\n=== ${crash}${attempt === 2 ? ", the second time" : ""} ===`);
    process.exit(1);
  }
  console.error(
    `\n=== ${crash}, as Deno 2.9.6's node:http2 can (denoland/deno#36788): running the whole Deno suite once more ` +
      "(a crash of the runtime, not a failed test, which is never run again) ===\n",
  );
}
