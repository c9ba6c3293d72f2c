import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { EndpointSlice, SliceEndpoint, WatchEvent } from "../src/base/endpoint_slice.ts";
import { EndpointMemory } from "../src/api/protobuf/endpoint_memory.ts";
import { FrameSplitter } from "../src/api/protobuf/frame_splitter.ts";
import { decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { protobufWatchFrame } from "../src/testing/_protobuf_writer.ts";
import { openWatchCodec } from "../src/watch/watch_codec.ts";
import { createSelectionMemo, selectEndpoints } from "../src/selection/endpoint_selection.ts";
import { seededRandom } from "./_seeded_random.ts";

const FIXTURES = new URL("./fixtures/protobuf/", import.meta.url);
const bytes = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));

/** A frame without its 4-byte length. */
function frame(type: string, object: unknown): Uint8Array {
  return protobufWatchFrame(type, object as Record<string, unknown>).slice(4);
}

/** Decodes `frames` in order with one memory, checking each against a decode without memory; returns the events. */
function decodeAll(frames: Uint8Array[], memory = new EndpointMemory()): WatchEvent[] {
  return frames.map((bytes, at) => {
    const event = decodeWatchEvent(bytes, memory);
    assert.deepEqual(event, decodeWatchEvent(bytes), `frame ${at}`);
    return event;
  });
}

function endpointsOf(event: WatchEvent): SliceEndpoint[] {
  return (event.object as EndpointSlice).endpoints ?? [];
}

/** The slices of the JSON fixtures, each with its `kind` (as a watch event's object has it). */
function fixtureSlices(): Record<string, unknown>[] {
  const list = JSON.parse(new TextDecoder().decode(bytes("list.json"))).items;
  const watched = ["watch.ndjson", "streaming_list.ndjson"].flatMap((name) =>
    new TextDecoder().decode(bytes(name)).trim().split("\n").map((line) => JSON.parse(line).object)
  );
  return [...list, ...watched].filter((object) => object.endpoints?.length > 0)
    .map((object) => ({ kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", ...object }));
}

Deno.test("the watch fixtures decode with a memory as without one", () => {
  for (const name of ["watch.pb", "streaming_list.pb", "watch_error_410.pb"]) {
    const splitter = new FrameSplitter();
    const frames = splitter.push(bytes(name));
    // Twice in a row: the second pass reuses what the first decoded.
    const memory = new EndpointMemory();
    decodeAll(frames, memory);
    decodeAll(frames, memory);
  }
});

Deno.test("an update reuses the endpoint objects whose bytes did not change, and decodes the others", () => {
  const slice = fixtureSlices().find((object) => (object.endpoints as unknown[]).length >= 2)!;
  const endpoints = slice.endpoints as Record<string, unknown>[];
  const memory = new EndpointMemory();
  const [first] = decodeAll([frame("ADDED", slice)], memory);
  const changed = { ...endpoints[0], addresses: ["10.99.0.1"] };
  const [second] = decodeAll([frame("MODIFIED", { ...slice, endpoints: [changed, ...endpoints.slice(1)] })], memory);
  assert.notEqual(endpointsOf(second)[0], endpointsOf(first)[0]);
  for (let i = 1; i < endpoints.length; i++) assert.equal(endpointsOf(second)[i], endpointsOf(first)[i]);
  // One removed before the others: they shift, and are found after the last one reused.
  const [third] = decodeAll([frame("MODIFIED", { ...slice, endpoints: endpoints.slice(1) })], memory);
  for (let i = 1; i < endpoints.length; i++) assert.equal(endpointsOf(third)[i - 1], endpointsOf(first)[i]);
});

Deno.test("versions that bring every endpoint back unchanged decode as without a memory, and later ones reuse as before", () => {
  const slice = fixtureSlices().find((object) => (object.endpoints as unknown[]).length >= 3)!;
  const endpoints = slice.endpoints as Record<string, unknown>[];
  const metadata = (resourceVersion: string) => ({ ...slice.metadata as object, resourceVersion });
  const memory = new EndpointMemory();
  const [first, same, again] = decodeAll([
    frame("ADDED", slice),
    frame("MODIFIED", { ...slice, metadata: metadata("901") }),
    frame("MODIFIED", { ...slice, metadata: metadata("902"), ports: [] }),
  ], memory);
  for (let i = 0; i < endpoints.length; i++) {
    assert.equal(endpointsOf(same)[i], endpointsOf(first)[i]);
    assert.equal(endpointsOf(again)[i], endpointsOf(first)[i]);
  }
  // After them: a changed endpoint, one removed, the same again, and one of the same length but other bytes.
  const changed = { ...endpoints[1], addresses: ["10.99.0.1"] };
  const [update] = decodeAll([
    frame("MODIFIED", { ...slice, endpoints: [endpoints[0], changed, ...endpoints.slice(2)] }),
  ], memory);
  assert.equal(endpointsOf(update)[0], endpointsOf(first)[0]);
  assert.notEqual(endpointsOf(update)[1], endpointsOf(first)[1]);
  const [shorter, repeated] = decodeAll([
    frame("MODIFIED", { ...slice, endpoints: [changed, ...endpoints.slice(2)] }),
    frame("MODIFIED", { ...slice, endpoints: [changed, ...endpoints.slice(2)] }),
  ], memory);
  assert.equal(endpointsOf(shorter)[0], endpointsOf(update)[1]);
  for (let i = 0; i < endpointsOf(shorter).length; i++) assert.equal(endpointsOf(repeated)[i], endpointsOf(shorter)[i]);
  const sameLength = { ...changed, addresses: ["10.99.0.2"] };
  const [other] = decodeAll([frame("MODIFIED", { ...slice, endpoints: [sameLength, ...endpoints.slice(2)] })], memory);
  assert.notEqual(endpointsOf(other)[0], endpointsOf(shorter)[0]);
  assert.equal(endpointsOf(other)[1], endpointsOf(shorter)[1]);
});

Deno.test("a version whose endpoints all came back unchanged has the previous version's list itself; others a list of their own", () => {
  const slice = fixtureSlices().find((object) => (object.endpoints as unknown[]).length >= 3)!;
  const endpoints = slice.endpoints as Record<string, unknown>[];
  const metadata = (resourceVersion: string) => ({ ...slice.metadata as object, resourceVersion });
  const memory = new EndpointMemory();
  const changed = { ...endpoints[1], addresses: ["10.99.0.1"] };
  const [first, same, prefix, update, again] = decodeAll([
    frame("ADDED", slice),
    frame("MODIFIED", { ...slice, metadata: metadata("901") }),
    frame("MODIFIED", { ...slice, metadata: metadata("902"), endpoints: endpoints.slice(0, 2) }),
    frame("MODIFIED", {
      ...slice,
      metadata: metadata("903"),
      endpoints: [endpoints[0], changed, ...endpoints.slice(2)],
    }),
    frame("MODIFIED", {
      ...slice,
      metadata: metadata("904"),
      endpoints: [endpoints[0], changed, ...endpoints.slice(2)],
    }),
  ], memory);
  // No list is built for a version none of whose endpoints changed: it is the one decoded before, never modified.
  assert.equal(endpointsOf(same), endpointsOf(first));
  assert.notEqual(endpointsOf(prefix), endpointsOf(first));
  assert.deepEqual(endpointsOf(prefix), endpointsOf(first).slice(0, 2));
  assert.equal(endpointsOf(prefix)[1], endpointsOf(first)[1]);
  assert.notEqual(endpointsOf(update), endpointsOf(prefix));
  assert.equal(endpointsOf(update)[0], endpointsOf(first)[0]);
  // The version before had two endpoints: the third is decoded again.
  assert.notEqual(endpointsOf(update)[2], endpointsOf(first)[2]);
  assert.equal(endpointsOf(again), endpointsOf(update));
  assert.equal(endpointsOf(first).length, endpoints.length);
});

Deno.test("a version that appends endpoints after unchanged ones reuses those and decodes the new ones", () => {
  const slice = fixtureSlices().find((object) => (object.endpoints as unknown[]).length >= 3)!;
  const endpoints = slice.endpoints as Record<string, unknown>[];
  const added = { ...endpoints[0], addresses: ["10.99.0.9"] };
  const memory = new EndpointMemory();
  const [first, longer, same] = decodeAll([
    frame("ADDED", slice),
    frame("MODIFIED", { ...slice, endpoints: [...endpoints, added] }),
    frame("MODIFIED", { ...slice, endpoints: [...endpoints, added] }),
  ], memory);
  for (let i = 0; i < endpoints.length; i++) assert.equal(endpointsOf(longer)[i], endpointsOf(first)[i]);
  assert.equal(endpointsOf(longer).length, endpoints.length + 1);
  assert.equal(endpointsOf(same), endpointsOf(longer));
});

/** A protobuf length-delimited field (lengths under 128 bytes). */
function field(number: number, ...parts: (Uint8Array | string)[]): Uint8Array {
  const body = parts.map((part) => typeof part === "string" ? new TextEncoder().encode(part) : part);
  const length = body.reduce((sum, part) => sum + part.length, 0);
  return Uint8Array.from([(number << 3) | 2, length, ...body.flatMap((part) => [...part])]);
}

Deno.test("a slice whose port comes between its endpoints is read whole when those come back unchanged", () => {
  // kube-apiserver writes the endpoints together; another writer may not: the port between them is still read.
  const endpoint = (address: string) => field(2, field(1, address));
  const frameOf = (resourceVersion: string) => {
    const slice = [field(1, field(1, "echo-abc"), field(6, resourceVersion)), endpoint("10.0.0.1")];
    slice.push(field(3, field(1, "grpc")), endpoint("10.0.0.2"), field(4, "IPv4"));
    const typeMeta = field(1, field(1, "discovery.k8s.io/v1"), field(2, "EndpointSlice"));
    const object = field(2, field(1, Uint8Array.from([0x6b, 0x38, 0x73, 0]), typeMeta, field(2, ...slice)));
    return Uint8Array.from([...field(1, "MODIFIED"), ...object]);
  };
  const memory = new EndpointMemory();
  const [first, second] = decodeAll([frameOf("1"), frameOf("2")], memory);
  assert.deepEqual((second.object as EndpointSlice).ports, [{ name: "grpc" }]);
  assert.equal(endpointsOf(second)[1], endpointsOf(first)[1]);
});

Deno.test("frames that are Node Buffers inside a larger chunk are reused from as plain ones", () => {
  // Node's sockets hand Buffers cut from a shared pool, whose `slice()` is a view, not a copy.
  const slice = fixtureSlices().find((object) => (object.endpoints as unknown[]).length >= 2)!;
  const inChunk = (bytes: Uint8Array, at: number) => {
    const chunk = Buffer.alloc(at + bytes.length + 13);
    chunk.set(bytes, at);
    return chunk.subarray(at, at + bytes.length);
  };
  const memory = new EndpointMemory();
  const [first] = decodeAll([inChunk(frame("ADDED", slice), 1001)], memory);
  const [second] = decodeAll([inChunk(frame("MODIFIED", slice), 77)], memory);
  for (let i = 0; i < endpointsOf(first).length; i++) assert.equal(endpointsOf(second)[i], endpointsOf(first)[i]);
});

Deno.test("another slice, a DELETED event or a slice without endpoints reuses nothing", () => {
  const slice = fixtureSlices()[0];
  const name = (slice.metadata as { name: string }).name;
  const memory = new EndpointMemory();
  const [added] = decodeAll([frame("ADDED", slice)], memory);
  const other = { ...slice, metadata: { ...slice.metadata as object, name: `${name}-other` } };
  const [elsewhere] = decodeAll([frame("ADDED", other)], memory);
  assert.notEqual(endpointsOf(elsewhere)[0], endpointsOf(added)[0]);
  decodeAll([frame("DELETED", slice)], memory);
  const [again] = decodeAll([frame("ADDED", slice)], memory);
  assert.notEqual(endpointsOf(again)[0], endpointsOf(added)[0]);
  decodeAll([frame("MODIFIED", { ...slice, endpoints: null })], memory);
  const [back] = decodeAll([frame("MODIFIED", slice)], memory);
  assert.notEqual(endpointsOf(back)[0], endpointsOf(again)[0]);
  // A BOOKMARK, and another slice's DELETED event, leave the slice remembered.
  const bookmark = { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: "9" } };
  decodeAll([frame("BOOKMARK", bookmark), frame("DELETED", other)], memory);
  const [kept] = decodeAll([frame("MODIFIED", slice)], memory);
  assert.equal(endpointsOf(kept)[0], endpointsOf(back)[0]);
});

Deno.test("random updates of several slices decode with a memory as without one", () => {
  const next = seededRandom(0x5eed1);
  const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)];
  const base = fixtureSlices();
  const pool = base.flatMap((slice) => slice.endpoints as Record<string, unknown>[]);
  const mutate = (endpoint: Record<string, unknown>): Record<string, unknown> => {
    const copy = structuredClone(endpoint);
    switch (Math.floor(next() * 7)) {
      case 0:
        copy.addresses = [`10.${Math.floor(next() * 4)}.0.${Math.floor(next() * 4)}`];
        break;
      case 1:
        copy.conditions = { ready: next() < 0.5, serving: next() < 0.5, terminating: next() < 0.5 };
        break;
      case 2:
        copy.zone = pick(["a", "b", ""]);
        break;
      case 3:
        copy.targetRef = { kind: "Pod", namespace: "proto", name: `pod-${Math.floor(next() * 3)}` };
        break;
      case 4:
        copy.hints = { forZones: [{ name: pick(["a", "b"]) }] };
        break;
      case 5:
        delete copy.targetRef;
        break;
      default:
        copy.nodeName = pick(["n1", "n2"]);
    }
    return copy;
  };
  const memory = new EndpointMemory();
  const slices: Record<string, unknown>[] = base.map((slice, i) => ({
    ...slice,
    metadata: { ...slice.metadata as object, name: `slice-${i % 4}` },
  }));
  let reused = 0;
  const previous = new Map<string, SliceEndpoint[]>();
  for (let step = 0; step < 3000; step++) {
    const at = Math.floor(next() * slices.length);
    const endpoints = [...slices[at].endpoints as Record<string, unknown>[]];
    const change = Math.floor(next() * 6);
    if (change === 0 && endpoints.length > 0) endpoints.splice(Math.floor(next() * endpoints.length), 1);
    else if (change === 1) endpoints.splice(Math.floor(next() * (endpoints.length + 1)), 0, pick(pool));
    else if (change === 2 && endpoints.length > 1) endpoints.reverse();
    else if (change === 3 && endpoints.length > 0) {
      const i = Math.floor(next() * endpoints.length);
      endpoints[i] = mutate(endpoints[i]);
    } else if (change === 4 && endpoints.length > 0) endpoints.push(endpoints[0]);
    slices[at] = { ...slices[at], endpoints };
    const type = next() < 0.05 ? "DELETED" : next() < 0.1 ? "ADDED" : "MODIFIED";
    const [event] = decodeAll([frame(type, slices[at])], memory);
    const name = (slices[at].metadata as { name: string }).name;
    const known = new Set(previous.get(name) ?? []);
    for (const endpoint of endpointsOf(event)) if (known.has(endpoint)) reused++;
    if (type === "DELETED") previous.delete(name);
    else previous.set(name, endpointsOf(event));
  }
  assert.ok(reused > 3000, `only ${reused} endpoints reused`);
});

Deno.test("a frame cut short throws what it throws without a memory, and the next frame decodes as without one", () => {
  const slice = fixtureSlices()[0];
  const memory = new EndpointMemory();
  const full = frame("MODIFIED", slice);
  decodeAll([full], memory);
  for (let cut = 0; cut < full.length; cut++) {
    const part = full.subarray(0, cut);
    const fresh = (() => {
      try {
        return decodeWatchEvent(part);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    const remembered = (() => {
      try {
        return decodeWatchEvent(part, memory);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    assert.deepEqual(remembered, fresh, `cut at ${cut}`);
    decodeAll([full], memory);
  }
});

Deno.test("each watch's protobuf codec has a memory of its own; JSON has none", () => {
  const slice = fixtureSlices()[0];
  const bytes = frame("MODIFIED", slice);
  const one = openWatchCodec("protobuf");
  const first = endpointsOf(one.parse(bytes, (text) => text));
  assert.equal(endpointsOf(one.parse(bytes, (text) => text))[0], first[0]);
  assert.notEqual(endpointsOf(openWatchCodec("protobuf").parse(bytes, (text) => text))[0], first[0]);
  assert.equal(openWatchCodec("json"), openWatchCodec("json"));
});

Deno.test("a real slice changing one thing at a time decodes with a memory as JSON gives it, and selects the same", () => {
  // kube-apiserver v1.36.3 and the EndpointSlice controller (PROTO_NOTES.md): a condition, the hints, the port (the
  // controller reorders then), a label, an annotation, a pod terminating, one gone, one added; JSON alongside.
  const frames = new FrameSplitter().push(bytes("slice_changes.pb"));
  const lines = new TextDecoder().decode(bytes("slice_changes.ndjson")).trim().split("\n").map((line) =>
    JSON.parse(line)
  );
  assert.equal(frames.length, lines.length);
  const events = decodeAll(frames);
  const memo = createSelectionMemo();
  const decoded = new Map<string, EndpointSlice>();
  const parsed = new Map<string, EndpointSlice>();
  let sameLists = 0;
  events.forEach((event, at) => {
    const slice = event.object as EndpointSlice;
    const expected = lines[at].object;
    assert.deepEqual(slice.endpoints, expected.endpoints, `event ${at}`);
    if (at > 0) {
      const unchanged = JSON.stringify(expected.endpoints) === JSON.stringify(lines[at - 1].object.endpoints);
      // The previous version's list itself exactly when no endpoint changed; each endpoint kept is an unchanged one.
      assert.equal(slice.endpoints === endpointsOf(events[at - 1]), unchanged, `event ${at}`);
      if (unchanged) sameLists++;
      const before = endpointsOf(events[at - 1]);
      endpointsOf(event).forEach((endpoint, i) => {
        if (before.includes(endpoint)) {
          assert.deepEqual(expected.endpoints[i], lines[at - 1].object.endpoints[before.indexOf(endpoint)]);
        }
      });
    }
    for (const [store, object] of [[decoded, slice], [parsed, expected]] as const) {
      if (event.type === "DELETED") store.delete(object.metadata.name!);
      else store.set(object.metadata.name!, object);
    }
    assert.deepEqual(selectEndpoints(decoded.values(), "grpc", { memo }), selectEndpoints(parsed.values(), "grpc"));
  });
  assert.ok(sameLists >= 2, `${sameLists} versions with the same endpoints`);
});
