/**
 * Turns the benchmark results into the README tables (between
 * `<!-- bench:start -->` and `<!-- bench:end -->`), an SVG chart of the
 * latency distributions and `scripts/bench/results.json`.
 *
 * @module
 */

import { cpus } from "node:os";
import type { BurstResults } from "./burst.ts";
import { type CoreResults, coreTables, percentile } from "./core_tables.ts";
import { largeServiceTables } from "./large_tables.ts";
import { renderStallSvg } from "./stall_chart.ts";
import type { StallResults } from "./stall.ts";
import type { WatchListResults } from "./watchlist.ts";
import { childEnv } from "../../tests/_child_env.mjs";

const ROOT = new URL("../../", import.meta.url);
const README = new URL("README.md", ROOT);
const SVG = new URL("scripts/bench/latency.svg", ROOT);
const STALL_SVG = new URL("scripts/bench/stall.svg", ROOT);
const JSON_FILE = new URL("scripts/bench/results.json", ROOT);
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Everything `scripts/bench.ts` measured. */
export interface BenchResults extends CoreResults {
  machine: string;
  /** The watch-only burst (absent in results saved before it existed). */
  burst?: BurstResults;
  /** The grpc-js event-loop stall. */
  stall?: StallResults;
  /** Streaming lists against kube-apiserver. */
  watchlist?: WatchListResults;
  totalSeconds: number;
  /**
   * The parts a later run of some sections measured on another machine or other runtime versions than
   * `machine` (a key of {@linkcode PART_NAMES} → that run's machine); absent when every part was measured on
   * `machine`.
   */
  partMachines?: Record<string, string>;
}

/** The parts of the results a run of some sections replaces, as the README's first line names them. */
const PART_NAMES: Record<string, string> = {
  "latency fake": "latency on the fake server",
  "latency real": "latency on kube-apiserver",
  decode: "decoding",
  scale: "1,000 subscribers and 5,000 endpoints",
  churn: "API load",
  burst: "burst and grpc-js stall",
  watchlist: "streaming lists",
};

/** The parts a run of `only` (latency against `servers`) measures: keys of {@linkcode PART_NAMES}. */
function partsOf(only: Set<string>, servers: Set<string>): string[] {
  return Object.keys(PART_NAMES).filter((part) => {
    const [section, server] = part.split(" ");
    return only.has(section) && (server === undefined || servers.has(server));
  });
}

/**
 * The parts a run of `only` (latency against `servers`) measures with ours at its default, protobuf:
 * see `CoreResults.protobufParts` (decoding has no wire; the burst records each client's).
 *
 * @param only The sections the run measures.
 * @param servers The servers latency is measured against.
 * @returns Keys of {@linkcode PART_NAMES}.
 */
export function protobufPartsOf(only: Set<string>, servers: Set<string>): string[] {
  return partsOf(only, servers).filter((part) => part !== "decode" && part !== "burst");
}

/**
 * Why this run's results cannot be completed with the saved ones, or undefined when they can: the latency
 * table gives one count of updates and warm-up updates for both servers, so a latency run of one server
 * that keeps the other's saved column must use the saved counts.
 *
 * @param counts This run's latency updates and warm-up updates per client.
 * @param saved The results saved by an earlier run.
 * @param only The sections this run measures.
 * @param servers The servers latency is measured against.
 * @returns What is wrong and what to do, or undefined.
 */
export function mergeProblem(
  counts: { updates: number; warmup?: number },
  saved: BenchResults,
  only: Set<string>,
  servers: Set<string>,
): string | undefined {
  if (!only.has("latency")) return undefined;
  const kept = ["fake", "real"].filter((kind) => !servers.has(kind) && saved.latency[kind]);
  const warmup = counts.warmup ?? 10, savedWarmup = saved.warmup ?? 10;
  if (kept.length === 0 || (counts.updates === saved.updates && warmup === savedWarmup)) return undefined;
  return `Cannot keep the saved ${kept.join(" and ")} latency results (${saved.updates} updates per client after ` +
    `${savedWarmup} warm-up ones) beside ${counts.updates} after ${warmup}: the table gives one count for both; ` +
    `run with --updates ${saved.updates} --warmup ${savedWarmup}, or with --servers fake,real`;
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
 * @throws When the two cannot share the tables (see {@linkcode mergeProblem}).
 */
export function mergeSaved(
  results: BenchResults,
  saved: BenchResults,
  only: Set<string>,
  servers: Set<string>,
): BenchResults {
  const problem = mergeProblem(results, saved, only, servers);
  if (problem !== undefined) throw new Error(problem);
  // The first line names the saved run's machine; parts measured elsewhere are named after it.
  const measured = partsOf(only, servers);
  const partMachines = { ...saved.partMachines };
  for (const part of measured) {
    if (results.machine === saved.machine) delete partMachines[part];
    else partMachines[part] = results.machine;
  }
  const protobufParts = [
    ...(saved.protobufParts ?? []).filter((part) => !measured.includes(part)),
    ...(results.protobufParts ?? []),
  ];
  const merged: BenchResults = {
    ...results,
    protobufParts,
    machine: saved.machine,
    totalSeconds: saved.totalSeconds,
    ...(Object.keys(partMachines).length > 0 ? { partMachines } : {}),
  };
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
    const output = await new Deno.Command(command, { env: childEnv(), args, stdout: "piped", stderr: "null" }).output();
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

const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** The README section body: where and how long it ran, then one table per question. */
export function renderTable(results: BenchResults): string {
  const elsewhere = new Map<string, string[]>();
  for (const [part, machine] of Object.entries(results.partMachines ?? {})) {
    elsewhere.set(machine, [...elsewhere.get(machine) ?? [], PART_NAMES[part] ?? part]);
  }
  const lines = [
    `Measured on a ${results.machine}; \`deno task bench\` took ${fmt(results.totalSeconds / 60, 1)} min.` +
    [...elsewhere].map(([machine, parts]) => ` Measured again later on a ${machine}: ${parts.join(", ")}.`).join(""),
    ...coreTables(results),
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

/**
 * `scripts/bench/latency.svg`: cumulative distributions of the propagation latency, one panel per server,
 * log-scaled time axis.
 *
 * @param results What was measured, with latency samples of at least one server.
 * @returns The SVG text.
 */
export function renderLatencySvg(results: BenchResults): string {
  const panels = (["fake", "real"] as const).filter((kind) => results.latency[kind]);
  const width = 850, panelHeight = 260, left = 60, right = 270, top = 40, bottom = 40;
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
        `<text x="${width - right + 36}" y="${ly}">${peer}: p99 ${fmt(percentile(sorted, 0.99), 1)} ms</text>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/**
 * Writes the charts, the results JSON and (unless disabled) the README tables.
 *
 * @param results What was measured.
 * @param options `readme: false` prints the table instead of writing it.
 * @returns The paths written.
 */
export async function writeOutputs(results: BenchResults, options: { readme: boolean }): Promise<string[]> {
  const written: string[] = [];
  const table = renderTable(results);
  if (Object.keys(results.latency).length > 0) {
    await Deno.writeTextFile(SVG, renderLatencySvg(results));
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
    env: childEnv(),
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
