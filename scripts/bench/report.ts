/**
 * Turns the benchmark results into the README table (between
 * `<!-- bench:start -->` and `<!-- bench:end -->`), an SVG chart of the
 * latency distributions and `scripts/bench/results.json`.
 *
 * @module
 */

import { cpus } from "node:os";
import type { BurstResults } from "./burst.ts";
import { limitOf } from "./clients.ts";
import { largeServiceTables } from "./large_tables.ts";
import { renderStallSvg } from "./stall_chart.ts";
import type { StallResults } from "./stall.ts";
import type { WatchListResults } from "./watchlist.ts";

const ROOT = new URL("../../", import.meta.url);
const README = new URL("README.md", ROOT);
const SVG = new URL("scripts/bench/latency.svg", ROOT);
const STALL_SVG = new URL("scripts/bench/stall.svg", ROOT);
const JSON_FILE = new URL("scripts/bench/results.json", ROOT);
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Latency samples of one client, in ms. */
export interface LatencyRun {
  /** From the write request leaving the writer to the client's observation. */
  samples: number[];
  /** From the write's response arriving (equal to `samples` on the in-process fake server). */
  fromAccepted: number[];
  missed: number;
  error?: string;
}

/** Everything `scripts/bench.ts` measured. */
export interface BenchResults {
  machine: string;
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
    cpuMsPerUpdate?: number;
    /** CPU per update of every process of the peer (null: it failed); the figures above are the median one's. */
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
  /** The watch-only burst (absent in results saved before it existed). */
  burst?: BurstResults;
  /** The grpc-js event-loop stall. */
  stall?: StallResults;
  /** Streaming lists against kube-apiserver. */
  watchlist?: WatchListResults;
  totalSeconds: number;
}

/**
 * The results of a run of some sections, completed with the saved results of the others; the
 * duration stays the saved full run's.
 *
 * @param results What this run measured.
 * @param saved The results saved by an earlier run.
 * @param only The sections this run measured.
 * @param servers The servers latency was measured against.
 * @returns The merged results.
 */
export function mergeSaved(
  results: BenchResults,
  saved: BenchResults,
  only: Set<string>,
  servers: Set<string>,
): BenchResults {
  const merged: BenchResults = { ...results, totalSeconds: saved.totalSeconds };
  if (only.has("latency")) {
    for (const kind of ["fake", "real"]) {
      if (!servers.has(kind) && saved.latency[kind]) merged.latency[kind] = saved.latency[kind];
    }
  } else {
    Object.assign(merged, { latency: saved.latency, updates: saved.updates, warmup: saved.warmup });
  }
  if (!only.has("decode")) merged.decode = saved.decode;
  if (!only.has("scale")) Object.assign(merged, { scale: saved.scale, big: saved.big });
  if (!only.has("churn")) Object.assign(merged, { churn: saved.churn, churnMinutes: saved.churnMinutes });
  if (!only.has("burst")) Object.assign(merged, { burst: saved.burst, stall: saved.stall });
  if (!only.has("watchlist")) merged.watchlist = saved.watchlist;
  return merged;
}

async function version(command: string, args: string[]): Promise<string> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(output.stdout).trim().split("\n")[0];
  } catch {
    return "?";
  }
}

/** "2-core VM (nproc 2, AMD EPYC), Deno …, Bun …, Node …, Go …". */
export async function machineDescription(): Promise<string> {
  const nproc = (await version("nproc", [])) || String(cpus().length);
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model ?? "?";
  const bin = new URL("node_modules/.bin/", ROOT).pathname;
  const deno = (await version(`${bin}deno`, ["--version"])).replace(/ \(.*/, "");
  const bun = await version(`${bin}bun`, ["--version"]);
  const node = await version("node", ["--version"]);
  const go = (await version("go", ["version"])).replace(/^go version go(\S+).*/, "$1");
  return `${nproc}-core VM (nproc ${nproc}, ${model}); ${deno}, Bun ${bun}, Node ${node}, Go ${go}`;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);
const ratio = (value: number, base: number | undefined) =>
  base === undefined || !Number.isFinite(base) || base === 0 ? "–" : `${fmt(value / base)}x`;
const mib = (bytes: number | undefined) => bytes === undefined ? "–" : `${fmt(bytes / 2 ** 20, 0)} MiB`;

function latencyRows(results: BenchResults): string[] {
  const rows: string[] = [];
  for (const [kind, label] of [["fake", "fake server"], ["real", "kube-apiserver"]] as const) {
    const byPeer = results.latency[kind];
    if (!byPeer) continue;
    const stats = new Map<string, { p50: number; p99: number; n: number; missed: number; accepted: string }>();
    for (const [peer, run] of Object.entries(byPeer)) {
      if (run.samples.length === 0) continue;
      const sorted = [...run.samples].sort((a, b) => a - b);
      const accepted = [...run.fromAccepted].sort((a, b) => a - b);
      stats.set(peer, {
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        n: sorted.length,
        missed: run.missed,
        accepted: kind === "real"
          ? ` (after the write's response: ${fmt(percentile(accepted, 0.5))} / ${fmt(percentile(accepted, 0.99))})`
          : "",
      });
    }
    const peers = [...stats.entries()].filter(([peer]) => !peer.startsWith("ours") && !peer.startsWith("raw"));
    const best = (key: "p50" | "p99") => Math.min(...peers.map(([, s]) => s[key]));
    for (const [peer, run] of Object.entries(byPeer)) {
      const limitPeer = limitOf(peer);
      const limit = limitPeer && stats.get(limitPeer);
      const s = stats.get(peer);
      if (!s) {
        rows.push(`| latency, ${label} | ${peer} | failed: ${run.error ?? "no samples"} | | |`);
        continue;
      }
      rows.push(
        `| latency p50 / p99 from the write request, ${label} (${s.n} updates${
          s.missed ? `, ${s.missed} missed` : ""
        }) | ${peer} | ` +
          `${fmt(s.p50)} / ${fmt(s.p99)} ms${s.accepted} | ${ratio(s.p50, best("p50"))} / ${
            ratio(s.p99, best("p99"))
          } | ` +
          `${ratio(s.p50, limit?.p50)} / ${ratio(s.p99, limit?.p99)} |`,
      );
    }
  }
  return rows;
}

function decodeRows(results: BenchResults): string[] {
  const rows: string[] = [];
  for (const run of results.decode) {
    const limit = run.results["JSON.parse"];
    const peer = run.results["client-node"];
    const mb = (run.bytes / 1e6).toFixed(0);
    for (
      const [name, label] of [["ours", "ours"], ["client-node", "client-node (readline + JSON.parse)"], [
        "JSON.parse",
        "JSON.parse alone (limit)",
      ]]
    ) {
      const r = run.results[name];
      rows.push(
        `| decode, ${run.events} events of 100 endpoints (${mb} MB, ${
          run.chunkBytes / 1024
        } KiB chunks), ${run.runtime} | ` +
          `${label} | ${fmt(r.eventsPerSecond, 0)} events/s, ${fmt(r.mbPerSecond, 0)} MB/s | ` +
          `${name === "client-node" ? "1.00x" : ratio(r.mbPerSecond, peer.mbPerSecond)} | ` +
          `${ratio(r.mbPerSecond, limit.mbPerSecond)} |`,
      );
    }
  }
  return rows;
}

function scaleRows(results: BenchResults): string[] {
  const rows: string[] = [];
  const peers = results.scale.filter((s) => !s.peer.startsWith("ours") && s.error === undefined);
  const best = (get: (s: BenchResults["scale"][number]) => number | undefined) =>
    Math.min(...peers.map((s) => get(s) ?? Infinity));
  for (const s of results.scale) {
    if (s.error !== undefined) {
      rows.push(`| 1,000 subscribers over 50 services | ${s.peer} | failed: ${s.error} | | |`);
      continue;
    }
    rows.push(
      `| 1,000 subscribers over 50 services: API watches / LISTs | ${s.peer} | ${s.watches} / ${s.lists} | ` +
        `${ratio(s.watches!, best((p) => p.watches))} | ${ratio(s.watches!, 50)} of 50 |`,
    );
    rows.push(
      `| 1,000 subscribers over 50 services: RSS, first resolution | ${s.peer} | ${mib(s.rssBytes)}, ` +
        `${fmt(s.firstMs!, 0)} ms | ${ratio(s.rssBytes!, best((p) => p.rssBytes))}, ` +
        `${ratio(s.firstMs!, best((p) => p.firstMs))} | |`,
    );
  }
  const bigPeers = results.big.filter((s) => !s.peer.startsWith("ours") && s.error === undefined);
  const bigBest = (get: (s: BenchResults["big"][number]) => number | undefined) =>
    Math.min(...bigPeers.map((s) => get(s) ?? Infinity));
  for (const s of results.big) {
    if (s.error !== undefined) {
      rows.push(`| 5,000 endpoints in 50 slices | ${s.peer} | failed: ${s.error} | | |`);
      continue;
    }
    rows.push(
      `| 5,000 endpoints in 50 slices: first resolution, RSS, CPU per update | ${s.peer} | ` +
        `${fmt(s.firstMs!, 0)} ms, ${mib(s.rssBytes)}, ${fmt(s.cpuMsPerUpdate!)} ms ` +
        `(${s.endpointsSeen} endpoints per update) | ` +
        `${ratio(s.firstMs!, bigBest((p) => p.firstMs))}, ${ratio(s.rssBytes!, bigBest((p) => p.rssBytes))}, ` +
        `${ratio(s.cpuMsPerUpdate!, bigBest((p) => p.cpuMsPerUpdate))} | |`,
    );
  }
  return rows;
}

function churnRows(results: BenchResults): string[] {
  const peers = results.churn.filter((c) => !c.peer.startsWith("ours"));
  const best = Math.min(...peers.map((c) => c.requestsPerMinute));
  const bestFull = Math.min(...peers.map((c) => c.fullStateReads));
  return results.churn.map((c) =>
    `| API load, ${fmt(c.minutes, 1)} min of churn with ${c.restarts} kube-apiserver restarts: ` +
    `requests/min; full-state reads (LISTs + watches without resourceVersion) | ` +
    `${c.peer} | ${fmt(c.requestsPerMinute, 1)}/min (${c.lists} LISTs, ${c.watches} watches); ` +
    `${c.fullStateReads} full-state reads | ${ratio(c.requestsPerMinute, best)}; ${
      ratio(c.fullStateReads, bestFull)
    } | |`
  );
}

/** The README section body. */
export function renderTable(results: BenchResults): string {
  const lines = [
    `Measured on a ${results.machine}; \`deno task bench\` took ${fmt(results.totalSeconds / 60, 1)} min ` +
    `(latency: ${results.updates} updates per client after ${results.warmup ?? 10} warm-up ones; ` +
    `churn: ${results.churnMinutes} min). In the latency rows, "vs limit" compares with the raw watch ` +
    "on the same runtime (client-node with Node's); the Go original has none.",
    "",
    "| figure | runtime or peer | value | vs best peer | vs limit |",
    "| --- | --- | --- | --- | --- |",
    ...latencyRows(results),
    ...decodeRows(results),
    ...scaleRows(results),
    ...churnRows(results),
    ...largeServiceTables(results),
  ];
  return lines.join("\n");
}

const COLORS: Record<string, string> = {
  "ours (Deno)": "#1f77b4",
  "ours (Bun)": "#17becf",
  "ours (Node)": "#2ca02c",
  "kuberesolver (Go)": "#d62728",
  "client-node informer": "#ff7f0e",
  "raw watch (Deno)": "#1f77b4",
  "raw watch (Bun)": "#17becf",
  "raw watch (Node)": "#2ca02c",
};

/** Cumulative distributions of the propagation latency, one panel per server, log-scaled time axis. */
export function renderSvg(results: BenchResults): string {
  const panels = (["fake", "real"] as const).filter((kind) => results.latency[kind]);
  const width = 820, panelHeight = 260, left = 60, right = 240, top = 40, bottom = 40;
  const height = panels.length * (panelHeight + top + bottom);
  const all = panels.flatMap((kind) => Object.values(results.latency[kind]).flatMap((run) => run.samples));
  const minMs = 0.1;
  const maxMs = Math.max(10, ...all) * 1.1;
  const x = (ms: number) =>
    left + (Math.log10(Math.max(minMs, ms)) - Math.log10(minMs)) / (Math.log10(maxMs) - Math.log10(minMs)) *
      (width - left - right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  panels.forEach((kind, index) => {
    const y0 = index * (panelHeight + top + bottom) + top;
    const y = (q: number) => y0 + panelHeight * (1 - q);
    const title = kind === "fake" ? "fake API server" : "kube-apiserver + etcd (local)";
    parts.push(
      `<text x="${left}" y="${y0 - 14}" font-size="14" font-weight="bold">` +
        `Propagation latency, ${title}: write sent → update observed (CDF)</text>`,
    );
    parts.push(
      `<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panelHeight}" fill="none" stroke="#999"/>`,
    );
    for (let decade = -1; 10 ** decade <= maxMs; decade++) {
      for (const m of [1, 2, 5]) {
        const ms = m * 10 ** decade;
        if (ms < minMs || ms > maxMs) continue;
        const px = x(ms).toFixed(1);
        parts.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + panelHeight}" stroke="#eee"/>`);
        parts.push(`<text x="${px}" y="${y0 + panelHeight + 16}" text-anchor="middle">${ms}</text>`);
      }
    }
    for (const q of [0, 0.5, 0.9, 0.99, 1]) {
      parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(q)}" y2="${y(q)}" stroke="#eee"/>`);
      // p100 sits right above p99: a line, no label.
      if (q < 1) parts.push(`<text x="${left - 6}" y="${y(q) + 4}" text-anchor="end">p${Math.round(q * 100)}</text>`);
    }
    parts.push(
      `<text x="${(left + width - right) / 2}" y="${y0 + panelHeight + 32}" text-anchor="middle">ms (log scale)</text>`,
    );
    let legend = 0;
    for (const [peer, run] of Object.entries(results.latency[kind])) {
      if (run.samples.length === 0) continue;
      const sorted = [...run.samples].sort((a, b) => a - b);
      const points = sorted.map((ms, i) => `${x(ms).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
      const color = COLORS[peer] ?? "#000";
      const dash = peer.startsWith("raw watch") ? ` stroke-dasharray="4 3"` : "";
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${x(sorted[0]).toFixed(1)},${y(0)} ${
          points.join(" ")
        }"/>`,
      );
      const ly = y0 + 14 + legend++ * 18;
      parts.push(
        `<line x1="${width - right + 10}" x2="${width - right + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" ` +
          `stroke-width="2"${dash}/>`,
      );
      parts.push(
        `<text x="${width - right + 36}" y="${ly}">${peer} (p99 ${fmt(percentile(sorted, 0.99), 1)})</text>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/**
 * Writes the chart, the results JSON and (unless disabled) the README table.
 *
 * @param results What was measured.
 * @param options `readme: false` prints the table instead of writing it.
 * @returns The paths written.
 */
export async function writeOutputs(results: BenchResults, options: { readme: boolean }): Promise<string[]> {
  const written: string[] = [];
  const table = renderTable(results);
  if (Object.keys(results.latency).length > 0) {
    await Deno.writeTextFile(SVG, renderSvg(results));
    written.push("scripts/bench/latency.svg");
  }
  if (results.stall) {
    await Deno.writeTextFile(STALL_SVG, renderStallSvg(results.stall));
    written.push("scripts/bench/stall.svg");
  }
  await Deno.writeTextFile(JSON_FILE, JSON.stringify(results) + "\n");
  written.push("scripts/bench/results.json");
  // `deno fmt --check` covers scripts/: leave the generated files formatted.
  await new Deno.Command(new URL("node_modules/.bin/deno", ROOT).pathname, {
    args: ["fmt", "--quiet", ...written],
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).output();
  console.log(table);
  if (!options.readme) return written;
  const readme = await Deno.readTextFile(README);
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) {
    throw new Error(`Cannot update README.md: the markers ${START} and ${END} are missing`);
  }
  await Deno.writeTextFile(README, `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`);
  written.push("README.md");
  return written;
}
