import assert from "node:assert/strict";
import { createBackoff } from "../src/base/backoff.ts";
import { UnreachableError } from "../src/api/api_errors.ts";
import { ConfigError, KubeApiError, type ResolverError } from "../src/base/errors.ts";
import {
  asResolverError,
  listInsteadOfStreaming,
  planRetry,
  quickClose,
  type Retry,
  SilentAnswerError,
  StallError,
} from "../src/watch/_retry.ts";

const gone = () => new KubeApiError("gone", { status: 410 });
const expiredEvent = () => new KubeApiError("too old resource version", { reason: "Expired" });
const tooLarge = () => new KubeApiError("too large", { status: 504, causes: ["ResourceVersionTooLarge"] });
const unauthorized = () => new KubeApiError("unauthorized", { status: 401 });
const unavailable = () => new KubeApiError("unavailable", { status: 503 });
const forbidden = () => new KubeApiError("forbidden", { status: 403 });
const busy = (seconds: number) => new KubeApiError("busy", { status: 429, retryAfterSeconds: seconds });
const unreachable = () => new UnreachableError("cannot reach the API server (ECONNREFUSED)");
const draining = (status: number, seconds: number) =>
  new KubeApiError("unavailable", { status, retryAfterSeconds: seconds });

/** Where the loop was: `undefined` while watching, else the LIST it was making. */
const WATCHING = undefined;

const cases: [string, ResolverError, string | undefined, ResolverError | undefined, Omit<Retry, "relist">][] = [
  // Every client of an API server meets its 410 at the same moment (an HA member replaced, its watch cache rebuilt):
  // the relist waits a jittered backoff delay, as client-go's does, so that they do not relist together.
  [
    "an expired watch that was served relists from its last resourceVersion after a backoff delay",
    gone(),
    WATCHING,
    undefined,
    {
      listFrom: "42",
      report: false,
      delayMs: 1000,
    },
  ],
  ["an ERROR event with reason Expired counts as expired", expiredEvent(), WATCHING, undefined, {
    listFrom: "42",
    report: false,
    delayMs: 1000,
  }],
  ["an expired LIST relists with a consistent read after a backoff delay", gone(), "42", undefined, {
    listFrom: "",
    report: false,
    delayMs: 1000,
  }],
  // After an unreachable server (a restart), the backoff before this attempt already spread the clients.
  ["an expired watch resumed after an unreachable server relists at once", gone(), WATCHING, unreachable(), {
    listFrom: "42",
    report: false,
    delayMs: 0,
  }],
  [
    "a served watch's resourceVersion the server has not reached relists after a backoff delay",
    tooLarge(),
    WATCHING,
    undefined,
    {
      listFrom: "",
      report: false,
      delayMs: 1000,
    },
  ],
  ["a second 410 in a row backs off", gone(), "42", gone(), { listFrom: "", report: false, delayMs: 1000 }],
  ["a resourceVersion the server has not reached relists at once with a consistent read", tooLarge(), "42", gone(), {
    listFrom: "",
    report: false,
    delayMs: 0,
  }],
  ["the first 401 retries at once, with fresh credentials, unreported", unauthorized(), "0", undefined, {
    listFrom: "0",
    report: false,
    delayMs: 0,
  }],
  ["a second 401 in a row backs off", unauthorized(), "0", unauthorized(), {
    listFrom: "0",
    report: true,
    delayMs: 1000,
  }],
  // A restarting API server answers 403 until its RBAC caches are filled: a grant that worked is not advised again.
  ["a first 403 after the slices were read backs off, unreported", forbidden(), WATCHING, undefined, {
    listFrom: WATCHING,
    report: false,
    delayMs: 1000,
  }],
  // As client-go lists after a watch failure it does not retry: credentials that may list but not watch still follow.
  [
    "a second 403 in a row to a watch is reported and relists from the last resourceVersion",
    forbidden(),
    WATCHING,
    forbidden(),
    {
      listFrom: "42",
      report: true,
      delayMs: 1000,
    },
  ],
  ["a second 403 in a row to a LIST is reported and lists again", forbidden(), "42", forbidden(), {
    listFrom: "42",
    report: true,
    delayMs: 1000,
  }],
  ["a 503 backs off and resumes what failed", unavailable(), WATCHING, undefined, {
    listFrom: WATCHING,
    report: true,
    delayMs: 1000,
  }],
  // The server's priority and fairness asks to wait: client-go waits unreported (calls failed at once meanwhile).
  ["a first 429 with Retry-After waits as asked, unreported", busy(5), "0", undefined, {
    listFrom: "0",
    report: false,
    delayMs: 5000,
  }],
  ["a second 429 in a row is reported", busy(5), "0", busy(5), { listFrom: "0", report: true, delayMs: 5000 }],
  ["a 429 without Retry-After is reported", new KubeApiError("busy", { status: 429 }), "0", undefined, {
    listFrom: "0",
    report: true,
    delayMs: 1000,
  }],
  // client-go waits out a 5xx with Retry-After as a 429 (checkWait): a load balancer without a ready backend, say.
  ["a first 503 with Retry-After waits as asked, unreported", draining(503, 5), WATCHING, undefined, {
    listFrom: WATCHING,
    report: false,
    delayMs: 5000,
  }],
  [
    "a first 500 with Retry-After after a 503 without waits as asked, unreported",
    draining(500, 5),
    "0",
    unavailable(),
    {
      listFrom: "0",
      report: false,
      delayMs: 5000,
    },
  ],
  ["a 503 with Retry-After after a 429 with Retry-After is reported", draining(503, 5), "0", busy(5), {
    listFrom: "0",
    report: true,
    delayMs: 5000,
  }],
  // kube-apiserver's priority and fairness asks for up to 32 s (measured on v1.36.3 after 30 s of rejections): waited
  // in full, above the backoff's longest delay (30 s here), as client-go waits.
  ["Retry-After of 32 s is waited in full, above the longest delay", busy(32), "0", undefined, {
    listFrom: "0",
    report: false,
    delayMs: 32_000,
  }],
  ["a 503 with Retry-After is capped at 60 s", draining(503, 3600), WATCHING, undefined, {
    listFrom: WATCHING,
    report: false,
    delayMs: 60_000,
  }],
  ["Retry-After is capped at 60 s", busy(600), "0", unavailable(), {
    listFrom: "0",
    report: false,
    delayMs: 60_000,
  }],
  ["Retry-After longer than the backoff wins", busy(5), "0", busy(1), { listFrom: "0", report: true, delayMs: 5000 }],
  ["a quick close backs off and is not reported", quickClose(3, 1000)!, WATCHING, undefined, {
    listFrom: WATCHING,
    report: false,
    delayMs: 1000,
  }],
  // A server or proxy that ends every watch at once leaves the endpoints stale for good: client-go warns of each.
  ["a second quick close in a row is reported", quickClose(3, 1000)!, WATCHING, quickClose(2, 1000)!, {
    listFrom: WATCHING,
    report: true,
    delayMs: 1000,
  }],
  ["a quick close after another failure is not reported", quickClose(3, 1000)!, WATCHING, unavailable(), {
    listFrom: WATCHING,
    report: false,
    delayMs: 1000,
  }],
  ["a stall backs off and is reported", new StallError("stalled"), WATCHING, undefined, {
    listFrom: WATCHING,
    report: true,
    delayMs: 1000,
  }],
  ["a credential plugin's failure backs off and is reported", new ConfigError("no plugin"), WATCHING, undefined, {
    listFrom: WATCHING,
    report: true,
    delayMs: 1000,
  }],
];

for (const [name, error, listFrom, previous, expected] of cases) {
  Deno.test(`planRetry(): ${name}`, () => {
    const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
    const { relist: _, ...retry } = planRetry(error, {
      listFrom,
      resourceVersion: "42",
      previous,
      backoff,
      maxDelayMs: 30_000,
    });
    assert.deepEqual(retry, expected);
  });
}

Deno.test("planRetry() reports a first 403 before the slices were ever read: the grant is missing", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const retry = planRetry(forbidden(), {
    listFrom: "0",
    resourceVersion: "",
    previous: undefined,
    backoff,
    maxDelayMs: 1,
  });
  assert.equal(retry.report, true);
});

Deno.test("planRetry() waits out a Retry-After up to the backoff's longest delay when that is above 60 s", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 120_000 }, () => 0);
  const context = { listFrom: "0", resourceVersion: "", previous: undefined, backoff, maxDelayMs: 120_000 };
  assert.equal(planRetry(busy(600), context).delayMs, 120_000);
});

Deno.test("quickClose() fails a watch that ended before minWatchMs, not one that reached it", () => {
  assert.match(
    quickClose(999, 1000)!.message,
    /^Watch closed after 999 ms without an event, under the 1000 ms a served one lasts \(reported when the one before it closed so too\): check that the proxies and load balancers on the way let a watch, a request that lasts minutes, stay open$/,
  );
  assert.equal(quickClose(1000, 1000), undefined);
});

const streamingCases: [string, ResolverError, "refused" | "once" | undefined][] = [
  ["422 (WatchList gate off, or a server before 1.27) is a refusal", new KubeApiError("x", { status: 422 }), "refused"],
  ["400 (a parameter the server cannot read) is a refusal", new KubeApiError("x", { status: 400 }), "refused"],
  ["403 lists once: a Role may grant list without watch", new KubeApiError("x", { status: 403 }), "once"],
  ["401 lists once, with fresh credentials", unauthorized(), "once"],
  ["503 lists once", unavailable(), "once"],
  ["429 streams again after the backoff", busy(1), undefined],
  ["a network failure before the answer streams again after the backoff", new KubeApiError("reset"), undefined],
  ["a stall before the answer lists once: a proxy may hold it whole", new StallError("stalled"), "once"],
  ["410 streams again from the latest state", gone(), undefined],
  ["an Expired ERROR event streams again from the latest state", expiredEvent(), undefined],
  ["a too-large resourceVersion streams again from the latest state", tooLarge(), undefined],
];

for (const [name, error, expected] of streamingCases) {
  Deno.test(`listInsteadOfStreaming(): ${name}`, () => {
    assert.equal(listInsteadOfStreaming(error), expected);
  });
}

Deno.test("listInsteadOfStreaming(): a too-large resourceVersion lists once when the streaming list was from the latest state", () => {
  // A watch cache behind etcd that does not ask it for progress (kube-apiserver v1.30.14, WatchList gate on).
  assert.equal(listInsteadOfStreaming(tooLarge(), ""), "once");
  assert.equal(listInsteadOfStreaming(tooLarge(), "0"), "once");
  assert.equal(listInsteadOfStreaming(tooLarge(), "20"), undefined, "a resume point ahead: stream from the latest");
  assert.equal(listInsteadOfStreaming(gone(), ""), undefined);
});

Deno.test("listInsteadOfStreaming(): a failure without an HTTP status lists once when the server had answered", () => {
  // Broken, closed or silent halfway (a proxy that cuts every streaming list of a large Service), or stalled (a server
  // that sends an empty initial state nothing until its watch cache moves): a LIST may not meet it.
  const silent = new KubeApiError("Watch of EndpointSlices broke", { cause: new SilentAnswerError("went silent") });
  assert.equal(listInsteadOfStreaming(silent, "", true), "once");
  assert.equal(listInsteadOfStreaming(new KubeApiError("reset", { cause: new TypeError("reset") }), "", true), "once");
  assert.equal(listInsteadOfStreaming(new StallError("stalled"), "", true), "once");
  assert.equal(listInsteadOfStreaming(new KubeApiError("reset", { cause: new TypeError("reset") }), ""), undefined);
  assert.equal(listInsteadOfStreaming(busy(1), "", true), undefined, "an ERROR event's 429 streams again");
  assert.equal(listInsteadOfStreaming(gone(), "", true), undefined, "an ERROR event's 410 streams again");
  const expiredWithoutCode = new KubeApiError("too old resource version", { reason: "Expired" });
  assert.equal(listInsteadOfStreaming(expiredWithoutCode, "", true), undefined, "so does an Expired one without code");
});

Deno.test("planRetry() relists at once after a 410 before the state was first read: no watch was served", () => {
  // Real servers answer no 410 to a first read (a LIST from the watch cache, a streaming list from the latest state);
  // a fake API server's injected one does, and the first resolution must not wait for it.
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const context = { listFrom: "0", resourceVersion: "", previous: undefined, backoff, maxDelayMs: 30_000 };
  assert.equal(planRetry(gone(), { ...context, streaming: true }).delayMs, 0);
  assert.equal(planRetry(gone(), context).delayMs, 0);
});

Deno.test("planRetry() lists at once, without backoff, after a refused streaming list", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const refused = new KubeApiError("refused", { status: 422 });
  const context = { listFrom: "0", resourceVersion: "", previous: undefined, backoff, maxDelayMs: 30_000 };
  assert.deepEqual(planRetry(refused, { ...context, streaming: true }), {
    listFrom: "0",
    listInstead: "refused",
    report: false,
    delayMs: 0,
  });
  assert.deepEqual(
    planRetry(refused, context),
    { listFrom: "0", report: true, delayMs: 1000 },
    "a LIST's 422 is an error, and the first delay shows the refusal did not advance the backoff",
  );
});

Deno.test("planRetry() reports a streaming list that stalled without an answer as it lists at once, not one answered", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const context = {
    listFrom: "",
    resourceVersion: "",
    previous: undefined,
    backoff,
    maxDelayMs: 30_000,
    streaming: true,
  };
  const stall = new StallError("stalled");
  assert.deepEqual(planRetry(stall, context), { listFrom: "", listInstead: "once", report: true, delayMs: 0 });
  assert.deepEqual(
    planRetry(stall, { ...context, answered: true }),
    { listFrom: "", listInstead: "once", report: false, delayMs: 0 },
    "an answered one is a server that ends the initial events late (v1.29.6), or a proxy that holds the body",
  );
});

Deno.test("planRetry() waits out a first 5xx with Retry-After on a streaming list before listing instead", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const context = { listFrom: "", resourceVersion: "", previous: undefined, backoff, maxDelayMs: 30_000 };
  // The streaming list again after the wait, as client-go's rest client retries it: it listed at once, ignoring it.
  assert.deepEqual(planRetry(draining(503, 2), { ...context, streaming: true }), {
    listFrom: "",
    report: false,
    delayMs: 2000,
  });
  // A second in a row lists instead at once, as any 5xx (client-go's reflector once its rest client gave up).
  assert.deepEqual(planRetry(draining(503, 2), { ...context, previous: draining(503, 2), streaming: true }), {
    listFrom: "",
    listInstead: "once",
    report: false,
    delayMs: 0,
  });
  // Without Retry-After, a LIST at once, as before.
  assert.equal(planRetry(unavailable(), { ...context, streaming: true }).listInstead, "once");
});

Deno.test("asResolverError() drops Bun's advice to pass verbose to fetch(): the library makes that call", () => {
  const reset = new TypeError(
    "ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the " +
      "second argument to fetch()",
  );
  assert.match(
    asResolverError(reset).message,
    /^Watch of EndpointSlices broke: the connection to the API server broke \(TypeError: ECONNRESET: The socket connection was closed unexpectedly\): if this repeats/,
  );
});

Deno.test("planRetry() retries before reporting a first 403 that follows an unreachable server, as a restarting one", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const unreachable = new KubeApiError("cannot reach the API server");
  const context = { listFrom: "0", resourceVersion: "", previous: unreachable, backoff, maxDelayMs: 1 };
  assert.deepEqual(planRetry(forbidden(), context), { listFrom: "0", report: false, delayMs: 1000 });
  // A 503 (a server that answers) says nothing about its RBAC caches: the grant is missing.
  assert.equal(planRetry(forbidden(), { ...context, previous: unavailable() }).report, true);
  assert.equal(planRetry(forbidden(), { ...context, previous: forbidden() }).report, true);
});

Deno.test("planRetry() retries before reporting a first unreachable server once the slices were read, as behind a load balancer of an HA control plane", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const unreachable = () => new UnreachableError("cannot reach the API server (ECONNREFUSED)");
  const context = { listFrom: WATCHING, resourceVersion: "42", previous: undefined, backoff, maxDelayMs: 30_000 };
  // The next connection may go to the other API server: one backoff, then reported if that fails too.
  assert.deepEqual(planRetry(unreachable(), context), { listFrom: WATCHING, report: false, delayMs: 1000 });
  assert.equal(planRetry(unreachable(), { ...context, previous: unreachable() }).report, true);
  // Only the first failure since the last clean watch: after another one (a 403 or a 429 retried unreported, met on
  // the other server), one unreachable server and another failing would never be reported.
  assert.equal(planRetry(unreachable(), { ...context, previous: unavailable() }).report, true);
  assert.equal(planRetry(unreachable(), { ...context, previous: forbidden() }).report, true);
  // Before the slices were ever read, the address may be wrong: the user hears of it at once.
  assert.equal(planRetry(unreachable(), { ...context, listFrom: "0", resourceVersion: "" }).report, true);
});

Deno.test("planRetry() says again that the API server is out of reach only once its quick retries are over", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const context = { listFrom: WATCHING, resourceVersion: "42", previous: unreachable(), backoff, maxDelayMs: 30_000 };
  // Reported once: the next ones, 1-2 s apart, only traced; after the 10 quick retries, each one (1, 2, 4... s apart).
  const reports = Array.from({ length: 12 }, () => planRetry(unreachable(), { ...context, reported: true }).report);
  assert.deepEqual(reports, [...Array(10).fill(false), true, true]);
  // Not reported yet (the first of the outage was retried unreported): this one is.
  assert.equal(planRetry(unreachable(), { ...context, backoff: createBackoff(), reported: false }).report, true);
  // Another failure before (a 503 reported): the server out of reach is news.
  const after503 = { ...context, backoff: createBackoff(), previous: unavailable(), reported: true };
  assert.equal(planRetry(unreachable(), after503).report, true);
});

Deno.test("planRetry() says at once that the API server is out of reach another way during the quick retries", () => {
  // Seen on Deno: a proxy that refused connections (reported) came back answering its CONNECT with a 403 (its rules
  // leave the API server out): that was only traced until the quick retries ended, 11 s later.
  const viaProxy = (why: string) =>
    new UnreachableError(`cannot reach the API server through the proxy "http://127.0.0.1:3128" (${why})`);
  const refused = viaProxy("connect ECONNREFUSED 127.0.0.1:3128");
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 }, () => 0);
  const context = { listFrom: WATCHING, resourceVersion: "42", previous: refused, backoff, maxDelayMs: 30_000 };
  assert.equal(
    planRetry(viaProxy("connect ECONNREFUSED 127.0.0.1:3128"), { ...context, reported: true }).report,
    false,
  );
  const denied = viaProxy("Proxy response (403) !== 200 when HTTP Tunneling: UND_ERR_ABORTED");
  assert.equal(planRetry(denied, { ...context, reported: true }).report, true);
  // So is a server that was refused and now lets connections time out (its machine is gone, not restarting).
  const timedOut = new UnreachableError("cannot reach the API server (Connect Timeout Error)");
  assert.equal(planRetry(timedOut, { ...context, previous: unreachable(), reported: true }).report, true);
});

Deno.test("planRetry() retries an unreachable API server after the backoff's first delay, not a grown one", () => {
  const backoff = createBackoff({}, () => 0);
  for (let i = 0; i < 3; i++) backoff.next();
  const context = { listFrom: WATCHING, resourceVersion: "42", previous: unreachable(), backoff, maxDelayMs: 30_000 };
  // A restarting API server (or a load balancer without a ready one) refuses or closes each connection: that costs it
  // nothing, and the next attempt should not come seconds after it is back.
  assert.equal(planRetry(unreachable(), context).delayMs, 1000);
  assert.equal(planRetry(unavailable(), context).delayMs, 8000);
  assert.equal(planRetry(busy(20), context).delayMs, 20_000);
});
