import assert from "node:assert/strict";
import { type BenchResults, mergeSaved, renderTable } from "../scripts/bench/report.ts";

/** Saved results of a full run: latency on both servers, 4 updates per client after 3 warm-up ones. */
function savedRun(): BenchResults {
  const run = { samples: [1, 2, 3, 4], fromAccepted: [1, 2, 3, 4], missed: 0 };
  return {
    machine: "test",
    updates: 4,
    warmup: 3,
    churnMinutes: 1,
    latency: { fake: { "ours (Deno)": structuredClone(run) }, real: { "ours (Deno)": structuredClone(run) } },
    decode: [],
    scale: [],
    big: [],
    churn: [],
    totalSeconds: 60,
  };
}

Deno.test("bench: a latency run of one server with other counts is not captioned with them beside the saved other", () => {
  const saved = savedRun();
  const fakeOnly: BenchResults = {
    ...savedRun(),
    updates: 2,
    warmup: 1,
    latency: { fake: { "ours (Deno)": { samples: [1, 2], fromAccepted: [1, 2], missed: 0 } } },
  };
  assert.throws(
    () => mergeSaved(fakeOnly, saved, new Set(["latency"]), new Set(["fake"])),
    /Cannot keep the saved real latency results \(4 updates per client after 3 warm-up ones\) beside 2 after 1: .*--updates 4 --warmup 3/,
  );
});

Deno.test("bench: a latency run of one server with the saved counts keeps the other server's column and caption", () => {
  const saved = savedRun();
  const fakeOnly: BenchResults = { ...savedRun(), latency: { fake: savedRun().latency.fake } };
  const merged = mergeSaved(fakeOnly, saved, new Set(["latency"]), new Set(["fake"]));
  assert.deepEqual(Object.keys(merged.latency).sort(), ["fake", "real"]);
  assert.match(renderTable(merged), /over 4 updates per client after 3 warm-up ones/);
});
