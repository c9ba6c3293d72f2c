/**
 * `deno task bench`: our resolver side by side with its peers on one machine,
 * then the README table and `scripts/bench/latency.svg` regenerated.
 *
 * 1. Propagation latency: EndpointSlice write accepted → update observed, per
 *    client process, against the fake server and the local control plane.
 * 2. Decode throughput of a recorded stream of 100-endpoint slices.
 * 3. Scale: 1,000 subscribers over 50 services; one service of 5,000
 *    endpoints in 50 slices.
 * 4. API load under endpoint churn with 5 kube-apiserver restarts.
 * 5. Burst: the watch-only lag after 300 back-to-back updates of 5,000 endpoints,
 *    ours and the raw watch each in protobuf and in JSON (`bench/burst.ts`), and the grpc-js event-loop stall at 1,000 and 5,000
 *    endpoints per load-balancing policy (`bench/stall.ts`).
 * 6. WatchList: requests, bytes and time to first resolution with kube-apiserver's
 *    streaming lists on and off (`bench/watchlist.ts`).
 *
 * Scale clients are measured one at a time (the machine has 2 cores; the 5,000-endpoint ones are warmed up
 * together, each on its own Service); latency clients
 * run side by side, each on its own Service, warmed up together, then measured
 * with updates interleaved so that only one client is woken at a time; in the churn run the three watch the
 * same Service side by side. Endpoint
 * addresses are 10.x and never dialed: every client only watches.
 *
 * Flags: `deno task bench --help` (`bench/flags.ts`). A run of some sections keeps the others' saved results.
 *
 * @module
 */

import { type Backend, type BenchEndpoint, startFakeBackend, startRealBackend } from "./bench/backends.ts";
import { buildGoHarness, type PeerName, PEERS, type RunningClient, startClient } from "./bench/clients.ts";
import type { LatencyRun } from "./bench/core_tables.ts";
import {
  type BenchResults,
  machineDescription,
  mergeProblem,
  mergeSaved,
  protobufPartsOf,
  writeOutputs,
} from "./bench/report.ts";
import { burstSection } from "./bench/burst.ts";
import { stallSection } from "./bench/stall.ts";
import { watchListSection } from "./bench/watchlist.ts";
import { cpuSpent, readThreadCpu, spreadOf } from "./bench/thread_cpu.ts";
import { ALL_SECTIONS, type BenchFlags, parseBenchFlags, USAGE } from "./bench/flags.ts";
import { preflightProblem, sectionsNeedingGo } from "./bench/preflight.ts";
import { childEnv } from "../tests/_child_env.mjs";

let flags: BenchFlags;
try {
  flags = parseBenchFlags(Deno.args);
} catch (error) {
  console.error(`Cannot run the benchmark: ${(error as Error).message}; see \`deno task bench --help\``);
  Deno.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const UPDATES = flags.updates;
const CHURN_MINUTES = flags.churnMinutes;
const ONLY = flags.only;
const WARMUP = flags.warmup;
/**
 * Unmeasured updates per client process in the 5,000-endpoint run, all processes at once: about 300 take Deno's
 * CPU per update to where it stays, and 500 keep the full run under 10 minutes (13 processes, 20 ms a step).
 */
const BIG_WARMUP = 500;
/** Client processes per peer in the 5,000-endpoint run; the median window of all of them is reported. */
const BIG_ROUNDS = flags.bigRounds;
/**
 * Measured windows per process and updates per window in the 5,000-endpoint run (200 updates per process, as
 * before windows): one window moves by 30% and more from the next (V8's and JavaScriptCore's helper threads, GC
 * and compilers, land in some windows and not others), so a peer's figure is the median of its 15 windows.
 */
const BIG_WINDOWS = 5;
const BIG_WINDOW = 40;
/** Unmeasured updates before each window (see `measureWindow`). */
const BIG_LEAD_IN = 5;
const SERVERS = flags.servers;
const STALL_ENDPOINTS = flags.stallEndpoints;
const ROOT = new URL("../", import.meta.url);
const began = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let markerCount = 0;
/** A fresh marker address (10.200.x.y), never dialed. */
function nextMarker(): string {
  const n = markerCount++;
  return `10.200.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

const results: BenchResults = {
  machine: "",
  protobufParts: protobufPartsOf(ONLY, SERVERS),
  updates: UPDATES,
  warmup: WARMUP,
  churnMinutes: CHURN_MINUTES,
  latency: {},
  decode: [],
  scale: [],
  big: [],
  churn: [],
  totalSeconds: 0,
};

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, {
    env: childEnv(),
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`Cannot run ${command} ${args.join(" ")}: exit ${output.code}`);
  return new TextDecoder().decode(output.stdout);
}

/**
 * Propagation latency of every client, interleaved so that slow moments of the machine hit
 * all of them alike: each client watches its own Service, and each round writes one
 * update per client in turn, waiting until that client saw it before the next write.
 */
async function latencySection(backend: Backend): Promise<void> {
  const token = await backend.readerToken("bench-latency");
  const fixed: BenchEndpoint = { ip: "10.0.0.1", pod: "fixed" };
  const runs = new Map<PeerName, { service: string; client?: RunningClient; run: LatencyRun }>();
  const write = (service: string, marker: string) =>
    backend.writeSlice(service, `${service}-a`, [fixed, { ip: marker, pod: "moving" }]);
  try {
    for (const [i, peer] of PEERS.entries()) {
      const service = `lat-${backend.kind}-${i}`;
      await write(service, nextMarker());
      const client = startClient(peer, {
        server: backend.server,
        token,
        caFile: backend.caFile,
        namespace: backend.namespace,
        services: [service],
        fake: backend.kind === "fake",
      });
      runs.set(peer, { service, client, run: { samples: [], fromAccepted: [], missed: 0 } });
    }
    for (const [peer, entry] of runs) {
      try {
        await entry.client!.waitForFirst(60_000);
      } catch (error) {
        entry.run.error = String((error as Error).message).split("\n")[0];
        log(`latency ${backend.kind} ${peer} failed: ${error}`);
        await entry.client!.stop();
        entry.client = undefined;
      }
    }
    // Warm-up, every client at once: JavaScript clients reach steady state (optimized
    // code) only after hundreds of updates, and a resolver runs for days.
    const live = [...runs.values()].filter((entry) => entry.client);
    for (let i = 0; i < WARMUP; i++) {
      await Promise.all(live.map(async ({ service, client }) => {
        const marker = nextMarker();
        await write(service, marker);
        await client!.waitForMarker(marker, 5000);
      }));
    }
    for (let i = 0; i < UPDATES; i++) {
      for (const { service, client, run } of live) {
        const marker = nextMarker();
        const { sent, accepted } = await write(service, marker);
        const seen = await client!.waitForMarker(marker, 5000);
        if (seen === undefined) {
          run.missed++;
        } else {
          run.samples.push(seen - sent);
          run.fromAccepted.push(seen - accepted);
        }
        await sleep(5 + (i % 7));
      }
    }
  } finally {
    await Promise.all([...runs.values()].map((entry) => entry.client?.stop()));
  }
  const byPeer: Record<string, LatencyRun> = {};
  for (const [peer, { run }] of runs) {
    byPeer[peer] = run;
    if (run.samples.length === 0) {
      run.error ??= "no update observed";
      continue;
    }
    const sorted = [...run.samples].sort((a, b) => a - b);
    log(
      `latency ${backend.kind} ${peer}: p50 ${percentile(sorted, 0.5).toFixed(2)} ms, ` +
        `p99 ${percentile(sorted, 0.99).toFixed(2)} ms, ${run.missed} missed`,
    );
  }
  results.latency[backend.kind] = byPeer;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function decodeSection(): Promise<void> {
  for (
    const [runtime, command, args] of [
      ["Deno", `${ROOT.pathname}node_modules/.bin/deno`, ["run", "-A", "--no-lock", "scripts/bench/decode.mjs"]],
      ["Bun", `${ROOT.pathname}node_modules/.bin/bun`, ["scripts/bench/decode.mjs"]],
      ["Node", "node", ["scripts/bench/decode.mjs"]],
    ] as const
  ) {
    try {
      const parsed = JSON.parse(await run(command, [...args, "1000", "16384", "7"]));
      results.decode.push(parsed);
      const r = parsed.results;
      log(
        `decode ${runtime}: ours ${r.ours.mbPerSecond.toFixed(0)} MB/s, client-node ${
          r["client-node"].mbPerSecond.toFixed(0)
        } MB/s, JSON.parse ${r["JSON.parse"].mbPerSecond.toFixed(0)} MB/s`,
      );
    } catch (error) {
      log(`decode ${runtime} failed: ${error}`);
    }
  }
}

const SCALE_PEERS: PeerName[] = [
  "ours (Deno)",
  "ours (Bun)",
  "ours (Node)",
  "kuberesolver (Go)",
  "client-node informer",
];

async function scaleSection(backend: Backend): Promise<void> {
  const fake = backend.fake!;
  const services = Array.from({ length: 50 }, (_, i) => `scale-${String(i).padStart(2, "0")}`);
  for (const [i, service] of services.entries()) {
    await backend.writeSlice(
      service,
      `${service}-a`,
      [0, 1, 2].map((e) => ({ ip: `10.10.${i}.${e + 1}`, pod: `p${e}` })),
    );
  }
  for (const peer of SCALE_PEERS) {
    const from = fake.requests.length;
    const client = startClient(peer, {
      server: backend.server,
      namespace: backend.namespace,
      services,
      perService: 20,
      fake: true,
    });
    try {
      const firstMs = await client.waitForFirst(120_000);
      await sleep(1500);
      const requests = fake.requests.slice(from);
      const entry = {
        peer,
        subscribers: 1000,
        services: 50,
        firstMs,
        rssBytes: await client.rssBytes(),
        watches: requests.filter((request) => request.kind === "watch").length,
        lists: requests.filter((request) => request.kind === "list").length,
      };
      results.scale.push(entry);
      log(
        `scale ${peer}: first ${firstMs.toFixed(0)} ms, ${(entry.rssBytes / 2 ** 20).toFixed(0)} MiB, ` +
          `${entry.watches} watches, ${entry.lists} lists`,
      );
    } catch (error) {
      results.scale.push({ peer, error: String((error as Error).message).split("\n")[0] });
      log(`scale ${peer} failed: ${error}`);
    } finally {
      await client.stop();
    }
  }
  await bigServiceSection(backend);
}

async function bigServiceSection(backend: Backend): Promise<void> {
  const sliceEndpoints = (s: number, first?: string) =>
    Array.from({ length: 100 }, (_, e) => ({
      ip: e === 0 && first ? first : `10.${20 + Math.floor(s / 10)}.${s % 10 * 25 + Math.floor(e / 4)}.${e % 4 + 1}`,
      pod: `big-${s}-${e}`,
    }));
  type BigRun = BenchResults["big"][number];
  /** A client process on a Service of its own, with what its start measured. */
  interface BigClient {
    peer: PeerName;
    service: string;
    client: RunningClient;
    run: BigRun;
  }
  const writeUpdate = async ({ service, client }: BigClient) => {
    const marker = nextMarker();
    const { sent } = await backend.writeSlice(service, `${service}-00`, sliceEndpoints(0, marker));
    const seen = await client.waitForMarker(marker, 5000);
    return seen === undefined ? undefined : seen - sent;
  };
  const start = async (peer: PeerName, service: string): Promise<BigClient | BigRun> => {
    for (let s = 0; s < 50; s++) {
      await backend.writeSlice(service, `${service}-${String(s).padStart(2, "0")}`, sliceEndpoints(s));
    }
    const client = startClient(peer, {
      server: backend.server,
      namespace: backend.namespace,
      services: [service],
      expect: peer === "kuberesolver (Go)" ? 1 : 5000,
      fake: true,
    });
    try {
      const firstMs = await client.waitForFirst(120_000);
      await sleep(1000);
      const rssBytes = await client.rssBytes();
      log(`5000 endpoints ${peer}: first ${firstMs.toFixed(0)} ms, ${(rssBytes / 2 ** 20).toFixed(0)} MiB`);
      return { peer, service, client, run: { peer, firstMs, rssBytes } };
    } catch (error) {
      log(`5000 endpoints ${peer} failed: ${error}`);
      await client.stop();
      return { peer, error: String((error as Error).message).split("\n")[0] };
    }
  };
  /** Every measured window's CPU per update (all threads, and the main one), and the latencies, by process. */
  const windows = new Map<BigClient, { totalMs: number[]; mainMs: number[]; latencies: number[] }>();
  /** Processes that failed while measured, with why. */
  const failed = new Map<BigClient, string>();
  const measureWindow = async (entry: BigClient) => {
    const figures = windows.get(entry) ?? { totalMs: [], mainMs: [], latencies: [] };
    windows.set(entry, figures);
    // A few unmeasured updates first: the process sat idle while the others were measured, and what V8 does
    // after a pause (its memory reducer's full GC) belongs to the pause, not to the updates.
    for (let i = 0; i < BIG_LEAD_IN; i++) await writeUpdate(entry);
    await sleep(20);
    const before = await readThreadCpu(entry.client.pid);
    for (let i = 0; i < BIG_WINDOW; i++) {
      const latency = await writeUpdate(entry);
      if (latency !== undefined) figures.latencies.push(latency);
      await sleep(20);
    }
    const spent = cpuSpent(before, await readThreadCpu(entry.client.pid));
    figures.totalMs.push(spent.totalMs / BIG_WINDOW);
    if (spent.mainMs !== undefined) figures.mainMs.push(spent.mainMs / BIG_WINDOW);
  };
  /** A peer's figures from the windows of all its processes. */
  const summarize = (peer: PeerName, list: (BigClient | BigRun)[]): BigRun => {
    const isMeasured = (entry: BigClient | BigRun): entry is BigClient => "client" in entry && !failed.has(entry);
    const measured = list.filter(isMeasured);
    if (measured.length === 0) {
      const error = list.map((entry) => "client" in entry ? failed.get(entry) : entry.error).find(Boolean);
      return { peer, error: error ?? "no process measured" };
    }
    const all = measured.map((entry) => windows.get(entry)!);
    const cpu = spreadOf(all.flatMap((figures) => figures.totalMs));
    const main = all.some((figures) => figures.mainMs.length) ? spreadOf(all.flatMap((f) => f.mainMs)) : undefined;
    const latencies = all.flatMap((figures) => figures.latencies).sort((a, b) => a - b);
    const last = measured.at(-1)!;
    const run: BigRun = {
      // First resolution and RSS: the process of median first resolution.
      ...[...measured].sort((a, b) => a.run.firstMs! - b.run.firstMs!)[Math.floor((measured.length - 1) / 2)].run,
      cpuMsPerUpdate: cpu.median,
      cpuMsPerUpdateSpread: [cpu.p25, cpu.p75],
      cpuWindows: all.reduce((sum, figures) => sum + figures.totalMs.length, 0),
      cpuWindowUpdates: BIG_WINDOW,
      ...(main ? { mainThreadMsPerUpdate: main.median } : {}),
      cpuMsPerUpdateRuns: list.map((entry) => isMeasured(entry) ? spreadOf(windows.get(entry)!.totalMs).median : null),
      p50: percentile(latencies, 0.5),
      observed: latencies.length,
      endpointsSeen: last.client.updates.at(-1)?.count ?? 0,
    };
    log(
      `5000 endpoints ${peer}: ${cpu.median.toFixed(2)} ms CPU/update (quartiles ${cpu.p25.toFixed(2)}–` +
        `${cpu.p75.toFixed(2)} over ${run.cpuWindows} windows of ${BIG_WINDOW}; main thread ` +
        `${main?.median.toFixed(2) ?? "?"}), by process ${
          run.cpuMsPerUpdateRuns!.map((value) => value?.toFixed(2) ?? "failed").join(", ")
        }, p50 ${run.p50?.toFixed(2)} ms`,
    );
    return run;
  };
  // Each peer runs BIG_ROUNDS processes, each on a Service of its own, started one at a time (first resolution and
  // RSS), the peers' order reversed every round so that a slow stretch of the machine hits all of them alike; a
  // process's JIT can settle differently from the next one's (a consumer loop V8 deoptimized early can stay
  // unoptimized for the whole run), so one process per peer is not enough.
  const order: PeerName[] = [];
  for (let round = 0; round < BIG_ROUNDS; round++) {
    for (const peer of round % 2 === 0 ? SCALE_PEERS : SCALE_PEERS.toReversed()) {
      // The Go original is measured once: compiled ahead of time, its windows vary least of all, and
      // its time keeps the full run under 10 minutes.
      if (peer === "kuberesolver (Go)" && round > 0) continue;
      order.push(peer);
    }
  }
  const started: (BigClient | BigRun)[] = [];
  try {
    for (const [index, peer] of order.entries()) started.push(await start(peer, `big-${index}`));
    const live = started.filter((entry): entry is BigClient => "client" in entry);
    // Warm-up, every process at once, one update each per step: JavaScript clients reach steady state (optimized
    // code) only after hundreds of updates (V8 optimizes our selection at about the 70th, and the CPU per update
    // of every JavaScript client here still falls after 200), and a resolver runs for days.
    for (let i = 0; i < BIG_WARMUP; i++) await Promise.all(live.map(writeUpdate));
    // The windows interleaved: every process in turn, the order reversed each round, so that a slow stretch of the
    // machine (its load moves the CPU per update by 2x and more) hits every peer alike.
    for (let round = 0; round < BIG_WINDOWS; round++) {
      for (const entry of round % 2 === 0 ? live : live.toReversed()) {
        if (failed.has(entry)) continue;
        try {
          await measureWindow(entry);
        } catch (error) {
          log(`5000 endpoints ${entry.peer} failed: ${error}`);
          failed.set(entry, String((error as Error).message).split("\n")[0]);
        }
      }
    }
  } finally {
    await Promise.all(started.map((entry) => "client" in entry ? entry.client.stop() : undefined));
  }
  for (const peer of SCALE_PEERS) {
    results.big.push(summarize(peer, started.filter((_, index) => order[index] === peer)));
  }
}

const CHURN_PEERS: PeerName[] = ["ours (Deno)", "kuberesolver (Go)", "client-node informer"];

async function churnSection(backend: Backend): Promise<void> {
  const controlPlane = backend.controlPlane!;
  const service = "churn";
  const endpoints = (round: number) =>
    Array.from({ length: 5 }, (_, e) => ({ ip: `10.30.${round % 200}.${e + 1}`, pod: `churn-${round}-${e}` }));
  await backend.writeSlice(service, "churn-a", endpoints(0));
  const users = new Map<string, PeerName>();
  const clients = [];
  for (const [i, peer] of CHURN_PEERS.entries()) {
    const name = `bench-churn-${i}`;
    const token = await backend.readerToken(name);
    users.set(`system:serviceaccount:${backend.namespace}:${name}`, peer);
    clients.push(startClient(peer, {
      server: backend.server,
      token,
      caFile: backend.caFile,
      namespace: backend.namespace,
      services: [service],
      fake: false,
    }));
  }
  const startedAt = Date.now();
  const durationMs = CHURN_MINUTES * 60_000;
  const restartAt = [1, 2, 3, 4, 5].map((k) => startedAt + (durationMs * k) / 6);
  let round = 0;
  let writes = 0;
  let restarts = 0;
  try {
    await Promise.all(clients.map((client) => client.waitForFirst(60_000)));
    while (Date.now() - startedAt < durationMs) {
      if (restarts < restartAt.length && Date.now() >= restartAt[restarts]) {
        restarts++;
        log(`churn: restarting kube-apiserver (${restarts} of 5)`);
        await controlPlane.stopApiServer(3000);
        await controlPlane.startApiServer();
        continue;
      }
      try {
        await backend.writeSlice(service, "churn-a", endpoints(++round));
        writes++;
      } catch {
        // The API server is restarting.
      }
      await sleep(1000);
    }
    await sleep(3000);
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
  }
  const minutes = (Date.now() - startedAt) / 60_000;
  const events = await controlPlane.auditEvents();
  const counts = new Map<
    PeerName,
    { requests: Set<string>; lists: Set<string>; watches: Set<string>; fullState: Set<string>; gone: number }
  >();
  for (const peer of CHURN_PEERS) {
    counts.set(peer, { requests: new Set(), lists: new Set(), watches: new Set(), fullState: new Set(), gone: 0 });
  }
  for (const event of events) {
    const peer = users.get(event.user.username);
    if (!peer) continue;
    const count = counts.get(peer)!;
    if (count.requests.has(event.auditID) && event.stage !== "ResponseComplete") continue;
    count.requests.add(event.auditID);
    if (event.verb === "list") count.lists.add(event.auditID);
    if (event.verb === "watch") count.watches.add(event.auditID);
    // A LIST, a watch without a resourceVersion, and a streaming list (a watch with sendInitialEvents=true,
    // whatever its resourceVersion) replay every slice: each reads the whole state.
    const query = new URL(event.requestURI, "https://audit.invalid").searchParams;
    const streamingList = query.get("sendInitialEvents") === "true";
    if (event.verb === "list" || !query.get("resourceVersion") || streamingList) count.fullState.add(event.auditID);
    if (event.stage === "ResponseComplete" && event.responseStatus?.code === 410) count.gone++;
  }
  for (const [peer, count] of counts) {
    const entry = {
      peer,
      minutes,
      restarts,
      writes,
      requests: count.requests.size,
      requestsPerMinute: count.requests.size / minutes,
      lists: count.lists.size,
      watches: count.watches.size,
      fullStateReads: count.fullState.size,
    };
    results.churn.push(entry);
    log(
      `churn ${peer}: ${entry.requests} requests (${entry.requestsPerMinute.toFixed(1)}/min), ` +
        `${entry.lists} LISTs, ${entry.watches} watches, ${entry.fullStateReads} full-state reads`,
    );
  }
}

async function main(): Promise<void> {
  const complete = ALL_SECTIONS.every((section) => ONLY.has(section)) && SERVERS.has("fake") && SERVERS.has("real");
  const saved = complete ? undefined : await readSaved();
  // Before measuring anything: a run that cannot be merged with the saved results, or that stops for want of Go
  // or of the control plane's binaries, would be lost.
  const problem = (saved && mergeProblem(results, saved, ONLY, SERVERS)) || await preflightProblem(ONLY, SERVERS);
  if (problem) {
    console.error(problem);
    Deno.exit(2);
  }
  results.machine = await machineDescription();
  log(results.machine);
  const withGo = sectionsNeedingGo(ONLY).length > 0;
  log(`building: npm run build (Node and Bun import dist/)${withGo ? ", Go harness" : ""}`);
  await run("npm", ["run", "--silent", "build"]);
  if (withGo) await buildGoHarness();

  if (ONLY.has("decode")) await decodeSection();
  if (ONLY.has("latency") || ONLY.has("scale") || ONLY.has("burst")) {
    const fake = await startFakeBackend();
    try {
      if (ONLY.has("latency") && SERVERS.has("fake")) await latencySection(fake);
      if (ONLY.has("scale")) await scaleSection(fake);
      if (ONLY.has("burst")) {
        results.burst = await burstSection(fake, nextMarker, log);
        results.stall = await stallSection(fake.fake!, fake.namespace, STALL_ENDPOINTS, log);
      }
    } finally {
      await fake.stop();
    }
  }
  if ((ONLY.has("latency") && SERVERS.has("real")) || ONLY.has("churn") || ONLY.has("watchlist")) {
    log("starting the local control plane");
    const real = await startRealBackend(log);
    try {
      if (ONLY.has("latency") && SERVERS.has("real")) await latencySection(real);
      if (ONLY.has("churn")) await churnSection(real);
      if (ONLY.has("watchlist")) results.watchlist = await watchListSection(real, log);
    } finally {
      await real.stop();
    }
  }
  results.totalSeconds = (Date.now() - began) / 1000;
  log(`measured in ${results.totalSeconds.toFixed(0)} s`);
  const written = await writeOutputs(saved ? mergeSaved(results, saved, ONLY, SERVERS) : results, {
    readme: !flags.noReadme,
  });
  log(`done in ${results.totalSeconds.toFixed(0)} s; wrote ${written.join(", ")}`);
}

async function readSaved(): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL("bench/results.json", import.meta.url))) as BenchResults;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

if (flags.reportOnly) {
  const saved = await readSaved();
  if (!saved) {
    throw new Error("Cannot rewrite the report: scripts/bench/results.json is missing: run `deno task bench` first");
  }
  await writeOutputs(saved, { readme: !flags.noReadme });
} else {
  await main();
}
