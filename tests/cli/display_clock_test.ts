import assert from "node:assert/strict";
import { createDisplayClock } from "../../src/cli/display_clock.ts";
import { parseArgs, type WatchCommand } from "../../src/cli/args.ts";
import { runWatch } from "../../src/cli/watch_command.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";
import { echoSlice, startCluster, TARGET } from "./_cluster.mjs";

function clocks() {
  const time = { wall: 1_800_000_000_000, monotonic: 5_000 };
  const clock = createDisplayClock(() => time.wall, () => time.monotonic);
  return { time, clock };
}

Deno.test("createDisplayClock() reads the wall clock while it never steps back", () => {
  const { time, clock } = clocks();
  assert.equal(clock.now(), time.wall);
  time.wall += 1_000;
  time.monotonic += 999.5; // NTP slewing a clock that is behind.
  assert.equal(clock.now(), time.wall);
  assert.equal(clock.fromWall(time.wall - 60_000), time.wall - 60_000);
});

Deno.test("createDisplayClock() counts the time after a step back of the wall clock, not from where it landed", () => {
  const { time, clock } = clocks();
  const changedAt = clock.now();
  const dated = clock.fromWall(time.wall - 30_000); // A controller's last-change-trigger-time, 30 s ago.
  time.wall -= 10 * 60_000 - 5_000; // NTP steps back a clock 10 minutes ahead, 5 s later.
  time.monotonic += 5_000;
  assert.equal(clock.now() - changedAt, 5_000);
  assert.equal(clock.now() - dated, 35_000);
  time.wall += 2_000;
  time.monotonic += 2_000;
  assert.equal(clock.now() - changedAt, 7_000);
  assert.equal(clock.fromWall(time.wall - 1_000), clock.now() - 1_000, "times written after the step too");
});

Deno.test("createDisplayClock() counts a suspend, which the monotonic clock does not on Linux", () => {
  const { time, clock } = clocks();
  const changedAt = clock.now();
  time.wall += 60 * 60_000; // An hour suspended, then one second awake.
  time.monotonic += 1_000;
  assert.equal(clock.now() - changedAt, 60 * 60_000);
});

/** The clocks as they are, before a test steps them. */
const wallClock = Date.now;
const monotonic = performance.now.bind(performance);

/** Waits, on the real monotonic clock, until `seen()`; else fails showing `text()`. */
async function until(what: string, seen: () => boolean, text: () => string): Promise<void> {
  const end = monotonic() + 10_000;
  while (!seen()) {
    if (monotonic() > end) throw new Error(`Timed out waiting for ${what} in:\n${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `kgr-resolver TARGET --kubeconfig ...` writing to `stdout` and `stderr`; the returned function stops it. */
function watchTarget(
  kubeconfig: string,
  stdout: CliOutput,
  stderr: CliOutput,
  env: CliProcess["env"] = () => undefined,
): () => Promise<unknown> {
  let interrupt: ((code: number) => void) | undefined;
  const cli: CliProcess = {
    args: [],
    env,
    stdout,
    stderr,
    onInterrupt(handler) {
      interrupt = handler;
      return () => {};
    },
    exit: () => Promise.reject(new Error("no exit in a test")),
  };
  const running = runWatch(parseArgs([TARGET, "--kubeconfig", kubeconfig]) as WatchCommand, cli);
  return () => {
    interrupt?.(130);
    return running;
  };
}

Deno.test("the live table's 'changed Ns ago' goes on counting after the wall clock stepped back", async () => {
  // The ages were Date.now() differences: NTP stepping back a clock 10 minutes ahead showed "changed 0s ago" for
  // 10 minutes after a change (and "listing for 0s" the same way).
  const cluster = await startCluster();
  let screen = "";
  const stdout: CliOutput = {
    write: (text) => void (screen += text),
    isTTY: true,
    size: () => ({ columns: 160, rows: 40 }),
  };
  const stderr: CliOutput = { write() {}, isTTY: false, size: () => undefined };
  const shows = (pattern: RegExp) =>
    until(String(pattern), () => pattern.test(screen.slice(-4000)), () => screen.slice(-2000));
  const stop = watchTarget(
    cluster.kubeconfig,
    stdout,
    stderr,
    (name) => (name === "TERM" ? "xterm" : name === "NO_COLOR" ? "1" : undefined),
  );
  try {
    await shows(/echo-2/);
    cluster.api.applySlice(echoSlice(2));
    await shows(/changed 0s ago/);
    screen = "";
    Date.now = () => wallClock() - 10 * 60_000;
    performance.now = () => monotonic() + 5_000;
    await shows(/changed [56]s ago/);
  } finally {
    Date.now = wallClock;
    performance.now = monotonic;
    await stop();
    await cluster.close();
  }
});

Deno.test("off a terminal, 'watching again after N s of retrying' goes on counting after the wall clock stepped back", async () => {
  // The length was a Date.now() difference: NTP stepping back a clock 10 minutes ahead during an outage printed
  // "watching again after less than 1 s of retrying", however long it lasted.
  const cluster = await startCluster();
  let output = "";
  let errors = "";
  const stdout: CliOutput = { write: (text) => void (output += text), isTTY: false, size: () => undefined };
  const stderr: CliOutput = { write: (text) => void (errors += text), isTTY: false, size: () => undefined };
  const shows = (what: string, seen: () => boolean) => until(what, seen, () => `${errors}\n${output}`);
  const stop = watchTarget(cluster.kubeconfig, stdout, stderr);
  try {
    await shows("the first snapshot", () => output.includes("3 used"));
    cluster.api.failNext(1, { status: 503, message: "etcd is down", path: "watch" });
    cluster.api.dropWatches();
    await shows("the failure", () => errors.includes(" retrying: "));
    Date.now = () => wallClock() - 10 * 60_000;
    performance.now = () => monotonic() + 5_000;
    await shows("the recovery", () => errors.includes("watching again"));
    // At least the 5 s the monotonic clock moved on, plus the real seconds of the backoff.
    const lasted = /watching again after (\d+) s of retrying\n/.exec(errors);
    assert.ok(lasted && Number(lasted[1]) >= 5 && Number(lasted[1]) < 30, errors);
  } finally {
    Date.now = wallClock;
    performance.now = monotonic;
    await stop();
    await cluster.close();
  }
});
