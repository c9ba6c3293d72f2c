import assert from "node:assert/strict";
import { cpuSpent, readThreadCpu, spreadOf, type ThreadCpu } from "../scripts/bench/thread_cpu.ts";
import { renderTable } from "../scripts/bench/report.ts";

const reading = (byThread: [number, number][], ticksMs = 0): ThreadCpu => ({
  pid: 100,
  byThread: new Map(byThread),
  ticksMs,
});

Deno.test("bench: CPU spent is summed thread by thread, so a thread that ended takes only its own time with it", () => {
  const before = reading([[100, 5e6], [101, 90e6], [102, 1e6]]);
  // Thread 101 ended (90 ms of past CPU gone from the sum), 103 started.
  const after = reading([[100, 7e6], [102, 1.5e6], [103, 0.25e6]]);
  assert.deepEqual(cpuSpent(before, after), { totalMs: 2.75, mainMs: 2 });
});

Deno.test("bench: CPU spent falls back to the process's clock ticks where /proc has no schedstat", () => {
  assert.deepEqual(cpuSpent(reading([], 30), reading([], 50)), { totalMs: 20 });
});

Deno.test("bench: this process's CPU reading names its main thread and grows with work", async () => {
  const before = await readThreadCpu(Deno.pid);
  const until = performance.now() + 30;
  while (performance.now() < until) {
    // Busy on the main thread.
  }
  const spent = cpuSpent(before, await readThreadCpu(Deno.pid));
  assert.ok(before.byThread.has(Deno.pid));
  // On a loaded machine the thread may get a fraction of the 30 ms: only that it grew is certain. (`deno test`
  // runs the tests off the main thread, which `deno run` does not: the whole process is what grew.)
  assert.ok(spent.mainMs !== undefined && spent.totalMs > 0 && spent.totalMs >= spent.mainMs, JSON.stringify(spent));
});

Deno.test("bench: the spread of windows is their median and quartiles", () => {
  assert.deepEqual(spreadOf([5, 1, 4, 2, 3]), { median: 3, p25: 2, p75: 4 });
  assert.deepEqual(spreadOf([0.5]), { median: 0.5, p25: 0.5, p75: 0.5 });
});

Deno.test("bench: the 5,000-endpoint table shows the windows' quartiles and how many there were", () => {
  const table = renderTable({
    machine: "test",
    updates: 4,
    warmup: 3,
    churnMinutes: 1,
    latency: {},
    decode: [],
    scale: [],
    big: [
      {
        peer: "ours (Node)",
        firstMs: 50,
        rssBytes: 2 ** 26,
        cpuMsPerUpdate: 0.6,
        cpuMsPerUpdateSpread: [0.55, 0.7],
        cpuWindows: 15,
        cpuWindowUpdates: 40,
        cpuMsPerUpdateRuns: [0.6, 0.58, 0.62],
        endpointsSeen: 5000,
      },
      { peer: "client-node informer", firstMs: 40, rssBytes: 2 ** 27, cpuMsPerUpdate: 0.5, endpointsSeen: 5000 },
    ],
    churn: [],
    totalSeconds: 60,
  });
  assert.match(
    table,
    /\| ours \(Node\) \| 50 ms \(1\.25x\) \| 64 MiB \(0\.50x\) \| 0\.60 ms \(1\.20x\), 0\.55–0\.70 \| 5,000 \|/,
  );
  assert.match(table, /the median window of all the peer's processes, 5 windows of 40 updates each/);
});
