// Hostile API servers: each behaviour a broken, overloaded or malicious
// server (or something pretending to be one) can show, and what the resolver
// does about it. Every test has its own time limit.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { createSecureServer as createHttp2Server } from "node:http2";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { Buffer } from "node:buffer";
import { inspect } from "node:util";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { KubeApiError } from "@kgr/resolver";
import { MAX_LINE_BYTES } from "../src/watch/watch_decoder.ts";
import { connectCluster, observeService } from "../src/cli/service_observer.ts";
import { readWatchEvents } from "./_decode_events.ts";
import {
  boundedTest,
  goodList,
  type Handler,
  LIST_BODY,
  observed,
  quietWatch,
  startHostileServer,
} from "./_hostile_server.ts";
import { eventually, follow, sleep } from "./_watch_helpers.ts";
import { setTraceSink } from "../src/runtime/trace.ts";

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const messages = (errors: { message: string }[]) => errors.map((error) => error.message).join("\n");

/**
 * Starts a TCP server on loopback that answers the first bytes of each connection with `hex` and closes it (what a
 * server that does not speak HTTP/1.1 writes), stopped by `defer`; its `http://` URL.
 */
async function answeringWith(hex: string, defer: (cleanup: () => unknown) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", () => socket.end(Buffer.from(hex, "hex")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  defer(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `total` bytes of one never-ending line, respecting backpressure; stops when the client goes away. */
function endlessLine(res: ServerResponse, total: number, sent: { bytes: number }, chunkBytes = 1 << 20) {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"type":"ADDED","object":{"metadata":{"name":"');
  const chunk = Buffer.alloc(chunkBytes, "a");
  const pump = () => {
    while (!res.destroyed && sent.bytes < total) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    if (!res.destroyed) res.end();
  };
  res.on("error", () => {});
  pump();
}

boundedTest(
  "a 100 MB single line ends the watch at the 16 MiB line limit, which restarts with its endpoints kept",
  30_000,
  async (defer) => {
    const sent = { bytes: 0 };
    const server = await startHostileServer({
      watch: (req, res, index) => index === 0 ? endlessLine(res, 100 * 1024 * 1024, sent) : quietWatch(req, res, index),
    });
    defer(() => server.close());
    const rssBefore = Deno.memoryUsage().rss;
    const watcher = follow({ server: server.url });
    defer(() => watcher.stop());
    await eventually(() => server.count("watch") >= 2, "the watch to restart", 20_000);
    const rssGrowth = Deno.memoryUsage().rss - rssBefore;
    assert.match(messages(watcher.errors), /a line exceeds 16777216 bytes; the watch restarts/);
    assert.equal(watcher.pods(), "echo-0");
    // The client stopped reading soon after the limit: far from 100 MB went out.
    assert.ok(sent.bytes < 48 * 1024 * 1024, `the server wrote ${sent.bytes} bytes before the client hung up`);
    assert.ok(rssGrowth < 160 * 1024 * 1024, `resident memory grew by ${rssGrowth} bytes`);
    observed(
      "100 MB line",
      `server wrote ${sent.bytes} bytes, RSS grew ${rssGrowth} bytes; ${watcher.errors[0].message}`,
    );
  },
);

boundedTest("readWatchEvents() stops pulling a 100 MB line at the configured limit", 10_000, async () => {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= 100 * 1024 * 1024) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  const limit = 1024 * 1024;
  await assert.rejects(
    () => readWatchEvents(body, () => {}, { maxLineBytes: limit }),
    (error: unknown) => error instanceof KubeApiError && /exceeds 1048576 bytes/.test(error.message),
  );
  assert.ok(pulled <= limit + 2 * chunk.length, `pulled ${pulled} bytes`);
  assert.equal(MAX_LINE_BYTES, 16 * 1024 * 1024);
});

/** Sends `text` one byte every `everyMs`, repeating it forever; records how many bytes went out. */
function trickle(server: { onClose(cleanup: () => void): void }, res: ServerResponse, text: string, everyMs: number) {
  const sent = { bytes: 0 };
  const bytes = Buffer.from(text);
  res.writeHead(200, { "content-type": "application/json" });
  res.flushHeaders();
  res.on("error", () => {});
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(bytes.subarray(sent.bytes % bytes.length, sent.bytes % bytes.length + 1));
    sent.bytes++;
  }, everyMs);
  server.onClose(() => clearInterval(timer));
  res.on("close", () => clearInterval(timer));
  return sent;
}

boundedTest(
  "a watch trickling one byte at a time is progress while its events complete within the stall timeout",
  15_000,
  async (defer) => {
    const bookmark = '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"11"}}}\n';
    const server = await startHostileServer({
      watch: (_req, res) => void trickle(server, res, bookmark, 3),
    });
    defer(() => server.close());
    // 66 bytes at one per 3 ms: an event about every 200 ms (more under load), well within 1500 ms.
    const watcher = follow({ server: server.url }, { stallTimeoutMs: 1500 });
    defer(() => watcher.stop());
    await sleep(3000);
    assert.deepEqual(messages(watcher.errors), "");
    assert.equal(server.count("watch"), 1);
    assert.equal(watcher.pods(), "echo-0");
    observed("one byte at a time, complete events", `${server.count("watch")} watch, no error after 3 s`);
  },
);

boundedTest(
  "a watch trickling a line that never completes is cut at the stall timeout, holding only what came meanwhile",
  15_000,
  async (defer) => {
    const sentPerWatch: { bytes: number }[] = [];
    const server = await startHostileServer({
      watch: (_req, res) =>
        void sentPerWatch.push(trickle(server, res, '{"type":"ADDED","object":{"metadata":{"name":"aaaa', 5)),
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url }, { stallTimeoutMs: 400 });
    defer(() => watcher.stop());
    await eventually(() => server.count("watch") >= 2, "the stalled watch to restart", 5000);
    const first = server.seen.filter((entry) => entry.kind === "watch");
    const gap = first[1].at - first[0].at;
    assert.ok(
      messages(watcher.errors).includes(`Request to the API server at ${server.url} stalled: no complete answer`),
      messages(watcher.errors),
    );
    assert.match(
      messages(watcher.errors),
      /stalled: no complete answer or event for \d+ ms \(stallTimeoutMs\): it restarts; if this repeats, check /,
    );
    // Timed by the server, from the first watch's arrival (which came after the client armed its deadline, and
    // later still on a busy machine: it opened the connection) to the second's: a little under 400 ms at most.
    assert.ok(gap >= 300 && gap < 3000, `restarted after ${gap} ms`);
    // At one byte per 5 ms, 400 ms hold about 80 bytes: the buffered line is bounded by rate x timeout.
    assert.ok(sentPerWatch[0].bytes < 400, `the first watch got ${sentPerWatch[0].bytes} bytes`);
    observed(
      "one byte at a time, line never completes",
      `restarted after ${gap} ms, ${sentPerWatch[0].bytes} bytes held`,
    );
  },
);

boundedTest("a LIST that never sends headers is abandoned at the stall timeout and retried", 15_000, async (defer) => {
  const server = await startHostileServer({
    list: (req, res, index) => index === 0 ? undefined : goodList(req, res, index),
  });
  defer(() => server.close());
  // The 300 ms start as the request leaves, before the server sees it: timed from before the client starts (the
  // server's clock is this process's), the retry comes no sooner however long the first request took to get there.
  const started = Date.now();
  const watcher = follow({ server: server.url }, { stallTimeoutMs: 300 });
  defer(() => watcher.stop());
  await eventually(() => watcher.pods() === "echo-0", "endpoints after the retry", 5000);
  const lists = server.seen.filter((entry) => entry.kind === "list");
  assert.equal(lists.length, 2);
  const gap = lists[1].at - started;
  assert.ok(gap >= 300, `retried ${gap} ms after the client started`);
  assert.match(messages(watcher.errors), /stalled: no answer for \d+ ms \(stallTimeoutMs\): check that it is up/);
  observed("LIST without headers", `retried after ${gap} ms; ${watcher.errors[0].message}`);
});

boundedTest(
  "a WATCH that never sends headers is abandoned at the stall timeout and resumed without a LIST",
  15_000,
  async (defer) => {
    const server = await startHostileServer({
      watch: (req, res, index) => index === 0 ? undefined : quietWatch(req, res, index),
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url }, { stallTimeoutMs: 300 });
    defer(() => watcher.stop());
    await eventually(() => server.count("watch") >= 2, "the watch to be retried", 5000);
    assert.equal(server.count("list"), 1);
    assert.match(messages(watcher.errors), /stalled: no answer for \d+ ms \(stallTimeoutMs\): check that it is up/);
    assert.equal(watcher.pods(), "echo-0");
    observed("WATCH without headers", watcher.errors[0].message);
  },
);

const html: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end("<html><body>Please log in</body></html>");
};

boundedTest("a text/html 200 for the LIST or the WATCH is a clear error, and retried", 15_000, async (defer) => {
  const server = await startHostileServer({
    list: (req, res, index) => (index === 0 ? html : goodList)(req, res, index),
    watch: (req, res, index) => (index === 0 ? html : quietWatch)(req, res, index),
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url });
  defer(() => watcher.stop());
  await eventually(() => server.count("watch") >= 2 && watcher.errors.length >= 2, "both errors and a retry", 5000);
  assert.equal(watcher.pods(), "echo-0");
  const [listError, watchError] = watcher.errors;
  assert.match(listError.message, /^Cannot list endpointslices of service "echo" in namespace "prod": the server at/);
  assert.match(
    listError.message,
    /answered 200 with content type "text\/html; charset=utf-8", not JSON: point cluster\.server/,
  );
  assert.match(watchError.message, /^Cannot watch .* content type "text\/html; charset=utf-8", not JSON/);
  // The page's own words say what answered (a login page, a web server on the wrong port), as for an error page.
  for (const error of [listError, watchError]) assert.match(error.message, /\(server said: "Please log in"\)$/);
  observed("text/html 200", listError.message);
});

boundedTest(
  "a 200 of another type that never ends (a watch stream a proxy relabelled) is refused at once",
  15_000,
  async (defer) => {
    const relabelled: Handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.write('{"type":"BOOKMARK","object":{}}\n'); // and nothing more, the connection kept open
    };
    const server = await startHostileServer({ list: relabelled, watch: relabelled });
    defer(() => server.close());
    const started = Date.now();
    const watcher = follow({ server: server.url });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length >= 1, "an error", 5000);
    assert.match(watcher.errors[0].message, /answered 200 with content type "text\/plain; charset=utf-8", not JSON: /);
    assert.doesNotMatch(watcher.errors[0].message, /server said/);
    assert.ok(Date.now() - started < 3000, `the error came after ${Date.now() - started} ms`);
  },
);

boundedTest(
  "a text/html 200 or an error page whose body never ends is still an error, without its words, within seconds",
  20_000,
  async (defer) => {
    // The page's words are read to quote them: a page that never ends (a server that keeps writing, or keeps the
    // connection open without a length) left the watch silent for good, neither an error nor a snapshot.
    for (const status of [200, 503]) {
      const endless: Handler = (_req, res) => {
        res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
        res.write("<html><body>Please log in"); // and nothing more, the connection kept open
      };
      const server = await startHostileServer({ list: endless, watch: endless });
      defer(() => server.close());
      const started = Date.now();
      const watcher = follow({ server: server.url });
      defer(() => watcher.stop());
      await eventually(() => watcher.errors.length >= 1, `an error for a ${status}`, 8000);
      assert.match(watcher.errors[0].message, new RegExp(`^Cannot list .* ${status}`));
      assert.ok(Date.now() - started < 6000, `the error came after ${Date.now() - started} ms`);
    }
  },
);

boundedTest(
  "an HTML error page (a web server on the wrong port, a login page) is not taken for the API server's answer",
  15_000,
  async (defer) => {
    // What a kubeconfig that points at a web server answers: Python's http.server sends this for an unknown path.
    const page = (status: number): Handler => (_req, res) => {
      res.writeHead(status, { "content-type": "text/html;charset=utf-8" });
      res.end(`<html><body><h1>Error response</h1><p>Error code: ${status}</p></body></html>`);
    };
    for (const status of [404, 403, 401]) {
      const server = await startHostileServer({ list: page(status), watch: page(status) });
      const watcher = follow({ server: server.url, token: "secret-token-123" });
      try {
        await eventually(() => watcher.errors.length >= 1, `an error for the ${status} page`, 5000);
        const text = messages(watcher.errors);
        assert.match(
          watcher.errors[0].message,
          new RegExp(
            `^Cannot (list|watch) endpointslices of service "echo" in namespace "prod": the server at .* answered ` +
              `${status} with content type "text/html;charset=utf-8", not JSON: point cluster\\.server at the ` +
              "Kubernetes API server itself",
          ),
        );
        assert.doesNotMatch(text, /Kubernetes 1\.21|grant|renew|secret-token/);
        assert.equal((watcher.errors[0] as KubeApiError).status, status);
        assert.equal((watcher.errors[0] as KubeApiError).contentType, "text/html;charset=utf-8");
      } finally {
        watcher.stop();
        await server.close();
      }
    }
    // A load balancer's page when the API server behind it is down: retried, and said to be no answer of the API server.
    const gateway = await startHostileServer({ list: page(502), watch: page(502) });
    defer(() => gateway.close());
    const retried = follow({ server: gateway.url });
    defer(() => retried.stop());
    await eventually(() => retried.errors.length >= 2, "errors for the 502 pages", 5000);
    assert.match(
      retried.errors[0].message,
      /answered 502 with content type "text\/html;charset=utf-8", not the API server's own answer: if this repeats, check that nothing on the way \(a proxy, a load balancer\) answers in the API server's place \(server said: "Error response Error code: 502"\)$/,
    );
    // kube-apiserver's own answer for a path outside its API groups (no EndpointSlice API before 1.21).
    const goPage: Handler = (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("404 page not found\n");
    };
    const server = await startHostileServer({ list: goPage, watch: goPage });
    defer(() => server.close());
    const watcher = follow({ server: server.url });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length >= 1, "an error for the 404", 5000);
    assert.match(
      watcher.errors[0].message,
      /has no EndpointSlice API discovery\.k8s\.io\/v1 \(404\): Kubernetes 1\.21/,
    );
  },
);

function failing(
  status: number,
  headers: Record<string, string>,
  body = '{"kind":"Status","message":"busy"}',
): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body);
  };
}

for (
  // The wait the client chose (traced; 20-40 ms is the backoff's first delay) and the gap the server saw.
  const [status, retryAfter, minGap, maxGap, minWait, maxWait] of [
    [500, undefined, 0, 600, 20, 40],
    [500, "1", 950, 3000, 1000, 1040],
    [429, undefined, 0, 600, 20, 40],
    [429, "1", 950, 3000, 1000, 1040],
    // Asks to retry at once (client-go retries so, up to 10 times): unreported, after the backoff all the same.
    [429, "0", 0, 600, 20, 40],
    [503, "1", 950, 3000, 1000, 1040],
    [503, "Wed, 21 Oct 2099 07:28:00 GMT", 0, 600, 20, 40],
    [429, "3", 2950, 4500, 3000, 3040],
  ] as const
) {
  const what = retryAfter === undefined ? "without Retry-After" : `with Retry-After: ${retryAfter}`;
  boundedTest(`HTTP ${status} ${what} on the LIST is retried after ${minGap}-${maxGap} ms`, 30_000, async (defer) => {
    // The gap is timed at the server, from one LIST's arrival to the next: it holds the answer's way back and the
    // client's turns, which a loaded machine stretches (1,086 ms for a 20-40 ms backoff at load 25, 1 run of 2). A
    // retry later than maxGap is tried again, up to 3 times: a wait the server did not ask for, or not the one it
    // asked for, is late every time. One sooner than minGap fails at once. The wait each attempt chose (traced, which
    // no load changes) must be the one asked for every time: a wrong draw (say up to maxMs, not 2 x initialMs) that
    // is in time once in two would pass the gaps' 3 tries 7 times in 8. (A refused streaming list is retried at once.)
    const attempt = async () => {
      const server = await startHostileServer({
        list: (req, res, index) =>
          (index === 0 ? failing(status, retryAfter === undefined ? {} : { "retry-after": retryAfter }) : goodList)(
            req,
            res,
            index,
          ),
      });
      defer(() => server.close());
      // A Retry-After above maxMs is waited in full (priority and fairness asks for up to 32 s), up to 60 s
      // (retry_test).
      const waits: number[] = [];
      const sink = setTraceSink((text) => {
        const ms = /Cannot list .*; retrying in (\d+) ms$/.exec(text)?.[1];
        if (ms !== undefined) waits.push(Number(ms));
      });
      try {
        const watcher = follow({ server: server.url }, { initialMs: 20, maxMs: 1200 });
        defer(() => watcher.stop());
        await eventually(() => watcher.pods() === "echo-0", "endpoints after the retry", 5000);
        const lists = server.seen.filter((entry) => entry.kind === "list");
        assert.ok(
          waits.length === 1 && waits[0] >= minWait && waits[0] <= maxWait,
          `chose to wait ${waits.join(", ") || "(no wait traced)"} ms, not ${minWait}-${maxWait} ms`,
        );
        return { watcher, gap: lists[1].at - lists[0].at };
      } finally {
        setTraceSink(sink);
      }
    };
    const gaps: number[] = [];
    let { watcher, gap } = await attempt();
    for (gaps.push(gap); gap > maxGap && gaps.length < 3; gaps.push(gap)) ({ watcher, gap } = await attempt());
    assert.ok(gap >= minGap && gap <= maxGap, `retried after ${gaps.join(", ")} ms`);
    // A first 429 or 5xx with Retry-After in seconds is the server asking to wait, as client-go waits: not reported.
    if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
      assert.deepEqual(watcher.errors, []);
      observed(`HTTP ${status} ${what}`, `retried after ${gap} ms, unreported`);
      return;
    }
    const error = watcher.errors[0] as KubeApiError;
    assert.equal(error.status, status);
    assert.match(
      error.message,
      new RegExp(
        `answered ${status}: if this repeats, check the API server's (health and )?load \\(kubectl get --raw='/readyz\\?verbose'\\).*; the request had the credentials from cluster options \\(server said: "busy"\\)`,
      ),
    );
    if (retryAfter === "1") assert.equal(error.retryAfterSeconds, 1);
    observed(`HTTP ${status} ${what}`, `retried after ${gap} ms`);
  });
}

boundedTest("HTTP 429 on the WATCH is retried after Retry-After without a new LIST", 15_000, async (defer) => {
  const server = await startHostileServer({
    watch: (req, res, index) => (index === 0 ? failing(429, { "retry-after": "1" }) : quietWatch)(req, res, index),
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url }, { initialMs: 20, maxMs: 2000 });
  defer(() => watcher.stop());
  await eventually(() => server.count("watch") >= 2, "the watch to be retried", 5000);
  const watches = server.seen.filter((entry) => entry.kind === "watch");
  assert.ok(watches[1].at - watches[0].at >= 950);
  assert.equal(server.count("list"), 1);
  assert.match(watches[1].url, /resourceVersion=10/);
});

boundedTest("an error body that never ends is not buffered without bound", 15_000, async (defer) => {
  const sent = { bytes: 0 };
  const server = await startHostileServer({
    list: (req, res, index) => {
      if (index > 0) return goodList(req, res, index);
      res.writeHead(500, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, "x");
      const pump = () => {
        while (!res.destroyed && sent.bytes < 512 * 1024 * 1024) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
      };
      res.on("error", () => {});
      pump();
    },
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url });
  defer(() => watcher.stop());
  await eventually(() => watcher.pods() === "echo-0", "endpoints after the retry", 10_000);
  assert.ok(sent.bytes < 32 * 1024 * 1024, `the server wrote ${sent.bytes} bytes`);
  assert.equal((watcher.errors[0] as KubeApiError).status, 500);
  observed("endless 500 body", `server wrote ${sent.bytes} bytes before the client hung up`);
});

boundedTest("a LIST body larger than any real one is an error, not an out-of-memory crash", 30_000, async (defer) => {
  const sent = { bytes: 0 };
  const server = await startHostileServer({
    list: (req, res, index) => {
      if (index > 0) return goodList(req, res, index);
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"items":[],"metadata":{"resourceVersion":"');
      const chunk = Buffer.alloc(1 << 20, "1");
      const pump = () => {
        while (!res.destroyed && sent.bytes < 1024 * 1024 * 1024) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
      };
      res.on("error", () => {});
      pump();
    },
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url });
  defer(() => watcher.stop());
  await eventually(() => watcher.pods() === "echo-0", "endpoints after the retry", 25_000);
  assert.match(watcher.errors[0].message, /exceeds 134217728 bytes: if this repeats, check that nothing on the way/);
  assert.ok(sent.bytes < 200 * 1024 * 1024, `the server wrote ${sent.bytes} bytes`);
  observed("1 GiB LIST body", `server wrote ${sent.bytes} bytes; ${watcher.errors[0].message}`);
});

/** The most requests a backoff of `initialMs` doubling to `maxMs` (delays >= d, d capped at maxMs/2) allows in `ms`. */
function mostRequests(ms: number, initialMs: number, maxMs: number): number {
  let requests = 1;
  for (let spent = 0, failures = 0; requests < 10_000; failures++) {
    spent += Math.min(maxMs / 2, initialMs * 2 ** failures);
    if (spent > ms) break;
    requests++;
  }
  return requests;
}

boundedTest("a 200 WATCH that closes at once cannot make the watch spin", 15_000, async (defer) => {
  const server = await startHostileServer({
    watch: (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end();
    },
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url }, { initialMs: 50, maxMs: 400 });
  defer(() => watcher.stop());
  await sleep(3000);
  const watches = server.count("watch");
  const bound = mostRequests(3000, 50, 400);
  assert.ok(watches >= 4 && watches <= bound, `${watches} watches in 3 s (bound ${bound})`);
  assert.equal(server.count("list"), 1);
  assert.equal(watcher.pods(), "echo-0");
  observed(
    "200 WATCH closing at once",
    `${watches} watches in 3 s with backoff 50-400 ms (bound ${bound}); ` +
      `default backoff (1 s doubling to 30 s) allows ${mostRequests(60_000, 1000, 30_000)} per minute`,
  );
});

boundedTest("a 200 LIST that closes at once is an error and backs off", 15_000, async (defer) => {
  const server = await startHostileServer({
    list: (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end();
    },
  });
  defer(() => server.close());
  const watcher = follow({ server: server.url }, { initialMs: 50, maxMs: 400 });
  defer(() => watcher.stop());
  await sleep(3000);
  const lists = server.count("list");
  const bound = mostRequests(3000, 50, 400);
  assert.ok(lists >= 4 && lists <= bound, `${lists} lists in 3 s (bound ${bound})`);
  assert.equal(server.count("watch"), 0);
  assert.match(watcher.errors[0].message, /the response from http:\/\/127\.0\.0\.1:\d+ is not valid JSON/);
  observed("200 LIST closing at once", `${lists} lists in 3 s (bound ${bound}); ${watcher.errors[0].message}`);
});

boundedTest(
  "a 200 LIST of {} after an expired watch is an error, not a Service without pods",
  15_000,
  async (defer) => {
    const server = await startHostileServer({
      list: (req, res, index) => {
        if (index === 0) return goodList(req, res, index);
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      },
      // The resume point expired: the relist that follows gets something on the way's "{}".
      watch: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            type: "ERROR",
            object: { kind: "Status", status: "Failure", reason: "Expired", code: 410 },
          }) +
            "\n",
        );
      },
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url }, { initialMs: 50, maxMs: 400 });
    defer(() => watcher.stop());
    await eventually(() => server.count("list") >= 3, "relists");
    assert.equal(watcher.pods(), "echo-0");
    assert.match(
      watcher.errors[0].message,
      /the response from http:\/\/127\.0\.0\.1:\d+ is not an EndpointSliceList \(it has no items list\): if this repeats, check that nothing on the way/,
    );
  },
);

boundedTest(
  "a redirect to another host is not followed, so the bearer token never reaches it",
  15_000,
  async (defer) => {
    const elsewhere = await startHostileServer();
    defer(() => elsewhere.close());
    for (const status of [301, 302, 303, 307, 308]) {
      const redirect: Handler = (req, res) => {
        res.writeHead(status, { location: `${elsewhere.url}${req.url}`, "content-type": "text/plain" });
        res.end("moved");
      };
      const server = await startHostileServer({ list: redirect });
      const watcher = follow({ server: server.url, token: "canary-redirect-token" });
      try {
        await eventually(() => watcher.errors.length > 0, `the ${status} error`);
        assert.match(
          watcher.errors[0].message,
          new RegExp(
            `redirected \\(${status}\\) to "http://127\\.0\\.0\\.1:\\d+/apis/[^"?]*" \\(its query not shown\\), which is not followed`,
          ),
        );
        assert.equal(server.seen[0].authorization, "Bearer canary-redirect-token");
        if (status === 307) observed("redirect to another host", watcher.errors[0].message);
      } finally {
        await watcher.stop();
        await server.close();
      }
    }
    // Also for a watch that is redirected after a good LIST.
    const server = await startHostileServer({
      watch: (req, res) => {
        res.writeHead(307, { location: `${elsewhere.url}${req.url}` });
        res.end();
      },
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url, token: "canary-redirect-token" });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the watch redirect error");
    assert.match(watcher.errors[0].message, /^Cannot watch .* redirected \(307\)/);
    assert.deepEqual(elsewhere.seen, []);
  },
);

boundedTest("a certificate for another name fails with a TLS error naming the CA in use", 15_000, async (defer) => {
  // The server certificate names 127.0.0.1, ::1 and localhost; the server listens on 127.0.0.2.
  const api = await startFakeApiServer({
    hostname: "127.0.0.2",
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  defer(() => api.close());
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.9.0.1", pod: "echo-0" }],
  }));
  const watcher = follow({ kubeconfig: api.kubeconfig({ ca: await fixture("ca.pem") }) });
  defer(() => watcher.stop());
  await eventually(() => watcher.errors.length > 0, "the TLS error");
  assert.match(
    watcher.errors[0].message,
    /^Cannot watch .*: TLS verification of https:\/\/127\.0\.0\.2:\d+ failed with certificate-authority-data of cluster "fake-api-server" \(.*IP: 127\.0\.0\.2 is not in the cert's list.*\); check certificate-authority-data and tls-server-name in .*; they are read once, at start, so restart the process after changing them/,
  );
  assert.equal(watcher.snapshots.length, 0);
  assert.equal(api.requests.length, 0);
  observed("certificate for another name", watcher.errors[0].message);
});

boundedTest(
  "a TLS failure with cluster options names those options, not a kubeconfig's certificate-authority",
  15_000,
  async (defer) => {
    const api = await startFakeApiServer({
      hostname: "127.0.0.2",
      tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
    });
    defer(() => api.close());
    // register({ cluster: { server, tokenFile, caFile } }) as the README shows it: a CA that did not sign the server's.
    const watcher = follow({ server: api.url, ca: await fixture("server.pem") });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the TLS error");
    assert.match(
      watcher.errors[0].message,
      /^Cannot watch .*: TLS verification of https:\/\/127\.0\.0\.2:\d+ failed with cluster\.ca \(.*\); check cluster\.ca, cluster\.caFile and cluster\.tlsServerName in cluster options; they are read once/,
    );
    // Over a kubeconfig, the options that set the CA are named too.
    const over = follow({ kubeconfig: api.kubeconfig({ ca: await fixture("ca.pem") }), tlsServerName: "elsewhere" });
    defer(() => over.stop());
    await eventually(() => over.errors.length > 0, "the TLS error over a kubeconfig");
    assert.match(
      over.errors[0].message,
      /; check cluster\.ca, cluster\.caFile and cluster\.tlsServerName in the kubeconfig object .* with cluster\.tlsServerName; /,
    );
  },
);

boundedTest(
  "an https:// server that answers in plain HTTP is named as such, not as a TLS verification failure",
  15_000,
  async (defer) => {
    const api = await startFakeApiServer();
    defer(() => api.close());
    const kubeconfig = api.kubeconfig();
    kubeconfig.clusters![0].cluster.server = api.url.replace("http://", "https://");
    const watcher = follow({ kubeconfig });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the error");
    assert.match(
      watcher.errors[0].message,
      /^Cannot .*: the server at https:\/\/127\.0\.0\.1:\d+ does not answer in TLS \(.+\): if it serves plain HTTP on this port, its URL in the kubeconfig object given as cluster\.kubeconfig \(context "fake-api-server"\) must start with http:\/\/; else check the port$/,
    );
    observed("https:// to a plain-HTTP server", watcher.errors[0].message);
  },
);

boundedTest(
  "an http:// URL of an HTTPS API server is named as such, not as a bare 400 or reset",
  15_000,
  async (defer) => {
    /** The first error of a watch of a server that answers every request with `handler`. */
    const firstError = async (handler: Handler, what: string) => {
      const server = await startHostileServer({ list: handler, watch: handler });
      defer(() => server.close());
      const watcher = follow({ server: server.url, token: "secret-token-123" });
      defer(() => watcher.stop());
      await eventually(() => watcher.errors.length > 0, what);
      return watcher.errors[0];
    };
    // What kube-apiserver (Go's TLS server) answers a plain HTTP request, as curl showed on v1.36.3.
    const tlsPort: Handler = (_req, res) => {
      res.writeHead(400);
      res.end("Client sent an HTTP request to an HTTPS server.\n");
    };
    const answered = await firstError(tlsPort, "the error");
    assert.match(
      answered.message,
      /^Cannot list endpointslices of service "echo" in namespace "prod": the server at http:\/\/127\.0\.0\.1:\d+ serves HTTPS on this port and answered 400 to plain HTTP: make the URL in cluster options start with https:\/\/$/,
    );
    assert.equal((answered as KubeApiError).status, 400);
    observed("http:// to an HTTPS server", answered.message);
    // Its close often resets the connection before the answer is read: a reset of an http:// request says it too.
    const resetting: Handler = (req) => req.socket.resetAndDestroy();
    assert.match(
      (await firstError(resetting, "the reset's error")).message,
      /cannot reach the API server at http:\/\/127\.0\.0\.1:\d+ from cluster options \(.*\); check that the address is right and the server is up, and if this port serves HTTPS \(kube-apiserver's does\), make the URL in cluster options start with https:\/\/$/,
    );
  },
);

boundedTest(
  "an http:// URL of a TLS server that answers plain HTTP with a TLS alert (rustls, Deno's) is told to use https://",
  15_000,
  async (defer) => {
    // What a rustls server, such as a node:https server on Deno, writes to a plain HTTP request.
    const watcher = follow({ server: await answeringWith("15030300020232", defer) });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the error");
    assert.match(
      watcher.errors[0].message,
      /^Cannot .*: the server at http:\/\/127\.0\.0\.1:\d+ serves HTTPS on this port and answered plain HTTP with a TLS alert \(.+\): make the URL in cluster options start with https:\/\/$/,
    );
    observed("http:// to a server that answers with a TLS alert", watcher.errors[0].message);
  },
);

boundedTest(
  "a server that does not answer in HTTP/1.1 (a gRPC server's port) is named as such, not as unreachable",
  15_000,
  async (defer) => {
    // What an HTTP/2-only server (grpc-js's) writes on a connection: a SETTINGS frame, then a GOAWAY.
    const watcher = follow({ server: await answeringWith("000000040000000000000008070000000000000000000001", defer) });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the error");
    assert.match(
      watcher.errors[0].message,
      /^Cannot .*: the server at http:\/\/127\.0\.0\.1:\d+ does not answer in HTTP\/1\.1 \(.+\): it is not a Kubernetes API server \(an HTTP\/2-only server, such as a gRPC server, answers so\): check the port in cluster options$/,
    );
    observed("a gRPC server's port", watcher.errors[0].message);
  },
);

boundedTest(
  "an https:// server that speaks only HTTP/2 (a gRPC server's TLS port) is named as such, not as a TLS failure",
  15_000,
  async (defer) => {
    // It refuses the HTTP/1.1 of the TLS hello with a "no application protocol" alert.
    const server = createHttp2Server({ cert: await fixture("server.pem"), key: await fixture("server-key.pem") });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const watcher = follow({ server: url, ca: await fixture("ca.pem") });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the error");
    assert.match(
      watcher.errors[0].message,
      /^Cannot .*: the server at https:\/\/127\.0\.0\.1:\d+ does not answer in HTTP\/1\.1 \(.+\): it is not a Kubernetes API server \(an HTTP\/2-only server, such as a gRPC server, answers so\): check the port in cluster options$/,
    );
  },
);

boundedTest(
  "a Service read answered with HTML, junk or 2 MiB fails naming the slice ports, and is retried",
  15_000,
  async (defer) => {
    const list = JSON.parse(LIST_BODY);
    list.items[0].ports = [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }];
    const answers: Handler[] = [
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>login</html>");
      },
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("[1, 2]");
      },
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Service", padding: "x".repeat(2 * 1024 * 1024) }));
      },
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Service", spec: { ports: [{ name: "grpc", port: 80 }] } }));
      },
    ];
    const server = await startHostileServer({
      list: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(list));
      },
      other: (req, res, index) => answers[Math.min(index, answers.length - 1)](req, res, index),
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url }, { target: "kubernetes:///echo.prod" });
    defer(() => watcher.stop());
    await eventually(() => watcher.snapshots.length > 0, "the grpc port after three bad answers");
    assert.deepEqual(watcher.snapshots.at(-1)!.endpoints[0].addresses, [{ host: "10.9.0.1", port: 8080 }]);
    const text = messages(watcher.errors);
    // The first read is shared with the one of the Service's internalTrafficPolicy, which retries on its own: the
    // later bad answers go to either, so the port lookup reports the first one and zero to two of the others.
    assert.ok(watcher.errors.length >= 1 && watcher.errors.length <= 3, text);
    assert.ok(watcher.errors.every((error) => error.message.includes('have the ports "grpc" (8080), "http" (8081)')));
    assert.match(watcher.errors[0].message, /content type "text\/html", not JSON/);
    assert.ok(
      watcher.errors.slice(1).every((error) =>
        /is not a Kubernetes object of at most 1048576 bytes of JSON/.test(error.message)
      ),
      text,
    );
    const reads = server.seen.filter((entry) => entry.kind === "other").map((entry) => entry.url);
    assert.ok(reads.length >= 4, "every answer was read");
    // The port lookup reads the latest Service (from etcd; the first read, shared), the policy's retries the cache's.
    const service = "/api/v1/namespaces/prod/services/echo";
    assert.equal(reads[0], service);
    assert.ok(reads.every((url) => url === service || url === `${service}?resourceVersion=0`), reads.join());
    observed("bad Service answers", text);
  },
);

boundedTest(
  "a server that closes connections before TLS is set up (one restarting) is unreachable, not a TLS verification failure",
  15_000,
  async (defer) => {
    // What a restarting kube-apiserver, or a load balancer without a healthy backend, does to a client hello.
    const { createServer } = await import("node:net");
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    defer(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as { port: number };
    const watcher = follow({ server: `https://127.0.0.1:${port}`, ca: await fixture("ca.pem"), token: "canary-x" });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "an error");
    const [message] = watcher.errors.map((error) => error.message);
    assert.match(message, /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ .*the server is up/);
    assert.doesNotMatch(message, /TLS verification|certificate-authority|restart the process/);
  },
);

boundedTest(
  "a first 403 right after the server could not be reached (one restarting) is retried before it is reported",
  15_000,
  async (defer) => {
    // A restarting kube-apiserver: down (the connection breaks), then up but answering 403 until its RBAC caches
    // are filled, then serving. The credentials never read the slices before.
    const forbidden: Handler = (_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "Forbidden", code: 403 }));
    };
    for (const watchList of [false, true]) {
      // With streaming lists, the streaming attempt gets the 403 first, and the LIST made at once after it too.
      const down: Handler = (_req, res) => void res.socket?.destroy();
      const restarting = (then: Handler): Handler => (req, res, index) =>
        (index === 0 ? down : index === 1 ? forbidden : then)(req, res, index);
      const server = await startHostileServer(
        watchList
          ? {
            streaming: restarting(forbidden),
            list: (req, res, index) => (index === 0 ? forbidden : goodList)(req, res, index),
          }
          : { list: restarting(goodList) },
      );
      defer(() => server.close());
      const watcher = follow({ server: server.url }, { initialMs: 50, maxMs: 100, watchList });
      defer(() => watcher.stop());
      await eventually(() => watcher.pods() === "echo-0", "endpoints after the restart", 5000);
      // "(403)", not a bare 403: the server's port, in every message, may hold those digits.
      assert.doesNotMatch(messages(watcher.errors), /\(403\)|grant/, `watchList: ${watchList}`);
    }
  },
);

boundedTest(
  "an error answer that echoes the request's credentials is quoted without them",
  10_000,
  async (defer) => {
    const token = "echoed-secret-canary-0123";
    // A broken server (or a proxy in front of it) that puts the Authorization header in its Status message.
    const server = await startHostileServer({
      list: (req, res) =>
        void res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: `bad credentials: ${req.headers.authorization}`,
          code: 500,
        })),
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url, token });
    defer(() => watcher.stop());
    await eventually(() => watcher.errors.length > 0, "the error", 5000);
    const text = messages(watcher.errors);
    assert.ok(!text.includes(token), text);
    assert.match(text, /answered 500: if this repeats, .* \(server said: "bad credentials: \[redacted\]"\)/);
    observed("a 500 that echoes the Authorization header", "quoted with [redacted] in its place");
  },
);

/** A watch that ends at once with an ERROR event whose Status echoes the Authorization header it was sent. */
const echoingErrorEvent: Handler = (req, res) =>
  void res.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({
      type: "ERROR",
      object: {
        kind: "Status",
        status: "Failure",
        message: `denied ${req.headers.authorization}`,
        reason: `${req.headers.authorization}`,
        details: { causes: [{ reason: `${req.headers.authorization}` }] },
        code: 500,
      },
    }) + "\n",
  );

boundedTest(
  "a watch ERROR event that echoes the request's credentials is quoted without them",
  10_000,
  async (defer) => {
    const token = "echoed-watch-canary-4567";
    const server = await startHostileServer({ watch: echoingErrorEvent });
    defer(() => server.close());
    const watcher = follow({ server: server.url, token }, { initialMs: 50, maxMs: 100 });
    defer(() => watcher.stop());
    await eventually(() => /denied/.test(messages(watcher.errors)), "the ERROR event's message", 5000);
    const text = messages(watcher.errors);
    assert.ok(!text.includes(token), text);
    assert.match(
      text,
      /Watch of EndpointSlices failed: the API server at http:\/\/\S+ sent an ERROR event \(500\): the watch restarts; if this repeats, check the API server's health and load \(kubectl get --raw='\/readyz\?verbose'\) \(server said: "denied \[redacted\]"\)/,
    );
    // Nor in the fields that inspect() shows.
    const fields = inspect(watcher.errors);
    assert.ok(!fields.includes(token), fields);
    observed("a watch ERROR event that echoes the Authorization header", "quoted with [redacted] in its place");
  },
);

boundedTest(
  "a watch line that is not JSON and echoes the request's credentials is quoted without them",
  10_000,
  async (defer) => {
    const token = "echoed-line-canary-2345";
    // A proxy's debugging page in the watch stream, as one line.
    const server = await startHostileServer({
      watch: (req, res) =>
        void res.writeHead(200, { "content-type": "application/json" }).end(
          `echo: authorization=${req.headers.authorization}\n`,
        ),
    });
    defer(() => server.close());
    const watcher = follow({ server: server.url, token }, { initialMs: 50, maxMs: 100 });
    defer(() => watcher.stop());
    await eventually(() => /not JSON/.test(messages(watcher.errors)), "the decoding error", 5000);
    const text = messages(watcher.errors);
    assert.match(text, /a line is not JSON \("echo: authorization=\[redacted\]"\)/);
    // Nor in its cause, or anything else inspect() shows.
    const fields = inspect(watcher.errors, { depth: 10, showHidden: true });
    assert.ok(!fields.includes(token), fields);
  },
);

boundedTest(
  "kgr-resolver's view of a watch ERROR event that echoes the credentials quotes it without them",
  10_000,
  async (defer) => {
    const token = "echoed-view-canary-8901";
    const server = await startHostileServer({ watch: echoingErrorEvent });
    defer(() => server.close());
    // The CLI's own wrapper of the EndpointSlice calls, which must keep their redaction.
    const connection = await connectCluster({ server: server.url, token });
    defer(() => connection.client.close());
    const controller = new AbortController();
    let seen = "";
    await observeService(connection, { scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }, {
      signal: controller.signal,
      locality: {},
      onView(view) {
        if (view.watch.state !== "retrying") return;
        seen = view.watch.error.message;
        controller.abort();
      },
    });
    assert.ok(!seen.includes(token), seen);
    assert.match(seen, /Watch of EndpointSlices failed: .* \(server said: "denied \[redacted\]"\)/);
  },
);

boundedTest(
  "observeService() names the API server in the message of a watch that stalls",
  10_000,
  async (defer) => {
    // Each LIST has the Service's slice a resourceVersion later: the watch missed a change, so a quiet watch is
    // stalled the second time in a row.
    const server = await startHostileServer({
      list: (_req, res, index) => {
        const list = JSON.parse(LIST_BODY);
        list.metadata.resourceVersion = String(10 + index);
        list.items[0].metadata.resourceVersion = String(10 + index);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(list));
      },
    });
    defer(() => server.close());
    const connection = await connectCluster({ server: server.url });
    defer(() => connection.client.close());
    const controller = new AbortController();
    let seen = "";
    await observeService(connection, { scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }, {
      signal: controller.signal,
      locality: {},
      stallTimeoutMs: 300,
      onView(view) {
        if (view.watch.state !== "retrying") return;
        seen = view.watch.error.message;
        controller.abort();
      },
    });
    assert.match(seen, new RegExp(`^Request to the API server at ${server.url} stalled: `), seen);
  },
);
