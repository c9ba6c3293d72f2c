import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { bodyOfPushSource } from "../src/runtime/pushed_body.ts";
import { readWatchEvents } from "./_decode_events.ts";
import { readWatchFrames } from "../src/watch/watch_codec.ts";
import type { WatchEvent } from "../src/base/endpoint_slice.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

Deno.test("bodyOfPushSource() pushes a Node body's chunks straight to one reader", async () => {
  const { pushed } = bodyOfPushSource(Readable.from([bytes("a"), bytes("bc")]));
  const chunks: string[] = [];
  await pushed.push((read) => chunks.push(...read.map((chunk) => new TextDecoder().decode(chunk))));
  assert.equal(chunks.join(""), "abc");
  await assert.rejects(pushed.push(() => {}), { message: /already read/ });
});

Deno.test("push() hands over at once the chunks that came in one turn, in one call (Node, Deno)", async () => {
  // An HTTP body brings one chunk per chunk of its transfer encoding: a socket read of a watch burst holds dozens.
  const source = new PassThrough();
  const chunks: string[] = [];
  const pushing = bodyOfPushSource(source).pushed.push((read) =>
    chunks.push(read.map((chunk) => new TextDecoder().decode(chunk)).join(""))
  );
  for (const part of ["a", "bc", "def"]) source.write(bytes(part));
  await new Promise((resolve) => setTimeout(resolve, 0));
  source.end(bytes("g"));
  await pushing;
  assert.deepEqual(chunks, ["abcdef", "g"]);
});

/** A body as undici's is on Deno: `read()` gives one chunk of its transfer encoding at a time. */
function chunkAtATimeSource() {
  const listeners: Record<string, (() => void)[]> = {};
  const buffered: Uint8Array[] = [];
  const emit = (event: string) => listeners[event]?.forEach((listener) => listener());
  const source = {
    // Only "readable" and "end" are emitted, with no argument.
    on(event: string, listener: (value: never) => void) {
      (listeners[event] ??= []).push(listener as () => void);
      return source;
    },
    read: () => buffered.shift() ?? null,
    pause: () => source,
    resume: () => source,
    destroy: () => source,
    /** One socket read that brought `chunks`. */
    arrive(...chunks: Uint8Array[]) {
      buffered.push(...chunks);
      emit("readable");
    },
    end: () => emit("end"),
  };
  return source;
}

Deno.test("push() hands over the chunks of one read as they came, without copying them into one (Deno)", async () => {
  // Copying a burst's 64 KB reads into one array each took 26 of the 44 µs their handling took on Deno.
  const source = chunkAtATimeSource();
  const calls: Uint8Array[][] = [];
  const pushing = bodyOfPushSource(source).pushed.push((read) => calls.push([read].flat()));
  const [a, b, c] = [bytes("a"), bytes("bc"), bytes("def")];
  source.arrive(a, b);
  source.arrive(c);
  source.end();
  await pushing;
  assert.equal(calls.length, 2);
  assert.ok(calls[0].length === 2 && calls[0][0] === a && calls[0][1] === b, "the first read's chunks, not a copy");
  assert.ok(calls[1].length === 1 && calls[1][0] === c);
});

Deno.test("readWatchFrames() tells of a read's incomplete frame once, after all of its chunks", async () => {
  const frame = (text: string) => [0, 0, 0, text.length, ...bytes(text)];
  const wire = new Uint8Array([...frame("one"), ...frame("two"), ...frame("three")]);
  const source = chunkAtATimeSource();
  const frames: string[] = [];
  const incomplete: number[] = [];
  const reading = readWatchFrames(bodyOfPushSource(source).pushed, (f) => frames.push(new TextDecoder().decode(f)), {
    onChunkRead: (bytes) => incomplete.push(bytes),
  });
  // One read: the first frame, the second one split across two chunks, the start of the third; then the rest.
  source.arrive(wire.subarray(0, 7), wire.subarray(7, 10), wire.subarray(10, 16));
  source.arrive(wire.subarray(16));
  source.end();
  await reading;
  assert.deepEqual(frames, ["one", "two", "three"]);
  assert.deepEqual(incomplete, [2, 0]);
});

Deno.test("bodyOfPushSource() gives the body to the view read first", async () => {
  const readAsStream = bodyOfPushSource(Readable.from([bytes("web")]));
  assert.equal(await new Response(readAsStream.stream).text(), "web");
  await assert.rejects(readAsStream.pushed.push(() => {}), { message: /already read/ });
  const readAsPushed = bodyOfPushSource(Readable.from([bytes("pushed")]));
  await readAsPushed.pushed.push(() => {});
  await assert.rejects(new Response(readAsPushed.stream).text(), { message: /pushed to a reader/ });
});

Deno.test("push() destroys the source and rejects when the reader throws", async () => {
  const source = new PassThrough();
  const pushing = bodyOfPushSource(source).pushed.push(() => {
    throw new Error("stop");
  });
  source.write(bytes("x"));
  await assert.rejects(pushing, { message: "stop" });
  assert.equal(source.destroyed, true);
});

Deno.test("push() and the web stream reject a body whose connection closes before its end", async () => {
  const cut = new PassThrough();
  const pushing = bodyOfPushSource(cut).pushed.push(() => {});
  cut.write(bytes("partial"));
  cut.destroy();
  await assert.rejects(pushing, { message: /closed before the body ended/ });
  const cutWeb = new PassThrough();
  const reading = new Response(bodyOfPushSource(cutWeb).stream).text();
  cutWeb.write(bytes("partial"));
  setTimeout(() => cutWeb.destroy(), 10);
  await assert.rejects(reading, { message: /closed before the body ended/ });
});

Deno.test("push() ends the body at once when its signal aborts, and the connection's later abort error is expected", async () => {
  const source = new PassThrough();
  const controller = new AbortController();
  const pushing = bodyOfPushSource(source).pushed.push(() => {}, controller.signal);
  source.write(bytes("x"));
  controller.abort(new Error("stopped"));
  await assert.rejects(pushing, { message: "stopped" });
  assert.equal(source.destroyed, true);
  // undici's body emits an abort error after a destroy: a listener must take it.
  source.emit("error", new Error("aborted"));
  const already = new AbortController();
  already.abort(new Error("stopped before"));
  await assert.rejects(bodyOfPushSource(new PassThrough()).pushed.push(() => {}, already.signal), {
    message: "stopped before",
  });
});

Deno.test("the web stream's cancel() destroys the source and takes its abort error", async () => {
  const source = new PassThrough();
  await bodyOfPushSource(source).stream.cancel();
  assert.equal(source.destroyed, true);
  source.emit("error", new Error("aborted"));
});

Deno.test("readWatchEvents() decodes a pushed body like a web stream", async () => {
  const event: WatchEvent = {
    type: "ADDED",
    object: { metadata: { name: "ñ", resourceVersion: "1" }, addressType: "IPv4" },
  };
  const wire = bytes(JSON.stringify(event) + "\n" + JSON.stringify(event) + "\n");
  const chunks = [wire.subarray(0, 7), wire.subarray(7, 30), wire.subarray(30)];
  const viaNode: WatchEvent[] = [];
  await readWatchEvents(bodyOfPushSource(Readable.from(chunks)).pushed, (e) => viaNode.push(e));
  const viaWeb: WatchEvent[] = [];
  await readWatchEvents(new Response(new Blob(chunks)).body!, (e) => viaWeb.push(e));
  assert.deepEqual(viaNode, [event, event]);
  assert.deepEqual(viaWeb, viaNode);
});

Deno.test("readWatchEvents() stops a pushed body when its signal aborts", async () => {
  const source = new PassThrough();
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  const reading = readWatchEvents(bodyOfPushSource(source).pushed, (e) => events.push(e), {
    signal: controller.signal,
  });
  source.write(bytes('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n'));
  await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort(new Error("stopped"));
  await assert.rejects(reading, { message: "stopped" });
  assert.equal(events.length, 1);
  assert.equal(source.destroyed, true);
});
