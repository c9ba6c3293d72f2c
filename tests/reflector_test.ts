import assert from "node:assert/strict";
import type { EndpointSlice, EndpointSliceList, WatchEvent } from "../src/base/endpoint_slice.ts";
import { KubeApiError, type ResolverError } from "../src/base/errors.ts";
import type { EndpointSliceApi, ListParams, WatchParams } from "../src/api/kube_api.ts";
import { UnreachableError } from "../src/api/api_errors.ts";
import { runReflector, type SliceState, type WatchEndReason, type WatchListSupport } from "../src/watch/reflector.ts";
import { driveUntil, FakeClock } from "./_fake_clock.ts";

/** A watch body the test writes events into. */
class ScriptedWatch {
  controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly body = new ReadableStream<Uint8Array>({ start: (controller) => void (this.controller = controller) });
  constructor(readonly params: WatchParams) {
    params.signal.addEventListener("abort", () => this.controller.error(params.signal.reason));
  }
  send(...events: WatchEvent[]) {
    this.controller.enqueue(new TextEncoder().encode(events.map((event) => JSON.stringify(event) + "\n").join("")));
  }
  close() {
    this.controller.close();
  }
}

type ListAnswer = EndpointSliceList | KubeApiError;
type WatchAnswer = KubeApiError | ((watch: ScriptedWatch, clock: FakeClock) => void);

/** A fake EndpointSliceApi answering from scripts and recording calls, with the fake clock the scenario runs on. */
function scriptedApi(lists: ListAnswer[], watches: WatchAnswer[]) {
  const clock = new FakeClock();
  const calls: { kind: "list" | "watch"; params: ListParams | WatchParams; at: number }[] = [];
  const openWatches: ScriptedWatch[] = [];
  const api: EndpointSliceApi = {
    redact: (text) => text,
    list(params) {
      calls.push({ kind: "list", params, at: clock.now() });
      const answer = lists.shift();
      // Unanswered, as a server that does not answer: until the stall deadline aborts it.
      if (!answer) {
        return new Promise((_, reject) => params.signal.addEventListener("abort", () => reject(params.signal.reason)));
      }
      return answer instanceof KubeApiError ? Promise.reject(answer) : Promise.resolve(answer);
    },
    watch(params) {
      calls.push({ kind: "watch", params, at: clock.now() });
      const answer = watches.shift();
      if (answer instanceof KubeApiError) return Promise.reject(answer);
      const watch = new ScriptedWatch(params);
      openWatches.push(watch);
      if (answer) queueMicrotask(() => answer(watch, clock));
      return Promise.resolve({ chunks: watch.body, encoding: "json" });
    },
  };
  const times = (kind: "list" | "watch") => calls.filter((call) => call.kind === kind).map((call) => call.at);
  /** A stop condition: the watch of this index (0 is the first) has been open for `ms`. */
  const watchOpenFor = (index: number, ms: number) => () => {
    const openedAt = times("watch")[index];
    return openedAt !== undefined && clock.now() >= openedAt + ms;
  };
  return { api, clock, calls, openWatches, times, watchOpenFor };
}

function slice(name: string, rv: string, ip = "10.0.0.1"): EndpointSlice {
  return {
    metadata: { name, namespace: "prod", resourceVersion: rv },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip] }],
  };
}

function list(rv: string, items: EndpointSlice[], continueToken?: string): EndpointSliceList {
  return { metadata: { resourceVersion: rv, continue: continueToken }, items };
}

/** A failure of a LIST or a watch request, retried with backoff. */
const unavailable = () => new KubeApiError("unavailable", { status: 503 });

/** A watch's ERROR event that is not about its resume point: a failure, retried with backoff. */
const internalErrorEvent: WatchEvent = {
  type: "ERROR",
  object: { kind: "Status", code: 500, reason: "InternalError", message: "etcd is unavailable" },
};

const expiredEvent: WatchEvent = {
  type: "ERROR",
  object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (9)" },
};

/** kube-apiserver's ERROR event for a resourceVersion its watch cache has not reached: 504 with that cause. */
function tooLargeEvent(requested: number, current: number): WatchEvent {
  return {
    type: "ERROR",
    object: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `Timeout: Too large resource version: ${requested}, current: ${current}`,
      reason: "Timeout",
      details: {
        causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      },
      code: 504,
    } as WatchEvent["object"],
  };
}

/** Runs the reflector on the fake clock until `until` returns true, then stops it. */
async function run(
  { api, clock }: { api: EndpointSliceApi; clock: FakeClock },
  until: (states: SliceState[], errors: ResolverError[]) => boolean,
  options: {
    stallTimeoutMs?: number;
    minWatchMs?: number;
    initialMs?: number;
    maxMs?: number;
    healthyWatchMs?: number;
    watchList?: WatchListSupport;
    trace?: (text: string) => void;
    onWatchEnd?: (reason: WatchEndReason) => void;
    onList?: () => void;
    /** Where the order of the callbacks goes; the test's own callbacks may add to it. */
    log?: string[];
  } = {},
) {
  const controller = new AbortController();
  const states: SliceState[] = [];
  const errors: ResolverError[] = [];
  // The order of the callbacks.
  const log = options.log ?? [];
  const running = runReflector(api, {
    signal: controller.signal,
    stallTimeoutMs: options.stallTimeoutMs,
    minWatchMs: options.minWatchMs ?? 0,
    healthyWatchMs: options.healthyWatchMs,
    watchList: options.watchList,
    trace: options.trace,
    onWatchEnd: options.onWatchEnd,
    onList: options.onList,
    backoff: { initialMs: options.initialMs ?? 5, maxMs: options.maxMs ?? 1000 },
    random: () => 0,
    clock,
    onState(state) {
      log.push("state");
      states.push({ slices: new Map(state.slices), resourceVersion: state.resourceVersion });
    },
    onError(error) {
      log.push("error");
      errors.push(error);
    },
    onRecovered: () => log.push("recovered"),
  });
  try {
    await driveUntil(clock, () => until(states, errors));
  } finally {
    controller.abort();
    await running;
  }
  return { states, errors, log };
}

const names = (state: SliceState) => [...state.slices.keys()].sort();

Deno.test("runReflector() lists from the watch cache, then watches from the list's resourceVersion with bookmarks", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch) => watch.send({ type: "ADDED", object: slice("b", "11") }),
  ]);
  const { states } = await run(scripted, (states) => states.length === 2);
  const { calls } = scripted;
  assert.equal((calls[0].params as ListParams).resourceVersion, "0");
  assert.equal((calls[1].params as WatchParams).resourceVersion, "10");
  const timeout = (calls[1].params as WatchParams).timeoutSeconds;
  assert.ok(timeout >= 300 && timeout < 600);
  assert.deepEqual(names(states[1]), ["a", "b"]);
  assert.equal(states[1].resourceVersion, "11");
});

Deno.test("runReflector() applies MODIFIED and DELETED to the slice map", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3"), slice("b", "4")])], [
    (watch) =>
      watch.send(
        { type: "MODIFIED", object: slice("a", "11", "10.0.0.9") },
        { type: "DELETED", object: slice("b", "12") },
      ),
  ]);
  const { states } = await run(scripted, (states) => states.length === 3);
  assert.deepEqual(names(states[2]), ["a"]);
  assert.deepEqual(states[2].slices.get("a")!.endpoints![0].addresses, ["10.0.0.9"]);
  assert.equal(states[2].resourceVersion, "12");
});

Deno.test("runReflector() resumes from the last resourceVersion after a clean close, without a new LIST", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "11") });
      watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" }, addressType: "" } });
      watch.close();
    },
    (watch) => watch.send({ type: "ADDED", object: slice("b", "16") }),
  ]);
  const { states } = await run(scripted, (states) => states.length === 3);
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((calls[2].params as WatchParams).resourceVersion, "15");
  assert.equal(calls[2].at, 0, "a clean close resumes at once");
  assert.equal(states.length, 3, "a BOOKMARK changes no slice and publishes nothing");
});

Deno.test("runReflector() resumes at once, unreported, a watch whose body ended in the middle of an event, as client-go does", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "11") });
      watch.controller.enqueue(new TextEncoder().encode('{"type":"ADDED","object":{"metadata":{"na'));
      watch.close();
    },
    (watch) => watch.send({ type: "ADDED", object: slice("b", "12") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 3);
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((scripted.calls[2].params as WatchParams).resourceVersion, "11");
  assert.equal(scripted.calls[2].at, 0, "resumed at once");
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() relists once from the last resourceVersion after an ERROR 410 event", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 2);
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "list", "watch"]);
  assert.equal((calls[2].params as ListParams).resourceVersion, "10");
  assert.equal(calls[2].at, 5, "the relist waits one backoff delay, as client-go's: every client met the 410 at once");
  assert.equal((calls[3].params as WatchParams).resourceVersion, "20");
  assert.deepEqual(names(states[1]), ["b"]);
  assert.equal(errors.length, 0, "an expired resourceVersion is routine, not an error to report");
});

Deno.test("runReflector() sends its diagnostic lines to options.trace, which names the watch", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  const lines: string[] = [];
  await run(scripted, (states) => states.length === 2, { trace: (text) => lines.push(`echo.prod: ${text}`) });
  assert.ok(lines.some((line) => line.startsWith("echo.prod: resourceVersion expired")), lines.join("\n"));
  // The relist is said once: not again as the error's "retrying in 0 ms".
  assert.ok(!lines.some((line) => line.includes("retrying in")), lines.join("\n"));
});

Deno.test("runReflector() relists with a consistent read when the relist itself expired", async () => {
  const scripted = scriptedApi([
    list("10", []),
    new KubeApiError("gone", { status: 410 }),
    list("40", [slice("d", "39")]),
  ], [(watch) => watch.send(expiredEvent), () => {}]);
  const { states } = await run(scripted, (states) => states.length === 2);
  const lists = scripted.calls.filter((call) => call.kind === "list");
  assert.deepEqual(lists.map((call) => (call.params as ListParams).resourceVersion), ["0", "10", ""]);
  // The watch's 410 waits one backoff delay (5 ms), the second 410 in a row the next (10 ms) before the consistent read.
  assert.deepEqual(lists.map((call) => call.at), [0, 5, 15]);
  assert.deepEqual(names(states[1]), ["d"]);
});

Deno.test("runReflector() relists with a consistent read when the relist's resourceVersion is too large", async () => {
  const tooLarge = new KubeApiError("Timeout: Too large resource version: 900, current: 50", {
    status: 504,
    reason: "Timeout",
    causes: ["ResourceVersionTooLarge"],
    retryAfterSeconds: 1,
  });
  const scripted = scriptedApi([list("900", []), tooLarge, list("60", [slice("e", "55")])], [
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 2, { initialMs: 2000 });
  const lists = scripted.calls.filter((call) => call.kind === "list");
  assert.deepEqual(lists.map((call) => (call.params as ListParams).resourceVersion), ["0", "900", ""]);
  assert.deepEqual(
    lists.map((call) => call.at),
    [0, 500, 500],
    "the watch's 410 waits a backoff delay (capped at maxMs / 2 here); the consistent relist after the 504 follows at " +
      "once, not after another",
  );
  assert.deepEqual(names(states[1]), ["e"]);
  assert.equal(errors.length, 0);
});

Deno.test("runReflector() keeps its state and reports nothing while the relist after a served watch's 410 waits", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    (watch) => watch.send({ type: "ADDED", object: slice("c", "12") }, expiredEvent),
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 3, { initialMs: 1000 });
  const lists = scripted.calls.filter((call) => call.kind === "list");
  // One backoff delay, capped at maxMs / 2 here (by default 1 to 2 s, where client-go waits 0.8 to 1.6 s).
  assert.deepEqual(lists.map((call) => call.at), [0, 500]);
  assert.deepEqual(names(states[1]), ["a", "c"], "the last state stands until the relist");
  assert.deepEqual(names(states[2]), ["b"]);
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() waits before the relist after a 410 that ends a served watch, whatever failed before it", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    new KubeApiError("Internal error", { status: 500 }),
    (watch, clock) => {
      watch.send({ type: "ADDED", object: slice("c", "12") });
      clock.setTimeout(() => watch.send(expiredEvent), 60_000);
    },
    () => {},
  ]);
  await run(scripted, (states) => states.length === 3, { initialMs: 1000 });
  const at = scripted.calls.map((call) => `${call.kind}@${call.at}`);
  // The 500 waits one backoff delay (capped at maxMs / 2 here); the watch after it was served for a minute and
  // brought a change, so its 410 is met by every client of that server at once, and waits one too.
  assert.deepEqual(at, ["list@0", "watch@0", "watch@500", "list@61000", "watch@61000"]);
});

Deno.test("runReflector() relists at once after a 410 that follows an unreachable server: its backoff spread the clients", async () => {
  const refused = new UnreachableError("cannot reach the API server (ECONNREFUSED)");
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    refused,
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  // The 410 ends the watch as it opens, under minWatchMs: that watch was not served.
  await run(scripted, (states) => states.length === 2, { initialMs: 1000, minWatchMs: 1000 });
  const at = scripted.calls.map((call) => `${call.kind}@${call.at}`);
  // One backoff delay (capped at maxMs / 2 here) after the refusal, and no second one before the relist.
  assert.deepEqual(at, ["list@0", "watch@0", "watch@60000", "watch@60500", "list@60500", "watch@60500"]);
});

Deno.test("runReflector() resumes within the backoff's first delay of a restarted API server's return, not its grown one", async () => {
  // kube-apiserver killed and started again, 12 s until it serves, behind a load balancer that accepts and closes
  // meanwhile: the backoff as it doubled put the next attempt up to 15 s after its return; client-go's rest client
  // retries such a watch a second apart (10 times), and its informers were current 0.3 to 0.7 s after readiness.
  const refused = () => new UnreachableError("cannot reach the API server (ECONNRESET)");
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    ...Array.from({ length: 8 }, refused),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") }),
  ]);
  await run(scripted, (states) => states.length === 2, { initialMs: 1000, maxMs: 30_000, minWatchMs: 1000 });
  const at = scripted.calls.map((call) => `${call.kind}@${call.at}`);
  // The cut watch was served: resumed at once, into the outage; then one attempt a second (random 0: the least delay).
  const resumes = Array.from({ length: 8 }, (_, i) => `watch@${61_000 + i * 1000}`);
  assert.deepEqual(at, ["list@0", "watch@0", "watch@60000", ...resumes]);
});

Deno.test("runReflector() reports an API server that stays out of reach once during the quick retries, then at each growing delay", async () => {
  // kube-apiserver down for about 30 s: each refused watch was reported, 9 of them while the quick retries went on
  // 1-2 s apart (one a try, where the doubling backoff they replaced had reported 2 or 3); a fleet that logs onError
  // logged an API-server restart ten times over. The quick retries are for coming back soon, not for saying it again.
  const refused = () => new UnreachableError("cannot reach the API server (ECONNREFUSED)");
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    ...Array.from({ length: 14 }, refused),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") }),
  ]);
  const reported: number[] = [];
  const { errors, log } = await run(scripted, (states) => states.length === 2, {
    initialMs: 1000,
    maxMs: 30_000,
    minWatchMs: 1000,
    trace: (text) => text.includes("cannot reach") && reported.push(scripted.calls.length),
  });
  // The first is retried unreported (an HA peer may answer), the second reported; the 8 more quick retries only
  // traced; the 4 after them, 1, 2, 4 and 8 s apart, reported each, as the doubling backoff reported before.
  assert.equal(errors.length, 5, errors.map((error) => error.message).join("; "));
  assert.ok(errors.every((error) => error instanceof UnreachableError));
  assert.equal(reported.length, 14, "every failure is traced");
  assert.equal(log.filter((entry) => entry === "recovered").length, 1);
});

Deno.test("runReflector() reports at once an API server out of reach another way during the quick retries", async () => {
  // Seen on Deno: a proxy that refused connections, then answered the CONNECT with a 403, was reported refusing, and
  // the 403 only after the quick retries, 11 s later.
  const viaProxy = (why: string) => () =>
    new UnreachableError(`cannot reach the API server through the proxy (${why})`);
  const refused = viaProxy("connect ECONNREFUSED 127.0.0.1:3128");
  const denied = viaProxy("Proxy response (403) !== 200 when HTTP Tunneling");
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    refused(),
    refused(),
    refused(),
    denied(),
    denied(),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, {
    initialMs: 1000,
    maxMs: 30_000,
    minWatchMs: 1000,
  });
  // The first refusal retried unreported, the second reported, the third only traced; the first 403 reported.
  assert.deepEqual(errors.map((error) => error.message), [refused().message, denied().message]);
});

Deno.test("runReflector() says again that the API server is out of reach after 15 s, however long each try takes", async () => {
  // Seen on Deno: an API server address that drops every packet (a machine gone) fails each try after the 10 s connect
  // timeout; the 10 quick retries then took 114 s, with one report at 10 s and the next at 124 s (each 11.5 s before).
  const timedOut = new UnreachableError(
    "cannot reach the API server (Connect Timeout Error (no connection set up within 10000 ms))",
  );
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") }),
  ]);
  const { watch } = scripted.api;
  // The 8 watches after the first each fail 10 s after they were sent, as a connection that gets no answer.
  scripted.api.watch = (params) => {
    if (scripted.calls.length < 2 || scripted.calls.length > 9) return watch(params);
    scripted.calls.push({ kind: "watch", params, at: scripted.clock.now() });
    return new Promise((_, reject) => scripted.clock.setTimeout(() => reject(timedOut), 10_000));
  };
  const reportedAt: number[] = [];
  const noted = (errors: ResolverError[]) => {
    while (reportedAt.length < errors.length) reportedAt.push(scripted.clock.now());
  };
  await run(scripted, (states, errors) => (noted(errors), states.length === 2), {
    initialMs: 1000,
    maxMs: 30_000,
    minWatchMs: 1000,
  });
  // Tries fail at 70, 81, 92... s: the first retried unreported, the second reported, then the first 15 s or more
  // after the last report (was: none until the quick retries ended).
  assert.deepEqual(reportedAt, [81_000, 103_000, 125_000, 147_000]);
});

Deno.test("runReflector() gives the quick retries of an unanswered watch back only after a watch served for healthyWatchMs", async () => {
  // An API server that crashloops (serves a watch a moment, dies, is refused for seconds): were each brief watch to
  // give the 10 quick retries back, every client would try it every 1-2 s for as long as it flaps (modelled with
  // 1,000 clients, 3 s down and 0.5 s up: 4 times the connections of doubling delays, 5 times the watches served).
  const refused = () => new UnreachableError("cannot reach the API server (ECONNREFUSED)");
  const cut = (after: number) => (watch: ScriptedWatch, clock: FakeClock) => {
    watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") });
    clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), after);
  };
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 60_000),
    ...Array.from({ length: 10 }, refused),
    cut(100),
    ...Array.from({ length: 3 }, refused),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "12", "10.0.0.3") }),
  ]);
  await run(scripted, (states) => states.length === 3, { initialMs: 1000, maxMs: 30_000, minWatchMs: 1000 });
  const at = scripted.calls.map((call) => `${call.kind}@${call.at}`);
  const quick = Array.from({ length: 10 }, (_, i) => `watch@${61_000 + i * 1000}`);
  // The brief watch at 70 s starts the doubling over (it was served), not the quick retries: 1, 2, then 4 s apart.
  assert.deepEqual(at, [
    "list@0",
    "watch@0",
    "watch@60000",
    ...quick,
    "watch@70100",
    "watch@71100",
    "watch@73100",
    "watch@77100",
  ]);
});

Deno.test("runReflector() relists after a watch answered with HTTP 410", async () => {
  const scripted = scriptedApi([list("10", []), list("30", [slice("c", "29")])], [
    new KubeApiError("gone", { status: 410 }),
    () => {},
  ]);
  await run(scripted, (states) => states.length === 2);
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch", "list", "watch"]);
});

Deno.test("runReflector() follows LIST pages and, when a continue token expires, lists in one request", async () => {
  const scripted = scriptedApi([
    list("10", [slice("a", "3")], "token-1"),
    new KubeApiError("continue expired", { status: 410, reason: "Expired" }),
    list("12", [slice("a", "3"), slice("b", "11")]),
  ], [() => {}]);
  const { states } = await run(scripted, (states) => states.length === 1);
  const lists = scripted.calls.filter((call) => call.kind === "list").map((call) => call.params as ListParams);
  assert.deepEqual(lists.map((params) => [params.limit, params.continueToken, params.resourceVersion]), [
    [500, undefined, "0"],
    [500, "token-1", "0"],
    [undefined, undefined, ""],
  ]);
  assert.deepEqual(names(states[0]), ["a", "b"]);
});

Deno.test("runReflector() gives up on a LIST that stalls and retries it", async () => {
  const clock = new FakeClock();
  const listTimes: number[] = [];
  const api: EndpointSliceApi = {
    redact: (text) => text,
    list: ({ signal }) => {
      listTimes.push(clock.now());
      if (listTimes.length > 1) return Promise.resolve(list("10", [slice("a", "3")]));
      return new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    },
    watch: ({ signal }) =>
      Promise.resolve({
        chunks: new ScriptedWatch({ resourceVersion: "10", timeoutSeconds: 300, signal }).body,
        encoding: "json",
      }),
  };
  const { states, errors } = await run({ api, clock }, (states) => states.length === 1, { stallTimeoutMs: 100 });
  // Stalled after 100 ms, then the first backoff delay (5 ms).
  assert.deepEqual(listTimes, [0, 105]);
  assert.match(errors[0].message, /stalled: no answer for 100 ms \(stallTimeoutMs\): check that it is up/);
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() lists again when a LIST's body pauses halfway for 10 s, not stallTimeoutMs", async () => {
  // Deno may never report a TLS connection that broke while a large answer was in flight: the body just goes silent.
  const clock = new FakeClock();
  const listTimes: number[] = [];
  const api: EndpointSliceApi = {
    redact: (text) => text,
    server: "https://10.0.0.1:6443",
    list: ({ signal, onBytes }) => {
      listTimes.push(clock.now());
      if (listTimes.length > 1) return Promise.resolve(list("10", [slice("a", "3")]));
      onBytes?.(4_000);
      return new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    },
    watch: ({ signal }) =>
      Promise.resolve({
        chunks: new ScriptedWatch({ resourceVersion: "10", timeoutSeconds: 300, signal }).body,
        encoding: "json",
      }),
  };
  const { states, errors } = await run({ api, clock }, (states) => states.length === 1);
  // Was: [0, 150005], reported as a server that does not answer.
  assert.deepEqual(listTimes, [0, 10_005]);
  assert.equal(
    errors[0].message,
    "Cannot list EndpointSlices: the connection went silent for 10000 ms in the middle of an answer that the API " +
      "server sends in one go: taken as broken (the API server at https://10.0.0.1:6443): it is listed again; if this " +
      "repeats, check the network and the proxies on the way",
  );
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() lets a LIST page take longer than stallTimeoutMs while its bytes keep coming", async () => {
  // A large Service over a slow link (a VPN, a satellite office): the page arrives in full, just slowly. Timed as a
  // whole, it was given up at stallTimeoutMs and listed again from the start, as slowly, forever.
  const clock = new FakeClock();
  const listTimes: number[] = [];
  const api: EndpointSliceApi = {
    redact: (text) => text,
    list: ({ signal, onBytes }) => {
      listTimes.push(clock.now());
      return new Promise((resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason));
        // 4 kB every 5 s, 40 times: 200 s for the page.
        const trickle = (left: number) =>
          clock.setTimeout(() => {
            if (signal.aborted) return;
            onBytes?.(4_000);
            if (left === 0) resolve(list("10", [slice("a", "3")]));
            else trickle(left - 1);
          }, 5_000);
        trickle(40);
      });
    },
    watch: ({ signal }) =>
      Promise.resolve({
        chunks: new ScriptedWatch({ resourceVersion: "10", timeoutSeconds: 300, signal }).body,
        encoding: "json",
      }),
  };
  const { states, errors } = await run({ api, clock }, (states, errors) => states.length === 1 || errors.length > 0, {
    stallTimeoutMs: 150_000,
  });
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.deepEqual(listTimes, [0]);
  assert.equal(clock.now(), 205_000);
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() gives up a LIST page whose body only trickles a byte now and then", async () => {
  // A broken proxy (or server) that keeps the connection alive with a space every 5 s, and never sends the list: a
  // trickle is not a slow link's progress, and must not hold the LIST forever.
  const clock = new FakeClock();
  const listTimes: number[] = [];
  const api: EndpointSliceApi = {
    redact: (text) => text,
    server: "https://10.0.0.1:6443",
    list: ({ signal, onBytes }) => {
      listTimes.push(clock.now());
      if (listTimes.length > 1) return Promise.resolve(list("10", [slice("a", "3")]));
      return new Promise<never>((_, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason));
        const trickle = () =>
          clock.setTimeout(() => {
            if (signal.aborted) return;
            onBytes?.(1);
            trickle();
          }, 5_000);
        trickle();
      });
    },
    watch: ({ signal }) =>
      Promise.resolve({
        chunks: new ScriptedWatch({ resourceVersion: "10", timeoutSeconds: 300, signal }).body,
        encoding: "json",
      }),
  };
  const { states, errors } = await run(
    { api, clock },
    (states) => states.length === 1,
    { stallTimeoutMs: 150_000 },
  );
  assert.equal(listTimes.length, 2);
  assert.ok(listTimes[1] <= 150_010, `listed again at ${listTimes[1]} ms`);
  assert.match(errors[0].message, /stalled: no complete answer or event for 150000 ms \(stallTimeoutMs\)/);
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() resets the backoff after a long healthy watch, however it ends", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const scripted = scriptedApi([list("10", [])], [
    failure(),
    failure(),
    failure(),
    (watch, clock) => clock.setTimeout(() => watch.send(internalErrorEvent), 120),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(scripted, (states) => states.length === 2, { initialMs: 20, healthyWatchMs: 100 });
  // Delays 20, 40, 80 ms; the watch at 140 fails after 120 ms (healthy); then 20 ms again, not 160.
  assert.deepEqual(scripted.times("watch"), [0, 20, 60, 140, 280]);
});

Deno.test("runReflector() keeps the backoff after a watch that broke before it was healthy", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const scripted = scriptedApi([list("10", [])], [
    failure(),
    (watch, clock) => clock.setTimeout(() => watch.send(internalErrorEvent), 99),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(scripted, (states) => states.length === 2, { initialMs: 20, healthyWatchMs: 100 });
  assert.deepEqual(scripted.times("watch"), [0, 20, 159]);
});

Deno.test("runReflector() resumes at once, unreported, a watch whose connection broke after it delivered events, as client-go does", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const breaksAfterAnEvent = (rv: string) => (watch: ScriptedWatch, clock: FakeClock) => {
    watch.send({ type: "ADDED", object: slice(`a${rv}`, rv) });
    clock.setTimeout(() => watch.controller.error(new TypeError("connection reset")), 50);
  };
  const scripted = scriptedApi([list("10", [])], [
    failure(),
    failure(),
    breaksAfterAnEvent("11"),
    breaksAfterAnEvent("12"),
    failure(),
    (watch) => watch.send({ type: "ADDED", object: slice("z", "13") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 4, { initialMs: 20, minWatchMs: 10 });
  // Backoff 20 and 40 ms; the watches opened at 60 and 110 break 50 ms later, each resumed at once; the 503 at
  // 160 then waits 20 ms, not 80: the backoff started over, as the server had been serving.
  assert.deepEqual(scripted.times("watch"), [0, 20, 60, 110, 160, 180]);
  assert.deepEqual(errors.map((error) => error.message).filter((message) => /connection reset/.test(message)), []);
  assert.equal(errors.length, 3, "the three 503s");
});

Deno.test("runReflector() resumes at once, unreported, a quiet watch that a proxy cut for idleness, as client-go does", async () => {
  // A proxy or load balancer that cuts connections idle for longer than its timeout (shorter than the API
  // server's bookmark interval, about a minute) breaks every watch of a quiet Service before any event.
  const cutWhenIdle = (watch: ScriptedWatch, clock: FakeClock) =>
    clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 50);
  const scripted = scriptedApi([list("10", [])], [
    cutWhenIdle,
    cutWhenIdle,
    cutWhenIdle,
    cutWhenIdle,
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { initialMs: 20, minWatchMs: 10 });
  // Each watch is cut 50 ms after it opened and resumed at once from the list's resourceVersion: no backoff
  // (20, 40, 80 ms) that would leave the endpoints stale, and no error that says they may be.
  assert.deepEqual(scripted.times("watch"), [0, 50, 100, 150, 200]);
  assert.deepEqual(scripted.calls.slice(1).map((call) => (call.params as WatchParams).resourceVersion), [
    "10",
    "10",
    "10",
    "10",
    "10",
  ]);
  assert.deepEqual(errors.map((error) => error.message), []);
});

Deno.test("runReflector() reports a watch whose connection broke at once with the API server and what to check", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch) => watch.controller.error(new TypeError("other side closed")),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  const api = { ...scripted.api, server: "https://10.0.0.1:6443" };
  const { errors } = await run({ api, clock: scripted.clock }, (states) => states.length === 2, { minWatchMs: 10 });
  assert.deepEqual(errors.map((error) => error.message), [
    "Watch of EndpointSlices broke: the connection to the API server at https://10.0.0.1:6443 broke (TypeError: " +
    "other side closed): if this repeats, check that the proxies and load balancers on the way let a " +
    "watch, a request that lasts minutes, stay open",
  ]);
});

Deno.test("runReflector() aborts a stalled watch and resumes it", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch) => watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "12" }, addressType: "" } }),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100 });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((calls[2].params as WatchParams).resourceVersion, "12");
  assert.deepEqual(scripted.times("watch"), [0, 105]);
  assert.match(errors[0].message, /stalled: no complete answer or event for 100 ms/);
});

Deno.test("runReflector() resumes at once, unreported and without a LIST, a watch whose minutely bookmarks stopped", async () => {
  // kube-apiserver v1.36.3 (SIGSTOP, a hung process) stopped answering a watch that had its bookmarks every 60 s: the
  // watch is resumed 75 s after the last one, not after stallTimeoutMs, and on an HA control plane the resume reaches
  // the other server.
  const bookmark = (rv: string) => ({
    type: "BOOKMARK",
    object: { metadata: { resourceVersion: rv }, addressType: "" },
  });
  const scripted = scriptedApi([list("10", [])], [
    (watch, clock) => void clock.setTimeout(() => watch.send(bookmark("12")), 60_000),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const ends: WatchEndReason[] = [];
  const { errors } = await run(scripted, (states) => states.length === 2, { onWatchEnd: (end) => ends.push(end) });
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((scripted.calls[2].params as WatchParams).resourceVersion, "12");
  assert.deepEqual(scripted.times("watch"), [0, 135_000]);
  assert.deepEqual(ends, ["stall"]);
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() keeps a watch whose bookmarks come every minute, a second late, for as long as it lasts", async () => {
  // The watch cache sends one every 60 s once its resourceVersion passed the watch's start (v1.36.3: 59.1 to 60.8 s
  // apart, measured), its ticks up to 1.25 s late.
  const scripted = scriptedApi([list("10", [])], [(watch, clock) => {
    let rv = 11;
    const next = () => {
      watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: String(rv++) }, addressType: "" } });
      clock.setTimeout(next, rv % 2 === 0 ? 61_250 : 58_750);
    };
    clock.setTimeout(next, 120_000);
  }]);
  const { errors } = await run(scripted, () => scripted.clock.now() >= 290_000);
  assert.deepEqual(scripted.times("watch"), [0]);
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() resumes a watch that stalls before its first byte at once, unreported, and reports the second in a row", async () => {
  // A quiet Service where the API server sends its first bookmark late: kube-apiserver v1.36.3 sends one only once its
  // resourceVersion moved past the watch's start, which took about 120 s on a quiet cluster with etcd's defaults.
  const bookmark = { type: "BOOKMARK", object: { metadata: { resourceVersion: "12" }, addressType: "" } } as const;
  // The LISTs that check each quiet watch find a slice of the Service in the watch cache that no watch brought.
  // The consistent LIST after the second quiet watch in a row has it too: a change, not a history that went back.
  const missed = [slice("a", "13")];
  const scripted = scriptedApi([
    list("10", []),
    list("14", missed),
    list("14", missed),
    list("15", missed),
    list("15", missed),
  ], [
    () => {},
    (watch) => watch.send(bookmark),
    () => {},
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const traced: string[] = [];
  const { errors } = await run(scripted, (states) => states.length === 2, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  // The quiet watches are resumed at once; the one that stalled after its bookmark, and the second quiet one in
  // a row, back off.
  assert.deepEqual(scripted.times("watch"), [0, 100, 205, 305, 415]);
  assert.deepEqual(
    scripted.calls.slice(1).map((call) => `${call.kind} ${(call.params as WatchParams).resourceVersion}`),
    ["watch 10", "list 0", "watch 10", "watch 12", "list 0", "watch 12", "list 0", "list ", "watch 12"],
  );
  assert.deepEqual(errors.map((error) => error.message), [
    "Request to the API server stalled: no complete answer or event for 100 ms (stallTimeoutMs): it restarts; if " +
    "this repeats, check the API server's health and load (kubectl get --raw='/readyz?verbose') and that the " +
    "proxies on the way pass an answer as it comes",
    "Request to the API server stalled: no complete answer or event for 100 ms (stallTimeoutMs), twice in a row " +
    "without a single event, while the API server's watch cache has a change of the Service's EndpointSlices that " +
    "neither brought: API servers send a BOOKMARK about every minute, but only once their resourceVersion " +
    "moved, and on a quiet cluster some send none for minutes (before 1.34, or an etcd without " +
    "--watch-progress-notify-interval): raise stallTimeoutMs above that wait, or check that the proxies on the way " +
    "pass a watch's events as they come",
  ]);
  assert.equal(traced.filter((line) => line.startsWith("watch delivered no event")).length, 2);
});

Deno.test("runReflector() does not report quiet watches while the API server's watch cache has the Service's slices as the state", async () => {
  // kube-apiserver before 1.34 on a quiet cluster: v1.33.13 sent no bookmark for 12 minutes on a watch from the
  // resourceVersion its LIST (from the watch cache) gave, and that LIST gave the same resourceVersion all along. The
  // server had nothing to send: a LIST from the watch cache with the Service's slices as the state has them says so,
  // and no error is due. Then the Service changes, and two quiet watches in a row miss it; the consistent LIST after the
  // second has the change too, newer than the state: no history that went back.
  const changed = [slice("a", "11")];
  const scripted = scriptedApi([
    list("10", []),
    list("10", []),
    list("10", []),
    list("11", changed),
    list("12", changed),
    list("12", changed),
  ], [
    () => {},
    () => {},
    () => {},
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const traced: string[] = [];
  const { errors } = await run(scripted, (states) => states.length === 2, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  assert.deepEqual(scripted.calls.map((call) => call.kind), [
    "list",
    "watch",
    "list",
    "watch",
    "list",
    "watch",
    "list",
    "watch",
    "list",
    "list",
    "watch",
  ]);
  // Each check is a LIST from the watch cache, and the last a consistent one too; the watches all resume from the
  // first LIST's resourceVersion.
  assert.deepEqual(scripted.calls.filter((call) => call.kind === "list").map((call) => call.params.resourceVersion), [
    "0",
    "0",
    "0",
    "0",
    "0",
    "",
  ]);
  assert.deepEqual(
    scripted.calls.filter((call) => call.kind === "watch").map((call) => (call.params as WatchParams).resourceVersion),
    ["10", "10", "10", "10", "10"],
  );
  // Reported only once two quiet watches in a row (the third and the fourth) missed the Service's change.
  assert.deepEqual(errors.map((error) => error.message.split(":")[0]), ["Request to the API server stalled"]);
  assert.match(errors[0].message, /twice in a row without a single event/);
  assert.equal(traced.filter((line) => line.includes("had none of the Service's to send")).length, 2);
  assert.equal(traced.filter((line) => line.includes("a change the watch may have missed")).length, 1);
});

/** A scripted API whose watch cache (the LISTs from resourceVersion 0) is at `cacheAt(now)`. */
function cacheMoving(cacheAt: (now: number) => string, watches: WatchAnswer[]) {
  const scripted = scriptedApi([], watches);
  scripted.api.list = (params) => {
    scripted.calls.push({ kind: "list", params, at: scripted.clock.now() });
    return Promise.resolve(list(cacheAt(scripted.clock.now()), []));
  };
  return scripted;
}

Deno.test("runReflector() does not report a quiet watch during which the watch cache moved past its resume point", async () => {
  // kube-apiserver v1.32.13 on a quiet cluster: a watch from the cache's resourceVersion got no bookmark; another
  // Service's write 134 s into the watching, 64 s into the second quiet watch (stallTimeoutMs 70000), came after that
  // watch's bookmark tick at 60 s, and its stall at 70 s was reported although the server sends a bookmark at the
  // next tick. The watch after it gets one.
  const bookmark = { type: "BOOKMARK", object: { metadata: { resourceVersion: "11" }, addressType: "" } } as const;
  const scripted = cacheMoving((now) => now < 150 ? "10" : "11", [
    () => {},
    () => {},
    (watch, clock) => {
      clock.setTimeout(() => watch.send(bookmark), 60);
      clock.setTimeout(() => watch.send({ type: "ADDED", object: slice("a", "13") }), 120);
    },
  ]);
  const traced: string[] = [];
  const { errors } = await run(scripted, (states) => states.length === 2, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  assert.deepEqual(errors.map((error) => error.message), []);
  // Resumed at once each time, from the same resourceVersion; a LIST from the watch cache after each quiet watch.
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.at} ${call.params.resourceVersion}`), [
    "list 0 0",
    "watch 0 10",
    "list 100 0",
    "watch 100 10",
    "list 200 0",
    "watch 200 10",
  ]);
  assert.ok(traced.some((line) => line.includes("had none of the Service's to send")), traced.join("\n"));
});

Deno.test("runReflector() does not report quiet watches that started behind the watch cache", async () => {
  // kube-apiserver starts a watch at its cache's resourceVersion when the watch's is older, and sends a bookmark only
  // once the cache moved on from there: v1.32.13 sent none in 130 s to a watch from 196 with its cache at 210. The
  // cache moved during the first quiet watch, then stayed: the watches after it had nothing to bring.
  const scripted = cacheMoving((now) => now < 50 ? "10" : "11", [
    () => {},
    () => {},
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100 });
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.deepEqual(scripted.times("watch"), [0, 100, 200, 300]);
  assert.deepEqual(scripted.calls.filter((call) => call.kind === "watch").map(watchFrom), ["10", "10", "10", "10"]);
});

Deno.test("runReflector() does not report quiet watches while only other Services' writes move the watch cache", async () => {
  // The cache moves every 40 ms, and the Service's slices in it stay as the state has them: whether or not the
  // watches get the bookmarks those moves are due, they had no change of the Service to bring.
  const scripted = cacheMoving((now) => String(10 + Math.floor(now / 40)), [() => {}, () => {}, () => {}]);
  const { errors } = await run(scripted, () => scripted.calls.length >= 7, { stallTimeoutMs: 100 });
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.deepEqual(scripted.calls.slice(0, 7).map((call) => `${call.kind} ${call.at}`), [
    "list 0",
    "watch 0",
    "list 100",
    "watch 100",
    "list 200",
    "watch 200",
    "list 300",
  ]);
});

Deno.test("runReflector() reports the second quiet watch in a row that missed a change of the Service", async () => {
  // A watch path that delivers nothing (a proxy that buffers or drops watch streams while LISTs pass) on a quiet
  // cluster where the Service changed once: the watch cache shows a slice newer than the state after each quiet watch,
  // and no watch brings it. The cache's resourceVersion moved during the first quiet watch only. The consistent LIST
  // after the second has the change too: no history that went back.
  const scripted = scriptedApi([
    list("10", [slice("a", "8")]),
    list("12", [slice("a", "12", "10.0.0.2")]),
    list("12", [slice("a", "12", "10.0.0.2")]),
    list("12", [slice("a", "12", "10.0.0.2")]),
  ], [() => {}, () => {}, () => {}]);
  const { errors } = await run(scripted, (_, errors) => errors.length > 0, { stallTimeoutMs: 100 });
  assert.equal(errors.length, 1);
  assert.match(
    errors[0].message,
    /twice in a row without a single event, while the API server's watch cache has a change of the Service's EndpointSlices that neither brought: API servers send a BOOKMARK about every minute/,
  );
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.at} ${call.params.resourceVersion}`), [
    "list 0 0",
    "watch 0 10",
    "list 100 0",
    "watch 100 10",
    "list 200 0",
    "list 200 ",
  ]);
});

Deno.test("runReflector() does not count a watch open for minWatchMs as a recovery after quiet watches missed a change", async () => {
  // A proxy that buffers watch streams while LISTs pass: its watches stay open without an error, and bring nothing. Each
  // second quiet watch in a row is reported; the watches in between prove nothing, and must not clear the failure.
  const changed = () => list("12", [slice("a", "12", "10.0.0.2")]);
  const scripted = scriptedApi(
    [list("10", [slice("a", "8")]), changed(), changed(), changed(), changed(), changed()],
    [() => {}, () => {}, () => {}, () => {}],
  );
  const { log } = await run(scripted, (_, errors) => errors.length === 2, { stallTimeoutMs: 100, minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "error"]);
});

Deno.test("runReflector() does not report a quiet watch whose missed change the resumed watch brings", async () => {
  // The Service changed while the watch was quiet (its event was on the way, or the server's bookmark tick came after
  // the stall): the watch resumed from the state's resourceVersion brings the change.
  const scripted = scriptedApi([list("10", [slice("a", "8")]), list("12", [slice("a", "12", "10.0.0.2")])], [
    () => {},
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "12", "10.0.0.2") }),
  ]);
  const traced: string[] = [];
  const { states, errors } = await run(scripted, (states) => states.length === 2, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.equal(states[1].slices.get("a")?.endpoints?.[0].addresses[0], "10.0.0.2");
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.at} ${call.params.resourceVersion}`), [
    "list 0 0",
    "watch 0 10",
    "list 100 0",
    "watch 100 10",
  ]);
  assert.equal(traced.filter((line) => line.includes("a change the watch may have missed")).length, 1);
});

Deno.test("runReflector() does not report quiet watches when a lagging watch cache catches up", async () => {
  // An HA cluster: the LIST after the first quiet watch reaches an API server whose watch cache lags behind the one
  // that served the state, with an older version of the slice; the next finds the state's.
  const scripted = scriptedApi([
    list("10", [slice("a", "8")]),
    list("10", [slice("a", "8")]),
    list("12", [slice("a", "12")]),
  ], [
    (watch) => {
      watch.send({ type: "MODIFIED", object: slice("a", "12") });
      watch.close();
    },
    () => {},
    () => {},
    () => {},
  ]);
  const { errors, log } = await run(scripted, () => scripted.calls.length >= 7, { stallTimeoutMs: 100 });
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.deepEqual(log, ["state", "state"]);
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.params.resourceVersion}`), [
    "list 0",
    "watch 10",
    "watch 12",
    "list 0",
    "watch 12",
    "list 0",
    "watch 12",
  ]);
});

/** A watch that brings slice a at resourceVersion 12 (10.0.0.2), then ends, and watches that bring nothing after it. */
const modifiedThenQuiet = (): WatchAnswer[] => [
  (watch) => {
    watch.send({ type: "MODIFIED", object: slice("a", "12", "10.0.0.2") });
    watch.close();
  },
  () => {},
  () => {},
  () => {},
];

Deno.test("runReflector() reports a watch cache that stays behind the state as behind, not as a change the watches missed", async () => {
  // An HA cluster: the watch resumed on an API server whose watch cache lags its etcd (kube-apiserver v1.36.3 cut off
  // from etcd behind a load balancer: its watches bring nothing, and a LIST from its cache gives the older slice at
  // its older resourceVersion), twice in a row. The consistent LIST after the second (from etcd, which that server
  // cannot reach) stalls: no proof that the cluster's history went back.
  const scripted = scriptedApi([
    list("10", [slice("a", "8")]),
    list("10", [slice("a", "8")]),
    list("10", [slice("a", "8")]),
  ], modifiedThenQuiet());
  const { errors } = await run(scripted, () => scripted.calls.length >= 8, { stallTimeoutMs: 100 });
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.params.resourceVersion}`), [
    "list 0",
    "watch 10",
    "watch 12",
    "list 0",
    "watch 12",
    "list 0",
    "list ",
    "watch 12",
  ]);
  assert.deepEqual(errors.map((error) => error.message), [
    "Request to the API server stalled: no complete answer or event for 100 ms (stallTimeoutMs), twice in a row " +
    "without a single event, while the API server's watch cache is behind what the resolver already has (it " +
    "lists the Service's EndpointSlices at resourceVersion 10, older than 12): that API server lags its etcd (one " +
    "of an HA control plane's, behind a load balancer, say), and its watches bring nothing until it catches up: " +
    "check its health (kubectl get --raw='/readyz?verbose') and its connection to etcd",
  ]);
});

/**
 * Runs a reflector whose state reaches resourceVersion 12 through a watch that then goes quiet, while every LIST
 * after the first shows `restored` at `listedAt`, as an API server on an etcd restored from a snapshot does.
 */
async function afterRestore(listedAt: string, restored: ReturnType<typeof slice>[]) {
  const scripted = scriptedApi(
    [list("10", [slice("a", "8")]), list(listedAt, restored), list(listedAt, restored), list(listedAt, restored)],
    modifiedThenQuiet(),
  );
  const traced: string[] = [];
  const { states, errors } = await run(scripted, (states, errors) => states.length === 3 || errors.length > 0, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  return { scripted, traced, states, errors };
}

Deno.test("runReflector() takes the EndpointSlices of an etcd restored from a snapshot after two quiet watches, unreported", async () => {
  // kube-apiserver v1.36.3 restarted on an etcd restored from a snapshot (`etcdutl snapshot restore` without
  // --bump-revision) has older slices at lower resourceVersions than the state: it accepts a watch from the state's
  // resourceVersion and sends nothing until its own passes it (measured: client-go's reflector kept the old endpoints
  // for good). The watch cache's LISTs show its older slice; the consistent LIST (from etcd) shows it too, at the
  // restored resourceVersion 7, older than the state's 12: that history went back, and its slices are taken.
  const { scripted, traced, states, errors } = await afterRestore("7", [slice("a", "6", "10.0.0.9")]);
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.equal(states[2].slices.get("a")?.endpoints?.[0].addresses[0], "10.0.0.9");
  assert.equal(states[2].resourceVersion, "7");
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.params.resourceVersion}`), [
    "list 0",
    "watch 10",
    "watch 12",
    "list 0",
    "watch 12",
    "list 0",
    "list ",
    "watch 7",
  ]);
  assert.ok(
    traced.some((line) =>
      line.includes("the API server's resourceVersion went back from 12 to 7") && line.includes("--bump-revision")
    ),
    traced.join("\n"),
  );
});

Deno.test("runReflector() takes the EndpointSlices of a restored etcd whose resourceVersion caught up with the state's", async () => {
  // Measured on v1.36.3: the snapshot at 207, the state at 210, and the restarted API server's own writes took the
  // restored etcd to 210 too. Its slice at 207 is older than the state's 210, though no newer list can lack a change
  // the state has: another history.
  const { traced, states, errors } = await afterRestore("12", [slice("a", "9", "10.0.0.9")]);
  assert.deepEqual(errors.map((error) => error.message), []);
  assert.equal(states[2].slices.get("a")?.metadata.resourceVersion, "9");
  assert.ok(traced.some((line) => line.includes("another history")), traced.join("\n"));
});

Deno.test("runReflector() keeps the state when the consistent LIST after two quiet watches agrees with it", async () => {
  // An HA API server whose watch cache lags while etcd has the state's slices: no history went back; the lag is
  // reported as before.
  const scripted = scriptedApi(
    [
      list("10", [slice("a", "8")]),
      list("10", [slice("a", "8")]),
      list("10", [slice("a", "8")]),
      list("13", [slice("a", "12", "10.0.0.2")]),
    ],
    modifiedThenQuiet(),
  );
  const { states, errors } = await run(scripted, (_, errors) => errors.length === 1, { stallTimeoutMs: 100 });
  assert.equal(states.length, 2);
  assert.match(errors[0].message, /watch cache is behind what the resolver already has/);
});

Deno.test("runReflector() takes a failed check of a quiet watch as proof of nothing", async () => {
  // The first quiet watch is resumed unreported all the same; the second in a row is reported, as nothing vouches for
  // it.
  const failed = () => new KubeApiError("the server is restarting", { status: 500 });
  const scripted = scriptedApi([list("10", []), failed(), failed()], [() => {}, () => {}, () => {}]);
  const traced: string[] = [];
  const { errors } = await run(scripted, () => scripted.calls.length >= 6, {
    stallTimeoutMs: 100,
    trace: (line) => traced.push(line),
  });
  assert.deepEqual(scripted.calls.map((call) => `${call.kind} ${call.at}`), [
    "list 0",
    "watch 0",
    "list 100",
    "watch 100",
    "list 200",
    "watch 205",
  ]);
  assert.equal(errors.length, 1);
  // The error names the LIST's failure, which may be the cause (a restart, a 429), not only the stall's advice.
  assert.match(
    errors[0].message,
    /twice in a row without a single event, and the LIST that checks it in the watch cache failed \(the server is restarting\)/,
  );
  assert.equal(traced.filter((line) => line.includes("could not check the API server's watch cache")).length, 2);
});

Deno.test("runReflector() counts the LIST that checks a quiet watch against the watch cache in onList", async () => {
  // The lists metric counts every full read the API server serves (README: "full reads started"): the LIST that
  // checks each quiet watch reads every slice of the Service too, as often as once per stallTimeoutMs.
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    () => {},
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  let listed = 0;
  await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100, onList: () => listed++ });
  assert.equal(scripted.calls.filter((call) => call.kind === "list").length, 3);
  assert.equal(listed, 3);
});

Deno.test("runReflector() recovers once the watch cache shows that a quiet watch had nothing to bring", async () => {
  // A failure reported (a restart's 500), then the quiet watches of a quiet cluster before 1.34: the LIST that finds
  // the watch cache at their resume point completed, and the server serves the watch. Without the recovery, the
  // failure (and the channel's "may be stale" note) stood until the Service changed, for hours.
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    new KubeApiError("the server is restarting", { status: 500 }),
    () => {},
    () => {},
  ]);
  const { errors, log } = await run(scripted, () => scripted.calls.length === 7, { stallTimeoutMs: 100 });
  assert.deepEqual(scripted.calls.map((call) => call.kind), [
    "list",
    "watch",
    "watch",
    "list",
    "watch",
    "list",
    "watch",
  ]);
  assert.deepEqual(errors.map((error) => error.message), ["the server is restarting"]);
  assert.deepEqual(log, ["state", "error", "recovered"]);
});

Deno.test("runReflector() counts a failure after quiet watches that the watch cache vouched for as the first", async () => {
  // A first 401 is routine (a rotated token, read afresh); one after watches the server served is the first again.
  // Quiet watches found at the watch cache's resourceVersion were served: a 401 an hour later is no second in a row.
  const unauthorized = () => new KubeApiError("Unauthorized", { status: 401 });
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    unauthorized(),
    () => {},
    () => {},
    unauthorized(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100 });
  assert.deepEqual(scripted.calls.map((call) => call.kind), [
    "list",
    "watch",
    "watch",
    "list",
    "watch",
    "list",
    "watch",
    "watch",
  ]);
  assert.deepEqual(errors.map((error) => error.message), []);
});

Deno.test("runReflector() backs off from the start after quiet watches that the watch cache vouched for", async () => {
  const restarting = () => new KubeApiError("the server is restarting", { status: 500 });
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    restarting(),
    restarting(),
    () => {},
    () => {},
    restarting(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100 });
  // 5 ms, then 10 ms; the failure after the served quiet watches waits the first delay again, not 20 ms.
  assert.deepEqual(scripted.times("watch"), [0, 5, 15, 115, 215, 220]);
});

Deno.test("runReflector() starts counting quiet watches anew after a watch that failed otherwise", async () => {
  // A quiet Service whose API server failed once in between (a restart): the quiet watch after the failure is
  // the first of a run, resumed at once, unreported.
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    () => {},
    new KubeApiError("the server is restarting", { status: 500 }),
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { stallTimeoutMs: 100 });
  assert.deepEqual(scripted.times("watch"), [0, 100, 105, 205]);
  assert.deepEqual(errors.map((error) => error.message), ["the server is restarting"]);
});

Deno.test("runReflector() takes the end of a streaming list's initial events as the resume point of a quiet watch", async () => {
  // The LISTs that check the quiet watches find a slice of the Service that the watches did not bring.
  const missed = [slice("a", "3"), slice("b", "31")];
  // The consistent LIST after the second has them too, newer than the state: a change, not a history that went back.
  const scripted = scriptedApi([list("35", missed), list("36", missed), list("36", missed)], [
    (watch) => watch.send({ type: "ADDED", object: slice("a", "3") }, initialEventsEnd("30")),
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("b", "31") }),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 2, {
    watchList: { refused: false },
    stallTimeoutMs: 100,
  });
  assert.deepEqual(names(states[1]), ["a", "b"]);
  // Silent after its initial events, as a quiet Service's is until its first bookmark: resumed at once, unreported;
  // the next one too, so that one is reported and backed off.
  assert.deepEqual(scripted.times("watch"), [0, 100, 205]);
  assert.deepEqual(scripted.calls.filter((call) => call.kind === "watch").map(watchFrom), ["", "30", "30"]);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /twice in a row without a single event/);
});

Deno.test("runReflector() counts a stall from the last complete event", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch, clock) => {
      let sent = 0;
      const next = () => {
        watch.send({ type: "ADDED", object: slice(`s${sent}`, String(11 + sent)) });
        if (++sent < 3) clock.setTimeout(next, 60);
      };
      clock.setTimeout(next, 60);
    },
    () => {},
  ]);
  const { states, errors } = await run(
    scripted,
    () => scripted.times("watch").length === 2,
    { stallTimeoutMs: 100 },
  );
  // Events at 60, 120 and 180 ms keep the watch alive; it stalls 100 ms after the last one.
  assert.equal(states.length, 4);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /for 100 ms/);
  assert.deepEqual(scripted.times("watch"), [0, 285]);
});

Deno.test("runReflector() backs off on repeated failures and resets after a healthy watch", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const scripted = scriptedApi([list("10", [])], [
    failure(),
    failure(),
    failure(),
    (watch, clock) => clock.setTimeout(() => watch.close(), 60),
    failure(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(scripted, (states) => states.length === 2, { initialMs: 20, minWatchMs: 50 });
  const watchTimes = scripted.times("watch");
  const gaps = watchTimes.slice(1).map((at, i) => at - watchTimes[i]);
  // Delays 20, 40, 80 ms; the clean watch lasts 60 ms and is resumed at once; then 20 ms again.
  assert.deepEqual(gaps, [20, 40, 80, 60, 20]);
});

Deno.test("runReflector() treats a watch that closes at once as a failure, so it cannot spin, and reports it when it repeats", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch) => watch.close(),
    (watch) => watch.close(),
    (watch) => watch.close(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 2, { initialMs: 20, minWatchMs: 1000 });
  assert.deepEqual(scripted.times("watch"), [0, 20, 60, 140], "each quick close backs off: 20, 40, 80 ms");
  // The first is traced only; each one after it in a row is reported, as the endpoints get no update meanwhile.
  assert.deepEqual(errors.map((error) => error.message.replace(/ after \d+ ms/, "")), [
    "Watch closed without an event, under the 1000 ms a served one lasts (reported when the one before it closed " +
    "so too): check that the proxies and load balancers on the way let a watch, a request that lasts minutes, stay " +
    "open",
    "Watch closed without an event, under the 1000 ms a served one lasts (reported when the one before it closed " +
    "so too): check that the proxies and load balancers on the way let a watch, a request that lasts minutes, stay " +
    "open",
  ]);
});

Deno.test("runReflector() resumes at once a watch that closed or broke soon after a change, as client-go does; a bookmark alone is a quick close", async () => {
  // An API server's watch cache closes the watch of a client that falls behind, events and all.
  const closesAfter = (event: WatchEvent) => (watch: ScriptedWatch, clock: FakeClock) => {
    watch.send(event);
    clock.setTimeout(() => watch.close(), 10);
  };
  const bookmark = { type: "BOOKMARK", object: { metadata: { resourceVersion: "13" }, addressType: "" } };
  const scripted = scriptedApi([list("10", [])], [
    closesAfter({ type: "ADDED", object: slice("a", "11") }),
    (watch, clock) => {
      watch.send({ type: "ADDED", object: slice("b", "12") });
      clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 10);
    },
    closesAfter(bookmark),
    (watch) => watch.send({ type: "ADDED", object: slice("c", "14") }),
  ]);
  const { errors } = await run(scripted, (states) => states.length === 4, { initialMs: 20, minWatchMs: 1000 });
  // Each change-bearing watch lasts 10 ms and is resumed at once from its last resourceVersion; the bookmark-only
  // one backs off 20 ms.
  assert.deepEqual(scripted.times("watch"), [0, 10, 20, 50]);
  assert.deepEqual(scripted.calls.slice(1).map((call) => (call.params as WatchParams).resourceVersion), [
    "10",
    "11",
    "12",
    "13",
  ]);
  assert.deepEqual(errors.map((error) => error.message), []);
});

Deno.test("runReflector() counts a watch closed just before minWatchMs as quick, and one closed at it as clean", async () => {
  const scripted = scriptedApi([list("10", [])], [
    (watch, clock) => clock.setTimeout(() => watch.close(), 49),
    (watch, clock) => clock.setTimeout(() => watch.close(), 50),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(scripted, (states) => states.length === 2, { initialMs: 20, minWatchMs: 50 });
  // Closed at 49 ms: 20 ms of backoff; closed after 50 ms: resumed at once.
  assert.deepEqual(scripted.times("watch"), [0, 69, 119]);
});

Deno.test("runReflector() reports a 403 and retries until it is granted", async () => {
  const forbidden = new KubeApiError("forbidden", { status: 403 });
  const scripted = scriptedApi([forbidden, forbidden, list("10", [slice("a", "3")])], [() => {}]);
  const { errors, states } = await run(scripted, (states) => states.length === 1);
  assert.equal(errors.length, 2);
  assert.equal((errors[0] as KubeApiError).status, 403);
  assert.deepEqual(names(states[0]), ["a"]);
  assert.deepEqual(scripted.times("list"), [0, 5, 15]);
});

Deno.test("runReflector() follows the Service by a LIST after a reported 403 of its watch: a Role with list, no watch", async () => {
  // A Role that grants list without watch: the first LIST resolves, every watch is refused. client-go's reflector
  // lists again after each watch failure it does not retry, so its state follows the Service one LIST per backoff;
  // resuming the watch alone kept the first LIST's pods for good (on kube-apiserver v1.36.3, a pod that went unready
  // kept every call).
  const forbidden = () => new KubeApiError("forbidden", { status: 403 });
  const scripted = scriptedApi(
    [list("10", [slice("a", "3")]), list("12", [slice("a", "11", "10.0.0.2")])],
    Array.from({ length: 8 }, forbidden),
  );
  const { states, errors } = await run(scripted, (states) => states.length === 2);
  assert.equal(states[1].slices.get("a")?.endpoints?.[0].addresses[0], "10.0.0.2");
  assert.equal((errors[0] as KubeApiError).status, 403);
  // The first 403 is resumed unreported (a restarting API server's); the second is reported, then listed from the
  // last resourceVersion.
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch", "watch", "list", "watch"]);
  assert.equal((scripted.calls[3].params as ListParams).resourceVersion, "10");
});

Deno.test("runReflector() still reports an unreachable API server that alternates with another routine failure", async () => {
  // An HA control plane behind a round-robin load balancer, one API server down and still in the rotation, the other
  // answering 403 (the grant was taken away) or 429 with Retry-After (overloaded): once the backoff outlasts the idle
  // connection, every attempt is a new connection, to each server in turn. Each failure was the first of its kind in
  // a row, so none was ever reported, where every unreachable one was before the first one was retried unreported.
  const unreachable = () => new UnreachableError("cannot reach the API server (ECONNREFUSED)");
  for (
    const other of [
      () => new KubeApiError("forbidden", { status: 403 }),
      () => new KubeApiError("busy", { status: 429, retryAfterSeconds: 1 }),
    ]
  ) {
    const watches = Array.from({ length: 8 }, (_, i) => i % 2 === 0 ? unreachable() : other());
    // The first watch is cut (the load balancer restarted, say): it resumes at once, on the dead server.
    const cut = (watch: ScriptedWatch) => watch.controller.error(new TypeError("other side closed"));
    const scripted = scriptedApi([list("10", [slice("a", "3")])], [cut, ...watches]);
    const { errors } = await run(scripted, () => scripted.calls.length >= 10, { minWatchMs: 0 });
    assert.ok(
      errors.some((error) => error instanceof UnreachableError),
      `${other().status}: ${errors.map((error) => error.message).join("; ") || "nothing reported"}`,
    );
  }
});

Deno.test("runReflector() tells once the API server serves again after reported failures: a LIST done, a watch's event", async () => {
  const scripted = scriptedApi(
    [unavailable(), unavailable(), list("10", [slice("a", "3")])],
    [unavailable(), (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") })],
  );
  const { log } = await run(scripted, (states) => states.length === 2);
  // A LIST's state comes after the recovery; a watch's event, before: it is applied, then counts.
  assert.deepEqual(log, ["error", "error", "recovered", "state", "error", "state", "recovered"]);
});

Deno.test("runReflector() does not count a watch that opens and breaks before any event as a recovery", async () => {
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    unavailable(),
    (watch) => watch.controller.error(new Error("connection reset")),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "11", "10.0.0.2") }),
  ]);
  const { log } = await run(scripted, (states) => states.length === 2, { minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "error", "state", "recovered"]);
});

Deno.test("runReflector() counts a watch that stayed open, then was cut, as a recovery: a quiet Service behind a proxy", async () => {
  // After failures, a quiet Service's watches are cut by an idle-timing proxy before any event (bookmarks come
  // about a minute apart): each was served from the resume point, so the endpoints are current.
  const cutWhenIdle = (watch: ScriptedWatch, clock: FakeClock) =>
    clock.setTimeout(() => watch.controller.error(new TypeError("other side closed")), 50);
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [unavailable(), cutWhenIdle, cutWhenIdle, () => {}]);
  const { log } = await run(
    scripted,
    () => scripted.times("watch").length === 4,
    { minWatchMs: 10 },
  );
  assert.deepEqual(log, ["state", "error", "recovered"]);
});

Deno.test("runReflector() counts a resumed watch open for minWatchMs without an event as a recovery: a quiet Service", async () => {
  // An API server restarted on an idle etcd serves the resumed watch of a quiet Service, and sends its first bookmark
  // about 2 minutes later: the watch's first minWatchMs, open without an error, show that it serves.
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [unavailable(), () => {}]);
  const { log } = await run(scripted, scripted.watchOpenFor(1, 10), { minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "recovered"]);
  assert.equal(scripted.clock.now(), scripted.times("watch")[1] + 10, "recovered minWatchMs after the watch opened");
});

Deno.test("runReflector() does not count a resumed watch that breaks before minWatchMs as a recovery, later either", async () => {
  const breakSoon = (watch: ScriptedWatch, clock: FakeClock) =>
    clock.setTimeout(() => watch.controller.error(new TypeError("connection reset")), 5);
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [unavailable(), breakSoon, () => {}]);
  // Stopped as the third watch opens, after the second one's minWatchMs were over.
  const { log } = await run(scripted, () => scripted.times("watch").length === 3, { minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "error"]);
  assert.ok(scripted.clock.now() > scripted.times("watch")[1] + 10);
});

Deno.test("runReflector() counts watches open for minWatchMs as a recovery only once while each ends in an ERROR event", async () => {
  // An API server whose watches each serve for a while, then fail (500): after the first such failure, a watch open
  // for minWatchMs proves nothing, as that one did too; else onRecovered and onError alternated for as long as it lasted.
  const failLater = (watch: ScriptedWatch, clock: FakeClock) =>
    clock.setTimeout(() => watch.send(internalErrorEvent), 15);
  const scripted = scriptedApi(
    [list("10", [slice("a", "3")])],
    [unavailable(), failLater, failLater, failLater, failLater, () => {}],
  );
  const { log } = await run(scripted, () => scripted.times("watch").length === 6, { minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "recovered", "error", "error", "error", "error"]);
});

Deno.test("runReflector() counts a watch open for minWatchMs as a recovery after a watch that served, then failed", async () => {
  // One ERROR event on a watch that had served for a while: the next watch, of a quiet Service, recovers as after any
  // other failure, not at its first bookmark minutes later.
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch, clock) => clock.setTimeout(() => watch.send(internalErrorEvent), 50),
    () => {},
  ]);
  const { log } = await run(scripted, scripted.watchOpenFor(1, 10), { minWatchMs: 10 });
  assert.deepEqual(log, ["state", "error", "recovered"]);
});

Deno.test("runReflector() counts a watch open for minWatchMs as a recovery after one that opened during failures, served events, then failed", async () => {
  // The first watch after an outage brings a change (the recovery), serves for a minute, then ends in one ERROR
  // event: the next watch, of a quiet Service, recovers as after any other failure, not at its first bookmark.
  const servesThenFails = (watch: ScriptedWatch, clock: FakeClock) => {
    clock.setTimeout(() => watch.send({ type: "ADDED", object: slice("b", "11") }), 1);
    clock.setTimeout(() => watch.send(internalErrorEvent), 60_000);
  };
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [unavailable(), servesThenFails, () => {}]);
  const { log } = await run(scripted, scripted.watchOpenFor(2, 10), { minWatchMs: 10 });
  assert.deepEqual(log.slice(-2), ["error", "recovered"], JSON.stringify(log));
});

Deno.test("runReflector() does not count a malformed event as a recovery, even one it would parse later", async () => {
  // Starts as an API server writes an EndpointSlice event (read without parsing), but is no slice.
  const malformed = {
    type: "MODIFIED",
    object: {
      kind: "EndpointSlice",
      apiVersion: "discovery.k8s.io/v1",
      metadata: { name: "a", resourceVersion: "11" },
      addressType: "IPv4",
      endpoints: "none",
    },
  } as unknown as WatchEvent;
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    unavailable(),
    (watch) => watch.send(malformed),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "12", "10.0.0.2") }),
  ]);
  const { log } = await run(scripted, (states) => states.length === 2);
  assert.deepEqual(log, ["state", "error", "error", "state", "recovered"]);
});

Deno.test("runReflector() has nothing to recover from after failures it did not report", async () => {
  const scripted = scriptedApi([new KubeApiError("unauthorized", { status: 401 }), list("10", [slice("a", "3")])], [
    () => {},
  ]);
  const { log } = await run(scripted, (states) => states.length === 1);
  assert.deepEqual(log, ["state"]);
});

Deno.test("runReflector() retries the first 401 at once, for fresh credentials, and backs off from the second", async () => {
  const unauthorized = () => new KubeApiError("unauthorized", { status: 401 });
  const scripted = scriptedApi([unauthorized(), unauthorized(), list("10", [slice("a", "3")])], [() => {}]);
  const { errors } = await run(scripted, (states) => states.length === 1);
  assert.equal(errors.length, 1, "only the second 401 is reported: a rotated token is not news");
  assert.deepEqual(scripted.times("list"), [0, 0, 5]);
});

Deno.test("runReflector() honours Retry-After", async () => {
  const busy = new KubeApiError("busy", { status: 429, retryAfterSeconds: 0.2 });
  const scripted = scriptedApi([busy, list("10", [])], [() => {}]);
  await run(scripted, (states) => states.length === 1);
  assert.deepEqual(scripted.times("list"), [0, 200], "Retry-After (200 ms) is longer than the backoff (5 ms)");
});

Deno.test("runReflector() ends quietly when the signal aborts mid-watch, on the system clock", async () => {
  const { api, openWatches } = scriptedApi([list("10", [])], [() => {}]);
  const controller = new AbortController();
  const running = runReflector(api, { signal: controller.signal, onState() {}, onError() {} });
  for (let turn = 0; openWatches.length === 0 && turn < 1000; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(openWatches.length, 1);
  controller.abort();
  await running;
});

// Streaming lists (WatchList, KEP-3157).

const initialEventsEnd = (rv: string): WatchEvent => ({
  type: "BOOKMARK",
  object: {
    metadata: { resourceVersion: rv, annotations: { "k8s.io/initial-events-end": "true" } },
    addressType: "",
  },
});
const streamed = (call: { params: ListParams | WatchParams }) =>
  (call.params as WatchParams).sendInitialEvents === true;
const watchFrom = (call: { params: ListParams | WatchParams }) => (call.params as WatchParams).resourceVersion;

Deno.test("runReflector() with watchList gets the state from one watch, published only at the initial-events-end bookmark", async () => {
  const scripted = scriptedApi([], [
    (watch, clock) => {
      watch.send({ type: "ADDED", object: slice("a", "3") }, { type: "ADDED", object: slice("b", "7") });
      clock.setTimeout(() => watch.send(initialEventsEnd("20")), 50);
      clock.setTimeout(() => watch.send({ type: "DELETED", object: slice("a", "21") }), 60);
    },
  ]);
  const publishedAt: number[] = [];
  const { states } = await run(scripted, (states) => {
    while (publishedAt.length < states.length) publishedAt.push(scripted.clock.now());
    return states.length === 2;
  }, { watchList: { refused: false } });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["watch"], "no LIST");
  assert.ok(streamed(calls[0]));
  assert.equal(watchFrom(calls[0]), "", "the first streaming list asks for the latest state, as client-go does");
  assert.deepEqual(
    publishedAt,
    [50, 60],
    "nothing is published before the bookmark; then each event on the same watch",
  );
  assert.deepEqual(names(states[0]), ["a", "b"]);
  assert.equal(states[0].resourceVersion, "20", "the bookmark's resourceVersion, not an ADDED object's");
  assert.deepEqual(names(states[1]), ["b"]);
  assert.equal(states[1].resourceVersion, "21");
});

Deno.test("runReflector() drops the partial state of a streaming list that breaks, closes or stalls once answered, and lists once instead", async () => {
  const scripted = scriptedApi([
    list("30", [slice("c", "9")]),
    list("40", [slice("d", "9")]),
    list("50", [slice("e", "9")]),
  ], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "3") });
      queueMicrotask(() => watch.controller.error(new TypeError("connection reset")));
    },
    (watch) => watch.send(expiredEvent),
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "3") });
      watch.close();
    },
    (watch) => watch.send(expiredEvent),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "3") }, { type: "ADDED", object: slice("b", "8") }),
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 3, {
    watchList: { refused: false },
    stallTimeoutMs: 100,
  });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), [
    "watch",
    "list",
    "watch",
    "watch",
    "list",
    "watch",
    "watch",
    "list",
    "watch",
  ]);
  const streams = calls.filter(streamed);
  assert.deepEqual(streams.map(watchFrom), ["", "30", "40"], "an ADDED object's resourceVersion is no resume point");
  assert.deepEqual(states.map(names), [["c"], ["d"], ["e"]], "no partial state was ever published");
  assert.deepEqual(errors, [], "each LIST that replaced a streaming list at once made it no failure");
  // A broken one and a closed one list at once (the closed one after the 5 ms of backoff that the served watch's 410
  // before it waits), a stalled one after the 100 ms stall (and 10 ms of backoff after the second 410 in a row).
  assert.deepEqual(scripted.times("list"), [0, 5, 115]);
});

Deno.test("runReflector() lists once when a streaming list's initial events pause halfway for 10 s, not stallTimeoutMs", async () => {
  // Deno may never report a TLS connection that broke while a large answer was in flight: the body just goes silent.
  // And kube-apiserver v1.29.6 with --feature-gates=WatchList=true sends a quiet Service's ADDED events, then nothing:
  // it ends the initial events only once its watch cache moves (no end in 75 s, measured; client-go v0.36.3 waited
  // 40 s for it, warning every 10 s). Streaming again, the resolver reported a broken connection every 12 s, forever.
  const support: WatchListSupport = { refused: false };
  const scripted = scriptedApi([list("209", [slice("a", "196")])], [
    (watch) => watch.send({ type: "ADDED", object: slice("a", "196") }),
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 1, { watchList: support });
  // Was: [0, 150005], the first state 150 s late; then streamed again at 10_005, reported each time.
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["watch", "list", "watch"]);
  assert.deepEqual(scripted.times("watch"), [0, 10_000]);
  assert.ok(streamed(scripted.calls[0]));
  assert.ok(!streamed(scripted.calls[2]));
  assert.equal(watchFrom(scripted.calls[2]), "209");
  assert.equal(support.refused, false);
  assert.deepEqual(names(states[0]), ["a"]);
  assert.deepEqual(errors, [], "the LIST that replaces it at once makes it no failure");
});

Deno.test("runReflector() lists once, unreported, when a streaming list breaks after the server answered: a proxy that cuts every one", async () => {
  // A proxy or load balancer that resets a connection after so many bytes or seconds cuts every streaming list of a
  // large Service while LIST pages (500 slices each, gzipped) pass. Streaming again, the resolver never resolved the
  // Service: 5 streaming lists cut in 40 s, each reported, none listed (measured through a TCP proxy on loopback).
  const support: WatchListSupport = { refused: false };
  const scripted = scriptedApi([list("20", [slice("a", "3"), slice("b", "7")])], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "3") });
      queueMicrotask(() => watch.controller.error(new TypeError("connection reset by peer")));
    },
    () => {},
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 1, { watchList: support });
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["watch", "list", "watch"]);
  assert.ok(streamed(scripted.calls[0]));
  assert.ok(!streamed(scripted.calls[2]), "then watches from the LIST's resourceVersion");
  assert.equal(watchFrom(scripted.calls[2]), "20");
  assert.deepEqual(names(states[0]), ["a", "b"]);
  assert.deepEqual(errors, [], "the LIST that replaces it at once makes it no failure");
  assert.equal(support.refused, false, "a break is no refusal of streaming lists");
});

Deno.test("runReflector() lists once when a streaming list the server answered brings nothing until stallTimeoutMs", async () => {
  // kube-apiserver v1.29.6 with the WatchList gate on answers a streaming list of a Service without slices with its
  // headers, then nothing until its watch cache moves. Streaming again, the resolver reported a stall every 150 s and
  // never resolved the Service while the cluster stayed quiet.
  const scripted = scriptedApi([list("209", [])], [() => {}, () => {}]);
  const { states, errors } = await run(scripted, (states) => states.length === 1, {
    watchList: { refused: false },
    stallTimeoutMs: 100,
  });
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["watch", "list", "watch"]);
  assert.deepEqual(scripted.calls.map((call) => call.at), [0, 100, 100]);
  assert.ok(!streamed(scripted.calls[2]));
  assert.deepEqual(names(states[0]), []);
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() lists once, reported, when a streaming list gets no answer for stallTimeoutMs: a proxy that holds it whole", async () => {
  // A proxy that passes an answer only once it is complete holds a streaming list, headers included, until the server
  // ends the watch (after 5 to 10 minutes), while LISTs pass. Streaming again at each stall, the resolver never resolved
  // the Service (TCP proxy on loopback, stallTimeoutMs 5 s: 3 streaming lists in 25 s, each reported); client-go v0.36.3
  // synced when its streaming list ended, after 7.5 minutes.
  const scripted = scriptedApi([list("20", [slice("a", "3")])], [() => {}, () => {}, () => {}]);
  const { watch } = scripted.api;
  scripted.api.watch = (params) => {
    const answer = watch(params);
    if (!params.sendInitialEvents) return answer;
    return new Promise((_, reject) => params.signal.addEventListener("abort", () => reject(params.signal.reason)));
  };
  const { states, errors } = await run(scripted, (states) => states.length === 1, {
    watchList: { refused: false },
    stallTimeoutMs: 100,
  });
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["watch", "list", "watch"]);
  assert.deepEqual(scripted.times("list"), [100]);
  assert.ok(!streamed(scripted.calls[2]));
  assert.deepEqual(names(states[0]), ["a"]);
  assert.deepEqual(errors.map((error) => error.message), [
    "Request to the API server stalled: no answer for 100 ms (stallTimeoutMs): check that it is up and answers (a " +
    "stopped or overloaded API server, or a network that drops packets, leaves a request hanging)",
  ], "a request without an answer is reported, as before");
});

Deno.test("runReflector() waits stallTimeoutMs for a streaming list's first event: the server may wait for its cache", async () => {
  const scripted = scriptedApi([], [
    (watch, clock) => {
      clock.setTimeout(() => watch.send({ type: "ADDED", object: slice("a", "3") }), 60_000);
      clock.setTimeout(() => watch.send(initialEventsEnd("30")), 61_000);
    },
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 1, { watchList: { refused: false } });
  assert.deepEqual(scripted.times("watch"), [0]);
  assert.deepEqual(names(states[0]), ["a"]);
  assert.deepEqual(errors, []);
});

Deno.test("runReflector() resumes at once, unreported, a watch that goes silent for 10 s in the middle of an event", async () => {
  const event = new TextEncoder().encode(JSON.stringify({ type: "ADDED", object: slice("b", "12") }) + "\n");
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    (watch) => watch.controller.enqueue(event.subarray(0, 40)),
    (watch) => watch.controller.enqueue(event),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 2);
  // Was: the stall after 150 s, reported.
  assert.deepEqual(scripted.times("watch"), [0, 10_000]);
  assert.equal(watchFrom(scripted.calls[2]), "10");
  assert.deepEqual(names(states[1]), ["a", "b"]);
  assert.deepEqual(errors, []);
});

for (
  const [status, message] of [
    [422, "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"],
    [422, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"],
    [400, 'sendInitialEvents: strconv.ParseBool: parsing "true": invalid syntax'],
  ] as const
) {
  Deno.test(`runReflector() lists at once when a streaming list is refused with ${status} (${message.slice(0, 30)}...), and remembers it`, async () => {
    const refusal = new KubeApiError(message, { status, reason: status === 422 ? "Invalid" : "BadRequest" });
    const support: WatchListSupport = { refused: false };
    const scripted = scriptedApi([list("10", [slice("a", "3")]), list("11", [])], [refusal, () => {}, () => {}]);
    const { states, errors } = await run(scripted, (states) => states.length === 1, { watchList: support });
    // Another reflector of the same cluster lists without asking again.
    await run(scripted, (states) => states.length === 1, { watchList: support });
    const { calls } = scripted;
    assert.deepEqual(calls.map((call) => call.kind), ["watch", "list", "watch", "list", "watch"]);
    assert.ok(streamed(calls[0]));
    assert.equal((calls[1].params as ListParams).resourceVersion, "0");
    assert.equal(calls[1].at, 0, "at once");
    assert.equal(watchFrom(calls[2]), "10");
    assert.ok(!streamed(calls[2]));
    assert.equal(support.refused, true);
    assert.deepEqual(errors, [], "a refusal is traced, not reported");
    assert.deepEqual(names(states[0]), ["a"]);
  });
}

Deno.test("runReflector() lists once after a streaming list failed with 403, and streams again at the next relist", async () => {
  const support: WatchListSupport = { refused: false };
  const scripted = scriptedApi([list("10", [slice("a", "3")])], [
    new KubeApiError("forbidden", { status: 403 }),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "12") }, expiredEvent),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "12") }, initialEventsEnd("40")),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 3, { watchList: support });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["watch", "list", "watch", "watch"]);
  assert.deepEqual(calls.map((call) => call.kind === "watch" && streamed(call)), [true, false, false, true]);
  assert.equal(watchFrom(calls[3]), "12", "after a 410, a streaming list from the last resourceVersion");
  assert.equal(support.refused, false, "a 403 is no refusal of streaming lists");
  assert.deepEqual(errors, []);
  assert.equal(states[2].resourceVersion, "40");
});

Deno.test("runReflector() counts no watch restart for a streaming list refused or failed before its initial events ended: a failed list", async () => {
  const support: WatchListSupport = { refused: false };
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("a", "3")])], [
    new KubeApiError("sendInitialEvents is forbidden", { status: 422, reason: "Invalid" }),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "12") }, expiredEvent),
  ]);
  const other = scriptedApi([list("10", [slice("a", "3")])], [
    new KubeApiError("Watch of EndpointSlices broke: connection refused"),
    new KubeApiError("forbidden", { status: 403 }),
    () => {},
  ]);
  const broken = scriptedApi([list("10", [slice("a", "3")])], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "3") });
      queueMicrotask(() => watch.controller.error(new TypeError("connection reset")));
    },
    () => {},
  ]);
  const ends: WatchEndReason[] = [];
  const onWatchEnd = (reason: WatchEndReason) => void ends.push(reason);
  await run(scripted, (states) => states.length === 3, { watchList: support, onWatchEnd });
  assert.deepEqual(ends, ["expired"], "the 422 is a list refused, the 410 a watch that ended");
  ends.length = 0;
  await run(other, (states) => states.length === 1 && other.calls.length === 4, {
    watchList: { refused: false },
    onWatchEnd,
  });
  assert.deepEqual(other.calls.map((call) => call.kind), ["watch", "watch", "list", "watch"]);
  assert.deepEqual(
    ends,
    [],
    "a streaming list refused a connection, then one refused with 403, then a LIST: no watch ended",
  );
  await run(broken, (states) => states.length === 1 && broken.calls.length === 3, {
    watchList: { refused: false },
    onWatchEnd,
  });
  assert.deepEqual(broken.calls.map((call) => call.kind), ["watch", "list", "watch"]);
  assert.deepEqual(ends, [], "a streaming list that broke once answered, then a LIST: no watch ended");
});

Deno.test("runReflector() does not count a streaming list open for minWatchMs as a recovery before its initial events end", async () => {
  const scripted = scriptedApi([], [
    (watch, clock) => {
      watch.send(initialEventsEnd("20"));
      clock.setTimeout(() => watch.controller.error(new KubeApiError("unavailable", { status: 503 })), 1);
    },
    new KubeApiError("gone", { status: 410, reason: "Expired" }),
    // Its state is not complete until the initial-events-end bookmark.
    (watch) => watch.send({ type: "ADDED", object: slice("a", "21") }),
  ]);
  const { log } = await run(scripted, scripted.watchOpenFor(2, 10), { minWatchMs: 10, watchList: { refused: false } });
  assert.ok(streamed(scripted.calls[2]));
  assert.deepEqual(log, ["state", "error"]);
});

Deno.test("runReflector() streams again from the latest state when a streaming list's resourceVersion expired", async () => {
  const scripted = scriptedApi([], [
    (watch) => watch.send(initialEventsEnd("20"), { type: "ADDED", object: slice("a", "21") }, expiredEvent),
    new KubeApiError("gone", { status: 410, reason: "Expired" }),
    (watch) => watch.send({ type: "ADDED", object: slice("b", "49") }, initialEventsEnd("50")),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 3, { watchList: { refused: false } });
  const { calls } = scripted;
  assert.ok(calls.every(streamed));
  assert.deepEqual(calls.map(watchFrom), ["", "21", ""]);
  // The served watch's 410 relists after a backoff delay (5 ms), the second in a row after the next (10 ms), as LISTs.
  assert.deepEqual(calls.map((call) => call.at), [0, 5, 15]);
  assert.deepEqual(names(states[2]), ["b"]);
  assert.equal(errors.length, 0);
});

Deno.test("runReflector() streams again from the latest state when a streaming list's resourceVersion is too large", async () => {
  // kube-apiserver v1.36.3 whose watch cache is behind (cut off from etcd) answers a streaming list from a newer
  // resourceVersion with 200, then, 3 s later, this ERROR event (measured), and ends the stream.
  const scripted = scriptedApi([], [
    (watch) => watch.send(initialEventsEnd("20"), expiredEvent),
    (watch) => watch.send(tooLargeEvent(209, 208)),
    (watch) => watch.send({ type: "ADDED", object: slice("b", "209") }, initialEventsEnd("210")),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 2, { watchList: { refused: false } });
  assert.deepEqual(scripted.calls.map(watchFrom), ["", "20", ""]);
  assert.deepEqual(names(states[1]), ["b"]);
  assert.equal(errors.length, 0);
});

Deno.test("runReflector() lists once when a streaming list from the latest state is too large: a watch cache behind etcd", async () => {
  // kube-apiserver v1.30.14 with --feature-gates=WatchList=true (ConsistentListFromCache off, as 1.30 ships it) waits
  // for its watch cache to reach etcd's revision without asking etcd for progress: on a quiet cache it answers a
  // streaming list without resourceVersion with 200, then, 3 s later, this ERROR event (measured), every time, until an
  // EndpointSlice write anywhere moves the cache. Streaming again gave no snapshot in 15 s (client-go v0.36.3 neither).
  const support: WatchListSupport = { refused: false };
  const scripted = scriptedApi([list("209", [slice("a", "196")])], [
    (watch) => watch.send(tooLargeEvent(215, 209)),
    (watch) => watch.send({ type: "MODIFIED", object: slice("a", "230") }, expiredEvent),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "230") }, initialEventsEnd("240")),
  ]);
  const { states, errors } = await run(scripted, (states) => states.length === 3, { watchList: support });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["watch", "list", "watch", "watch"]);
  assert.deepEqual(calls.map((call) => call.kind === "watch" && streamed(call)), [true, false, false, true]);
  assert.equal((calls[1].params as ListParams).resourceVersion, "0", "the LIST reads the watch cache");
  assert.equal(calls[1].at, 0, "at once");
  assert.equal(watchFrom(calls[2]), "209");
  assert.equal(watchFrom(calls[3]), "230", "after a 410, a streaming list from the last resourceVersion");
  assert.equal(support.refused, false, "the server streams once its cache has caught up");
  assert.deepEqual(errors, []);
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() resumes a streaming list that closed cleanly with a plain watch from the last resourceVersion", async () => {
  const scripted = scriptedApi([], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "3") }, initialEventsEnd("20"));
      watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "25" }, addressType: "" } });
      watch.close();
    },
    (watch) => watch.send({ type: "ADDED", object: slice("b", "26") }),
  ]);
  const { states } = await run(scripted, (states) => states.length === 2, { watchList: { refused: false } });
  const { calls } = scripted;
  assert.deepEqual(calls.map((call) => call.kind), ["watch", "watch"]);
  assert.ok(streamed(calls[0]));
  assert.ok(!streamed(calls[1]));
  assert.equal(watchFrom(calls[1]), "25");
  assert.deepEqual(names(states[1]), ["a", "b"]);
});

Deno.test("runReflector() without watchList never streams", async () => {
  const scripted = scriptedApi([list("10", [])], [() => {}]);
  await run(scripted, (states) => states.length === 1);
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch"]);
  assert.equal((scripted.calls[1].params as WatchParams).sendInitialEvents, undefined);
});

Deno.test("runReflector() names a malformed ADDED or MODIFIED event with its article", async () => {
  // Read "Cannot use a ADDED event from the API server: an EndpointSlice has endpoints that are not a list".
  const malformed = (type: "ADDED" | "MODIFIED") =>
    ({
      type,
      object: {
        kind: "EndpointSlice",
        apiVersion: "discovery.k8s.io/v1",
        metadata: { name: "b", resourceVersion: "11" },
        addressType: "IPv4",
        endpoints: "none",
      },
    }) as unknown as WatchEvent;
  const scripted = scriptedApi([list("10", [slice("a", "3")]), list("12", [slice("a", "3")])], [
    (watch) => watch.send(malformed("ADDED")),
    (watch) => watch.send(malformed("MODIFIED")),
  ]);
  const { errors } = await run(scripted, (_states, errors) => errors.length === 2);
  assert.match(errors[0].message, /^Cannot use an ADDED event from the API server: an EndpointSlice has endpoints/);
  assert.match(errors[1].message, /^Cannot use a MODIFIED event from the API server: an EndpointSlice has endpoints/);
});

Deno.test("runReflector() stopped while it checks a quiet watch ends quietly, counting no restart", async () => {
  // The LIST after the quiet watch is still out when the last user leaves: no watch is resumed, so none ended for
  // metrics (onWatchEnd), and the abort is no failed check.
  const scripted = scriptedApi([list("10", [])], [() => {}]);
  const listFirst = scripted.api.list;
  scripted.api.list = (params) => {
    if (scripted.calls.length === 0) return listFirst(params);
    scripted.calls.push({ kind: "list", params, at: scripted.clock.now() });
    // As fetch does: the request fails once its signal aborts.
    return new Promise((_, reject) => params.signal.addEventListener("abort", () => reject(params.signal.reason)));
  };
  const ends: WatchEndReason[] = [];
  const traced: string[] = [];
  await run(scripted, () => scripted.calls.length >= 3, {
    stallTimeoutMs: 100,
    onWatchEnd: (reason) => ends.push(reason),
    trace: (line) => traced.push(line),
  });
  assert.deepEqual(scripted.calls.map((call) => call.kind), ["list", "watch", "list"]);
  assert.deepEqual(ends, []);
  assert.deepEqual(traced.filter((line) => line.includes("watch cache")), []);
});
Deno.test("runReflector() after reported failures counts a watch's bookmark as served, so its bookmarks stopping leaves no failure", async () => {
  // Read as a risk: the resume of a watch whose minutely bookmarks stopped clears the failure before it (backoff,
  // previous failure) without onRecovered. It cannot outlive it: the bookmark that armed the 75 s limit was served.
  const bookmark = { type: "BOOKMARK", object: { metadata: { resourceVersion: "12" }, addressType: "" } } as const;
  const scripted = scriptedApi([list("10", [])], [
    unavailable(),
    unavailable(),
    (watch, clock) => void clock.setTimeout(() => watch.send(bookmark), 60_000),
    () => {},
  ]);
  const ends: WatchEndReason[] = [];
  // minWatchMs above the whole scenario: no watch counts as served by time alone.
  const { errors, log } = await run(scripted, () => scripted.times("watch").length === 4, {
    minWatchMs: 1_000_000,
    onWatchEnd: (end) => ends.push(end),
  });
  assert.deepEqual(scripted.times("watch"), [0, 5, 15, 135_015]);
  assert.deepEqual(ends, ["error", "error", "stall"]);
  assert.deepEqual(errors.map((error) => error.message), ["unavailable", "unavailable"]);
  assert.deepEqual(log, ["state", "error", "error", "recovered"], "served at the bookmark, before the resume");
});

// The verdict on a quiet watch moved out of the reflector's loop (_judge_quiet_watch.ts) while the loop kept its
// callbacks: these pin their order on each verdict, which the tests above check only in part.

/**
 * Runs a scenario of quiet watches after a reported failure, with the watch's end, trace lines (their first words) and
 * the other callbacks in one log, until `until`.
 */
async function quietAfterFailure(
  scripted: ReturnType<typeof scriptedApi>,
  until: (states: SliceState[], errors: ResolverError[]) => boolean,
) {
  const log: string[] = [];
  await run(scripted, until, {
    stallTimeoutMs: 100,
    // No watch counts as served by time alone: only the verdicts on the quiet watches recover.
    minWatchMs: 1_000_000,
    log,
    onWatchEnd: (end) => log.push(`end ${end}`),
    trace: (line) => log.push(shortTrace(line)),
  });
  return log;
}

/** The log of the watch that fails, reported, before the quiet ones: it is retried after a backoff. */
const FAILED_WATCH = ["end error", "error", "unavailable; retrying in 5 ms"];

/** A trace line's first words; for a quiet watch, which one in a row and how the watch cache had the slices. */
function shortTrace(line: string): string {
  if (!line.startsWith("watch delivered no event")) return line.split(/[:,]/)[0];
  const found = line.includes("had none of the Service's to send")
    ? "as the state"
    : line.includes("older than the state")
    ? "older"
    : line.includes("other than the state")
    ? "other"
    : "not checked";
  return `quiet${line.includes("(stallTimeoutMs) again") ? " again" : ""}: ${found}`;
}

Deno.test("runReflector() after a failure, on two quiet watches the watch cache vouches for, ends the watch, recovers, then traces", async () => {
  const scripted = scriptedApi([list("10", []), list("10", []), list("10", [])], [
    unavailable(),
    () => {},
    () => {},
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const log = await quietAfterFailure(scripted, (states) => states.length === 2);
  assert.deepEqual(log, [
    "state",
    ...FAILED_WATCH,
    "end stall",
    "quiet: as the state",
    // Served: the watch's end, the recovery, then the trace; the ADDED event's state after.
    "end stall",
    "recovered",
    "quiet again: as the state",
    "state",
  ]);
});

Deno.test("runReflector() after a failure takes a restored etcd's slices: traced, recovered, published, then the watch's end", async () => {
  const restored = () => list("7", [slice("a", "6", "10.0.0.9")]);
  const scripted = scriptedApi([list("10", [slice("a", "8")]), restored(), restored(), restored()], [
    (watch) => {
      watch.send({ type: "MODIFIED", object: slice("a", "12", "10.0.0.2") });
      watch.close();
    },
    unavailable(),
    () => {},
    () => {},
  ]);
  const log = await quietAfterFailure(scripted, (states) => states.length === 3);
  assert.deepEqual(log, [
    "state",
    "state",
    "end closed",
    "watch ended cleanly at resourceVersion 12",
    ...FAILED_WATCH,
    "end stall",
    "quiet: older",
    // The LIST's slices are adopted (recovered, published) before the second quiet watch's end.
    "the API server's resourceVersion went back from 12 to 7",
    "recovered",
    "state",
    "end stall",
  ]);
});

Deno.test("runReflector() after a failure ends the second quiet watch that missed a change as a stall, then reports it", async () => {
  const changed = () => list("12", [slice("a", "12", "10.0.0.2")]);
  const scripted = scriptedApi([list("10", [slice("a", "8")]), changed(), changed(), changed()], [
    unavailable(),
    () => {},
    () => {},
  ]);
  const log = await quietAfterFailure(scripted, (_, errors) => errors.length === 2);
  assert.deepEqual(log, [
    "state",
    ...FAILED_WATCH,
    "end stall",
    "quiet: other",
    // Missed twice: the failure ends the watch as a stall, then is reported; no recovery, no trace of a resume.
    "end stall",
    "error",
    "Request to the API server stalled",
  ]);
});
