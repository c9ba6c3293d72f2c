// The reflector leaves unparsed the events that later ones of the same slice replace before anyone reads the
// state: lines as an API server writes them (kind and apiVersion first), and protobuf frames, read through the
// state's getters.
import assert from "node:assert/strict";
import { KubeApiError, type ResolverError } from "../src/base/errors.ts";
import type { EndpointSliceApi, WatchParams } from "../src/api/kube_api.ts";
import { runReflector, type SliceState } from "../src/watch/reflector.ts";
import { sliceEventHead } from "../src/watch/watch_decoder.ts";
import { frameHead } from "../src/api/protobuf/event_head.ts";
import { decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { protobufWatchFrame } from "../src/testing/_protobuf_writer.ts";
import { type Clock, systemClock } from "../src/runtime/clock.ts";
import { MID_EVENT_WAIT_MS } from "../src/watch/_chunk_end_publish.ts";

/** An event line in the API server's field order. */
function line(type: string, name: string, rv: string, ip: string, objectName = name): string {
  const object = {
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata: { name: objectName, namespace: "prod", resourceVersion: rv },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip] }],
  };
  const text = JSON.stringify({ type, object });
  // A second "name" key wins in JSON.parse: the line's start then names another slice than its object.
  return objectName === name ? text : text.replace(`"name":"${objectName}"`, `"name":"${name}","name":"${objectName}"`);
}

/**
 * Runs the reflector on an empty LIST and scripted watch bodies (JSON lines, or a protobuf body); `onState` counts, and
 * reads when `reads` says.
 */
function start(
  watchBodies: (string[] | Uint8Array)[],
  reads: (count: number) => boolean = () => false,
  clock: Clock = systemClock,
) {
  const controller = new AbortController();
  const watches: WatchParams[] = [];
  const errors: ResolverError[] = [];
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  let announced = 0;
  let state: SliceState | undefined;
  const api: EndpointSliceApi = {
    redact: (text) => text,
    list: () => Promise.resolve({ metadata: { resourceVersion: "10" }, items: [] }),
    watch(params) {
      watches.push(params);
      const lines = watchBodies.shift();
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          streams.push(stream);
          if (lines instanceof Uint8Array) stream.enqueue(lines);
          else if (lines) stream.enqueue(new TextEncoder().encode(lines.map((text) => text + "\n").join("")));
          params.signal.addEventListener("abort", () => stream.error(params.signal.reason));
        },
      });
      return Promise.resolve({ chunks: body, encoding: lines instanceof Uint8Array ? "protobuf" : "json" });
    },
  };
  const running = runReflector(api, {
    signal: controller.signal,
    clock,
    minWatchMs: 0,
    backoff: { initialMs: 1, maxMs: 5 },
    onState(next) {
      state = next;
      announced++;
      if (reads(announced)) void next.slices;
    },
    onError: (error) => errors.push(error),
  });
  return {
    watches,
    streams,
    errors,
    announced: () => announced,
    state: () => state!,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(test(), "timed out");
}

Deno.test("sliceEventHead() reads the type and name an API server writes first, and nothing from other lines", () => {
  const head = (text: string) => sliceEventHead(new TextEncoder().encode(text));
  assert.deepEqual(head(line("MODIFIED", "echo-x1", "5", "10.0.0.1")), { type: "MODIFIED", name: "echo-x1" });
  assert.deepEqual(head(line("DELETED", "a.b-c", "5", "10.0.0.1")), { type: "DELETED", name: "a.b-c" });
  const bookmark = '{"type":"BOOKMARK","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",' +
    '"metadata":{"resourceVersion":"9"}}}';
  assert.equal(head(bookmark), undefined);
  assert.equal(head('{"object":{"metadata":{"name":"a"}},"type":"ADDED"}'), undefined);
  assert.equal(head(line("ADDED", "Upper", "5", "10.0.0.1")), undefined, "not a Kubernetes name");
  assert.equal(head(line("ADDED", "-a", "5", "10.0.0.1")), undefined, "not a Kubernetes name");
  assert.equal(head(line("ADDED", "a".repeat(254), "5", "10.0.0.1")), undefined, "too long a name");
  assert.deepEqual(head(line("ADDED", "a".repeat(253), "5", "10.0.0.1"))?.name.length, 253);
});

Deno.test("runReflector() parses only the last event of each slice that arrived before the state was read", async () => {
  const burst = [
    line("ADDED", "a", "11", "10.0.0.1"),
    // Replaced before anyone reads the state: never parsed, so even a broken line is never noticed.
    line("MODIFIED", "a", "12", "10.0.0.2").slice(0, -3) + "oops",
    line("ADDED", "b", "13", "10.0.0.3"),
    line("MODIFIED", "a", "14", "10.0.0.4"),
    line("DELETED", "b", "15", "10.0.0.3"),
    line("ADDED", "c", "16", "10.0.0.5"),
  ];
  const reflector = start([burst]);
  try {
    // One chunk: told once, at its end.
    await until(() => reflector.announced() === 2);
    const state = reflector.state();
    assert.deepEqual([...state.slices.keys()].sort(), ["a", "c"]);
    assert.deepEqual(state.slices.get("a")!.endpoints![0].addresses, ["10.0.0.4"]);
    assert.equal(state.resourceVersion, "16", "the resourceVersion of the last line");
    assert.deepEqual(reflector.errors, []);
  } finally {
    await reflector.stop();
  }
});

/** A protobuf watch frame of a slice with one endpoint, as kube-apiserver writes it. */
function frame(type: string, name: string, rv: string, ip: string): Uint8Array {
  return protobufWatchFrame(type, {
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata: { name, namespace: "prod", resourceVersion: rv },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip] }],
  });
}

Deno.test("runReflector() decodes only the last protobuf event of each slice that arrived before the state was read", async () => {
  // A frame whose head reads but whose endpoint does not decode: its address's tag says wire type 3 (a group).
  const broken = frame("MODIFIED", "a", "12", "10.0.0.2");
  const address = broken.findIndex((_, at) => broken[at] === 0x0a && broken[at + 1] === 8 && broken[at + 2] === 0x31);
  broken[address] = 0x0b;
  assert.deepEqual(frameHead(broken.subarray(4)), { type: "MODIFIED", name: "a" });
  assert.throws(() => decodeWatchEvent(broken.subarray(4)));
  const body = [
    frame("ADDED", "a", "11", "10.0.0.1"),
    // Replaced before anyone reads the state: never decoded, so even a broken frame is never noticed.
    broken,
    frame("ADDED", "b", "13", "10.0.0.3"),
    frame("MODIFIED", "a", "14", "10.0.0.4"),
    frame("DELETED", "b", "15", "10.0.0.3"),
    frame("ADDED", "c", "16", "10.0.0.5"),
  ];
  const reflector = start([new Uint8Array(body.flatMap((bytes) => [...bytes]))]);
  try {
    // One chunk: told once, at its end.
    await until(() => reflector.announced() === 2);
    const state = reflector.state();
    assert.deepEqual([...state.slices.keys()].sort(), ["a", "c"]);
    assert.deepEqual(state.slices.get("a")!.endpoints![0].addresses, ["10.0.0.4"]);
    assert.equal(state.resourceVersion, "16", "the resourceVersion of the last frame");
    assert.deepEqual(reflector.errors, []);
  } finally {
    await reflector.stop();
  }
});

Deno.test("runReflector() tells of a chunk's events once the event begun after them is whole, not before", async () => {
  // A chunk that ends inside an event is a burst's: a state told there would be handled (decoded, selected, walked by
  // the consumer) before the rest of the burst, already on its way, is read.
  const reflector = start([[]]);
  try {
    await until(() => reflector.watches.length === 1 && reflector.streams.length === 1);
    const [a, b] = [line("ADDED", "a", "11", "10.0.0.1"), line("ADDED", "b", "12", "10.0.0.2")];
    const encode = (text: string) => new TextEncoder().encode(text);
    reflector.streams[0].enqueue(encode(`${a}\n${b.slice(0, 40)}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reflector.announced(), 1, "told after the LIST only: event b is begun");
    reflector.streams[0].enqueue(encode(`${b.slice(40)}\n`));
    await until(() => reflector.announced() === 2);
    assert.deepEqual([...reflector.state().slices.keys()].sort(), ["a", "b"]);
  } finally {
    await reflector.stop();
  }
});

Deno.test("runReflector() tells of a chunk's events within 50 ms when the event begun after them stalls", async () => {
  const reflector = start([[]]);
  try {
    await until(() => reflector.watches.length === 1 && reflector.streams.length === 1);
    const [a, b] = [line("ADDED", "a", "11", "10.0.0.1"), line("ADDED", "b", "12", "10.0.0.2")];
    const started = performance.now();
    reflector.streams[0].enqueue(new TextEncoder().encode(`${a}\n${b.slice(0, 40)}`));
    await until(() => reflector.announced() === 2);
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= 45, `told after ${waitedMs.toFixed(1)} ms, before the wait for event b was over`);
    assert.deepEqual([...reflector.state().slices.keys()], ["a"]);
  } finally {
    await reflector.stop();
  }
});

Deno.test("runReflector() tells of a chunk's events at once when the watch ends inside the event after them", async () => {
  // The wait for the event begun is made a minute long, so that only the watch's end can tell of event a in time
  // (a wall-clock bound near the wait's 50 ms failed on a loaded machine).
  const clock: Clock = {
    now: () => systemClock.now(),
    setTimeout: (callback, ms) => systemClock.setTimeout(callback, ms === MID_EVENT_WAIT_MS ? 60_000 : ms),
  };
  const reflector = start([[]], undefined, clock);
  try {
    await until(() => reflector.watches.length === 1 && reflector.streams.length === 1);
    const [a, b] = [line("ADDED", "a", "11", "10.0.0.1"), line("ADDED", "b", "12", "10.0.0.2")];
    const started = performance.now();
    reflector.streams[0].enqueue(new TextEncoder().encode(`${a}\n${b.slice(0, 40)}`));
    reflector.streams[0].close();
    await until(() => reflector.announced() === 2);
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs < 30_000, `told after ${waitedMs.toFixed(1)} ms: the end of the watch did not end the wait`);
    assert.deepEqual([...reflector.state().slices.keys()], ["a"]);
    await until(() => reflector.watches.length === 2);
    assert.equal(reflector.watches[1].resourceVersion, "11", "resumes after event a");
  } finally {
    await reflector.stop();
  }
});

Deno.test("runReflector() fails the watch when a line read late is bad, keeps the state, and resumes before it", async () => {
  const reflector = start([
    [line("ADDED", "a", "11", "10.0.0.1")],
    [line("MODIFIED", "a", "12", "10.0.0.2")],
  ]);
  try {
    await until(() => reflector.announced() === 2);
    assert.equal(reflector.state().slices.get("a")!.endpoints![0].addresses[0], "10.0.0.1");
    // Into the open watch: a line whose start names slice "a" while its object is "z".
    const bad = line("MODIFIED", "a", "12", "10.0.0.9", "z");
    assert.deepEqual(sliceEventHead(new TextEncoder().encode(bad)), { type: "MODIFIED", name: "a" });
    reflector.streams[0].enqueue(new TextEncoder().encode(bad + "\n"));
    await until(() => reflector.announced() === 3);
    const slices = reflector.state().slices;
    assert.deepEqual([...slices.keys()], ["a"], "the last good state stays");
    assert.equal(slices.get("a")!.endpoints![0].addresses[0], "10.0.0.1");
    await until(() => reflector.errors.length === 1 && reflector.watches.length === 2);
    assert.ok(reflector.errors[0] instanceof KubeApiError);
    assert.match(
      reflector.errors[0].message,
      /starts with another type or name than its object has: if this repeats, check/,
    );
    assert.equal(reflector.watches[1].resourceVersion, "11", "resumes from the last event applied");
    await until(() => reflector.announced() === 4);
    assert.equal(reflector.state().slices.get("a")!.endpoints![0].addresses[0], "10.0.0.2");
  } finally {
    await reflector.stop();
  }
});

Deno.test("runReflector() applies nothing after a bad line read late, and resumes before it", async () => {
  const good = line("ADDED", "a", "11", "10.0.0.1");
  const bad = line("MODIFIED", "b", "12", "10.0.0.2", "z"); // its start names "b", its object is "z"
  const after = line("ADDED", "c", "13", "10.0.0.3");
  for (const readEvery of [true, false]) {
    // The bad line in the middle, the good one in a chunk of its own: a reader that reads every state (as a
    // delivery does when nothing is held) applies the good line before the bad one comes; the other reads only
    // after the last line, and finds the bad line with the good one, which applies all the same.
    const reflector = start([[good]], (count) => readEvery || count === 3);
    try {
      await until(() => reflector.announced() === 2);
      reflector.streams[0].enqueue(new TextEncoder().encode(`${bad}\n${after}\n`));
      await until(() => reflector.watches.length === 2);
      assert.equal(reflector.watches[1].resourceVersion, "11", `readEvery ${readEvery}`);
      assert.deepEqual([...reflector.state().slices.keys()], ["a"], "nothing after the bad line");
    } finally {
      await reflector.stop();
    }
  }
});

Deno.test("runReflector() applies the events read with a bad one before it, as client-go's store has them", async () => {
  const lines = {
    a11: line("ADDED", "a", "11", "10.0.0.1"),
    b12: line("ADDED", "b", "12", "10.0.0.2"),
    a13: line("MODIFIED", "a", "13", "10.0.0.3"),
    badC: line("ADDED", "c", "14", "10.0.0.4", "z"), // its start names "c", its object is "z"
    brokenC: line("ADDED", "c", "14", "10.0.0.4").slice(0, -3) + "oops",
    badA: line("MODIFIED", "a", "14", "10.0.0.4", "z"),
    d15: line("ADDED", "d", "15", "10.0.0.5"),
  };
  const cases: { burst: (keyof typeof lines)[]; slices: Record<string, string>; resumeFrom: string }[] = [
    { burst: ["a11", "b12", "badC", "d15"], slices: { a: "10.0.0.1", b: "10.0.0.2" }, resumeFrom: "12" },
    { burst: ["a11", "b12", "brokenC", "d15"], slices: { a: "10.0.0.1", b: "10.0.0.2" }, resumeFrom: "12" },
    { burst: ["a11", "b12", "a13", "badC"], slices: { a: "10.0.0.3", b: "10.0.0.2" }, resumeFrom: "13" },
    // Event a11, replaced by the bad one, is lost: b12 alone would skip it, the next watch resuming after it.
    { burst: ["a11", "b12", "badA", "d15"], slices: {}, resumeFrom: "10" },
    // Event a11, replaced by a13, is lost: the state after b12 cannot be had, nor can that after a13 (the bad line).
    { burst: ["b12", "a11", "badC", "a13"], slices: { b: "10.0.0.2" }, resumeFrom: "12" },
    // Event a11, replaced by a13 after the bad line, is lost: b12 alone would skip it, so nothing applies.
    { burst: ["a11", "b12", "badC", "a13"], slices: {}, resumeFrom: "10" },
  ];
  for (const { burst, slices, resumeFrom } of cases) {
    // One chunk, and the state read as it is told (a delivery with nothing held reads every state).
    const reflector = start([[]], () => true);
    try {
      await until(() => reflector.streams.length === 1);
      reflector.streams[0].enqueue(new TextEncoder().encode(burst.map((name) => lines[name] + "\n").join("")));
      await until(() => reflector.errors.length === 1 && reflector.watches.length === 2);
      const told = Object.fromEntries(
        [...reflector.state().slices].map(([name, slice]) => [name, slice.endpoints![0].addresses[0]]),
      );
      assert.deepEqual(told, slices, burst.join(" "));
      assert.equal(reflector.watches[1].resourceVersion, resumeFrom, burst.join(" "));
      assert.ok(reflector.errors[0] instanceof KubeApiError);
      assert.match(
        reflector.errors[0].message,
        /^Cannot (use a watch event from the API server: its line starts with another type or name|decode watch stream: a line is not JSON)/,
        reflector.errors[0].message,
      );
    } finally {
      await reflector.stop();
    }
  }
});

Deno.test("runReflector() tells nothing after it was stopped, not even a change that waited for its chunk's end", async () => {
  const reflector = start([[]]);
  await until(() => reflector.watches.length === 1 && reflector.streams.length === 1);
  const [a, b] = [line("ADDED", "a", "11", "10.0.0.1"), line("ADDED", "b", "12", "10.0.0.2")];
  // Event a waits for the end of event b, begun in the same chunk: it is told at most 50 ms later, unless stopped.
  reflector.streams[0].enqueue(new TextEncoder().encode(`${a}\n${b.slice(0, 40)}`));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(reflector.announced(), 1, "told after the LIST only");
  await reflector.stop();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(reflector.announced(), 1, "a change told after the stop");
});

Deno.test("runReflector() goes on watching when onState throws, and the events told apply all the same", async () => {
  const [a, b] = [line("ADDED", "a", "11", "10.0.0.1"), line("ADDED", "b", "12", "10.0.0.2")];
  const encode = (text: string) => new TextEncoder().encode(text);
  // The consumer's bug, thrown before it read the state: after the LIST, and for a change told at its chunk's end or
  // by the 50 ms wait for an event begun in the same chunk.
  for (const [throwAt, begun] of [[1, false], [2, false], [2, true]] as const) {
    const name = `thrown at state ${throwAt}${begun ? ", event b begun" : ""}`;
    const reflector = start([[]], (count) => {
      if (count === throwAt) throw new Error("consumer bug");
      return false;
    });
    try {
      await until(() => reflector.streams.length === 1);
      reflector.streams[0].enqueue(encode(`${a}\n${begun ? b.slice(0, 40) : ""}`));
      await until(() => reflector.announced() === 2);
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.deepEqual(reflector.errors.map((error) => error.message), [], `${name}: not the API server's failure`);
      assert.deepEqual(reflector.watches.map((watch) => watch.resourceVersion), ["10"], `${name}: one watch`);
      assert.deepEqual([...reflector.state().slices.keys()], ["a"], name);
      reflector.streams[0].enqueue(encode(begun ? `${b.slice(40)}\n` : `${b}\n`));
      await until(() => reflector.announced() === 3);
      assert.deepEqual([...reflector.state().slices.keys()].sort(), ["a", "b"], name);
      assert.equal(reflector.state().resourceVersion, "12", name);
    } finally {
      await reflector.stop();
    }
  }
});
