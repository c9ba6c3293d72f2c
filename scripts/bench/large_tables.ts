/**
 * The README tables of the large-Service benchmarks, one per question: how
 * far behind the raw watch ours is after a burst (and what it costs in CPU),
 * how long a grpc-js client's event loop stops, and what streaming lists
 * change. Rendered from the saved results only.
 *
 * @module
 */

import type { BurstResults, BurstRun, Consumer, Encoding } from "./burst.ts";
import { RUNTIMES } from "./clients.ts";
import { oursWire, wireSentence } from "./core_tables.ts";
import { policyLabel, STALL_POLICIES, type StallResults, type StallWindow } from "./stall.ts";
import type { WatchListResults, WatchListRun } from "./watchlist.ts";

/** What the tables read from the results. */
export interface LargeServiceResults {
  burst?: BurstResults;
  stall?: StallResults;
  watchlist?: WatchListResults;
  /** The scale run's 5,000-endpoint rows, for CPU per update one update at a time. */
  big: { peer: string; cpuMsPerUpdate?: number }[];
  /** The parts in which ours read protobuf (see `CoreResults`). */
  protobufParts?: string[];
}

/** The issue's goals for the stall on Node, in ms (first resolution, burst), by endpoints and policy label. */
const STALL_GOALS: Record<string, [number | undefined, number]> = {
  "1000 kubernetes_round_robin": [undefined, 50],
  "5000 kubernetes_round_robin": [250, 250],
  "5000 kubernetes_round_robin + subsetSize 100": [undefined, 30],
};

const median = (values: number[] | undefined) =>
  values && values.length > 0 ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] : undefined;
const ms = (value: number | undefined, digits = 0) => value === undefined ? "–" : `${value.toFixed(digits)} ms`;
const thousands = (value: number) => value.toLocaleString("en-US");

/** The lag of a run and, in brackets, its ratio to each limit given (label → lag); snapshots after. */
function burstCell(run: BurstRun | undefined, limits: [string, number | undefined][], what: string): string {
  if (!run) return "–";
  if (run.error !== undefined) return `failed: ${run.error}`;
  const lag = median(run.lagMs);
  if (lag === undefined) return `no burst seen (${run.missed} missed)`;
  const ratios = limits.filter(([, limit]) => limit).map(([label, limit]) =>
    `${(lag / limit!).toFixed(1)}x${label ? ` ${label}` : ""}`
  );
  const snapshots = median(run.snapshots);
  return `${ms(lag)}${ratios.length ? ` (${ratios.join("; ")})` : ""}` +
    `${snapshots === undefined ? "" : `, ${snapshots} ${what}`}` + (run.missed ? `, ${run.missed} missed` : "");
}

function burstTables(burst: BurstResults, big: LargeServiceResults["big"], bigWire: string): string[] {
  // Results saved before protobuf have no encoding: every client then read JSON.
  const find = (peer: string, encoding: Encoding, consumer?: Consumer) =>
    burst.runs.find((run) => run.peer === peer && run.consumer === consumer && (run.encoding ?? "json") === encoding);
  const rows = RUNTIMES.map((runtime) => {
    const raw = (encoding: Encoding) => median(find(`raw watch (${runtime})`, encoding)?.lagMs);
    const rawJson = raw("json"), rawProtobuf = raw("protobuf");
    // The faster raw watch of the runtime, in bold: the limit.
    const fastest = rawJson !== undefined && rawProtobuf !== undefined
      ? (rawProtobuf < rawJson ? "protobuf" : "json")
      : undefined;
    const rawCell = (encoding: Encoding, lag: number | undefined) => encoding === fastest ? `**${ms(lag)}**` : ms(lag);
    const ours = (encoding: Encoding, consumer: Consumer) =>
      burstCell(
        find(`ours (${runtime})`, encoding, consumer),
        encoding === "protobuf" ? [["", rawProtobuf], ["vs raw JSON", rawJson]] : [["", rawJson]],
        "snapshots",
      );
    const informer = runtime === "Node"
      ? burstCell(find("client-node informer", "json"), [["", rawJson]], "handler calls")
      : "–";
    return `| ${runtime} | ${rawCell("json", rawJson)} | ${rawCell("protobuf", rawProtobuf)} | ` +
      `${ours("protobuf", "walk")} | ${ours("protobuf", "idle")} | ${ours("protobuf", "slow")} | ` +
      `${ours("json", "walk")} | ${informer} |`;
  });
  const cpu = (peer: string, encoding: Encoding, consumer?: Consumer) =>
    median(find(peer, encoding, consumer)?.cpuMsPerUpdate);
  const spaced = (peer: string) => big.find((row) => row.peer === peer)?.cpuMsPerUpdate;
  const cpuPeers = [...RUNTIMES.map((runtime) => `ours (${runtime})`), "client-node informer"];
  const value = (v: number | undefined) => v === undefined ? "–" : v.toFixed(2);
  const burstRow = (encoding: Encoding) =>
    `| in the burst, ${encoding === "json" ? "JSON" : "protobuf"} | ${
      cpuPeers.map((peer) => value(cpu(peer, encoding, peer.startsWith("ours") ? "walk" : undefined))).join(" | ")
    } | ${RUNTIMES.map((runtime) => value(cpu(`raw watch (${runtime})`, encoding))).join(" / ")} |`;
  return [
    "",
    `**Watch-only burst.** ${thousands(burst.endpoints)} endpoints in ${burst.slices} slices, ${burst.updates} ` +
    "updates written back to back (each replaces one slice's 100 addresses, and each burst leaves every slice on " +
    "addresses it did not start with, as a rollout does), fake server: time from the last " +
    `write to the client showing it, median of ${burst.bursts} bursts after a warm-up one, and how many ` +
    "snapshots (or informer handler calls) the consumer got per burst. Ours reads protobuf by default and JSON " +
    "with `protobuf: false`; client-node's informer reads JSON. In brackets the ratio to the raw watch on the same " +
    'runtime in the same wire format, then, for protobuf, to the raw JSON watch ("vs raw JSON"); the faster raw ' +
    "watch of each runtime, the limit, is in bold. The walking consumer looks at every endpoint of every snapshot; the slow one " +
    `spends ${burst.slowConsumerMs} ms on each.`,
    "",
    "| runtime | raw watch, JSON | raw watch, protobuf | ours, protobuf, walking consumer | ours, protobuf, idle " +
    "consumer | ours, protobuf, slow consumer | ours, JSON, walking consumer | client-node informer (JSON) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `CPU time per update at ${thousands(burst.endpoints)} endpoints, in ms: in the burst (the client process's ` +
    `CPU time over a burst divided by ${burst.updates}; walking consumer), and one update at a time (the scale ` +
    `run above, ours reading ${bigWire}).`,
    "",
    `| | ${cpuPeers.join(" | ")} | raw watch (${RUNTIMES.join(" / ")}) |`,
    `| --- | ${cpuPeers.map(() => "---").join(" | ")} | --- |`,
    burstRow("protobuf"),
    burstRow("json"),
    `| one at a time | ${cpuPeers.map((peer) => value(spaced(peer))).join(" | ")} | – |`,
  ];
}

/**
 * A stall in ms, marked when the client's JavaScript thread was on CPU for less than half of it: then much of it
 * is the machine not running the loop, not the client's own work. The CPU time covers the whole heartbeat gap, the
 * stall and the heartbeat period, so it is compared with the stall, not the gap: a 6 ms stall with 7 ms of CPU in
 * its 26 ms gap is the client's own work. Older results have only the process's CPU time, which also counts the
 * runtime's helper threads: Node's 74 ms stall with 48 ms of it had 19 ms on the loop's thread, 66 ms waiting for a core.
 */
function stallValue(window: StallWindow): string {
  const loopCpuMs = window.maxStallRunMs ?? window.maxStallCpuMs;
  const offCpu = loopCpuMs !== undefined && loopCpuMs < window.maxStallMs / 2;
  return `${window.maxStallMs.toFixed(0)}${offCpu ? OFF_CPU : ""}`;
}

const OFF_CPU = "†";

function stallTable(stall: StallResults): string[] {
  const counts = [...new Set(stall.runs.map((run) => run.endpoints))].sort((a, b) => a - b);
  const rows: string[] = [];
  for (const endpoints of counts) {
    for (const policy of STALL_POLICIES) {
      const label = policyLabel(policy);
      const cells = RUNTIMES.map((runtime) => {
        const run = stall.runs.find((r) =>
          r.endpoints === endpoints && r.runtime === runtime && policyLabel(r) === label
        );
        if (!run) return "–";
        if (run.error !== undefined) return `failed: ${run.error}`;
        return `${stallValue(run.first!)} / ${stallValue(run.burst!)} ms`;
      });
      const goal = STALL_GOALS[`${endpoints} ${label}`];
      const goalCell = goal ? `${goal[0] === undefined ? "–" : goal[0]} / ${goal[1]} ms` : "–";
      rows.push(`| ${thousands(endpoints)} | ${label} | ${cells.join(" | ")} | ${goalCell} |`);
    }
  }
  return [
    "",
    "**grpc-js event-loop stall.** A grpc-js client dials a Service through our resolver; the endpoints are " +
    "loopback addresses that refuse connections at once, so grpc-js connects, fails and reconnects with " +
    `backoff. Longest gap of a ${stall.heartbeatMs} ms heartbeat minus ${stall.heartbeatMs} ms, first ` +
    `resolution (${stall.firstWindowMs / 1000} s from the channel's creation) / burst (${stall.burstWindowMs / 1000} ` +
    `s from ${stall.burstUpdates} updates written back to back, each replacing one slice's 100 addresses); one ` +
    "client process at a time, the fake server in another. The goals are the issue's, for Node.",
    "",
    `| endpoints | load balancing | ${RUNTIMES.join(" | ")} | goal on Node |`,
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    ...(rows.some((row) => row.includes(OFF_CPU))
      ? [
        "",
        `${OFF_CPU} ${
          stall.runs.some((run) => run.burst?.maxStallRunMs !== undefined)
            ? "The client's JavaScript thread was"
            : "The process was"
        } on CPU for less than half of this stall: most of it was not the client's own ` +
        "work (the machine running something else, or for a stall of a few ms the timer's own lateness), so the " +
        "figure overstates the client's stall.",
      ]
      : []),
    "",
    "![Event-loop stall against the number of endpoints](scripts/bench/stall.svg)",
  ];
}

/** False for a run of ours with the gate on that did not ask for a streaming list: WatchList is not measured. */
function usedStreamingList(run: WatchListRun): boolean {
  return !(run.gate === "on" && run.peer.startsWith("ours") && run.streamingLists === 0);
}

function watchListCell(run: WatchListRun | undefined, figure: "requests" | "bytes" | "first"): string {
  if (!run) return "–";
  if (run.error !== undefined) return `failed: ${run.error}`;
  if (!usedStreamingList(run)) return "not measured yet";
  switch (figure) {
    case "requests": {
      const parts = [];
      if (run.streamingLists) parts.push(`${run.streamingLists} streaming list${run.refused ? " (refused: 422)" : ""}`);
      if (run.lists) parts.push(`${run.lists} LIST`);
      const watches = run.watches! - run.streamingLists!;
      if (watches > 0) parts.push(`${watches} WATCH`);
      return `${run.requests}: ${parts.join(" + ")}`;
    }
    case "bytes":
      return `${(run.bytesReceived! / 2 ** 20).toFixed(2)} MiB`;
    case "first":
      return ms(run.firstMs);
  }
}

function watchListTable(watchlist: WatchListResults, wire: string): string[] {
  const peers = [...new Set(watchlist.runs.map((run) => run.peer))];
  const find = (gate: string, peer: string) => watchlist.runs.find((run) => run.gate === gate && run.peer === peer);
  const rows = [];
  for (const [gate, mode] of [["on", "gate on"], ["off", "gate off"]]) {
    for (
      const [figure, label] of [
        ["requests", "requests"],
        ["bytes", "bytes received"],
        ["first", "time to first resolution"],
      ] as const
    ) {
      rows.push(`| ${mode}: ${label} | ${peers.map((peer) => watchListCell(find(gate, peer), figure)).join(" | ")} |`);
    }
  }
  return [
    "",
    `**Streaming lists (WatchList).** A Service of ${thousands(watchlist.endpoints)} endpoints in 50 slices on ` +
    "kube-apiserver, with its `WatchList` gate on (the default) and off (`--feature-gates=WatchList=false`, " +
    "where a streaming list is refused with 422): EndpointSlice requests per client by the audit log (ours also GET " +
    "the Service once, for its internalTrafficPolicy), bytes the server sent " +
    "until 1 s after the first resolution (TLS included), time to first resolution once the client's " +
    "library is loaded (the raw watch's: the runtime's HTTP client). " +
    "The raw watch asks for a streaming list first and falls back to LIST+WATCH: the limit" +
    `${wire === "protobuf" ? " of a client reading JSON" : ""}. ` + wireSentence([["", wire]], "the raw watch reads"),
    "",
    `| figure | ${peers.join(" | ")} |`,
    `| --- | ${peers.map(() => "---").join(" | ")} |`,
    ...rows,
    ...(watchlist.runs.some((run) => run.error === undefined && !usedStreamingList(run))
      ? [
        "",
        "Not measured yet: with the gate on, ours asked for no streaming list (it made a LIST and a WATCH, as in " +
        "the gate-off rows), so its WatchList figures do not exist yet.",
      ]
      : []),
  ];
}

/**
 * The large-Service tables, each with its caption, for the results that are present.
 *
 * @param results The saved results.
 * @returns Markdown lines.
 */
export function largeServiceTables(results: LargeServiceResults): string[] {
  return [
    ...(results.burst ? burstTables(results.burst, results.big, oursWire(results, "scale")) : []),
    ...(results.stall ? stallTable(results.stall) : []),
    ...(results.watchlist ? watchListTable(results.watchlist, oursWire(results, "watchlist")) : []),
  ];
}
