/**
 * The grpc-js stall: how long a client's event loop stops while our resolver
 * feeds a channel 1,000 or 5,000 endpoints, at first resolution and through
 * a burst of 100 slice updates (each replaces one slice's 100 addresses),
 * with grpc-js's `round_robin`, our `kubernetes_round_robin`, and ours with
 * `subsetSize: 100`, on Deno, Bun and Node.
 *
 * Each client is its own process (`stall_client.mjs`) and runs alone; the
 * fake API server stays in this process, so its work never lands in the
 * client's heartbeat. Endpoints are loopback addresses on a port where
 * nothing listens (checked before the first run), so connections are
 * refused at once.
 *
 * @module
 */

import { endpointSlice, type FakeApiServer } from "../../testing.ts";
import { type Runtime, RUNTIMES, scriptCommand } from "./clients.ts";
import { childEnv } from "../../tests/_child_env.mjs";

/** The port of every endpoint: privileged, so no test of ours listens there; checked anyway. */
const STALL_PORT = 1;
const HEARTBEAT_MS = 20;
const BURST_UPDATES = 100;
/**
 * Windows long enough for the reconnect waves that follow (grpc-js backs off 1 s, then 1.6 s, 2.6 s, ...),
 * short enough that the 18 clients fit in the full run's 10 minutes.
 */
const FIRST_WINDOW_MS = 2500;
const BURST_WINDOW_MS = 5000;

/** A load-balancing setup of the channel. */
export interface StallPolicy {
  policy: "round_robin" | "kubernetes_round_robin";
  subsetSize?: number;
}

/** The policies measured, in table order. */
export const STALL_POLICIES: StallPolicy[] = [
  { policy: "round_robin" },
  { policy: "kubernetes_round_robin" },
  { policy: "kubernetes_round_robin", subsetSize: 100 },
];

/** What the heartbeat saw in one window (see `stall_client.mjs`). */
export interface StallWindow {
  /** The longest heartbeat gap minus the heartbeat period, in ms. */
  maxStallMs: number;
  /** When that stall ended, in ms from the window's start. */
  maxStallEndMs: number;
  /**
   * CPU time the client process used during that heartbeat gap (the stall and the heartbeat period), in ms
   * (every thread): about the stall or more when its own work stopped the loop, much less when the machine
   * did not run it (absent in older results).
   */
  maxStallCpuMs?: number;
  /**
   * How long the client's JavaScript thread ran during that heartbeat gap, in ms (Linux's
   * `/proc/thread-self/schedstat`; absent elsewhere and in older results): the loop's own work. The process's CPU
   * time above also counts the runtime's helper threads (the JIT compiler, the garbage collector's), which ran
   * beside the loop on another core.
   */
  maxStallRunMs?: number;
  /** How long that thread waited for a core during the gap, ready to run, in ms (as `maxStallRunMs`). */
  maxStallWaitMs?: number;
  /** Heartbeats more than 50 ms late. */
  stallsOver50: number;
  /** The lateness of those, summed, in ms. */
  stalledMs: number;
  cpuMs: number;
  wallMs: number;
  /** When the channel first reported TRANSIENT_FAILURE (every endpoint refused), in ms. */
  transientFailureMs?: number;
}

/** One client process: a runtime, a number of endpoints, a policy. */
export interface StallRun extends StallPolicy {
  runtime: Runtime;
  endpoints: number;
  first?: StallWindow;
  burst?: StallWindow;
  error?: string;
}

/** What the stall benchmark measured. */
export interface StallResults {
  heartbeatMs: number;
  burstUpdates: number;
  firstWindowMs: number;
  burstWindowMs: number;
  runs: StallRun[];
}

/** A name for a policy setup, as the tables and the chart show it. */
export function policyLabel({ policy, subsetSize }: StallPolicy): string {
  return subsetSize ? `${policy} + subsetSize ${subsetSize}` : policy;
}

/** Throws when anything listens on the stall port in this network namespace: the clients would reach it. */
async function checkPortIsClosed(): Promise<void> {
  const hex = STALL_PORT.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await Deno.readTextFile(table).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "0A" && local?.endsWith(`:${hex}`)) {
        throw new Error(
          `Cannot run the stall benchmark: a socket listens on port ${STALL_PORT} (${table}), ` +
            "and the clients must only meet refused connections: stop that listener",
        );
      }
    }
  }
}

/**
 * Runs every stall client, one at a time.
 *
 * @param fake The in-process fake API server.
 * @param namespace The namespace to write slices in.
 * @param endpointCounts Endpoints per Service (multiples of 100).
 * @param log Progress lines.
 * @returns What was measured.
 */
export async function stallSection(
  fake: FakeApiServer,
  namespace: string,
  endpointCounts: number[],
  log: (line: string) => void,
): Promise<StallResults> {
  await checkPortIsClosed();
  const runs: StallRun[] = [];
  let index = 0;
  for (const endpoints of endpointCounts) {
    for (const policy of STALL_POLICIES) {
      for (const runtime of RUNTIMES) {
        const run: StallRun = { runtime, endpoints, ...policy };
        runs.push(run);
        try {
          await measureStall(fake, namespace, `stall-${index++}`, run);
          log(
            `stall ${runtime} ${endpoints} endpoints ${policyLabel(policy)}: first resolution ` +
              `${stallLine(run.first!)}, burst ${stallLine(run.burst!)}`,
          );
        } catch (error) {
          run.error = String((error as Error).message).split("\n")[0];
          log(`stall ${runtime} ${endpoints} ${policyLabel(policy)} failed: ${error}`);
        }
      }
    }
  }
  return {
    heartbeatMs: HEARTBEAT_MS,
    burstUpdates: BURST_UPDATES,
    firstWindowMs: FIRST_WINDOW_MS,
    burstWindowMs: BURST_WINDOW_MS,
    runs,
  };
}

/** A window's longest stall for the progress log, with what its JavaScript thread did meanwhile when known. */
function stallLine({ maxStallMs, maxStallRunMs, maxStallWaitMs }: StallWindow): string {
  if (maxStallRunMs === undefined || maxStallWaitMs === undefined) return `${maxStallMs.toFixed(0)} ms`;
  return `${maxStallMs.toFixed(0)} ms (its thread ran ${maxStallRunMs.toFixed(0)} ms, ` +
    `waited ${maxStallWaitMs.toFixed(0)} ms for a core)`;
}

async function measureStall(fake: FakeApiServer, namespace: string, service: string, run: StallRun): Promise<void> {
  const slices = run.endpoints / 100;
  const write = (s: number, generation: number) =>
    fake.applySlice(endpointSlice({
      namespace,
      service,
      name: `${service}-${s}`,
      port: { name: "grpc", port: STALL_PORT },
      endpoints: Array.from({ length: 100 }, (_, e) => ({
        ip: `127.${10 + s}.${generation}.${e + 1}`,
        pod: `${service}-${s}-${e}-${generation}`,
        ready: true,
      })),
    }));
  for (let s = 0; s < slices; s++) write(s, 0);
  const config = {
    server: fake.url,
    namespace,
    service,
    policy: run.policy,
    subsetSize: run.subsetSize,
    firstWindowMs: FIRST_WINDOW_MS,
    burstWindowMs: BURST_WINDOW_MS,
  };
  const [program, args] = scriptCommand(run.runtime, "stall_client.mjs", [JSON.stringify(config)]);
  const child = new Deno.Command(program, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: childEnv({ NODE_NO_WARNINGS: "1" }),
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), FIRST_WINDOW_MS + BURST_WINDOW_MS + 60_000);
  const stderr = new Response(child.stderr).text();
  try {
    let buffered = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === "go") {
          // Back to back, in one turn: update u replaces slice u % slices with new addresses.
          for (let u = 0; u < BURST_UPDATES; u++) write(u % slices, 1 + Math.floor(u / slices));
        } else if (line.startsWith("window ")) {
          const [, name, json] = line.match(/^window (\w+) (.*)$/)!;
          run[name as "first" | "burst"] = JSON.parse(json);
        }
      }
    }
    const status = await child.status;
    if (!run.first || !run.burst) {
      throw new Error(`Cannot measure the stall: the client exited with ${status.code}: ${(await stderr).slice(-500)}`);
    }
  } finally {
    clearTimeout(killer);
    await child.stdin.close().catch(() => {});
    await child.status;
    for (let s = 0; s < slices; s++) fake.deleteSlice(namespace, `${service}-${s}`);
  }
}
