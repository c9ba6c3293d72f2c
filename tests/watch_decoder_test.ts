import assert from "node:assert/strict";
import { readWatchEvents } from "./_decode_events.ts";
import type { WatchEvent } from "../src/base/endpoint_slice.ts";
import type { DecodeOptions } from "../src/watch/watch_decoder.ts";

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  maxLineBytes?: number,
  options: DecodeOptions = {},
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  await readWatchEvents(stream, (event) => events.push(event), { ...options, maxLineBytes });
  return events;
}

const events: WatchEvent[] = [
  { type: "ADDED", object: { metadata: { name: "a", resourceVersion: "1" }, addressType: "IPv4", endpoints: [] } },
  { type: "MODIFIED", object: { metadata: { name: "ü-ñ", resourceVersion: "2" }, addressType: "IPv6" } },
  { type: "BOOKMARK", object: { metadata: { resourceVersion: "3" }, addressType: "", endpoints: null } },
];
const wire = new TextEncoder().encode(events.map((event) => JSON.stringify(event) + "\n").join(""));

Deno.test("readWatchEvents() reads several events from one chunk", async () => {
  assert.deepEqual(await collect(streamOf([wire])), events);
});

Deno.test("readWatchEvents() reads events split at every byte offset", async () => {
  for (let cut = 1; cut < wire.length; cut++) {
    assert.deepEqual(await collect(streamOf([wire.subarray(0, cut), wire.subarray(cut)])), events, `cut at ${cut}`);
  }
});

Deno.test("readWatchEvents() reads events delivered one byte at a time", async () => {
  const bytes = Array.from(wire, (byte) => new Uint8Array([byte]));
  assert.deepEqual(await collect(streamOf(bytes)), events);
});

Deno.test("readWatchEvents() skips blank lines and accepts a last line without newline", async () => {
  const text = "\n" + JSON.stringify(events[0]) + "\n\n" + JSON.stringify(events[2]);
  assert.deepEqual(await collect(streamOf([text])), [events[0], events[2]]);
});

Deno.test("readWatchEvents() rejects a line that is not JSON", async () => {
  await assert.rejects(collect(streamOf(["{not json}\n"])), { name: "KubeApiError", message: /not JSON/ });
});

Deno.test("readWatchEvents() rejects JSON that is not a watch event", async () => {
  await assert.rejects(collect(streamOf(['{"kind":"Status"}\n'])), {
    name: "KubeApiError",
    message: /not a watch event/,
  });
});

Deno.test("readWatchEvents() drops an event the body ends in the middle of, as client-go does, and says so", async () => {
  const bookmark = '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}';
  const dropped: number[] = [];
  const events = await collect(streamOf([`${bookmark}\n{"type":"ADDED","obj`]), undefined, {
    onTruncated: (bytes) => dropped.push(bytes),
  });
  assert.deepEqual(events.map((event) => event.type), ["BOOKMARK"]);
  assert.deepEqual(dropped, [20]);
});

Deno.test("readWatchEvents() rejects a line over the limit without buffering it whole", async () => {
  const chunk = new Uint8Array(1024).fill(0x61);
  const chunks = Array.from({ length: 64 }, () => chunk);
  await assert.rejects(collect(streamOf(chunks), 16 * 1024), { message: /exceeds 16384 bytes/ });
});

Deno.test("readWatchEvents() cancels the body when the consumer throws", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(wire);
    },
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(
    readWatchEvents(stream, () => {
      throw new Error("stop");
    }),
    { message: "stop" },
  );
  assert.equal(cancelled, true);
});

Deno.test("readWatchEvents() ends a pending read and cancels the body when its signal aborts", async () => {
  // A body that delivers one event and then nothing, and that nothing else ends: like a
  // Deno fetch body once its Response was garbage-collected (README, process lifetime).
  let cancelled: unknown;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(wire);
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const controller = new AbortController();
  const seen: string[] = [];
  const reading = readWatchEvents(stream, (event) => {
    seen.push(event.type);
    if (seen.length === events.length) setTimeout(() => controller.abort(new Error("stopped")), 10);
  }, { signal: controller.signal });
  await assert.rejects(reading, { message: "stopped" });
  assert.deepEqual(seen, ["ADDED", "MODIFIED", "BOOKMARK"]);
  assert.equal((cancelled as Error)?.message, "stopped");
});

Deno.test("readWatchEvents() keeps 2-, 3- and 4-byte characters cut at any chunk boundary", async () => {
  const event = { type: "ADDED", object: { metadata: { name: "ñ-€-𝄞-x" }, addressType: "IPv4" } };
  const bytes = new TextEncoder().encode(JSON.stringify(event) + "\n");
  for (let cut = 1; cut < bytes.length; cut++) {
    for (let second = cut + 1; second < Math.min(bytes.length, cut + 5); second++) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)];
      assert.deepEqual(await collect(streamOf(chunks)), [event], `cuts at ${cut} and ${second}`);
    }
  }
});
