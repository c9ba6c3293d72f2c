/**
 * Watch-only burst: one Service of 5,000 endpoints in 50 slices, 300 updates
 * written back to back (each replaces one slice's 100 addresses, as a
 * rollout does), and how long after the last write each client shows the
 * final state: ours (`watchEndpoints`) on Deno, Bun and Node reading
 * protobuf (the default) with three consumers (one that walks every snapshot,
 * one that does nothing with it, one slower than the stream) and JSON
 * (`protobuf: false`) with the walking one, the raw watch on each runtime in
 * both wire formats and client-node's informer (JSON). Also the snapshots the
 * consumer received per burst (coalescing) and the client's CPU time per
 * update written.
 *
 * Each client runs alone against its own Service on the in-process fake
 * server: one warm-up burst, then {@linkcode BURSTS} measured ones.
 *
 * @module
 */

import type { Backend, BenchEndpoint } from "./backends.ts";
import { type PeerName, startClient } from "./clients.ts";

/** Measured bursts per client, after one warm-up burst. */
const BURSTS = 7;
const SLICES = 50;
const PER_SLICE = 100;
const UPDATES = 300;
/**
 * Address sets a slice goes through, one per update: a burst writes each slice UPDATES / SLICES = 6 times, so with 7
 * sets it ends every slice on addresses it did not start the burst with, as a rollout does (with 2, as before
 * 2026-12-05 20:00 UTC, 49 of 50 slices ended as they started and a client could reuse what it had decoded).
 */
const ADDRESS_SETS = 7;
/** Busy time per snapshot of the slow consumer, in ms: several times what an event costs to decode and select. */
const SLOW_CONSUMER_MS = 5;

/** What a client's consumer does with each snapshot (ours only): see `client.mjs`. */
export type Consumer = "walk" | "idle" | "slow";

/** The wire format a client asks the API server for: ours by its `protobuf` setting, the raw watch by `Accept`. */
export type Encoding = "protobuf" | "json";

/** One client's bursts; every array holds one value per measured burst. */
export interface BurstRun {
  peer: PeerName;
  consumer?: Consumer;
  /** The wire format asked for (absent in results saved before protobuf: JSON). */
  encoding?: Encoding;
  /** From the last write's acceptance to the client showing its state, in ms. */
  lagMs: number[];
  /** Snapshots (ours) or handler calls (client-node) per burst; absent for the raw watch, which sees every event. */
  snapshots?: number[];
  /** The client's CPU time over the burst divided by the updates written, in ms. */
  cpuMsPerUpdate: number[];
  /** Measured bursts whose last update the client did not show within 10 s. */
  missed: number;
  error?: string;
}

/** What the watch-only burst measured. */
export interface BurstResults {
  endpoints: number;
  slices: number;
  updates: number;
  bursts: number;
  slowConsumerMs: number;
  runs: BurstRun[];
}

const CLIENTS: { peer: PeerName; consumer?: Consumer; encoding: Encoding }[] = [
  ...(["Deno", "Bun", "Node"] as const).flatMap((runtime) => [
    { peer: `ours (${runtime})` as PeerName, consumer: "walk" as const, encoding: "protobuf" as const },
    { peer: `ours (${runtime})` as PeerName, consumer: "idle" as const, encoding: "protobuf" as const },
    { peer: `ours (${runtime})` as PeerName, consumer: "slow" as const, encoding: "protobuf" as const },
    { peer: `ours (${runtime})` as PeerName, consumer: "walk" as const, encoding: "json" as const },
    { peer: `raw watch (${runtime})` as PeerName, encoding: "protobuf" as const },
    { peer: `raw watch (${runtime})` as PeerName, encoding: "json" as const },
  ]),
  { peer: "client-node informer", encoding: "json" },
];

/**
 * The 100 endpoints of slice `s` in one of {@linkcode ADDRESS_SETS} address sets (by `generation`); a marker replaces
 * the first.
 */
function sliceEndpoints(s: number, generation: number, marker?: string): BenchEndpoint[] {
  const set = generation % ADDRESS_SETS;
  return Array.from({ length: PER_SLICE }, (_, e) => ({
    ip: e === 0 && marker
      ? marker
      : `10.${40 + set * 25 + Math.floor(s / 10)}.${(s % 10) * 25 + Math.floor(e / 4)}.${(e % 4) + 1}`,
    pod: `burst-${s}-${e}-${set}`,
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs every client of the watch-only burst, one at a time.
 *
 * @param backend The fake API server (writes must not yield between them).
 * @param nextMarker A fresh marker address (the prefix the clients look for).
 * @param log Progress lines.
 * @returns What was measured.
 */
export async function burstSection(
  backend: Backend,
  nextMarker: () => string,
  log: (line: string) => void,
): Promise<BurstResults> {
  const runs: BurstRun[] = [];
  for (const [index, { peer, consumer, encoding }] of CLIENTS.entries()) {
    const run: BurstRun = { peer, consumer, encoding, lagMs: [], cpuMsPerUpdate: [], missed: 0 };
    if (!peer.startsWith("raw")) run.snapshots = [];
    runs.push(run);
    try {
      await measureClient(backend, `burst-${index}`, run, nextMarker);
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      log(
        `burst ${peer} ${encoding}${consumer ? ` (${consumer} consumer)` : ""}: lag ${
          median(run.lagMs)?.toFixed(0)
        } ms, ` +
          `${run.snapshots ? `${median(run.snapshots)} snapshots, ` : ""}` +
          `${median(run.cpuMsPerUpdate)?.toFixed(2)} ms CPU per update` + (run.missed ? `, ${run.missed} missed` : ""),
      );
    } catch (error) {
      run.error = String((error as Error).message).split("\n")[0];
      log(`burst ${peer} ${encoding} failed: ${error}`);
    }
  }
  return {
    endpoints: SLICES * PER_SLICE,
    slices: SLICES,
    updates: UPDATES,
    bursts: BURSTS,
    slowConsumerMs: SLOW_CONSUMER_MS,
    runs,
  };
}

async function measureClient(
  backend: Backend,
  service: string,
  run: BurstRun,
  nextMarker: () => string,
): Promise<void> {
  const name = (s: number) => `${service}-${String(s).padStart(2, "0")}`;
  const generations = new Array<number>(SLICES).fill(0);
  for (let s = 0; s < SLICES; s++) await backend.writeSlice(service, name(s), sliceEndpoints(s, 0));
  const ours = run.peer.startsWith("ours");
  const client = startClient(run.peer, {
    server: backend.server,
    namespace: backend.namespace,
    services: [service],
    expect: SLICES * PER_SLICE,
    fake: true,
    consumer: run.consumer,
    consumerMs: SLOW_CONSUMER_MS,
    ...(ours ? { protobuf: run.encoding === "protobuf" } : { encoding: run.encoding }),
  });
  try {
    await client.waitForFirst(120_000);
    await sleep(500);
    // Each burst starts on the slice that holds the previous burst's marker, so that at most one
    // marker is ever in the state (a walking consumer prints every marker it sees).
    let next = 0;
    for (let burst = 0; burst <= BURSTS; burst++) {
      const from = client.updates.length;
      const cpuBefore = await client.cpuMs();
      const marker = nextMarker();
      const writes = [];
      for (let i = 0; i < UPDATES; i++) {
        const s = (next + i) % SLICES;
        writes.push(
          backend.writeSlice(
            service,
            name(s),
            sliceEndpoints(s, ++generations[s], i === UPDATES - 1 ? marker : undefined),
          ),
        );
      }
      next = (next + UPDATES - 1) % SLICES;
      // The fake server applies each write at once: all 300 are in the watch stream before anything is sent.
      const last = (await Promise.all(writes)).at(-1)!;
      const seen = ours
        ? (await client.waitForUpdate(from, (u) => Number(u.resourceVersion) >= Number(last.resourceVersion), 10_000))
          ?.at
        : await client.waitForMarker(marker, 10_000);
      await sleep(300);
      if (burst === 0) continue;
      if (seen === undefined) {
        run.missed++;
        continue;
      }
      run.lagMs.push(seen - last.accepted);
      run.snapshots?.push(client.updates.length - from);
      run.cpuMsPerUpdate.push(((await client.cpuMs()) - cpuBefore) / UPDATES);
    }
  } finally {
    await client.stop();
  }
}
