/**
 * Streaming lists (WatchList, KEP-3157) against the real kube-apiserver: a
 * Service of 5,000 endpoints in 50 slices, and per client the requests it
 * made (from the audit log), the bytes the server sent it (counted by a TCP
 * relay in this process, TLS included) and its time to first resolution,
 * once with the server's `WatchList` gate on (the default of v1.36) and once
 * with `--feature-gates=WatchList=false`, where a streaming list is refused
 * (422) and a client falls back to LIST+WATCH.
 *
 * Ours runs on Deno, Bun and Node; the raw watch on Node asks for a streaming
 * list first and is the limit. Whether ours used a streaming list is read
 * from the audit log (a watch with `sendInitialEvents=true`), never assumed.
 *
 * @module
 */

import type { Backend, BenchEndpoint } from "./backends.ts";
import { type PeerName, startClient } from "./clients.ts";

const SLICES = 50;
const PER_SLICE = 100;
const SERVICE = "watchlist";

/** The server's `WatchList` gate. */
export type WatchListGate = "on" | "off";

/** One client against one server mode. */
export interface WatchListRun {
  gate: WatchListGate;
  peer: PeerName;
  /** Time to first resolution of all 5,000 endpoints, from the client's start, in ms. */
  firstMs?: number;
  /** EndpointSlice requests of the client's user, by the audit log. */
  requests?: number;
  lists?: number;
  watches?: number;
  /** Watches that asked for a streaming list (`sendInitialEvents=true`). */
  streamingLists?: number;
  /** Requests the server refused with 422. */
  refused?: number;
  /** Bytes the server sent to the client until 1 s after its first resolution, TLS included. */
  bytesReceived?: number;
  error?: string;
}

/** What the WatchList benchmark measured. */
export interface WatchListResults {
  endpoints: number;
  runs: WatchListRun[];
}

const PEERS: { peer: PeerName; watchList?: boolean }[] = [
  { peer: "ours (Deno)" },
  { peer: "ours (Bun)" },
  { peer: "ours (Node)" },
  { peer: "raw watch (Node)", watchList: true },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TCP relay to `port` on 127.0.0.1 that counts the bytes in each direction. Both its sockets write at once
 * (`TCP_NODELAY`), as kube-apiserver's do: with Nagle's algorithm, a small write (HTTP/2's SETTINGS, or its ACK and a
 * WINDOW_UPDATE) held the answer behind it until the client's delayed ACK, 40 ms later, and Bun's first resolution over
 * HTTP/2 measured 93 ms against 48 ms with the relay writing at once (medians of 10, scratch runs).
 */
function startByteCounter(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const counted = { fromServer: 0, toServer: 0 };
  const connections = new Set<Deno.Conn>();
  const count = (key: keyof typeof counted) =>
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        counted[key] += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
  (async () => {
    for await (const client of listener) {
      connections.add(client);
      client.setNoDelay(true);
      (async () => {
        const server = await Deno.connect({ hostname: "127.0.0.1", port });
        connections.add(server);
        server.setNoDelay(true);
        await Promise.allSettled([
          client.readable.pipeThrough(count("toServer")).pipeTo(server.writable),
          server.readable.pipeThrough(count("fromServer")).pipeTo(client.writable),
        ]);
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    counted,
    close() {
      listener.close();
      for (const connection of connections) {
        try {
          connection.close();
        } catch {
          // Closed already.
        }
      }
    },
  };
}

/**
 * Measures every client with the gate on, then restarts kube-apiserver with it off, measures
 * again, and restarts it as it was.
 *
 * @param backend The local control plane.
 * @param log Progress lines.
 * @returns What was measured.
 */
export async function watchListSection(backend: Backend, log: (line: string) => void): Promise<WatchListResults> {
  for (let s = 0; s < SLICES; s++) {
    const endpoints: BenchEndpoint[] = Array.from({ length: PER_SLICE }, (_, e) => ({
      ip: `10.60.${s}.${e + 1}`,
      pod: `${SERVICE}-${s}-${e}`,
    }));
    await backend.writeSlice(SERVICE, `${SERVICE}-${String(s).padStart(2, "0")}`, endpoints);
  }
  const runs: WatchListRun[] = [];
  for (const gate of ["on", "off"] as const) {
    if (gate === "off") await restartApiServer(backend, "WatchList=false", log);
    for (const [index, { peer, watchList }] of PEERS.entries()) {
      const run: WatchListRun = { gate, peer };
      runs.push(run);
      try {
        await measureClient(backend, `bench-watchlist-${gate}-${index}`, run, watchList);
        log(
          `watchlist gate ${gate} ${peer}: first ${run.firstMs!.toFixed(0)} ms, ${run.requests} requests ` +
            `(${run.lists} LISTs, ${run.watches} watches, ${run.streamingLists} streaming, ${run.refused} refused), ` +
            `${(run.bytesReceived! / 1024).toFixed(0)} KiB received`,
        );
      } catch (error) {
        run.error = String((error as Error).message).split("\n")[0];
        log(`watchlist gate ${gate} ${peer} failed: ${error}`);
      }
    }
  }
  await restartApiServer(backend, undefined, log);
  return { endpoints: SLICES * PER_SLICE, runs };
}

async function restartApiServer(backend: Backend, featureGates: string | undefined, log: (line: string) => void) {
  log(`watchlist: restarting kube-apiserver${featureGates ? ` with --feature-gates=${featureGates}` : ""}`);
  await backend.controlPlane!.stopApiServer(3000);
  await backend.controlPlane!.startApiServer(featureGates ? { featureGates } : {});
}

async function measureClient(backend: Backend, user: string, run: WatchListRun, watchList?: boolean): Promise<void> {
  const token = await backend.readerToken(user);
  const relay = startByteCounter(Number(new URL(backend.server).port));
  const client = startClient(run.peer, {
    server: `https://127.0.0.1:${relay.port}`,
    token,
    caFile: backend.caFile,
    namespace: backend.namespace,
    services: [SERVICE],
    expect: SLICES * PER_SLICE,
    fake: false,
    watchList,
  });
  try {
    run.firstMs = await client.waitForFirst(60_000);
    await sleep(1000);
    run.bytesReceived = relay.counted.fromServer;
  } finally {
    await client.stop();
    relay.close();
  }
  const username = `system:serviceaccount:${backend.namespace}:${user}`;
  const byId = new Map<string, { verb: string; uri: string; code?: number }>();
  for (const event of await backend.controlPlane!.auditEvents()) {
    if (event.user.username !== username) continue;
    const seen = byId.get(event.auditID);
    byId.set(event.auditID, {
      verb: event.verb,
      uri: event.requestURI,
      code: event.responseStatus?.code ?? seen?.code,
    });
  }
  const requests = [...byId.values()];
  run.requests = requests.length;
  run.lists = requests.filter((request) => request.verb === "list").length;
  run.watches = requests.filter((request) => request.verb === "watch").length;
  run.streamingLists = requests.filter((request) => /[?&]sendInitialEvents=true/.test(request.uri)).length;
  run.refused = requests.filter((request) => request.code === 422).length;
}
