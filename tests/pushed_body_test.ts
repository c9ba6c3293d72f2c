import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { pushChunks, streamOfPushSource } from "../src/runtime/pushed_body.ts";
import { readWatchEvents } from "../src/watch/watch_decoder.ts";
import type { WatchEvent } from "../src/endpoint_slice.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

Deno.test("pushChunks() hands a Node body's chunks over directly, once", async () => {
  const body = streamOfPushSource(Readable.from([bytes("a"), bytes("bc")]));
  const chunks: string[] = [];
  await pushChunks(body, (chunk) => chunks.push(new TextDecoder().decode(chunk)));
  assert.deepEqual(chunks, ["a", "bc"]);
  assert.equal(pushChunks(body, () => {}), undefined);
});

Deno.test("pushChunks() has no fast path for other bodies or a body already read as a web stream", async () => {
  assert.equal(pushChunks(new Response("x").body!, () => {}), undefined);
  const body = streamOfPushSource(Readable.from([bytes("web")]));
  assert.equal(await new Response(body).text(), "web");
  assert.equal(pushChunks(body, () => {}), undefined);
});

Deno.test("pushChunks() destroys the source and rejects when the consumer throws", async () => {
  const source = new PassThrough();
  const pushed = pushChunks(streamOfPushSource(source), () => {
    throw new Error("stop");
  })!;
  source.write(bytes("x"));
  await assert.rejects(pushed, { message: "stop" });
  assert.equal(source.destroyed, true);
});

Deno.test("pushChunks() and the web stream reject a body whose connection closes before its end", async () => {
  const cut = new PassThrough();
  const pushed = pushChunks(streamOfPushSource(cut), () => {})!;
  cut.write(bytes("partial"));
  cut.destroy();
  await assert.rejects(pushed, { message: /closed before the body ended/ });
  const cutWeb = new PassThrough();
  const reading = new Response(streamOfPushSource(cutWeb)).text();
  cutWeb.write(bytes("partial"));
  setTimeout(() => cutWeb.destroy(), 10);
  await assert.rejects(reading, { message: /closed before the body ended/ });
});

Deno.test("readWatchEvents() decodes a Node body through the fast path like a web stream", async () => {
  const event: WatchEvent = {
    type: "ADDED",
    object: { metadata: { name: "ñ", resourceVersion: "1" }, addressType: "IPv4" },
  };
  const wire = bytes(JSON.stringify(event) + "\n" + JSON.stringify(event) + "\n");
  const chunks = [wire.subarray(0, 7), wire.subarray(7, 30), wire.subarray(30)];
  const viaNode: WatchEvent[] = [];
  await readWatchEvents(streamOfPushSource(Readable.from(chunks)), (e) => viaNode.push(e));
  const viaWeb: WatchEvent[] = [];
  await readWatchEvents(new Response(new Blob(chunks)).body!, (e) => viaWeb.push(e));
  assert.deepEqual(viaNode, [event, event]);
  assert.deepEqual(viaWeb, viaNode);
});
