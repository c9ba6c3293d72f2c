// A tiny node:http API server whose LIST and WATCH answers each test scripts,
// for behaviours the faithful fake server must not have: endless lines,
// trickles, silence, HTML, redirects. Unless a test scripts them, it refuses
// streaming lists as a server with the WatchList gate off does, so the
// resolver lists and watches. Test-only, loopback-only.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenOnFreshPort } from "../src/testing/_fresh_port.ts";

/** One request the hostile server received. */
export interface Seen {
  /** `streaming`: a watch with `sendInitialEvents=true` (a streaming list). */
  kind: "list" | "watch" | "streaming" | "other";
  /** Path and query. */
  url: string;
  at: number;
  /** The Authorization header, when one was sent. */
  authorization?: string;
}

/** Answers one request; `index` counts requests of the same kind, from 0. */
export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A LIST answer with one slice of one pod, at resourceVersion 10. */
export const LIST_BODY = JSON.stringify({
  kind: "EndpointSliceList",
  apiVersion: "discovery.k8s.io/v1",
  metadata: { resourceVersion: "10" },
  items: [{
    metadata: {
      name: "echo-a",
      namespace: "prod",
      resourceVersion: "10",
      labels: { "kubernetes.io/service-name": "echo" },
    },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: ["10.9.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "echo-0" } }],
  }],
});

/** A good LIST answer. */
export const goodList: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(LIST_BODY);
};

/** A good watch: headers, then nothing until the server closes. */
export const quietWatch: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.flushHeaders();
};

/** What a server with the WatchList gate off answers a streaming list. */
const refuseStreaming: Handler = (_req, res) => {
  res.writeHead(422, { "content-type": "application/json" });
  res.end(JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden ' +
      "for watch unless the WatchList feature gate is enabled",
    reason: "Invalid",
    code: 422,
  }));
};

/** Starts a server on loopback; `close()` destroys every connection and timer registered with `onClose`. */
export async function startHostileServer(
  handlers: { list?: Handler; watch?: Handler; streaming?: Handler; other?: Handler } = {},
) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const cleanups = new Set<() => void>();
  const counts = { list: 0, watch: 0, streaming: 0, other: 0 };
  const server = createServer((req, res) => {
    req.resume();
    const url = req.url ?? "/";
    const kind = !url.includes("/endpointslices")
      ? "other"
      : !/[?&]watch=true/.test(url)
      ? "list"
      : /[?&]sendInitialEvents=true/.test(url)
      ? "streaming"
      : "watch";
    const entry: Seen = { kind, url, at: Date.now() };
    if (req.headers.authorization !== undefined) entry.authorization = req.headers.authorization;
    seen.push(entry);
    const defaults = { list: goodList, watch: quietWatch, streaming: refuseStreaming, other: notFound };
    const handler = handlers[kind] ?? defaults[kind];
    handler(req, res, counts[kind]++);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // A port no earlier server of this process had: most of these refuse streaming lists, which the resolver
  // remembers per server URL.
  const port = await listenOnFreshPort(server, 0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    count: (kind: Seen["kind"]) => seen.filter((entry) => entry.kind === kind).length,
    /** Registers a cleanup (a timer to clear) run by `close()`. */
    onClose(cleanup: () => void) {
      cleanups.add(cleanup);
    },
    close(): Promise<void> {
      for (const cleanup of cleanups) cleanup();
      cleanups.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

const notFound: Handler = (_req, res) => {
  res.writeHead(404, { "content-type": "application/json" });
  res.end('{"kind":"Status","code":404}');
};

/**
 * A Deno test with its own time limit: cleanups registered with `defer` run
 * whether the body passes, throws or times out.
 */
export function boundedTest(
  name: string,
  timeoutMs: number,
  body: (defer: (cleanup: () => unknown) => void) => Promise<void>,
): void {
  Deno.test(name, async () => {
    const cleanups: (() => unknown)[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([body((cleanup) => cleanups.push(cleanup)), limit]);
    } finally {
      clearTimeout(timer);
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  });
}

/** Prints an observed outcome when HOSTILE_VERBOSE is set (used to write the hardening report). */
export function observed(what: string, detail: unknown): void {
  if (Deno.env.get("HOSTILE_VERBOSE")) console.log(`[observed] ${what}: ${detail}`);
}
