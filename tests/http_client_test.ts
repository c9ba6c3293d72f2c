// The runtime's HTTP client on Deno (undici, as on Node through a proxy); Bun and Node run the same requests
// through the CLI's `check` in tests/cli/bin_scenarios.mjs, and the CLI's --timeout against a server that never
// answers.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createConnection, createServer as createNetServer, type Socket } from "node:net";
import { createHttpClient } from "../src/runtime/http_client.ts";
import { setTraceSink } from "../src/runtime/trace.ts";

/** A server on 127.0.0.1 that answers every request with `handler`; records method, content type and body. */
async function recordingServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { method?: string; type?: string; body: string; path?: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => body += chunk);
    req.on("end", () => {
      seen.push({ method: req.method, type: req.headers["content-type"], body, path: req.url });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("createHttpClient() sends a POST with its method, content type and body", async () => {
  const server = await recordingServer((_req, res) =>
    res.writeHead(201, { "content-type": "application/json" }).end("{}")
  );
  const client = await createHttpClient({ tls: { caSource: "none" } });
  try {
    const { response } = await client.fetch(`${server.url}/reviews`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"kind":"SelfSubjectReview"}',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 201);
    await response.body?.cancel();
    assert.deepEqual(server.seen, [
      { method: "POST", type: "application/json", body: '{"kind":"SelfSubjectReview"}', path: "/reviews" },
    ]);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("createHttpClient() does not follow a redirect of a POST", async () => {
  const server = await recordingServer((req, res) => {
    if (req.url === "/reviews") res.writeHead(307, { location: "/elsewhere" }).end();
    else res.writeHead(201).end("{}");
  });
  const client = await createHttpClient({ tls: { caSource: "none" } });
  try {
    const { response } = await client.fetch(`${server.url}/reviews`, {
      method: "POST",
      body: "{}",
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 307);
    await response.body?.cancel();
    assert.deepEqual(server.seen.map((request) => request.path), ["/reviews"]);
  } finally {
    client.close();
    await server.close();
  }
});

/**
 * A server on loopback that takes connections and never answers (a TLS handshake with it never ends); it reads, to
 * see a connection's end. `close()` ends its connections and stops it.
 */
async function silentServer(onConnection?: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.resume().on("error", () => {});
    onConnection?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

Deno.test("createHttpClient() rejects an aborted request at once while TLS is still being set up", async () => {
  // Accepts and never answers: the TLS handshake never ends, and undici's connect timeout is 10 s.
  const server = await silentServer();
  const { port } = server;
  const client = await createHttpClient({ tls: { caSource: "none", insecureSkipVerify: true } });
  const controller = new AbortController();
  let abortedAt = Infinity;
  setTimeout(() => {
    abortedAt = Date.now();
    controller.abort();
  }, 200);
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${port}/version`, { signal: controller.signal }),
      (error: Error) => error.name === "AbortError",
    );
    // Timed from the abort, not the start (1,836 ms from the start at load 17, the abort due at 200 ms), with a bound
    // far below what ended it before, the connect timeout (10 s).
    const elapsed = Date.now() - abortedAt;
    assert.ok(elapsed < 5000, `rejected ${elapsed} ms after the abort`);
  } finally {
    client.close();
    await server.close();
  }
});

/**
 * Makes `proxy` a CONNECT proxy that tunnels to 127.0.0.1 only, to the targets `allowed` passes (403 for others);
 * returns the targets asked for and the sockets.
 */
function tunnelToLoopback(
  proxy: Server,
  allowed: (target: string) => boolean = () => true,
): { tunnels: string[]; sockets: Set<Socket> } {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  proxy.on("connect", (req: IncomingMessage, client: Socket) => {
    tunnels.push(req.url ?? "");
    if (!allowed(req.url ?? "")) {
      client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const port = Number(new URL(`http://${req.url}`).port);
    const upstream = createConnection(port, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
    }
  });
  return { tunnels, sockets };
}

/**
 * Makes `proxy` an HTTP proxy as Squid is by default: it forwards plain requests (`GET http://host:port/path`), to
 * 127.0.0.1 only, and refuses CONNECT to a port other than `sslPort` with 403 (`http_access deny CONNECT
 * !SSL_ports`). Returns the request lines forwarded, the tunnels asked for, and the sockets.
 */
function squidLike(proxy: Server, sslPort: number) {
  const forwarded: string[] = [];
  const { tunnels, sockets } = tunnelToLoopback(proxy, (target) => new URL(`http://${target}`).port === `${sslPort}`);
  proxy.on("request", (req: IncomingMessage, res: ServerResponse) => {
    forwarded.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const path = target.pathname + target.search;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: Number(target.port), method: req.method, path, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return { forwarded, tunnels, sockets };
}

// Go's net/http, which kubectl uses, sends a request for an http:// server to an HTTP proxy as is (`GET
// http://host:port/path`), as Bun's fetch does, and opens a CONNECT tunnel for https:// servers only. undici
// tunnelled to http:// servers too, which a proxy with Squid's default rules refuses (403) for any port but 443: an
// http:// API server (`kubectl proxy` on a bastion, port 8001) that kubectl reached through it was out of reach.
Deno.test("createHttpClient() sends an http:// server's requests to an HTTP proxy as is, and tunnels to https:// ones", async () => {
  const server = await recordingServer((_req, res) => res.writeHead(200).end("{}"));
  const secure = await tlsServer();
  const proxy = createServer();
  const { forwarded, tunnels, sockets } = squidLike(proxy, secure.port);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  const client = await createHttpClient({
    tls: { ca: secure.ca, caSource: "ca.pem" },
    proxyUrl: `http://127.0.0.1:${port}`,
  });
  try {
    const plain = await client.fetch(`${server.url}/version?x=1`, { signal: AbortSignal.timeout(5000) });
    assert.equal(plain.response.status, 200);
    assert.equal(await plain.response.text(), "{}");
    assert.deepEqual(forwarded, [`GET ${server.url}/version?x=1`]);
    const tls = await client.fetch(`https://127.0.0.1:${secure.port}/version`, { signal: AbortSignal.timeout(5000) });
    assert.equal(tls.response.status, 200);
    await tls.response.body?.cancel();
    assert.deepEqual(tunnels, [`127.0.0.1:${secure.port}`]);
    assert.equal(forwarded.length, 1);
  } finally {
    client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await server.close();
    await secure.close();
  }
});

// A proxy that closes the connection instead of answering a CONNECT it refuses: undici 7.30 tunnelled again at once,
// over 11,000 times in 3 s, and the request never ended, not even at its signal's abort (nodejs/undici#3897).
Deno.test("createHttpClient() fails a request whose proxy closes the connection before it answers the CONNECT", async () => {
  const proxy = createServer();
  const tunnels: string[] = [];
  proxy.on("connect", (request, socket) => {
    tunnels.push(request.url!);
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  const secure = await tlsServer();
  const client = await createHttpClient({
    tls: { ca: secure.ca, caSource: "ca.pem" },
    proxyUrl: `http://127.0.0.1:${port}`,
  });
  try {
    const failure = await client.fetch(`https://127.0.0.1:${secure.port}/version`, {
      signal: AbortSignal.timeout(2000),
    })
      .then(() => undefined, (error: Error) => error);
    assert.match(String(failure?.message), /the proxy closed the connection before it answered the CONNECT/);
    assert.deepEqual(tunnels, [`127.0.0.1:${secure.port}`]);
  } finally {
    client.close();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await secure.close();
  }
});

/** A TLS server on 127.0.0.1 with the fixtures' certificate (SAN 127.0.0.1, ::1, localhost), answering `{}`. */
async function tlsServer() {
  const read = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
  const server = createHttpsServer({ cert: await read("server.pem"), key: await read("server-key.pem") });
  server.on("request", (_req, res) => res.end("{}"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { port, ca: await read("ca.pem"), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

Deno.test("createHttpClient() trusts a CA bundle whose first CERTIFICATE block does not parse", async () => {
  const server = await tlsServer();
  const garbage = "-----BEGIN CERTIFICATE-----\nQUJDREVGR0g=\n-----END CERTIFICATE-----\n";
  const client = await createHttpClient({ tls: { ca: garbage + server.ca, caSource: "ca.pem" } });
  try {
    const { response } = await client.fetch(`https://localhost:${server.port}/version`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    client.close();
    await server.close();
  }
});

// Go's net/http, which kubectl uses, speaks TLS to an https:// proxy with the cluster's own TLS settings (its CA as the
// only roots, insecure-skip-tls-verify, tls-server-name), as to the API server; a proxy at an IP address gets no SNI.
// Before, undici checked the proxy against the system roots only, and on Deno refused any proxy at an IP address
// ("The property 'options.servername' must not be an IP address"); Node printed DEP0123 for one.
Deno.test("createHttpClient() reaches an https:// proxy with the cluster's TLS settings, at an IP address too", async () => {
  const server = await recordingServer((_req, res) => res.writeHead(200).end("{}"));
  const read = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
  const proxy = createHttpsServer({ cert: await read("server.pem"), key: await read("server-key.pem") });
  const { tunnels, sockets } = tunnelToLoopback(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  const ca = await read("ca.pem");
  const cases = {
    "its CA, proxy at 127.0.0.1": { tls: { ca, caSource: "ca.pem" }, host: "127.0.0.1" },
    "its CA, proxy at localhost": { tls: { ca, caSource: "ca.pem" }, host: "localhost" },
    "insecure-skip-tls-verify, proxy at 127.0.0.1": {
      tls: { insecureSkipVerify: true, caSource: "none" },
      host: "127.0.0.1",
    },
  };
  const results: Record<string, number | string> = {};
  try {
    for (const [name, { tls, host }] of Object.entries(cases)) {
      const client = await createHttpClient({ tls, proxyUrl: `https://${host}:${port}` });
      try {
        const { response } = await client.fetch(`${server.url}/version`, { signal: AbortSignal.timeout(5000) });
        results[name] = response.status;
        await response.body?.cancel();
      } catch (error) {
        results[name] = String((error as Error).cause ?? error);
      } finally {
        client.close();
      }
    }
    assert.deepEqual(results, Object.fromEntries(Object.keys(cases).map((name) => [name, 200])));
    assert.equal(tunnels.length, 3);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await server.close();
  }
});

/** Runs openssl in `dir`; rejects with what it printed when it fails. */
function openssl(dir: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (data) => errors += data);
    child.on("error", reject);
    child.on("close", (code) => code === 0 ? resolve() : reject(new Error(`openssl ${args[0]}: ${errors}`)));
  });
}

/** A CA and a server certificate it signed whose only name is the IP address 10.96.0.1, as a Service's ClusterIP. */
async function clusterIpCertificate() {
  const dir = await Deno.makeTempDir({ prefix: "kgr-ip-san-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"];
  try {
    await openssl(
      dir,
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
      "-subj",
      "/CN=ip CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
    );
    await openssl(
      dir,
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "key.pem",
      "-out",
      "server.pem",
      "-subj",
      "/CN=ip server",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "subjectAltName=IP:10.96.0.1",
      "-addext",
      "extendedKeyUsage=serverAuth",
    );
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    return { ca: await read("ca.pem"), cert: await read("server.pem"), key: await read("key.pem") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createHttpClient() verifies an IP address tls-server-name against the certificate's IP addresses", async () => {
  const { ca, cert, key } = await clusterIpCertificate();
  const names: unknown[] = [];
  const server = createHttpsServer({ cert, key }, (_req, res) => res.end("{}"));
  server.on("secureConnection", (socket) => names.push(socket.servername));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const fetchWith = async (serverName: string) => {
    const client = await createHttpClient({ tls: { ca, caSource: "ca.pem", serverName } });
    try {
      const { response } = await client.fetch(`https://127.0.0.1:${port}/version`, {
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      return response.status;
    } finally {
      client.close();
    }
  };
  try {
    assert.equal(await fetchWith("10.96.0.1"), 200);
    assert.ok(names.every((name) => !name), `SNI sent: ${JSON.stringify(names)}`);
    await assert.rejects(fetchWith("10.96.0.2"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

// undici's connect, headers and body timeouts run on one shared tick of its own, which goes on for up to a second
// after the last request on it ended: a `deno test --sanitize-ops` that closed its client (its channel, its
// watchEndpoints() loop) failed with "A timer was started in this test, but never completed", where a grpc-js channel
// with a dns: target left nothing.
Deno.test({
  name: "createHttpClient() leaves no timer once its requests ended and it is closed (Deno's op sanitizer)",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const server = await recordingServer((_req, res) => res.end("{}"));
    const client = await createHttpClient({ tls: { caSource: "none" } });
    try {
      const { response } = await client.fetch(`${server.url}/version`, {});
      assert.equal(await response.text(), "{}");
    } finally {
      client.close();
      await server.close();
    }
  },
});

Deno.test("createHttpClient() says a connection that was set up got no answer to its TLS hello, not that none was", async () => {
  // Was "no connection set up within 300 ms", which the API errors report as a server out of reach.
  const server = await silentServer();
  const client = await createHttpClient({ tls: { caSource: "none", insecureSkipVerify: true }, connectTimeoutMs: 300 });
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, { signal: AbortSignal.timeout(5_000) }),
      (error: Error & { code?: string; cause?: Error }) =>
        /Connect Timeout Error \(connected, but the TLS handshake did not finish within 300 ms\)/.test(
          `${error.message} ${error.cause?.message}`,
        ),
    );
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("createHttpClient() says a server that began its TLS answer and stalled did not finish the handshake", async () => {
  // Was "connected, but no answer to the TLS hello": it answered, with the first bytes of a handshake record.
  const server = await silentServer((socket) =>
    socket.once("data", () => socket.write(new Uint8Array([0x16, 3, 3, 0, 0x40])))
  );
  const client = await createHttpClient({ tls: { caSource: "none", insecureSkipVerify: true }, connectTimeoutMs: 300 });
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, { signal: AbortSignal.timeout(5_000) }),
      (error: Error & { cause?: Error }) =>
        /Connect Timeout Error \(connected, but the TLS handshake did not finish within 300 ms\)/.test(
          `${error.message} ${error.cause?.message}`,
        ),
    );
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("createHttpClient() says no connection was set up through a SOCKS5 proxy that never answers", async () => {
  // The proxy took the connection: that is no answer of the API server to a TLS hello, and no TLS advice may follow.
  const server = await silentServer();
  const client = await createHttpClient({
    tls: { caSource: "none", insecureSkipVerify: true },
    proxyUrl: `socks5://127.0.0.1:${server.port}`,
    connectTimeoutMs: 300,
  });
  try {
    await assert.rejects(
      client.fetch("https://127.0.0.1:6443/version", { signal: AbortSignal.timeout(5_000) }),
      (error: Error & { cause?: Error }) =>
        /no connection set up within 300 ms/.test(`${error.message} ${error.cause?.message}`),
    );
  } finally {
    client.close();
    await server.close();
  }
});

// Our own connect timeout, in undici's words, which the API errors report as an unreachable server.
Deno.test("createHttpClient() fails a connection that is not set up within its connect timeout", async () => {
  // Accepts and never answers: the TLS handshake never ends.
  const server = await silentServer();
  const { port } = server;
  const client = await createHttpClient({ tls: { caSource: "none", insecureSkipVerify: true }, connectTimeoutMs: 300 });
  const started = Date.now();
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(5_000) }),
      (error: Error & { code?: string }) => error.code === "UND_ERR_CONNECT_TIMEOUT",
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2_000, `failed ${elapsed} ms after the start`);
  } finally {
    client.close();
    await server.close();
  }
});

// undici's destroy() waits for a connection still being set up instead of ending it: a client closed while its
// server had not completed TLS, a proxy had not answered or a network dropped its packets kept the connection and the
// connect timer (ours, or undici's to an HTTP(S) proxy) until that timer fired (10 s), and a `deno test
// --sanitize-ops` that left its watch then found the timer still pending. Node's own client (`node_http_client.ts`)
// ends the connection with the request.
const neverSetUp = {
  "a server that never completes TLS": undefined,
  "a SOCKS5 proxy that never answers": "socks5",
  "an HTTPS proxy that never completes TLS": "https",
};
for (const [via, proxy] of Object.entries(neverSetUp)) {
  Deno.test({
    name: `createHttpClient() ends a connection still being set up when it is closed: ${via}`,
    // Through an HTTP(S) proxy, undici's own timers go on for under a second (README, "Process lifetime").
    sanitizeOps: proxy !== "https",
    sanitizeResources: proxy !== "https",
    async fn() {
      let accepted!: (socket: Socket) => void;
      const connection = new Promise<Socket>((resolve) => accepted = resolve);
      const server = await silentServer((socket) => accepted(socket));
      const { port } = server;
      const client = await createHttpClient({
        tls: { caSource: "none", insecureSkipVerify: true },
        ...(proxy ? { proxyUrl: `${proxy}://127.0.0.1:${port}` } : {}),
      });
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const url = `https://127.0.0.1:${proxy ? 6443 : port}/version`;
        const request = client.fetch(url, { signal: controller.signal });
        const socket = await connection;
        const closed = new Promise<string>((resolve) => socket.once("close", () => resolve("closed")));
        controller.abort();
        await assert.rejects(request);
        client.close();
        const outcome = await Promise.race([
          closed,
          new Promise<string>((resolve) => timer = setTimeout(() => resolve("still open after 1 s"), 1_000)),
        ]);
        assert.equal(outcome, "closed");
      } finally {
        clearTimeout(timer);
        client.close();
        await server.close();
      }
    },
  });
}

Deno.test("createHttpClient() traces nothing of http2 on Deno: resolveClusterAccess() does, once per access", async () => {
  const traces: string[] = [];
  const before = setTraceSink((text) => traces.push(text));
  try {
    for (const http2 of [true, undefined, false]) {
      (await createHttpClient({ tls: { caSource: "none" }, ...(http2 === undefined ? {} : { http2 }) })).close();
    }
    assert.deepEqual(traces, []);
  } finally {
    setTraceSink(before ?? undefined);
  }
});
