// The `node:http` client that Node and Bun use, run here on Deno's `node:http`; Node and Bun run it through
// every scenario of tests/runtimes/, and tests/process_exit_test.ts checks that its sockets let a script exit.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createSecureServer as createHttp2Server } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer } from "node:net";
import type { TLSSocket } from "node:tls";
import { nodeHttpClient } from "../src/runtime/node_http_client.ts";
import type { PushedBody } from "../src/runtime/pushed_body.ts";
import { listening } from "./_listening.ts";
import { childEnv } from "./_child_env.mjs";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** A plain HTTP server answering with `handler`, recording each request's method, path and body. */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => body += chunk);
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers["content-type"] ?? "-"} ${body}`);
      handler(req, res);
    });
  });
  const { port, close } = await listening(server);
  return { url: `http://127.0.0.1:${port}`, seen, close };
}

Deno.test("nodeHttpClient() sends a POST with its body and does not follow a redirect", async () => {
  const server = await httpServer((_req, res) => res.writeHead(307, { location: "/elsewhere" }).end());
  const client = nodeHttpClient({ caSource: "none" });
  try {
    const { response } = await client.fetch(`${server.url}/reviews`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"kind":"SelfSubjectReview"}',
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 307);
    assert.equal(response.headers.get("location"), "/elsewhere");
    await response.body?.cancel();
    assert.deepEqual(server.seen, ['POST /reviews application/json {"kind":"SelfSubjectReview"}']);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() answers a 204 without a body", async () => {
  const server = await httpServer((_req, res) => res.writeHead(204).end());
  const client = nodeHttpClient({ caSource: "none" });
  try {
    const { response, chunks } = await client.fetch(`${server.url}/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(response.status, 204);
    assert.equal(response.body, null);
    assert.equal(chunks, null);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() pushes a watch body's chunks until its signal aborts", async () => {
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"type":"ADDED"}\n');
  });
  const client = nodeHttpClient({ caSource: "none" });
  const controller = new AbortController();
  try {
    const { response, chunks } = await client.fetch(`${server.url}/watch`, { signal: controller.signal });
    assert.equal(response.headers.get("content-type"), "application/json");
    const received: string[] = [];
    const ended = (chunks as PushedBody).push((read) => {
      received.push(...read.map((chunk) => new TextDecoder().decode(chunk)));
      controller.abort(new Error("stopped"));
    }, controller.signal);
    await assert.rejects(ended, /stopped/);
    assert.deepEqual(received, ['{"type":"ADDED"}\n']);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() checks the server against the CA and the server name, and sends its certificate", async () => {
  const subjects: string[] = [];
  const server = await listening(
    createHttpsServer(
      { cert: fixture("server.pem"), key: fixture("server-key.pem"), ca: fixture("ca.pem"), requestCert: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        subjects.push(String(peer.subject?.CN));
        res.writeHead(200).end("{}");
      },
    ),
  );
  const url = `https://127.0.0.1:${server.port}/version`;
  const tls = {
    ca: fixture("ca.pem"),
    caSource: "ca.pem",
    cert: fixture("client.pem"),
    key: fixture("client-key.pem"),
  };
  const clients = [nodeHttpClient({ ...tls, serverName: "localhost" })];
  try {
    const { response } = await clients[0].fetch(url, { signal: AbortSignal.timeout(5000) });
    assert.equal(await response.text(), "{}");
    assert.deepEqual(subjects, ["kgr-resolver test client"]);
    clients.push(nodeHttpClient({ ...tls, serverName: "kubernetes" }));
    await assert.rejects(clients[1].fetch(url, { signal: AbortSignal.timeout(5000) }), /kubernetes/);
    clients.push(nodeHttpClient({ ca: fixture("other-ca.pem"), caSource: "other-ca.pem" }));
    await assert.rejects(clients[2].fetch(url, { signal: AbortSignal.timeout(5000) }));
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() names HTTP/1.1 in its TLS hello, which an HTTP/2-only server refuses in TLS", async () => {
  // A gRPC server's port: without the name, Node's HTTP/2 server answered 403, taken for a missing RBAC grant.
  const server = await listening(createHttp2Server({ cert: fixture("server.pem"), key: fixture("server-key.pem") }));
  const client = nodeHttpClient({ ca: fixture("ca.pem"), caSource: "ca.pem" });
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, { signal: AbortSignal.timeout(5000) }),
      /no.?application.?protocol/i,
    );
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() rejects an aborted request at once while TLS is still being set up", async () => {
  // Accepts and never answers: the TLS handshake never ends.
  const server = await listening(createNetServer());
  const client = nodeHttpClient({ caSource: "none", insecureSkipVerify: true });
  const controller = new AbortController();
  let abortedAt = Infinity;
  setTimeout(() => {
    abortedAt = Date.now();
    controller.abort();
  }, 200);
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, { signal: controller.signal }),
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

Deno.test("nodeHttpClient() rejects with the signal's reason, whatever it is, when aborted before an answer", async () => {
  // Accepts and never answers. A reason that is no object (abort(null)) was read for an error code, and the request
  // rejected with "Cannot read properties of null (reading 'code')" instead.
  const server = await listening(createNetServer());
  const client = nodeHttpClient({ caSource: "none" });
  const controller = new AbortController();
  setTimeout(() => controller.abort(null), 100);
  try {
    let rejected: unknown = "not rejected";
    await client.fetch(`http://127.0.0.1:${server.port}/version`, { signal: controller.signal }).catch((error) => {
      rejected = error;
    });
    assert.equal(rejected, null);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() says a connection that was set up got no answer to its TLS hello, not that none was", async () => {
  // Was "no connection set up within 300 ms", which the API errors report as a server out of reach: kubectl says
  // "TLS handshake timeout" for a server that takes the connection and never answers (a stopped API server).
  const server = await listening(createNetServer());
  const client = nodeHttpClient({ caSource: "none", insecureSkipVerify: true }, 300);
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, {}),
      (error: Error & { code?: string }) =>
        error.code === "UND_ERR_CONNECT_TIMEOUT" &&
        error.message === "Connect Timeout Error (connected, but the TLS handshake did not finish within 300 ms)",
    );
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() says a server that began its TLS answer and stalled did not finish the handshake", async () => {
  // Was "connected, but no answer to the TLS hello": it answered, with the first bytes of a handshake record.
  const server = await listening(
    createNetServer((socket) => socket.once("data", () => socket.write(new Uint8Array([0x16, 3, 3, 0, 0x40])))),
  );
  const client = nodeHttpClient({ caSource: "none", insecureSkipVerify: true }, 300);
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, {}),
      (error: Error) =>
        error.message === "Connect Timeout Error (connected, but the TLS handshake did not finish within 300 ms)",
    );
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() fails a request whose new connection does not complete TLS in time", async () => {
  // Accepts and never answers, as a stopped API server does: without a limit, the request waited for ever.
  const server = await listening(createNetServer());
  const client = nodeHttpClient({ caSource: "none", insecureSkipVerify: true }, 300);
  const started = Date.now();
  try {
    await assert.rejects(
      client.fetch(`https://127.0.0.1:${server.port}/version`, {}),
      (error: Error & { code?: string }) =>
        error.code === "UND_ERR_CONNECT_TIMEOUT" && /Connect Timeout Error/.test(error.message),
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2000, `failed ${elapsed} ms after the start, with a 300 ms limit`);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("nodeHttpClient() on Node closes a pooled connection once idle, not one a quiet watch is on", async () => {
  // Deno's node:http sends again a request whose reused connection was reset; Node's does not, so this runs on Node.
  assert.equal(await runOnNode("idle_connection.mjs"), "answers: {} {}, connections: 2");
});

Deno.test("nodeHttpClient() on Node ends a watch answer its reader stops without an error on the request or answer", async () => {
  // OpenTelemetry's http instrumentation marks a span ERROR when either emits one: every watch the resolver stopped
  // itself (its last channel closed) showed as a failed request, "This operation was aborted". A watch failed with a
  // reason (a stall) still errors with it, and a body read as a stream fails with the signal's reason, as with fetch.
  assert.equal(
    await runOnNode("stopped_watch.mjs"),
    "stopped: This operation was aborted, errors: none; stalled: stalled, errors: request: stalled; response: stalled; " +
      "stream: timed out, errors: request: timed out; response: timed out",
  );
});

Deno.test("nodeHttpClient() on Node builds one TLS context for all its connections, not one a connection", async () => {
  // Built from the CA, certificate and key again for every connection, 500 watches reconnecting after an API-server
  // restart took seconds of CPU on Node's loop; client-go keeps one tls.Config per transport.
  assert.equal(await runOnNode("tls_context.mjs"), "answers: 3, TLS contexts: 1");
});

Deno.test("the cluster HTTP clients of one cluster on Node share a TLS context and resume its TLS sessions", async () => {
  // One client a watch built a context a watch (500 watches starting at once stopped Node's loop for 0.7-1.3 s) and
  // cached no session for the next watch's connection: each did a full handshake with the client certificate.
  assert.equal(await runOnNode("cluster_sessions.mjs"), "answers: 3, TLS contexts: 1, resumed: 2");
});

Deno.test("nodeHttpClient() on Node sends its credentials without NODE_DEBUG=http printing them", async () => {
  // Node's debug output prints the options given to http.request(), headers included: the bearer token showed.
  const token = "kgr-debug-canary-5be07c31";
  if (!existsSync(new URL("../dist/src/runtime/node_http_client.js", import.meta.url))) {
    throw new Error("Cannot run the Node script: the package is not built: run `npm run build` first");
  }
  const path = new URL("./node_http_client/debug_credentials.mjs", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command("node", {
    env: childEnv({ ...Deno.env.toObject(), NODE_DEBUG: "http" }),
    args: [path, token],
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.equal(decoder.decode(stdout).trim(), "authorization: true, proxy-authorization: true");
  assert.match(decoder.decode(stderr), /^HTTP \d+: /m, "NODE_DEBUG=http printed nothing: the check proves nothing");
  assert.ok(!decoder.decode(stderr).includes(token), `NODE_DEBUG=http printed the token: ${decoder.decode(stderr)}`);
});

for (
  const [runtime, program] of [["Node", "node"], ["Bun", new URL("../node_modules/.bin/bun", import.meta.url).pathname]]
) {
  Deno.test(`nodeHttpClient() on ${runtime} sends a GET again when its pooled connection was closed while stopped`, async () => {
    // A process resumed after a pause reads the end of a watch and the server's close of the idle connection at
    // once; the watch resumed on the socket given back failed (EPIPE, ECONNRESET) and waited for a backoff.
    assert.equal(
      await runOnNode("paused_reuse.mjs", program),
      'answers: {"connection":1} {"connection":2}, connections: 2',
    );
  });

  Deno.test(`nodeHttpClient() on ${runtime} pushes a socket read's chunks of a body together`, async () => {
    // A watch burst comes as one chunk of the transfer encoding per event, dozens in one socket read: read one by
    // one, every event ended a read, and the watch told of the burst's first state on its own (Bun).
    assert.equal(await runOnNode("burst_chunks.mjs", program), "chunks: 2, first: the whole burst");
  });

  Deno.test(`nodeHttpClient() on ${runtime} pushes the TLS records of a socket read of a body together`, async () => {
    // Over TLS, as every real API server serves, Node handed over one chunk per TLS record (16 KB): a burst of 300
    // events of a 5,000-endpoint Service came as 108 chunks in protobuf, 300 in JSON.
    assert.equal(await runOnNode("burst_chunks.mjs", program, ["tls"]), "chunks: 2, first: the whole burst");
  });
}

/**
 * Runs a script of `node_http_client/` on Node (or `program`: Bun) with `args`, against the built package; gives its output,
 * trimmed.
 */
async function runOnNode(script: string, program = "node", args: string[] = []): Promise<string> {
  if (!existsSync(new URL("../dist/src/runtime/node_http_client.js", import.meta.url))) {
    throw new Error("Cannot run the Node script: the package is not built: run `npm run build` first");
  }
  const path = new URL(`./node_http_client/${script}`, import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(program, { env: childEnv(), args: [path, ...args] }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout).trim();
}
