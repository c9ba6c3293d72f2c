/**
 * The README tables of the core benchmarks, one per question: how soon one
 * update reaches each client, how fast watch events decode, what 1,000
 * subscribers cost, what a Service of 5,000 endpoints costs, and how many
 * requests each client sends while kube-apiserver restarts. Rendered from the
 * saved results only.
 *
 * @module
 */

import { limitOf } from "./clients.ts";

/** Latency samples of one client, in ms. */
export interface LatencyRun {
  /** From the write request leaving the writer to the client's observation. */
  samples: number[];
  /** From the write's response arriving (equal to `samples` on the in-process fake server). */
  fromAccepted: number[];
  missed: number;
  error?: string;
}

/** What the tables read from the results. */
export interface CoreResults {
  /**
   * The parts (`"latency fake"`, `"latency real"`, `"scale"`, `"churn"`, `"watchlist"`) in which ours read
   * EndpointSlices in protobuf, its default; ours read JSON in the others (every run before protobuf).
   */
  protobufParts?: string[];
  updates: number;
  /** Unmeasured updates per latency client first. */
  warmup?: number;
  churnMinutes: number;
  /** By server kind, then by peer. */
  latency: Record<string, Record<string, LatencyRun>>;
  decode: {
    runtime: string;
    events: number;
    bytes: number;
    chunkBytes: number;
    results: Record<string, { ms: number; eventsPerSecond: number; mbPerSecond: number }>;
  }[];
  scale: {
    peer: string;
    error?: string;
    firstMs?: number;
    rssBytes?: number;
    watches?: number;
    lists?: number;
  }[];
  big: {
    peer: string;
    error?: string;
    firstMs?: number;
    rssBytes?: number;
    /** CPU per update, all threads: the median window of all the peer's processes (older results: of one process). */
    cpuMsPerUpdate?: number;
    /** The quartiles of the windows' CPU per update (absent in results saved before windows). */
    cpuMsPerUpdateSpread?: [number, number];
    /** How many windows the figures above come from. */
    cpuWindows?: number;
    /** Updates per window. */
    cpuWindowUpdates?: number;
    /** The main thread's CPU per update, median window: the JavaScript thread (for Go, only one of its threads). */
    mainThreadMsPerUpdate?: number;
    /** The median window of each process of the peer (null: it failed); older results: each process's figure. */
    cpuMsPerUpdateRuns?: (number | null)[];
    p50?: number;
    observed?: number;
    endpointsSeen?: number;
  }[];
  churn: {
    peer: string;
    minutes: number;
    restarts: number;
    requestsPerMinute: number;
    lists: number;
    watches: number;
    fullStateReads: number;
  }[];
}

/**
 * The value at quantile `q` of sorted samples (nearest rank).
 *
 * @param sorted Samples in ascending order.
 * @param q The quantile, 0 to 1.
 * @returns The sample.
 */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * The wire format ours read EndpointSlices in, in a part of the results.
 *
 * @param results The saved results.
 * @param part A part, such as `"scale"`.
 * @returns `"protobuf"` or `"JSON"`.
 */
export function oursWire(results: { protobufParts?: string[] }, part: string): string {
  return results.protobufParts?.includes(part) ? "protobuf" : "JSON";
}

/**
 * The sentence that names the wire formats of a table whose other clients read JSON.
 *
 * @param wires Where ours ran (such as "the fake server", or "" for one place) → the format it read there.
 * @param others Who the other clients are.
 * @returns The sentence.
 */
export function wireSentence(wires: [string, string][], others: string): string {
  if (wires.every(([, wire]) => wire === "JSON")) {
    return "Every client read EndpointSlices in JSON (ours before protobuf became its default).";
  }
  const where = wires.every(([, wire]) => wire === wires[0][1])
    ? wires[0][1]
    : wires.map(([place, wire]) => `${wire}${place ? ` on ${place}` : ""}`).join(" and ");
  return `Ours read EndpointSlices in ${where}; ${others} JSON.`;
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined || !Number.isFinite(base) || base === 0 ? "–" : `${fmt(value / base)}x`;
const mib = (bytes: number | undefined) => bytes === undefined ? "–" : `${fmt(bytes / 2 ** 20, 0)} MiB`;
const ms = (value: number | undefined, digits = 0) => value === undefined ? "–" : `${fmt(value, digits)} ms`;
/** Peers that are neither ours nor a limit: the ones "vs best peer" compares with. */
const isPeer = (peer: string) => !peer.startsWith("ours") && !peer.startsWith("raw");
/** The smallest of a figure over the other peers' rows that did not fail. */
function bestOf<T extends { peer: string; error?: string }>(rows: T[], get: (row: T) => number | undefined) {
  return Math.min(...rows.filter((row) => isPeer(row.peer) && row.error === undefined).map((r) => get(r) ?? Infinity));
}

interface LatencyStats {
  p50: number;
  p99: number;
  /** p50 and p99 from the write's response. */
  acceptedP50: number;
  acceptedP99: number;
}

function latencyStats(run: LatencyRun | undefined): LatencyStats | undefined {
  if (!run || run.samples.length === 0) return undefined;
  const sorted = [...run.samples].sort((a, b) => a - b);
  const accepted = [...run.fromAccepted].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    acceptedP50: percentile(accepted, 0.5),
    acceptedP99: percentile(accepted, 0.99),
  };
}

function latencyTable(results: CoreResults): string[] {
  const kinds = (["fake", "real"] as const).filter((kind) => results.latency[kind]);
  if (kinds.length === 0) return [];
  const peers = [...new Set(kinds.flatMap((kind) => Object.keys(results.latency[kind])))];
  const stats = (kind: string, peer: string) => latencyStats(results.latency[kind]?.[peer]);
  const cells = (kind: "fake" | "real", peer: string): string[] => {
    const run = results.latency[kind]?.[peer];
    const own = stats(kind, peer);
    if (!own) return [run ? `failed: ${run.error ?? "no samples"}` : "–", "–", "–"];
    const others = peers.filter(isPeer).map((other) => stats(kind, other)).filter((s) => s !== undefined);
    const best = (key: "p50" | "p99") => Math.min(...others.map((s) => s[key]));
    const limitPeer = limitOf(peer);
    const limit = limitPeer === undefined ? undefined : stats(kind, limitPeer);
    const accepted = kind === "real" ? ` (${fmt(own.acceptedP50)} / ${fmt(own.acceptedP99)} after the response)` : "";
    const missed = run?.missed ? `, ${run.missed} missed` : "";
    return [
      `${fmt(own.p50)} / ${fmt(own.p99)} ms${accepted}${missed}`,
      `${ratio(own.p50, best("p50"))} / ${ratio(own.p99, best("p99"))}`,
      limit ? `${ratio(own.p50, limit.p50)} / ${ratio(own.p99, limit.p99)}` : "–",
    ];
  };
  const header = kinds.flatMap((kind) => {
    const server = kind === "fake" ? "fake server" : "kube-apiserver";
    return [`${server}, p50 / p99`, "vs best peer", "vs raw watch"];
  });
  return [
    "",
    `**Propagation latency, one update at a time.** From the write request leaving the writer to the client ` +
    `showing it, p50 / p99 over ${results.updates} updates per client after ${results.warmup ?? 10} warm-up ` +
    'ones; on kube-apiserver also from the write\'s response. "vs best peer" compares with the better of the Go ' +
    'original and client-node; "vs raw watch" with the raw watch on the same runtime (client-node with Node\'s). ' +
    wireSentence(
      kinds.map((
        kind,
      ) => [kind === "fake" ? "the fake server" : "kube-apiserver", oursWire(results, `latency ${kind}`)]),
      "the raw watch, client-node and the Go original read",
    ),
    "",
    `| client | ${header.join(" | ")} |`,
    `| --- | ${header.map(() => "---").join(" | ")} |`,
    ...peers.map((peer) => `| ${peer} | ${kinds.flatMap((kind) => cells(kind, peer)).join(" | ")} |`),
  ];
}

function decodeTable(results: CoreResults): string[] {
  const [first] = results.decode;
  if (!first) return [];
  const columns = [
    ["ours", "ours"],
    ["client-node", "client-node (readline + JSON.parse)"],
    ["JSON.parse", "JSON.parse alone (reference)"],
  ] as const;
  const rows = results.decode.map((run) => {
    const peer = run.results["client-node"];
    const limit = run.results["JSON.parse"];
    const cell = (name: string) => {
      const r = run.results[name];
      if (!r) return "–";
      return `${fmt(r.mbPerSecond, 0)} MB/s (${ratio(r.mbPerSecond, peer?.mbPerSecond)} / ` +
        `${ratio(r.mbPerSecond, limit?.mbPerSecond)})`;
    };
    return `| ${run.runtime} | ${columns.map(([name]) => cell(name)).join(" | ")} |`;
  });
  return [
    "",
    `**Decoding.** ${first.events.toLocaleString("en-US")} watch events of 100-endpoint slices ` +
    `(${fmt(first.bytes / 1e6, 0)} MB) in ${first.chunkBytes / 1024} KiB chunks: throughput, and in brackets its ` +
    "ratio to client-node's parser / to `JSON.parse` alone (higher is faster). `JSON.parse` alone parses " +
    "lines split and decoded in advance: a reference, not a bound, which a full pipeline can beat in a run (see " +
    "`BENCHMARKS.md`).",
    "",
    `| runtime | ${columns.map(([, label]) => label).join(" | ")} |`,
    `| --- | ${columns.map(() => "---").join(" | ")} |`,
    ...rows,
  ];
}

function subscribersTable(results: CoreResults): string[] {
  if (results.scale.length === 0) return [];
  const { scale } = results;
  const rows = scale.map((s) => {
    if (s.error !== undefined) return `| ${s.peer} | failed: ${s.error} | | |`;
    return `| ${s.peer} | ${s.watches} / ${s.lists} (${ratio(s.watches, bestOf(scale, (p) => p.watches))}) | ` +
      `${mib(s.rssBytes)} (${ratio(s.rssBytes, bestOf(scale, (p) => p.rssBytes))}) | ` +
      `${ms(s.firstMs)} (${ratio(s.firstMs, bestOf(scale, (p) => p.firstMs))}) |`;
  });
  return [
    "",
    "**1,000 subscribers over 50 Services,** one client process per peer on the fake server: the watches and " +
    "LISTs the server received (50 is one watch per Service), the process's RSS, and the time until every " +
    "subscriber had its endpoints, counted once the client's library is loaded (ours or client-node), as the Go " +
    "original's clock starts in `main`; in brackets the ratio to the best of the Go original and client-node. " +
    wireSentence([["", oursWire(results, "scale")]], "the others read"),
    "",
    "| client | API watches / LISTs | RSS | first resolution |",
    "| --- | --- | --- | --- |",
    ...rows,
  ];
}

function bigServiceTable(results: CoreResults): string[] {
  if (results.big.length === 0) return [];
  const informer = results.big.find((s) => s.peer === "client-node informer" && s.error === undefined);
  const windowed = results.big.find((s) => s.cpuWindows !== undefined);
  const rows = results.big.map((s) => {
    if (s.error !== undefined) return `| ${s.peer} | failed: ${s.error} | | | |`;
    return `| ${s.peer} | ${ms(s.firstMs)} (${ratio(s.firstMs, informer?.firstMs)}) | ` +
      `${mib(s.rssBytes)} (${ratio(s.rssBytes, informer?.rssBytes)}) | ` +
      `${ms(s.cpuMsPerUpdate, 2)} (${ratio(s.cpuMsPerUpdate, informer?.cpuMsPerUpdate)})${
        s.cpuMsPerUpdateSpread ? `, ${s.cpuMsPerUpdateSpread.map((q) => fmt(q, 2)).join("–")}` : ""
      } | ` +
      `${s.endpointsSeen?.toLocaleString("en-US") ?? "–"} |`;
  });
  return [
    "",
    "**A Service of 5,000 endpoints in 50 slices,** fake server, one client process at a time: time to the " +
    "first resolution (once its library is loaded, as above), RSS, and CPU time per update as one slice changes " +
    (windowed
      ? "at a time (every thread of the process; the median window of all the peer's processes, " +
        `${windowed.cpuWindows! / (windowed.cpuMsPerUpdateRuns?.length ?? 1)} windows of ` +
        `${windowed.cpuWindowUpdates} updates each, the processes' windows taken in turn; after the ratio, the ` +
        "windows' quartiles)"
      : "at a time (the median of the peer's processes)") +
    ", with the endpoints each update hands on; in brackets the ratio to client-node's informer. The " +
    "Go original does not merge slices: its first resolution is its first slice, and each update hands gRPC " +
    "that slice's 100 endpoints only. " + wireSentence([["", oursWire(results, "scale")]], "the others read"),
    "",
    "| client | first resolution | RSS | CPU per update | endpoints per update |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

function apiLoadTable(results: CoreResults): string[] {
  const [first] = results.churn;
  if (!first) return [];
  const { churn } = results;
  const rows = churn.map((c) =>
    `| ${c.peer} | ${fmt(c.requestsPerMinute, 1)} (${
      ratio(c.requestsPerMinute, bestOf(churn, (p) => p.requestsPerMinute))
    }) | ` +
    `${c.lists} | ${c.watches} | ${c.fullStateReads} |`
  );
  return [
    "",
    `**API load.** The clients watch one Service side by side for ${fmt(first.minutes, 1)} min while a slice ` +
    `changes every second and kube-apiserver restarts ${first.restarts} times: EndpointSlice requests per minute by ` +
    "the audit log (in brackets the ratio to the best of the Go original and client-node; ours also GET the Service " +
    "at each start, relist and resume, for its internalTrafficPolicy), and the full-state reads among " +
    "them (LISTs, watches without a resourceVersion, and streaming lists, i.e. watches with " +
    "`sendInitialEvents=true`: each replays every slice).",
    "",
    "| client | requests per minute | LISTs | watches | full-state reads |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

/**
 * The core tables, each with its caption, for the sections that are present.
 *
 * @param results The saved results.
 * @returns Markdown lines.
 */
export function coreTables(results: CoreResults): string[] {
  return [
    ...latencyTable(results),
    ...decodeTable(results),
    ...subscribersTable(results),
    ...bigServiceTable(results),
    ...apiLoadTable(results),
  ];
}
