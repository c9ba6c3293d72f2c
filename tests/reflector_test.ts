import assert from "node:assert/strict";
import type { EndpointSlice, EndpointSliceList, WatchEvent } from "../src/endpoint_slice.ts";
import { KubeApiError, type ResolverError } from "../src/errors.ts";
import type { EndpointSliceApi, ListParams, WatchParams } from "../src/kube_api.ts";
import { runReflector, type SliceState } from "../src/reflector.ts";

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
type WatchAnswer = KubeApiError | ((watch: ScriptedWatch) => void);

/** A fake EndpointSliceApi answering from scripts and recording calls. */
function scriptedApi(lists: ListAnswer[], watches: WatchAnswer[]) {
  const calls: { kind: "list" | "watch"; params: ListParams | WatchParams; at: number }[] = [];
  const openWatches: ScriptedWatch[] = [];
  const api: EndpointSliceApi = {
    list(params) {
      calls.push({ kind: "list", params, at: Date.now() });
      const answer = lists.shift();
      if (!answer) return new Promise(() => {});
      return answer instanceof KubeApiError ? Promise.reject(answer) : Promise.resolve(answer);
    },
    watch(params) {
      calls.push({ kind: "watch", params, at: Date.now() });
      const answer = watches.shift();
      if (answer instanceof KubeApiError) return Promise.reject(answer);
      const watch = new ScriptedWatch(params);
      openWatches.push(watch);
      if (answer) queueMicrotask(() => answer(watch));
      return Promise.resolve(watch.body);
    },
  };
  return { api, calls, openWatches };
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

const expiredEvent: WatchEvent = {
  type: "ERROR",
  object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (9)" },
};

/** Runs the reflector until `until` returns true for the recorded state, then stops it. */
async function run(
  api: EndpointSliceApi,
  until: (states: SliceState[], errors: ResolverError[]) => boolean,
  options: { stallTimeoutMs?: number; minWatchMs?: number; initialMs?: number; healthyWatchMs?: number } = {},
) {
  const controller = new AbortController();
  const states: SliceState[] = [];
  const errors: ResolverError[] = [];
  let check = () => {};
  const done = new Promise<void>((resolve) => {
    check = () => until(states, errors) && resolve();
  });
  const running = runReflector(api, {
    signal: controller.signal,
    stallTimeoutMs: options.stallTimeoutMs,
    minWatchMs: options.minWatchMs ?? 0,
    healthyWatchMs: options.healthyWatchMs,
    backoff: { initialMs: options.initialMs ?? 5, maxMs: 1000 },
    random: () => 0,
    onState(state) {
      states.push({ slices: new Map(state.slices), resourceVersion: state.resourceVersion });
      check();
    },
    onError(error) {
      errors.push(error);
      check();
    },
  });
  const timeout = setTimeout(() => controller.abort(), 5000);
  await Promise.race([done, running]);
  clearTimeout(timeout);
  const timedOut = controller.signal.aborted;
  controller.abort();
  await running;
  assert.equal(timedOut, false, "the scenario did not finish within 5 s");
  return { states, errors };
}

const names = (state: SliceState) => [...state.slices.keys()].sort();

Deno.test("runReflector() lists from the watch cache, then watches from the list's resourceVersion with bookmarks", async () => {
  const { api, calls } = scriptedApi([list("10", [slice("a", "3")])], [
    (watch) => watch.send({ type: "ADDED", object: slice("b", "11") }),
  ]);
  const { states } = await run(api, (states) => states.length === 2);
  assert.equal((calls[0].params as ListParams).resourceVersion, "0");
  assert.equal((calls[1].params as WatchParams).resourceVersion, "10");
  const timeout = (calls[1].params as WatchParams).timeoutSeconds;
  assert.ok(timeout >= 300 && timeout < 600);
  assert.deepEqual(names(states[1]), ["a", "b"]);
  assert.equal(states[1].resourceVersion, "11");
});

Deno.test("runReflector() applies MODIFIED and DELETED to the slice map", async () => {
  const { api } = scriptedApi([list("10", [slice("a", "3"), slice("b", "4")])], [
    (watch) =>
      watch.send(
        { type: "MODIFIED", object: slice("a", "11", "10.0.0.9") },
        { type: "DELETED", object: slice("b", "12") },
      ),
  ]);
  const { states } = await run(api, (states) => states.length === 3);
  assert.deepEqual(names(states[2]), ["a"]);
  assert.deepEqual(states[2].slices.get("a")!.endpoints![0].addresses, ["10.0.0.9"]);
  assert.equal(states[2].resourceVersion, "12");
});

Deno.test("runReflector() resumes from the last resourceVersion after a clean close, without a new LIST", async () => {
  const { api, calls } = scriptedApi([list("10", [])], [
    (watch) => {
      watch.send({ type: "ADDED", object: slice("a", "11") });
      watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" }, addressType: "" } });
      watch.close();
    },
    (watch) => watch.send({ type: "ADDED", object: slice("b", "16") }),
  ]);
  const { states } = await run(api, (states) => states.length === 3);
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((calls[2].params as WatchParams).resourceVersion, "15");
  assert.equal(states.length, 3, "a BOOKMARK changes no slice and publishes nothing");
});

Deno.test("runReflector() relists once from the last resourceVersion after an ERROR 410 event", async () => {
  const { api, calls } = scriptedApi([list("10", [slice("a", "3")]), list("20", [slice("b", "18")])], [
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  const { states, errors } = await run(api, (states) => states.length === 2);
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "list", "watch"]);
  assert.equal((calls[2].params as ListParams).resourceVersion, "10");
  assert.equal((calls[3].params as WatchParams).resourceVersion, "20");
  assert.deepEqual(names(states[1]), ["b"]);
  assert.equal(errors.length, 0, "an expired resourceVersion is routine, not an error to report");
});

Deno.test("runReflector() relists with a consistent read when the relist itself expired", async () => {
  const { api, calls } = scriptedApi([
    list("10", []),
    new KubeApiError("gone", { status: 410 }),
    list("40", [slice("d", "39")]),
  ], [(watch) => watch.send(expiredEvent), () => {}]);
  const { states } = await run(api, (states) => states.length === 2);
  const lists = calls.filter((call) => call.kind === "list").map((call) => (call.params as ListParams).resourceVersion);
  assert.deepEqual(lists, ["0", "10", ""]);
  assert.deepEqual(names(states[1]), ["d"]);
});

Deno.test("runReflector() relists with a consistent read when the relist's resourceVersion is too large", async () => {
  const tooLarge = new KubeApiError("Timeout: Too large resource version: 900, current: 50", {
    status: 504,
    reason: "Timeout",
    causes: ["ResourceVersionTooLarge"],
    retryAfterSeconds: 1,
  });
  const { api, calls } = scriptedApi([list("900", []), tooLarge, list("60", [slice("e", "55")])], [
    (watch) => watch.send(expiredEvent),
    () => {},
  ]);
  const { states, errors } = await run(api, (states) => states.length === 2, { initialMs: 2000 });
  const lists = calls.filter((call) => call.kind === "list").map((call) => (call.params as ListParams).resourceVersion);
  assert.deepEqual(lists, ["0", "900", ""]);
  assert.ok(calls[3].at - calls[2].at < 500, "the consistent relist follows at once, not after a backoff");
  assert.deepEqual(names(states[1]), ["e"]);
  assert.equal(errors.length, 0);
});

Deno.test("runReflector() relists after a watch answered with HTTP 410", async () => {
  const { api, calls } = scriptedApi([list("10", []), list("30", [slice("c", "29")])], [
    new KubeApiError("gone", { status: 410 }),
    () => {},
  ]);
  await run(api, (states) => states.length === 2);
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "list", "watch"]);
});

Deno.test("runReflector() follows LIST pages and, when a continue token expires, lists in one request", async () => {
  const { api, calls } = scriptedApi([
    list("10", [slice("a", "3")], "token-1"),
    new KubeApiError("continue expired", { status: 410, reason: "Expired" }),
    list("12", [slice("a", "3"), slice("b", "11")]),
  ], [() => {}]);
  const { states } = await run(api, (states) => states.length === 1);
  const lists = calls.filter((call) => call.kind === "list").map((call) => call.params as ListParams);
  assert.deepEqual(lists.map((params) => [params.limit, params.continueToken, params.resourceVersion]), [
    [500, undefined, "0"],
    [500, "token-1", "0"],
    [undefined, undefined, ""],
  ]);
  assert.deepEqual(names(states[0]), ["a", "b"]);
});

Deno.test("runReflector() gives up on a LIST that stalls and retries it", async () => {
  const hang = new Promise<EndpointSliceList>(() => {});
  let lists = 0;
  const api: EndpointSliceApi = {
    list: ({ signal }) => {
      lists++;
      if (lists > 1) return Promise.resolve(list("10", [slice("a", "3")]));
      return Promise.race([
        hang,
        new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      ]);
    },
    watch: ({ signal }) =>
      Promise.resolve(new ScriptedWatch({ resourceVersion: "10", timeoutSeconds: 300, signal }).body),
  };
  const { states, errors } = await run(api, (states) => states.length === 1, { stallTimeoutMs: 100 });
  assert.equal(lists, 2);
  assert.match(errors[0].message, /stalled/);
  assert.deepEqual(names(states[0]), ["a"]);
});

Deno.test("runReflector() resets the backoff after a long healthy watch, however it ends", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const { api, calls } = scriptedApi([list("10", [])], [
    failure(),
    failure(),
    failure(),
    (watch) => setTimeout(() => watch.controller.error(new TypeError("connection reset")), 120),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(api, (states) => states.length === 2, { initialMs: 20, healthyWatchMs: 100 });
  const watchTimes = calls.filter((call) => call.kind === "watch").map((call) => call.at);
  const gap = watchTimes[4] - watchTimes[3] - 120;
  assert.ok(gap < 75, `the delay after the healthy watch was ${gap} ms`);
});

Deno.test("runReflector() aborts a stalled watch and resumes it", async () => {
  const { api, calls } = scriptedApi([list("10", [])], [
    (watch) => watch.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "12" }, addressType: "" } }),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "13") }),
  ]);
  const { errors } = await run(api, (states) => states.length === 2, { stallTimeoutMs: 100 });
  assert.deepEqual(calls.map((call) => call.kind), ["list", "watch", "watch"]);
  assert.equal((calls[2].params as WatchParams).resourceVersion, "12");
  assert.match(errors[0].message, /stalled/);
});

Deno.test("runReflector() backs off on repeated failures and resets after a healthy watch", async () => {
  const failure = () => new KubeApiError("unavailable", { status: 503 });
  const { api, calls } = scriptedApi([list("10", [])], [
    failure(),
    failure(),
    failure(),
    (watch) => setTimeout(() => watch.close(), 60),
    failure(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  await run(api, (states) => states.length === 2, { initialMs: 20, minWatchMs: 50 });
  const watchTimes = calls.filter((call) => call.kind === "watch").map((call) => call.at);
  const gaps = watchTimes.slice(1).map((at, i) => at - watchTimes[i]);
  // Delays 20, 40, 80 ms; the healthy watch lasts 60 ms; then 20 ms again.
  assert.ok(gaps[0] >= 18 && gaps[1] >= 38 && gaps[2] >= 78, `gaps ${gaps}`);
  assert.ok(gaps[4] < 75, `backoff did not reset: gaps ${gaps}`);
});

Deno.test("runReflector() treats a watch that closes at once as a failure, so it cannot spin", async () => {
  const { api, calls } = scriptedApi([list("10", [])], [
    (watch) => watch.close(),
    (watch) => watch.close(),
    (watch) => watch.close(),
    (watch) => watch.send({ type: "ADDED", object: slice("a", "11") }),
  ]);
  const { errors } = await run(api, (states) => states.length === 2, { initialMs: 20, minWatchMs: 1000 });
  const watchTimes = calls.filter((call) => call.kind === "watch").map((call) => call.at);
  assert.equal(watchTimes.length, 4);
  assert.ok(watchTimes[3] - watchTimes[0] >= 20 + 40 + 80 - 5, "each quick close backs off");
  assert.equal(errors.length, 0, "a quick close is traced, not reported");
});

Deno.test("runReflector() reports a 403 and retries until it is granted", async () => {
  const forbidden = new KubeApiError("forbidden", { status: 403 });
  const { api, calls } = scriptedApi([forbidden, forbidden, list("10", [slice("a", "3")])], [() => {}]);
  const { errors, states } = await run(api, (states) => states.length === 1);
  assert.equal(errors.length, 2);
  assert.equal((errors[0] as KubeApiError).status, 403);
  assert.deepEqual(names(states[0]), ["a"]);
  assert.equal(calls.filter((call) => call.kind === "list").length, 3);
});

Deno.test("runReflector() honours Retry-After", async () => {
  const busy = new KubeApiError("busy", { status: 429, retryAfterSeconds: 0.2 });
  const { api, calls } = scriptedApi([busy, list("10", [])], [() => {}]);
  await run(api, (states) => states.length === 1);
  assert.ok(calls[1].at - calls[0].at >= 190);
});

Deno.test("runReflector() ends quietly when the signal aborts mid-watch", async () => {
  const { api, openWatches } = scriptedApi([list("10", [])], [() => {}]);
  const controller = new AbortController();
  const running = runReflector(api, { signal: controller.signal, onState() {}, onError() {} });
  while (openWatches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  controller.abort();
  await running;
});
