/**
 * The benchmark's client processes: our resolver on Deno, Bun and Node, the
 * Go kuberesolver harness, client-node's informer and the raw watches, each a
 * child process that prints what it observes with wall-clock timestamps
 * (see `client.mjs` and `go/main.go`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = `${ROOT}node_modules/.bin/deno`;
const BUN = `${ROOT}node_modules/.bin/bun`;
const CLIENT = `${ROOT}scripts/bench/client.mjs`;

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
}

/** A running client process and what it printed so far. */
export interface RunningClient {
  readonly peer: PeerName;
  readonly pid: number;
  /** Marker address → first time it was observed (ms since the epoch). */
  readonly markers: Map<string, number>;
  /** Times (ms since the epoch) and endpoint counts of subscriber 0's updates. */
  readonly updates: { at: number; count: number }[];
  /** Time to first resolution of every subscriber, in ms, once known. */
  firstMs?: number;
  /** Resolves with the time (ms since the epoch) `marker` was observed, or undefined after `timeoutMs`. */
  waitForMarker(marker: string, timeoutMs: number): Promise<number | undefined>;
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
export function goHarnessPath(): string {
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
    });
  switch (peer) {
    case "ours (Deno)":
      return [DENO, ["run", "-A", "--no-lock", CLIENT, json("ours")]];
    case "ours (Bun)":
      return [BUN, [CLIENT, json("ours")]];
    case "ours (Node)":
      return ["node", [CLIENT, json("ours")]];
    case "client-node informer":
      return ["node", [CLIENT, json("informer")]];
    case "raw watch (Deno)":
      return [DENO, ["run", "-A", "--no-lock", CLIENT, json("raw")]];
    case "raw watch (Bun)":
      return [BUN, [CLIENT, json("raw")]];
    case "raw watch (Node)":
      return ["node", [CLIENT, json("raw")]];
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
    env: { GRPC_GO_LOG_SEVERITY_LEVEL: "error", NODE_NO_WARNINGS: "1" },
  }).spawn();
  const markers = new Map<string, number>();
  const updates: { at: number; count: number }[] = [];
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
        const [kind, a, b] = buffered.slice(0, newline).split(" ");
        buffered = buffered.slice(newline + 1);
        if (kind === "u" && !markers.has(b)) markers.set(b, Number(a));
        else if (kind === "n") updates.push({ at: Number(a), count: Number(b) });
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
