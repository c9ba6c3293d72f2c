// Run by tests/node_http2_client_test.ts on Node and Bun, against the built package: one scenario of the HTTP/2
// client (named by the first argument) against loopback servers started here. Prints one line to compare.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import nodeTls from "node:tls";
import { Buffer } from "node:buffer";

const { nodeHttp2Client } = await import("../../dist/src/runtime/node_http2_client.js");
const { nodeHttpClient } = await import("../../dist/src/runtime/node_http_client.js");

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const serverTls = { cert: fixture("server.pem"), key: fixture("server-key.pem") };
const tls = { ca: fixture("ca.pem"), caSource: "ca.pem" };
const signal = () => AbortSignal.timeout(10_000);

/** The real `Date.now`, which the pingClockBack scenario sets back for a while. */
const wallClock = Date.now;

/** A secure HTTP/2 server on loopback answering with `handler`; counts its sessions. */
async function h2Server(handler, settings = {}, allowHTTP1 = false) {
  const server = http2.createSecureServer({ ...serverTls, settings, allowHTTP1 });
  const sessions = new Set();
  let opened = 0;
  server.on("session", (session) => {
    opened++;
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {}); // A refused or cancelled stream.
    handler(stream, headers);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    port: server.address().port,
    opened: () => opened,
    sessions,
    unref: () => server.unref(),
    close() {
      for (const session of sessions) session.destroy();
      server.close();
    },
  };
}

/**
 * The TLS sockets opened from now on (`_http2_connection.ts` calls `tls.connect` on the module object): a socket our
 * side only ended stays open, which a Node server that sent GOAWAY never closes either.
 */
function tlsSockets() {
  const sockets = [];
  const connect = nodeTls.connect;
  nodeTls.connect = (...args) => {
    const socket = connect(...args);
    sockets.push(socket);
    return socket;
  };
  return sockets;
}

/** A TLS server on loopback that picks h2 in ALPN and then says nothing: no SETTINGS frame ever comes. */
async function silentH2Server() {
  const server = nodeTls.createServer(
    { ...serverTls, ALPNProtocols: ["h2"] },
    (socket) => socket.on("error", () => {}),
  );
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** A loopback relay to `port` that passes each chunk on 100 ms after it came, in order, both ways. */
async function delayedRelay(port) {
  // One queue a direction, drained in order: timers due at the same time need not fire in the order they were set,
  // and a TLS record passed on out of order fails the connection.
  const delayed = (to) => {
    const queue = [];
    const drain = () => {
      while (queue.length > 0 && queue[0].at <= Date.now()) {
        const { data } = queue.shift();
        if (!to.destroyed) to.write(data);
      }
      if (queue.length > 0) setTimeout(drain, queue[0].at - Date.now());
    };
    return (data) => {
      queue.push({ at: Date.now() + 100, data });
      if (queue.length === 1) setTimeout(drain, 100);
    };
  };
  const sockets = new Set();
  const relay = net.createServer((downstream) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(downstream).add(upstream);
    downstream.on("data", delayed(upstream));
    upstream.on("data", delayed(downstream));
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
  });
  await new Promise((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const close = relay.close.bind(relay);
  relay.close = () => {
    for (const socket of sockets) socket.destroy();
    return close();
  };
  return relay;
}

/** A loopback relay to `port` that passes chunks on while its `forwarding` is true, and drops them meanwhile. */
async function pausableRelay(port) {
  const relay = net.createServer((downstream) => {
    const upstream = net.connect(port, "127.0.0.1");
    downstream.on("data", (chunk) => relay.forwarding && upstream.write(chunk));
    upstream.on("data", (chunk) => relay.forwarding && downstream.write(chunk));
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
  });
  relay.forwarding = true;
  await new Promise((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return relay;
}

/**
 * A loopback relay to `port` that stops passing the server's bytes on its first connection once it passed `bytes` of
 * them, and keeps that connection open (a frozen connection: a NAT or proxy that lost it, a server hung mid-answer);
 * the connections after it are relayed whole. Counts its connections.
 */
async function freezingRelay(port, bytes) {
  const sockets = new Set();
  let connections = 0;
  const relay = net.createServer((downstream) => {
    const frozen = ++connections === 1;
    let passed = 0;
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(downstream).add(upstream);
    downstream.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (frozen && passed + chunk.length > bytes) return void (passed = bytes);
      passed += chunk.length;
      downstream.write(chunk);
    });
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
  });
  await new Promise((resolve) => relay.listen(0, "127.0.0.1", resolve));
  relay.connections = () => connections;
  const close = relay.close.bind(relay);
  relay.close = () => {
    for (const socket of sockets) socket.destroy();
    return close();
  };
  return relay;
}

/**
 * What the frozen scenarios share: a server that answers `/watch` with a line and keeps it open, and anything else
 * with 1 MB; a {@linkcode freezingRelay} to it that freezes after 300 kB; the TLS sockets; a client that pings after
 * 20 s of silence (500 ms for the PONG); and `list()`, a LIST through the relay read under a stall deadline of 1 s,
 * as the reflector reads one, which gives its length or why it failed.
 */
async function frozenSetup() {
  const { stallDeadline } = await import("../../dist/src/watch/_stall_deadline.js");
  const { systemClock } = await import("../../dist/src/runtime/clock.js");
  const server = await h2Server((stream, headers) => {
    stream.respond({ ":status": 200 });
    if (headers[":path"] === "/watch") stream.write("open\n");
    else stream.end("x".repeat(1_000_000));
  });
  const relay = await freezingRelay(server.port, 300_000);
  relay.url = `https://127.0.0.1:${relay.address().port}`;
  const sockets = tlsSockets();
  const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 20_000, pingTimeoutMs: 500, idleCloseMs: 4_000 });
  const list = async () => {
    const deadline = stallDeadline(signal(), { clock: systemClock, stallTimeoutMs: 1_000 });
    try {
      const reader = (await client.fetch(`${relay.url}/list`, { signal: deadline.signal })).response.body.getReader();
      for (let length = 0;;) {
        const { done, value } = await reader.read();
        if (done) return `${length} bytes`;
        length += value.length;
        deadline.touch();
      }
    } catch (error) {
      return `failed: ${error.what ?? error.message}`;
    } finally {
      deadline.dispose();
    }
  };
  return { server, relay, sockets, client, list };
}

/** A server that answers every request with `{}`, behind a {@linkcode delayedRelay}, and the relay's URL. */
async function delayedServer() {
  const server = await h2Server((stream) => {
    stream.respond({ ":status": 200 });
    stream.end("{}");
  });
  const relay = await delayedRelay(server.port);
  return { server, relay, url: `https://127.0.0.1:${relay.address().port}` };
}

/** The body of an answer, as text. */
async function text(answer) {
  return await answer.response.text();
}

/** The first chunk of an answer's body, as text, leaving the rest to come. */
async function firstChunk(answer) {
  const reader = answer.response.body.getReader();
  const { value } = await reader.read();
  return { first: new TextDecoder().decode(value), reader };
}

/** How a body the server stopped mid-way (`reset`: RST_STREAM(NO_ERROR), `gone`: its session destroyed) is read. */
async function midBody(how, withLength) {
  const server = await h2Server((stream) => {
    stream.respond({ ":status": 200, ...(withLength ? { "content-length": "100" } : {}) });
    stream.write("open\n");
    setTimeout(() => how === "reset" ? stream.close(http2.constants.NGHTTP2_NO_ERROR) : stream.session.destroy(), 50);
  });
  const client = nodeHttp2Client(tls);
  try {
    const answer = await client.fetch(`${server.url}/list`, { signal: signal() });
    const { first, reader } = await firstChunk(answer);
    const rest = async () => {
      for (;;) if ((await reader.read()).done) return "ended";
    };
    const then = await rest().catch((error) => `failed: ${error.message}`);
    return `first: ${first.trim()}, then: ${then}`;
  } finally {
    client.close();
    server.close();
  }
}

const scenarios = {
  /** A GET, a long body streamed in many chunks, and both on one session. */
  async get() {
    const big = "x".repeat(64 * 1024);
    const server = await h2Server((stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "application/json" });
      if (headers[":path"] !== "/long") return stream.end('{"kind":"Status"}');
      let sent = 0;
      const more = () => {
        while (sent < 32) {
          sent++;
          if (!stream.write(big)) return stream.once("drain", more);
        }
        stream.end();
      };
      more();
    });
    const client = nodeHttp2Client(tls);
    try {
      const short = await text(await client.fetch(`${server.url}/version`, { signal: signal() }));
      const long = await text(await client.fetch(`${server.url}/long`, { signal: signal() }));
      return `get: ${short}, long: ${long.length}, sessions: ${server.opened()}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** Three streams held open on a server that allows two a connection. */
  async limit() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
    }, { maxConcurrentStreams: 2 });
    const client = nodeHttp2Client(tls);
    const controller = new AbortController();
    try {
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          client.fetch(`${server.url}/watch`, { signal: AbortSignal.any([controller.signal, signal()]) })
        ),
      );
      const firsts = await Promise.all(answers.map(async (answer) => (await firstChunk(answer)).first.trim()));
      return `answers: ${firsts.join(" ")}, sessions: ${server.opened()}`;
    } finally {
      controller.abort();
      client.close();
      server.close();
    }
  },

  /** A GOAWAY with a stream under way (it finishes), then a stream refused (sent again on a new session). */
  async goaway() {
    let refused = 0;
    let finish;
    const server = await h2Server((stream, headers) => {
      const path = headers[":path"];
      if (path === "/watch") {
        stream.respond({ ":status": 200 });
        stream.write("a\n");
        // The server goes away, letting this stream (the last it took) finish.
        stream.session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
        finish = () => stream.end("b\n");
        return;
      }
      if (path === "/refused" && refused++ === 0) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ":status": 200 });
      stream.end(`${path} answered`);
    });
    const client = nodeHttp2Client(tls);
    try {
      const watch = await client.fetch(`${server.url}/watch`, { signal: signal() });
      const { first, reader } = await firstChunk(watch);
      const after = await text(await client.fetch(`${server.url}/after`, { signal: signal() }));
      finish();
      let rest = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      const again = await text(
        // A GET: Bun reports a refused stream as one closed with no error code, which only a GET is sent again after.
        await client.fetch(`${server.url}/refused`, { signal: signal() }),
      );
      return `watch: ${(first + rest).trim().split("\n").join(",")}, after: ${after}, refused: ${refused}, ${again}, ` +
        `sessions: ${server.opened()}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /**
   * Twenty GETs on sessions that the server sends away at their first stream, eight in a row (a restarting
   * kube-apiserver, or one with --goaway-chance, at start): every GET is sent again until a session takes it.
   */
  async goawayStorm() {
    const server = await h2Server((stream) => {
      const session = stream.session;
      if (server.opened() <= 8 && !session.wentAway) {
        session.wentAway = true;
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
      }
      if (session.wentAway) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ":status": 200 });
      stream.end("ok");
    });
    const client = nodeHttp2Client(tls);
    try {
      const answers = await Promise.all(Array.from(
        { length: 20 },
        () => client.fetch(`${server.url}/a`, { signal: signal() }).then(text, (error) => `failed: ${error.message}`),
      ));
      const answered = answers.filter((answer) => answer === "ok").length;
      const failed = [...new Set(answers.filter((answer) => answer !== "ok"))];
      return `answered: ${answered} of 20, more than 8 sessions: ${server.opened() > 8}${
        failed.map((f) => `, ${f}`).join("")
      }`;
    } finally {
      client.close();
      server.close();
    }
  },

  /**
   * A server that sends away every session at its first stream: twenty GETs fail after the resend time, saying so,
   * on a few connections a second (pauses off, as the worst case), which we close rather than leave open.
   */
  async goawayAlways() {
    const sockets = tlsSockets();
    let streams = 0;
    const server = await h2Server((stream) => {
      streams++;
      stream.session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    const timing = {
      pingIdleMs: 30_000,
      pingTimeoutMs: 15_000,
      idleCloseMs: 4_000,
      resendMs: 600,
      resendPauseMs: [0, 0],
    };
    const client = nodeHttp2Client(tls, 10_000, timing);
    try {
      const failures = await Promise.all(Array.from(
        { length: 20 },
        () => client.fetch(`${server.url}/a`, { signal: signal() }).then(() => "answered", (error) => error),
      ));
      const failure = failures[0];
      const message = failure.message.replace(/on (\d+) connections? in ([\d.]+) s/, "on N connections in S s");
      const [, connections, seconds] = /on (\d+) connections? in ([\d.]+) s/.exec(failure.message) ?? [];
      const same = failures.every((f) => f.message?.includes("refused new streams after GOAWAY"));
      await new Promise((resolve) => setTimeout(resolve, 300));
      console.error(`connections opened: ${server.opened()}, streams: ${streams}`);
      return `failed: ${message}, all 20 so: ${same}, connections > 2: ${connections > 2}, in 0.6-1.5 s: ${
        seconds >= 0.6 && seconds < 1.5
      }, opened <= 8: ${server.opened() <= 8}, streams <= 200: ${streams <= 200}, ` +
        `sockets open after: ${sockets.filter((socket) => !socket.destroyed).length}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A server that closes every stream with code 0 before answering, without GOAWAY: a few sends, then its words. */
  async closedEarly() {
    let streams = 0;
    const server = await h2Server((stream) => {
      streams++;
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    const client = nodeHttp2Client(tls);
    try {
      const started = performance.now();
      const failure = await client.fetch(`${server.url}/a`, { signal: signal() }).then(() => "answered", (e) => e);
      return `failed: ${failure.message}, sends: ${streams}, within 1 s: ${performance.now() - started < 1_000}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A session without streams closes after the idle time; the next request opens another. */
  async idle() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.end("{}");
    });
    const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 30_000, pingTimeoutMs: 15_000, idleCloseMs: 200 });
    try {
      await text(await client.fetch(`${server.url}/a`, { signal: signal() }));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const open = server.sessions.size;
      await text(await client.fetch(`${server.url}/b`, { signal: signal() }));
      return `open after the idle time: ${open}, sessions: ${server.opened()}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A watch nobody closed does not keep the process alive, as `node_http_client.ts`'s sockets do not. */
  async lifetime() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
    });
    server.unref();
    const client = nodeHttp2Client(tls);
    const { first } = await firstChunk(await client.fetch(`${server.url}/watch`, {}));
    // The server's side is let go too: only the client's session is left.
    for (const session of server.sessions) session.unref();
    process.on("exit", () => console.log(`watching: ${first.trim()}, then exited`));
    return undefined;
  },

  /** A 4 MiB body over a link with 100 ms of latency each way comes in a few round trips, not 64 of 64 KiB. */
  async window() {
    const chunk = "x".repeat(64 * 1024);
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      let sent = 0;
      const more = () => {
        while (sent < 64) {
          sent++;
          if (!stream.write(chunk)) return stream.once("drain", more);
        }
        stream.end();
      };
      more();
    });
    const relay = await delayedRelay(server.port);
    const client = nodeHttp2Client(tls);
    try {
      const started = Date.now();
      const body = await text(
        await client.fetch(`https://127.0.0.1:${relay.address().port}/list`, { signal: AbortSignal.timeout(20_000) }),
      );
      const ms = Date.now() - started;
      // About 1 s here (a few round trips of 200 ms); 64 windows of 64 KiB took 14 s. 6 s leaves room for a loaded machine.
      return `body: ${body.length}, within 6 s: ${ms < 6_000}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /**
   * The first request of a new connection goes with the client's SETTINGS, as Go's transport sends it, not a round
   * trip later once the server's have come: TLS 1.3 and the request are 2 round trips of 200 ms, and were 3.
   */
  async firstRequest() {
    const { server, relay, url } = await delayedServer();
    const client = nodeHttp2Client(tls);
    try {
      const started = Date.now();
      await text(await client.fetch(`${url}/version`, { signal: signal() }));
      return `round trips: ${Math.floor((Date.now() - started) / 200)}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /** A request waiting for its session when the client is closed fails so, rather than going on over HTTP/1.1. */
  async closed() {
    const { server, relay, url } = await delayedServer();
    const client = nodeHttp2Client(tls);
    try {
      const request = client.fetch(`${url}/version`, { signal: signal() });
      setTimeout(() => client.close(), 50);
      const failure = await request.then(() => "answered", (error) => error.message);
      return `failed: ${failure}`;
    } finally {
      relay.close();
      server.close();
    }
  },

  /** The same once TLS is done, while the server's SETTINGS are awaited (a server that never sends them). */
  async closedSettings() {
    const server = await silentH2Server();
    server.on("secureConnection", () => setTimeout(() => client.close(), 50));
    const client = nodeHttp2Client(tls);
    try {
      const request = client.fetch(`https://127.0.0.1:${server.address().port}/version`, { signal: signal() });
      const failure = await request.then(() => "answered", (error) => error.message);
      return `failed: ${failure}`;
    } finally {
      server.close();
    }
  },

  /** The first request, sent before the server's SETTINGS, ends with its signal, not with the wait for them. */
  async abortedSettings() {
    const server = await silentH2Server();
    const client = nodeHttp2Client(tls);
    try {
      const started = Date.now();
      const request = client.fetch(`https://127.0.0.1:${server.address().port}/version`, {
        signal: AbortSignal.timeout(200),
      });
      const failure = await request.then(() => "answered", (error) => error.name);
      return `failed: ${failure}, within 2 s: ${Date.now() - started < 2_000}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A server that finishes TLS, picks h2 and never sends its SETTINGS: a connect timeout that says so. */
  async silentSettings() {
    const server = await silentH2Server();
    const client = nodeHttp2Client(tls, 300);
    try {
      const request = client.fetch(`https://127.0.0.1:${server.address().port}/version`, { signal: signal() });
      const failure = await request.then(() => "answered", (error) => `${error.code} ${error.message}`);
      return `failed: ${failure}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A POST whose stream was refused (REFUSED_STREAM: never processed) is sent again where the runtime says so. */
  async refusedPost() {
    let refused = 0;
    const server = await h2Server((stream) => {
      if (refused++ === 0) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ":status": 200 });
      stream.end("answered");
    });
    const client = nodeHttp2Client(tls);
    try {
      const answer = await client.fetch(`${server.url}/reviews`, { method: "POST", body: "{}", signal: signal() })
        .then(text, (error) => `failed: ${error.message}`);
      return `${answer}, tries: ${refused}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A server that stops answering (a relay that stops forwarding) under a watch is noticed by PING. */
  async ping(clockBack = false) {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
    });
    const relay = await pausableRelay(server.port);
    const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 400, pingTimeoutMs: 400, idleCloseMs: 4_000 });
    try {
      const watch = await client.fetch(`https://127.0.0.1:${relay.address().port}/watch`, { signal: signal() });
      const { reader } = await firstChunk(watch);
      // Alive while the relay forwards: PINGs come back.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      relay.forwarding = false;
      // The wall clock set back an hour (NTP, a VM restored) as the server stops answering: the silence still counts.
      if (clockBack) Date.now = () => wallClock() - 3_600_000;
      const stopped = performance.now();
      const failure = await reader.read().then(() => "read", (error) => error);
      const ms = performance.now() - stopped;
      // The watch resumes on a new connection at once (the relay forwards again on it).
      relay.forwarding = true;
      const resumed = await client.fetch(`https://127.0.0.1:${relay.address().port}/watch`, { signal: signal() });
      const { first } = await firstChunk(resumed);
      return `failed: ${failure.message} (${failure.code}), within 5 s: ${ms < 5_000}, then: ${first.trim()}`;
    } finally {
      Date.now = wallClock;
      client.close();
      relay.close();
      server.close();
    }
  },

  /**
   * A server that stops answering under two watches on one session, one of which we abort meanwhile: our own close of
   * a stream is no word of the server's, and the PING comes as early as without it.
   */
  async pingOwnClose() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
    });
    const relay = await pausableRelay(server.port);
    const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 1_000, pingTimeoutMs: 400, idleCloseMs: 4_000 });
    const url = `https://127.0.0.1:${relay.address().port}`;
    try {
      const { reader } = await firstChunk(await client.fetch(`${url}/a`, { signal: signal() }));
      const aborted = new AbortController();
      await firstChunk(await client.fetch(`${url}/b`, { signal: aborted.signal }));
      relay.forwarding = false;
      const stopped = performance.now();
      // Stream B stopped by us (a stall timer, a re-read) while the server says nothing.
      setTimeout(() => aborted.abort(), 800);
      const failure = await reader.read().then(() => "read", (error) => error);
      const ms = performance.now() - stopped;
      // Silence of 1 s, then 400 ms for the PONG, checked every 250 ms: 1.4-1.7 s; 2.2 s or more had B's close counted.
      return `failed: ${failure.code}, within 2 s: ${ms < 2_000}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /**
   * A watch the server lets run after GOAWAY, then the server stops answering: Node cancels the PINGs of such a
   * session, which is then ended by silence alone; Bun pings it.
   */
  async pingAfterGoaway() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
      stream.session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
    });
    const relay = await pausableRelay(server.port);
    const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 400, pingTimeoutMs: 400, idleCloseMs: 4_000 });
    try {
      const watch = await client.fetch(`https://127.0.0.1:${relay.address().port}/watch`, { signal: signal() });
      const { reader } = await firstChunk(watch);
      await new Promise((resolve) => setTimeout(resolve, 200));
      relay.forwarding = false;
      const stopped = performance.now();
      const failure = await reader.read().then(() => "read", (error) => error);
      // 0.8 s of silence, checked every 100 ms: the request's own 10 s timeout before.
      return `failed: ${failure.code}, within 3 s: ${performance.now() - stopped < 3_000}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /**
   * A quiet watch on a healthy server that sends GOAWAY 0.9 s after the watch's last data: the silence is counted from
   * the GOAWAY (a frame read), so on Node, which cannot ping the session then, the watch moves 2 s after it, not 1.1 s.
   */
  async goawayQuiet() {
    let wentAway = 0;
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
      setTimeout(() => {
        wentAway = performance.now();
        stream.session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
      }, 900);
    });
    const client = nodeHttp2Client(tls, 10_000, { pingIdleMs: 1_000, pingTimeoutMs: 1_000, idleCloseMs: 4_000 });
    try {
      const watch = await client.fetch(`${server.url}/watch`, { signal: signal() });
      const { reader } = await firstChunk(watch);
      const timeout = new Promise((resolve) => setTimeout(() => resolve("open"), 4_500));
      const failure = await Promise.race([reader.read().then(() => "read", (error) => error), timeout]);
      if (typeof failure === "string") return `${failure} 3.6 s after GOAWAY`;
      const after = performance.now() - wentAway;
      return `failed: ${failure.message}, not before 1.8 s: ${after >= 1_800}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /**
   * A connection that freezes in the middle of a 1 MB LIST while a watch shares it: the LIST's stall deadline (1 s
   * here, as the reflector's) aborts it, and the LIST sent again goes on a new connection, not on the frozen one; the
   * watch leaves the frozen one at the PING sent at once (not after the 20 s of silence), and its socket closes.
   */
  async frozen() {
    const { server, relay, sockets, client, list } = await frozenSetup();
    const { setTraceSink } = await import("../../dist/src/runtime/trace.js");
    const traced = [];
    setTraceSink((line) => traced.push(line.replace(relay.url, "RELAY")));
    try {
      const { reader } = await firstChunk(await client.fetch(`${relay.url}/watch`, { signal: signal() }));
      const first = await list();
      const stalled = performance.now();
      const watchEnd = reader.read().then(() => "read", (error) => `failed: ${error.code}`)
        .then((end) => `${end} within 3 s: ${performance.now() - stalled < 3_000}`);
      const again = await list();
      const againMs = performance.now() - stalled;
      const watch = await watchEnd;
      // A LIST read whole, its deadline then disposed (a stop, not a stall), leaves its connection in use.
      const third = await list();
      const open = sockets.filter((socket) => !socket.destroyed).length;
      return `first: ${first}, again: ${again} within 1 s: ${againMs < 1_000}, then: ${third}, connections: ` +
        `${relay.connections()}, watch: ${watch}, sockets open: ${open}, traced: ${traced.join(" / ")}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /** The same without a watch: the frozen connection, left without streams, closes at once. */
  async frozenAlone() {
    const { server, relay, sockets, client, list } = await frozenSetup();
    try {
      const first = await list();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const open = sockets.filter((socket) => !socket.destroyed).length;
      const again = await list();
      return `first: ${first}, sockets open 100 ms after: ${open}, again: ${again}, connections: ${relay.connections()}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /** Requests the caller stopped or timed out leave their session in use: only a silent one retires it. */
  async stopped() {
    const server = await h2Server((stream, headers) => {
      stream.respond({ ":status": 200 });
      if (headers[":path"] === "/watch") stream.write("open\n");
      else stream.end("answered");
    });
    const client = nodeHttp2Client(tls);
    try {
      const stop = new AbortController();
      await firstChunk(await client.fetch(`${server.url}/watch`, { signal: stop.signal }));
      stop.abort();
      const timedOut = await client.fetch(`${server.url}/watch`, { signal: AbortSignal.timeout(300) })
        .then(async (answer) => await text(answer)).catch((error) => error.name);
      const after = await text(await client.fetch(`${server.url}/version`, { signal: signal() }));
      return `timed out: ${timedOut}, then: ${after}, sessions: ${server.opened()}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** The same with the wall clock set back as the server stops: the health check measures silence on a steady clock. */
  pingClockBack() {
    return scenarios.ping(true);
  },

  /** A 1 MB answer the server finished before closing the connection (GOAWAY), read slowly, comes whole. */
  async closedAfterAnswer() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.end("y".repeat(1_000_000));
      stream.session.close();
    });
    const client = nodeHttp2Client(tls);
    try {
      const { response } = await client.fetch(`${server.url}/list`, { signal: signal() });
      const reader = response.body.getReader();
      let read = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        read += value.length;
        await new Promise((resolve) => setTimeout(resolve, 2)); // A reader slower than loopback.
      }
      return `read: ${read}`;
    } catch (error) {
      return `failed: ${error.message}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /** A connection the server ends (FIN, as a killed API server's kernel sends) mid-answer fails it, as over HTTP/1.1. */
  async cut() {
    const server = await h2Server((stream) => {
      stream.respond({ ":status": 200 });
      stream.write("open\n");
    });
    const ends = new Set();
    const relay = net.createServer((downstream) => {
      const upstream = net.connect(server.port, "127.0.0.1");
      ends.add(downstream);
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.on("error", () => upstream.destroy());
      upstream.on("error", () => downstream.destroy());
      downstream.on("close", () => upstream.destroy());
    });
    await new Promise((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const client = nodeHttp2Client(tls);
    try {
      const watch = await client.fetch(`https://127.0.0.1:${relay.address().port}/watch`, { signal: signal() });
      const { first, reader } = await firstChunk(watch);
      for (const end of ends) end.end();
      const next = await reader.read().then(
        ({ done }) => done ? "ended" : "more",
        (error) => `failed: ${error.message}`,
      );
      return `first: ${first.trim()}, then: ${next}`;
    } finally {
      client.close();
      relay.close();
      server.close();
    }
  },

  /** A server that resets a stream mid-body with NO_ERROR (`reset`) or drops its session (`gone`), after a `length`. */
  async reset() {
    return await midBody("reset", false);
  },
  async resetWithLength() {
    return await midBody("reset", true);
  },
  async gone() {
    return await midBody("gone", false);
  },
  async goneWithLength() {
    return await midBody("gone", true);
  },

  /** An https server that speaks only HTTP/1.1 is used over HTTP/1.1, from the first request on. */
  async alpn() {
    let connections = 0;
    const server = https.createServer(serverTls, (_req, res) => res.end('{"over":"http/1.1"}'));
    server.on("connection", () => connections++);
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = nodeHttp2Client(tls);
    try {
      const url = `https://127.0.0.1:${server.address().port}/version`;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await text(await client.fetch(url, { signal: signal() })));
      return `answers: ${answers.join(" ")}, connections: ${connections}`;
    } finally {
      client.close();
      server.close();
    }
  },

  /**
   * A cluster talks HTTP/2 by default and with `http2: true`, and HTTP/1.1 with `http2: false`: the clients of the
   * first two are one, that of the third is not shared with them.
   */
  async cluster() {
    const { createClusterHttpClient } = await import("../../dist/src/api/cluster_http_client.js");
    const { resolveClusterAccess } = await import("../../dist/src/cluster/resolve_cluster_access.js");
    const versions = [];
    let connections = 0;
    const server = http2.createSecureServer({ ...serverTls, allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.end("{}");
    });
    server.on("connection", () => connections++);
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${server.address().port}`;
    const options = [{}, { http2: false }, { http2: true }];
    const accesses = await Promise.all(options.map((set) => resolveClusterAccess({ server: url, ca: tls.ca, ...set })));
    const clients = accesses.map(createClusterHttpClient);
    try {
      for (const client of clients) await text(await client.fetch(`${url}/version`, { signal: signal() }));
      return `versions (default, http2: false, http2: true): ${versions.join(" ")}, connections: ${connections}`;
    } finally {
      for (const client of clients) client.close();
      server.close();
    }
  },

  /**
   * A gRPC server's TLS port (HTTP/2 only) is named as no API server by default (HTTP/2), where it answers in gRPC,
   * as with `http2: false` (HTTP/1.1), whose ALPN it refuses.
   */
  async grpc() {
    const { default: grpc } = await import("@grpc/grpc-js");
    const { watchEndpoints } = await import("../../dist/mod.js");
    const server = new grpc.Server();
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(serverTls.key), cert_chain: Buffer.from(serverTls.cert) },
    ]);
    const port = await new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", credentials, (error, bound) => error ? reject(error) : resolve(bound))
    );
    const messages = [];
    try {
      for (const http2 of [{ http2: false }, {}]) {
        const controller = new AbortController();
        const cluster = { server: `https://127.0.0.1:${port}`, ca: tls.ca, token: "t", ...http2 };
        const onError = (error) => {
          // The runtime's own words (in parentheses) differ: an ALPN refusal, or a gRPC answer.
          const message = error.message.replace(/ \(.*\): /, " (...): ").replace(`:${port}`, ":PORT");
          messages.push(`${error.name}: ${message}`);
          controller.abort();
        };
        const target = "kubernetes:///echo.default:50051";
        for await (
          const _ of watchEndpoints(target, {
            cluster,
            signal: AbortSignal.any([controller.signal, signal()]),
            onError,
          })
        );
      }
      return `http2: false: ${messages[0]}; by default: ${messages[1]}`;
    } finally {
      server.forceShutdown();
    }
  },

  /** A CA that did not sign the server's certificate, a refused port and a wrong server name fail in HTTP/1.1's words. */
  async errors() {
    // HTTP/1.1 too, for the HTTP/1.1 client to compare with.
    const h2 = http2.createSecureServer({ ...serverTls, allowHTTP1: true }, (_req, res) => res.end("{}"));
    await new Promise((resolve) => h2.listen(0, "127.0.0.1", resolve));
    const server = { url: `https://127.0.0.1:${h2.address().port}`, close: () => h2.close() };
    const closed = net.createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const refusedPort = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const wrongCa = { ca: fixture("other-ca.pem"), caSource: "other-ca.pem" };
    const failure = async (client, url) => {
      try {
        const { response } = await client.fetch(url, { signal: signal() });
        return `answered ${response.status}`;
      } catch (error) {
        return `${error.constructor.name} ${error.code} ${error.message}`;
      } finally {
        client.close();
      }
    };
    try {
      const lines = [];
      for (
        const [name, settings, url] of [
          ["ca", wrongCa, `${server.url}/version`],
          ["refused", tls, `https://127.0.0.1:${refusedPort}/version`],
          // tls-server-name: a name the certificate holds (answered alike), and one it does not.
          ["name", { ...tls, serverName: "localhost" }, `${server.url}/version`],
          ["wrong name", { ...tls, serverName: "wrong.example" }, `${server.url}/version`],
        ]
      ) {
        const overHttp2 = await failure(nodeHttp2Client(settings), url);
        const overHttp1 = await failure(nodeHttpClient(settings), url);
        lines.push(overHttp2 === overHttp1 ? `${name}: same` : `${name}: ${overHttp2} <> ${overHttp1}`);
      }
      return lines.join(", ");
    } finally {
      server.close();
    }
  },
};

const line = await scenarios[process.argv[2]]();
if (line !== undefined) console.log(line);
