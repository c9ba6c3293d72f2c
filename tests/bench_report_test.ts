import assert from "node:assert/strict";
import { type BenchResults, mergeSaved, renderLatencySvg, renderTable } from "../scripts/bench/report.ts";
import { renderStallSvg } from "../scripts/bench/stall_chart.ts";

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

/**
 * A stall run on Node at 1,000 endpoints whose burst window's longest stall took `stallMs`, the process on CPU `cpuMs`,
 * and its JavaScript thread as `thread` says (absent in older results).
 */
function stallRun(
  stallMs: number,
  cpuMs: number,
  thread: { maxStallRunMs?: number; maxStallWaitMs?: number } = {},
): NonNullable<BenchResults["stall"]> {
  const window = {
    maxStallMs: 3,
    maxStallEndMs: 100,
    maxStallCpuMs: 10,
    stallsOver50: 0,
    stalledMs: 0,
    cpuMs: 300,
    wallMs: 2500,
  };
  return {
    heartbeatMs: 20,
    burstUpdates: 100,
    firstWindowMs: 2500,
    burstWindowMs: 5000,
    runs: [{
      runtime: "Node",
      endpoints: 1000,
      policy: "kubernetes_round_robin",
      first: window,
      burst: { ...window, maxStallMs: stallMs, maxStallCpuMs: cpuMs, ...thread },
    }],
  };
}

Deno.test("bench: a stall is marked as the machine's only when the client was on CPU for less than half of it", () => {
  // The CPU time covers the whole heartbeat gap (the stall plus the 20 ms period): a 5.8 ms stall with 6.5 ms of CPU
  // in its 25.8 ms gap is the client's own work (the README's Bun cell at 1,000 endpoints with subsetting).
  const own = renderTable({ ...savedRun(), stall: stallRun(5.8, 6.5) });
  assert.match(own, /\| 1,000 \| kubernetes_round_robin \| – \| – \| 3 \/ 6 ms \| – \/ 50 ms \|/);
  assert.doesNotMatch(own, /†/);
  const machine = renderTable({ ...savedRun(), stall: stallRun(200, 30) });
  assert.match(machine, /\| 3 \/ 200† ms \|/);
  assert.match(machine, /† The process was on CPU for less than half of this stall/);
});

Deno.test("bench: a stall is the machine's when the JavaScript thread ran for less than half of it, whatever the other threads did", () => {
  // Node, subsetSize 100, 5,000 endpoints, at load 2-3: a 73.7 ms stall with 47.6 ms of the process's CPU time (V8's
  // helper threads compiled and collected meanwhile), in which the JavaScript thread ran for 19.0 ms and waited for a
  // core for 66.4 ms.
  const machine = renderTable({
    ...savedRun(),
    stall: stallRun(73.7, 47.6, { maxStallRunMs: 19.0, maxStallWaitMs: 66.4 }),
  });
  assert.match(machine, /\| 3 \/ 74† ms \|/);
  assert.match(machine, /† The client's JavaScript thread was on CPU for less than half of this stall/);
  // Its own work: the thread ran for most of the stall, whatever the process's CPU time says.
  const own = renderTable({ ...savedRun(), stall: stallRun(40, 15, { maxStallRunMs: 35, maxStallWaitMs: 2 }) });
  assert.doesNotMatch(own, /†/);
});

Deno.test("bench: the stall chart's goal labels never cover one another", () => {
  // The burst stalls of the run of 2026-12-06 (ms, Deno / Bun / Node): data near the 30 ms goal at 5,000 pushed its
  // label left of its tick, onto the 50 ms goal's label at 1,000.
  const bursts: [number, string, number | undefined, number[]][] = [
    [1000, "round_robin", undefined, [32, 82, 103]],
    [1000, "kubernetes_round_robin", undefined, [15, 21, 25]],
    [1000, "kubernetes_round_robin", 100, [5, 6, 5]],
    [5000, "round_robin", undefined, [692, 614, 496]],
    [5000, "kubernetes_round_robin", undefined, [36, 12, 30]],
    [5000, "kubernetes_round_robin", 100, [10, 7, 13]],
  ];
  const template = stallRun(3, 3);
  const runs = bursts.flatMap(([endpoints, policy, subsetSize, stalls]) =>
    ["Deno", "Bun", "Node"].map((runtime, r) => ({
      ...template.runs[0],
      runtime,
      endpoints,
      policy,
      ...(subsetSize ? { subsetSize } : {}),
      burst: { ...template.runs[0].burst, maxStallMs: stalls[r] },
    }))
  );
  const svg = renderStallSvg({ ...template, runs } as NonNullable<BenchResults["stall"]>);
  // Each goal label as a box: drawn from x towards its anchor's side, 6 px a character, 12 px high above its baseline.
  const boxes = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="(start|end)"[^>]*>(goal[^<]*)<\/text>/g)]
    .map(([, x, y, anchor, label]) => {
      const width = label.length * 6;
      return { label, left: anchor === "start" ? Number(x) : Number(x) - width, top: Number(y) - 10, width };
    });
  assert.equal(boxes.length, 4);
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const overlap = a.left < b.left + b.width && b.left < a.left + a.width && Math.abs(a.top - b.top) < 12;
      assert.ok(!overlap, `"${a.label}" covers "${b.label}"`);
    }
  }
});

Deno.test("bench: a run of some sections on another machine keeps the saved run's machine and names its own parts", () => {
  const saved = savedRun();
  const decodeElsewhere: BenchResults = { ...savedRun(), machine: "Intel VM" };
  const merged = mergeSaved(decodeElsewhere, saved, new Set(["decode", "latency"]), new Set(["fake"]));
  assert.match(
    renderTable(merged),
    /^Measured on a test; `deno task bench` took 1\.0 min\. Measured again later on a Intel VM: latency on the fake server, decoding\.\n/,
  );
  // Measured again on the saved run's machine: the part is that machine's again.
  const back = mergeSaved({ ...savedRun() }, merged, new Set(["decode"]), new Set(["fake", "real"]));
  assert.match(
    renderTable(back),
    /^Measured on a test; [^\n]*\. Measured again later on a Intel VM: latency on the fake server\.\n/,
  );
  const sameMachine = mergeSaved({ ...savedRun() }, saved, new Set(["decode"]), new Set(["fake", "real"]));
  assert.equal(sameMachine.partMachines, undefined);
  assert.match(renderTable(sameMachine), /^Measured on a test; `deno task bench` took 1\.0 min\.\n/);
});

Deno.test("bench: the README's tables and both charts are what scripts/bench/results.json renders", async () => {
  const root = new URL("../", import.meta.url);
  const read = (path: string) => Deno.readTextFile(new URL(path, root));
  const saved = JSON.parse(await read("scripts/bench/results.json")) as BenchResults;
  const readme = await read("README.md");
  const start = "<!-- bench:start -->\n", end = "\n<!-- bench:end -->";
  const tables = readme.slice(readme.indexOf(start) + start.length, readme.indexOf(end));
  assert.equal(tables, renderTable(saved), "run `deno task bench --report-only` to rewrite them");
  // `deno fmt` rewraps the written charts: compare them with the whitespace between and inside tags left out.
  const bare = (svg: string) => svg.replace(/\s+/g, " ").replace(/\s*(\/?>)\s*/g, "$1").replace(/\s*</g, "<").trim();
  assert.equal(bare(await read("scripts/bench/latency.svg")), bare(renderLatencySvg(saved)));
  assert.equal(bare(await read("scripts/bench/stall.svg")), bare(renderStallSvg(saved.stall!)));
});

/** A burst run of `peer` whose three bursts lagged `lagMs` each. */
function burstRun(peer: string, encoding: "protobuf" | "json", lagMs: number, consumer?: "walk") {
  return {
    peer,
    encoding,
    consumer,
    lagMs: [lagMs, lagMs, lagMs],
    ...(peer.startsWith("raw") ? {} : { snapshots: [2, 2, 2] }),
    cpuMsPerUpdate: [0.1, 0.1, 0.1],
    missed: 0,
  } as NonNullable<BenchResults["burst"]>["runs"][number];
}

Deno.test("bench: ours' burst lag is a ratio to the raw watch of its own wire format, and the faster raw watch is bold", () => {
  const burst = {
    endpoints: 5000,
    slices: 50,
    updates: 300,
    bursts: 3,
    slowConsumerMs: 5,
    runs: [
      burstRun("ours (Node)", "protobuf", 30, "walk"),
      burstRun("ours (Node)", "json", 30, "walk"),
      burstRun("raw watch (Node)", "protobuf", 20),
      burstRun("raw watch (Node)", "json", 10),
    ],
  };
  const table = renderTable({ ...savedRun(), burst });
  assert.match(
    table,
    /\| Node \| \*\*10 ms\*\* \| 20 ms \| 30 ms \(1\.5x; 3\.0x vs raw JSON\), 2 snapshots \| – \| – \| 30 ms \(3\.0x\), 2 snapshots \| – \|/,
  );
  // Results saved before protobuf name no encoding: every client read JSON.
  const old = burst.runs.filter((run) => run.encoding === "json").map(({ encoding: _, ...run }) => run);
  assert.match(
    renderTable({ ...savedRun(), burst: { ...burst, runs: old } }),
    /\| Node \| 10 ms \| – \| – \| – \| – \| 30 ms \(3\.0x\), 2 snapshots \| – \|/,
  );
});

Deno.test("bench: each table says which wire format ours read, kept per part when a run of some sections merges", () => {
  assert.match(
    renderTable(savedRun()),
    /Every client read EndpointSlices in JSON \(ours before protobuf became its default\)/,
  );
  const latencyAgain = mergeSaved(
    { ...savedRun(), protobufParts: ["latency fake"] },
    savedRun(),
    new Set(["latency"]),
    new Set(["fake"]),
  );
  assert.match(
    renderTable(latencyAgain),
    /Ours read EndpointSlices in protobuf on the fake server and JSON on kube-apiserver; the raw watch/,
  );
  assert.match(
    renderTable({ ...savedRun(), protobufParts: ["latency fake", "latency real"] }),
    /Ours read EndpointSlices in protobuf; the raw watch/,
  );
  const burstOnly = mergeSaved({ ...savedRun(), protobufParts: [] }, latencyAgain, new Set(["burst"]), new Set());
  assert.deepEqual(burstOnly.protobufParts, ["latency fake"]);
});
