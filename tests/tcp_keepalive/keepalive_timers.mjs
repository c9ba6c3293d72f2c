// Run by tests/tcp_keepalive_test.ts on Node, Bun and Deno, against the built package: opens a quiet watch-like
// request with the runtime's HTTP client (`createHttpClient()`) directly, through an HTTP proxy and through a SOCKS5
// proxy, and prints the kernel's keepalive timer (`ss -o`) of the connection it opened (to the proxy, when there is
// one). Bun's `fetch` through a proxy sets its own (60 s), which it gives no way to change: not printed.
import { execFileSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import process from "node:process";
import { createServer as createTlsServer } from "node:tls";
import { createHttpClient } from "../../dist/src/runtime/http_client.js";

/** The first probe's delay wanted: client-go's HTTP/2 ReadIdleTimeout (30 s), which then pings. */
const KEEPALIVE_IDLE_MS = 30_000;

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/**
 * Starts a server on 127.0.0.1 that runs `onConnection`, over TLS with the fixtures' certificate when `tls`;
 * resolves to its port and its close().
 */
async function serve(onConnection, tls = false) {
  const sockets = new Set();
  const create = tls
    ? (listener) => createTlsServer({ cert: fixture("server.pem"), key: fixture("server-key.pem") }, listener)
    : createServer;
  const server = create((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** An HTTP server that answers the headers and one chunk, then stays quiet, as a watch of a quiet Service does. */
const quietWatch = (tls) =>
  serve(
    (socket) =>
      socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n")),
    tls,
  );

/**
 * A proxy that tunnels each connection to `port` on 127.0.0.1: `answer` gets the client's bytes so far and returns
 * what to write back, or nothing while more are needed; the tunnel opens after the answer that `opens` says so of.
 */
const tunnel = (port, answer, opens) =>
  serve((client) => {
    let bytes = Buffer.alloc(0);
    const onData = (chunk) => {
      bytes = Buffer.concat([bytes, chunk]);
      const reply = answer(bytes);
      if (reply === undefined) return;
      if (!opens(bytes)) return void client.write(reply);
      client.off("data", onData);
      const upstream = connect(port, "127.0.0.1", () => {
        client.write(reply);
        upstream.pipe(client).pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    };
    client.on("data", onData);
  });

/** An HTTP CONNECT proxy. */
const httpProxy = (port) =>
  tunnel(
    port,
    (bytes) => bytes.includes("\r\n\r\n") ? "HTTP/1.1 200 Connection Established\r\n\r\n" : undefined,
    () => true,
  );

/** A SOCKS5 proxy without a login, for a CONNECT to a host name (RFC 1928). */
const socksProxy = (port) =>
  tunnel(port, (bytes) => {
    if (bytes.length === 3) return Uint8Array.of(5, 0);
    return bytes.length === 3 + 5 + bytes[7] + 2 ? Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0) : undefined;
  }, (bytes) => bytes.length > 3);

/** The keepalive timer of the established connection to 127.0.0.1:`port`, as `ss -o` shows it. */
function timerTo(port) {
  const lines = execFileSync("ss", ["-tnoH", "state", "established", `dport = :${port}`], { encoding: "utf8" })
    .trim().split("\n").filter(Boolean);
  if (lines.length !== 1) return `${lines.length} connections`;
  const timer = /timer:\(keepalive,(?:(\d+)min)?(?:(\d+)sec)?(?:(\d+)ms)?,\d+\)/.exec(lines[0]);
  if (!timer) return `no keepalive timer (${lines[0].replace(/\s+/g, " ")})`;
  const ms = (Number(timer[1] ?? 0) * 60 + Number(timer[2] ?? 0)) * 1000 + Number(timer[3] ?? 0);
  // Read right after the answer: at most the delay, and a few seconds less on a starved machine.
  return ms <= KEEPALIVE_IDLE_MS && ms > KEEPALIVE_IDLE_MS - 10_000
    ? `keepalive within ${KEEPALIVE_IDLE_MS} ms`
    : `keepalive in ${ms} ms`;
}

const bun = typeof globalThis.Bun !== "undefined";
const paths = bun ? ["direct", "direct TLS"] : ["direct", "direct TLS", "HTTP proxy", "SOCKS5 proxy"];
for (const path of paths) {
  const tls = path === "direct TLS";
  const server = await quietWatch(tls);
  const proxy = path === "HTTP proxy"
    ? await httpProxy(server.port)
    : path === "SOCKS5 proxy"
    ? await socksProxy(server.port)
    : undefined;
  const scheme = path === "SOCKS5 proxy" ? "socks5" : "http";
  const client = await createHttpClient({
    tls: tls ? { ca: fixture("ca.pem"), caSource: "ca.pem" } : { caSource: "none" },
    ...(proxy ? { proxyUrl: `${scheme}://127.0.0.1:${proxy.port}`, proxySource: "test" } : {}),
  });
  const watch = new AbortController();
  try {
    const host = proxy ? "api.example" : "127.0.0.1";
    const { response } = await client.fetch(`${tls ? "https" : "http"}://${host}:${server.port}/watch`, {
      signal: watch.signal,
    });
    console.log(`${path}: ${response.status}, ${timerTo(proxy?.port ?? server.port)}`);
  } finally {
    watch.abort();
    client.close();
    proxy?.close();
    server.close();
  }
}
process.exit(0);
