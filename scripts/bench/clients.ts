/**
 * The benchmark's client processes: our resolver on Deno, Bun and Node, the
 * Go kuberesolver harness, client-node's informer and the raw watches, each a
 * child process that prints what it observes with wall-clock timestamps
 * (see `client.mjs` and `go/main.go`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { childEnv } from "../../tests/_child_env.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = `${ROOT}node_modules/.bin/deno`;
const BUN = `${ROOT}node_modules/.bin/bun`;

/** A benchmark peer. */
export type PeerName =
  | "ours (Deno)"
  | "ours (Bun)"
  | "ours (Node)"
  | "kuberesolver (Go)"
  | "client-node informer"
  | "raw watch (Deno)"
  | "raw watch (Bun)"
  | "raw watch (Node)";

/** Every peer, ours first, the limits last. */
export const PEERS: PeerName[] = [
  "ours (Deno)",
  "ours (Bun)",
  "ours (Node)",
  "kuberesolver (Go)",
  "client-node informer",
  "raw watch (Deno)",
  "raw watch (Bun)",
  "raw watch (Node)",
];

/** A JavaScript runtime the benchmark runs clients on. */
export type Runtime = "Deno" | "Bun" | "Node";

/** The three runtimes, in the order of every table. */
export const RUNTIMES: Runtime[] = ["Deno", "Bun", "Node"];

/**
 * The command that runs a script of `scripts/bench/` on a runtime.
 *
 * @param runtime Where to run it.
 * @param script Its file name, such as `stall_client.mjs`.
 * @param args Its arguments.
 * @returns The program and its arguments.
 */
export function scriptCommand(runtime: Runtime, script: string, args: string[]): [string, string[]] {
  const path = `${ROOT}scripts/bench/${script}`;
  switch (runtime) {
    case "Deno":
      return [DENO, ["run", "-A", "--no-lock", path, ...args]];
    case "Bun":
      return [BUN, [path, ...args]];
    case "Node":
      return ["node", [path, ...args]];
  }
}

/** The limit of a peer: the raw watch on the same runtime (a raw watch is its own; Go has none). */
export function limitOf(peer: string): PeerName | undefined {
  if (peer === "client-node informer") return "raw watch (Node)";
  const runtime = peer.match(/\((Deno|Bun|Node)\)$/)?.[1];
  return runtime ? `raw watch (${runtime})` as PeerName : undefined;
}

/** Where and what a client watches. */
export interface ClientConfig {
  server: string;
  token?: string;
  caFile?: string;
  namespace: string;
  services: string[];
  perService?: number;
  /** Subscribers count as resolved once they see this many endpoints. */
  expect?: number;
  /** The fake server serves only `?watch=true` (the Go original uses the `/watch/` path). */
  fake: boolean;
  /** What our client does with each snapshot: see `client.mjs` (default `walk`). */
  consumer?: "walk" | "idle" | "slow";
  /** Busy time per snapshot of the `slow` consumer, in ms. */
  consumerMs?: number;
  /** The raw watch asks for a streaming list (`sendInitialEvents=true`) first. */
  watchList?: boolean;
  /** The wire format the raw watch asks for (default JSON). */
  encoding?: "json" | "protobuf";
  /** Our resolver's `protobuf` watch setting (default: the resolver's, protobuf). */
  protobuf?: boolean;
}

/** An update subscriber 0 saw: when, how many endpoints, and (ours only) its resourceVersion. */
export interface ObservedUpdate {
  at: number;
  count: number;
  resourceVersion?: string;
}

/** A running client process and what it printed so far. */
export interface RunningClient {
  readonly peer: PeerName;
  readonly pid: number;
  /** Marker address → first time it was observed (ms since the epoch). */
  readonly markers: Map<string, number>;
  /** Subscriber 0's updates, oldest first. */
  readonly updates: ObservedUpdate[];
  /** Time to first resolution of every subscriber, in ms, once known. */
  firstMs?: number;
  /** Resolves with the time (ms since the epoch) `marker` was observed, or undefined after `timeoutMs`. */
  waitForMarker(marker: string, timeoutMs: number): Promise<number | undefined>;
  /** Resolves with the first update from index `from` on that passes `test`, or undefined after `timeoutMs`. */
  waitForUpdate(
    from: number,
    test: (update: ObservedUpdate) => boolean,
    timeoutMs: number,
  ): Promise<ObservedUpdate | undefined>;
  /** Resolves once every subscriber resolved; throws after `timeoutMs`. */
  waitForFirst(timeoutMs: number): Promise<number>;
  /** Resident memory, in bytes. */
  rssBytes(): Promise<number>;
  /** User + system CPU time so far, in ms. */
  cpuMs(): Promise<number>;
  /** Closes stdin, waits for the exit (SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** Lines written to stderr (for failure reports). */
  stderr(): string;
}

/** Path of the Go harness binary (built by {@linkcode buildGoHarness}). */
function goHarnessPath(): string {
  const home = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return `${home}/kgr-resolver/kuberesolver-bench`;
}

/** Builds the Go harness (cached by Go's build cache). */
export async function buildGoHarness(): Promise<void> {
  const output = await new Deno.Command("go", {
    args: ["build", "-o", goHarnessPath(), "."],
    cwd: `${ROOT}scripts/bench/go`,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("Cannot build the Go kuberesolver harness: `go build` failed");
}

function runtimeOf(peer: PeerName): Runtime {
  return peer.match(/\((Deno|Bun|Node)\)$/)![1] as Runtime;
}

function command(peer: PeerName, config: ClientConfig): [string, string[]] {
  const json = (mode: string) =>
    JSON.stringify({
      mode,
      server: config.server,
      token: config.token,
      caFile: config.caFile,
      namespace: config.namespace,
      services: config.services,
      perService: config.perService ?? 1,
      expect: config.expect ?? 1,
      consumer: config.consumer,
      consumerMs: config.consumerMs,
      watchList: config.watchList,
      encoding: config.encoding,
      protobuf: config.protobuf,
    });
  switch (peer) {
    case "ours (Deno)":
    case "ours (Bun)":
    case "ours (Node)":
      return scriptCommand(runtimeOf(peer), "client.mjs", [json("ours")]);
    case "client-node informer":
      return scriptCommand("Node", "client.mjs", [json("informer")]);
    case "raw watch (Deno)":
    case "raw watch (Bun)":
    case "raw watch (Node)":
      return scriptCommand(runtimeOf(peer), "client.mjs", [json("raw")]);
    case "kuberesolver (Go)":
      return [goHarnessPath(), [
        `-server=${config.server}`,
        `-token=${config.token ?? ""}`,
        `-ca=${config.caFile ?? ""}`,
        `-namespace=${config.namespace}`,
        `-services=${config.services.join(",")}`,
        `-per-service=${config.perService ?? 1}`,
        `-watch-path=${!config.fake}`,
      ]];
  }
}

/**
 * Starts one client process.
 *
 * @param peer Which client.
 * @param config What it watches.
 * @returns The running client.
 */
export function startClient(peer: PeerName, config: ClientConfig): RunningClient {
  const [program, args] = command(peer, config);
  const child = new Deno.Command(program, {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: childEnv({ GRPC_GO_LOG_SEVERITY_LEVEL: "error", NODE_NO_WARNINGS: "1" }),
  }).spawn();
  const markers = new Map<string, number>();
  const updates: ObservedUpdate[] = [];
  const waiters = new Set<() => void>();
  let errors = "";
  let exited = false;
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const client: RunningClient = {
    peer,
    pid: child.pid,
    markers,
    updates,
    waitForMarker(marker, timeoutMs) {
      return waitUntil(() => markers.get(marker), timeoutMs);
    },
    waitForUpdate(from, test, timeoutMs) {
      return waitUntil(() => {
        for (let i = from; i < updates.length; i++) if (test(updates[i])) return updates[i];
      }, timeoutMs);
    },
    async waitForFirst(timeoutMs) {
      const first = await waitUntil(() => client.firstMs, timeoutMs);
      if (first === undefined) {
        throw new Error(`Cannot benchmark ${peer}: no first resolution after ${timeoutMs} ms\n${errors.slice(-2000)}`);
      }
      return first;
    },
    async rssBytes() {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0) * 1024;
    },
    async cpuMs() {
      const stat = await Deno.readTextFile(`/proc/${child.pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime are fields 14 and 15 (1-based), here 11 and 12 (0-based after the name).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      if (exited) return;
      await child.stdin.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone already.
        }
      }, 3000);
      await child.status;
      clearTimeout(timer);
    },
    stderr: () => errors,
  };
  function waitUntil<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const found = get();
    if (found !== undefined || exited) return Promise.resolve(found);
    return new Promise((resolve) => {
      const check = () => {
        const value = get();
        if (value === undefined && !exited) return;
        done(value);
      };
      const done = (value: T | undefined) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      waiters.add(check);
    });
  }
  (async () => {
    let buffered = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const [kind, a, b, c] = buffered.slice(0, newline).split(" ");
        buffered = buffered.slice(newline + 1);
        if (kind === "u" && !markers.has(b)) markers.set(b, Number(a));
        else if (kind === "n") updates.push({ at: Number(a), count: Number(b), resourceVersion: c });
        else if (kind === "first") client.firstMs = Number(a);
      }
      wake();
    }
  })().catch(() => {});
  (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      errors = (errors + text).slice(-20_000);
    }
  })().catch(() => {});
  child.status.then(() => {
    exited = true;
    wake();
  });
  return client;
}
