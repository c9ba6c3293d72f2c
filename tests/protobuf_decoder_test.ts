import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { EndpointSlice } from "../src/base/endpoint_slice.ts";
import { FrameSplitter } from "../src/api/protobuf/frame_splitter.ts";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { ProtobufError, WireReader } from "../src/api/protobuf/wire_reader.ts";
import { frameHead } from "../src/api/protobuf/event_head.ts";
import { sliceEventHead } from "../src/watch/watch_decoder.ts";
import { checkSlice } from "../src/watch/_slice_check.ts";
import { decodeFixtures } from "./protobuf_fixtures.mjs";
import { seededRandom } from "./_seeded_random.ts";
import { childEnv } from "./_child_env.mjs";
import { protobufWatchFrame } from "../src/testing/_protobuf_writer.ts";

// Fixtures: real answers of kube-apiserver v1.36.3 to the same requests with `Accept: application/vnd.kubernetes.protobuf`
// (.pb) and with JSON (.json, .ndjson); PROTO_NOTES.md says how they were made.
const dir = new URL("./fixtures/protobuf/", import.meta.url);
const bytes = (name: string) => Deno.readFileSync(new URL(name, dir));
const json = (name: string) => JSON.parse(Deno.readTextFileSync(new URL(name, dir)));
const lines = (name: string) =>
  Deno.readTextFileSync(new URL(name, dir)).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));

/** Deno's copy of the decoder, and the child that decodes the fixtures with Bun's (`src`) or Node's (`dist`). */
const decoder = { FrameSplitter, decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent };
const child = new URL("./protobuf_decode_child.mjs", import.meta.url).pathname;

type Json = Record<string, unknown>;
const pick = (object: Json, keys: string[]): Json =>
  Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));

/** The fields the decoders keep, out of `JSON.parse` of the JSON form: what the resolver reads. */
function projectObject(object: Json): Json {
  if (object.kind === "Status") return projectStatus(object);
  const metadata = pick(object.metadata as Json, [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "labels",
    "annotations",
    "ownerReferences",
  ]);
  const endpoints = (object.endpoints as Json[] | null)?.map((endpoint) => {
    const { deprecatedTopology: _, ...rest } = endpoint;
    return rest;
  }) ?? null;
  return { ...pick(object, ["kind", "apiVersion", "addressType", "ports"]), metadata, endpoints };
}

function projectStatus(status: Json): Json {
  return pick(status, ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]);
}

function splitFrames(body: Uint8Array, chunkSize: number): Uint8Array[] {
  const splitter = new FrameSplitter();
  const frames: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += chunkSize) frames.push(...splitter.push(body.subarray(at, at + chunkSize)));
  splitter.end();
  return frames;
}

Deno.test("a LIST of EndpointSlices decodes to what JSON.parse gives for its JSON form", () => {
  const expected = json("list.json");
  const list = decodeEndpointSliceList(bytes("list.pb"));
  assert.deepEqual(list, {
    ...pick(expected, ["kind", "apiVersion", "metadata"]),
    items: expected.items.map(projectObject),
  });
  assert.equal(list.items.length, 3);
});

for (const name of ["watch", "streaming_list", "watch_error_410", "slice_changes"]) {
  Deno.test(`${name}: every event decodes as JSON.parse gives it, frames split across chunks anywhere`, () => {
    const expected = lines(`${name}.ndjson`).map((event) => ({
      type: event.type,
      object: projectObject(event.object),
    }));
    const body = bytes(`${name}.pb`);
    for (const chunkSize of [1, 2, 3, 5, 7, 64, body.length]) {
      assert.deepEqual(
        splitFrames(body, chunkSize).map((frame) => decodeWatchEvent(frame)),
        expected,
        `chunks of ${chunkSize}`,
      );
    }
  });
}

const EXPIRED = { status: "Failure", message: "too old resource version: 2 (419)", reason: "Expired", code: 410 };

Deno.test("the watch fixtures hold every event type and field the resolver reads", () => {
  const events = ["watch.pb", "streaming_list.pb", "watch_error_410.pb"]
    .flatMap((name) => splitFrames(bytes(name), 4096)).map((frame) => decodeWatchEvent(frame));
  const types = new Set(events.map((event) => event.type));
  assert.deepEqual(types, new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]));
  assert.deepEqual(events.at(-1)!.object, { kind: "Status", apiVersion: "v1", metadata: {}, ...EXPIRED });
  const end = events.filter((event) => event.type === "BOOKMARK").map((event) =>
    (event.object as EndpointSlice).metadata
  );
  assert.ok(end.some((metadata) => metadata?.annotations?.["k8s.io/initial-events-end"] === "true"));
  const text = JSON.stringify(events);
  for (const field of ["forZones", "forNodes", "targetRef", "hostname", "nodeName", "zone", "appProtocol", "IPv6"]) {
    assert.ok(text.includes(field), field);
  }
  assert.ok(text.includes('"ownerReferences"') && text.includes('"terminating":true'));
});

for (const code of [404, 422, 504]) {
  Deno.test(`a ${code} error body decodes to the Status JSON.parse gives`, () => {
    assert.deepEqual(decodeStatusBody(bytes(`status${code}.pb`)), projectStatus(json(`status${code}.json`)));
  });
}

Deno.test("a body cut anywhere inside a frame throws a ProtobufError at its end", () => {
  const body = bytes("watch.pb");
  const boundaries = new Set([0]);
  for (let at = 0; at < body.length;) boundaries.add(at += 4 + new DataView(body.buffer).getUint32(at));
  for (let cut = 0; cut < body.length; cut++) {
    if (boundaries.has(cut)) continue;
    assert.throws(() => splitFrames(body.subarray(0, cut), 97), ProtobufError, `cut at ${cut}`);
  }
});

Deno.test("a frame longer than the limit throws before it is buffered", () => {
  const splitter = new FrameSplitter(1024);
  assert.throws(() => splitter.push(new Uint8Array([0, 0, 4, 1])), /a watch frame of 1025 bytes exceeds 1024 bytes/);
});

Deno.test("truncated objects throw a ProtobufError, never another error", () => {
  const cases: [string, Uint8Array, (body: Uint8Array) => unknown][] = [
    ["list.pb", bytes("list.pb"), decodeEndpointSliceList],
    ["status422.pb", bytes("status422.pb"), decodeStatusBody],
    ...splitFrames(bytes("watch.pb"), 4096).map((frame, at) =>
      [`watch frame ${at}`, frame, decodeWatchEvent] as [string, Uint8Array, typeof decodeWatchEvent]
    ),
  ];
  for (const [name, full, decode] of cases) {
    // The envelope's `raw` (or the event's object) ends before its last 4 bytes: any cut before it throws.
    for (let cut = 0; cut < full.length - 4; cut++) {
      assert.throws(() => decode(full.subarray(0, cut)), ProtobufError, `${name} cut at ${cut}`);
    }
  }
});

Deno.test("garbage and flipped bytes throw a ProtobufError or decode, never hang or throw another error", () => {
  const random = seededRandom(0x2545f491);
  const decoders = [decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent];
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const garbage = Uint8Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256));
    inputs.push(garbage, new Uint8Array([0x6b, 0x38, 0x73, 0, ...garbage]));
  }
  const real = [bytes("list.pb"), bytes("status422.pb"), ...splitFrames(bytes("watch.pb"), 4096)];
  for (let i = 0; i < 3000; i++) {
    const copy = real[i % real.length].slice();
    copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    inputs.push(copy);
  }
  let thrown = 0;
  for (const input of inputs) {
    for (const decode of decoders) {
      try {
        decode(input);
      } catch (error) {
        if (!(error instanceof ProtobufError)) throw error;
        assert.match(error.message, /^Cannot decode the API server's protobuf answer: /);
        thrown++;
      }
    }
  }
  assert.ok(thrown > inputs.length, `${thrown} of ${inputs.length * 3} decodes threw`);
});

Deno.test("every EndpointSlice the decoder gives, from real or flipped bytes, passes the shape check a protobuf watch skips", () => {
  // The reflector checks JSON slices for lists, strings and objects where selection reads them; a protobuf watch's
  // codec is `shaped`, its slices are not checked: the decoder builds nothing else (watch_codec.ts).
  const random = seededRandom(0x51a9ed);
  const real = [
    bytes("list.pb"),
    ...splitFrames(bytes("watch.pb"), 4096),
    ...splitFrames(bytes("streaming_list.pb"), 4096),
  ];
  const inputs = real.map((input) => input.slice());
  for (let i = 0; i < 6000; i++) {
    const copy = real[i % real.length].slice();
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    }
    inputs.push(copy);
  }
  let checked = 0;
  for (const input of inputs) {
    const slices: unknown[] = [];
    try {
      slices.push(...decodeEndpointSliceList(input).items);
    } catch (error) {
      if (!(error instanceof ProtobufError)) throw error;
    }
    try {
      const event = decodeWatchEvent(input);
      if (event.type !== "ERROR") slices.push(event.object);
    } catch (error) {
      if (!(error instanceof ProtobufError)) throw error;
    }
    for (const slice of slices) {
      checkSlice(slice, "a decoded slice");
      checked++;
    }
  }
  assert.ok(checked > 3000, `only ${checked} slices decoded`);
});

Deno.test("a compressed or foreign envelope is refused by name", () => {
  const status = bytes("status404.pb");
  // contentEncoding (field 3) set to "gzip" at the end of the envelope.
  const gzip = new Uint8Array([...status, 0x1a, 4, ...new TextEncoder().encode("gzip")]);
  assert.throws(() => decodeStatusBody(gzip), /contentEncoding "gzip", which is not decoded/);
  assert.throws(() => decodeEndpointSliceList(status), /an object of kind "Status" where EndpointSliceList/);
  assert.throws(() => decodeStatusBody(new TextEncoder().encode('{"kind":"Status"}')), /k8s\\0 magic/);
});

/**
 * Byte strings that repeat and collide in the shared strings' table: zones, node names and kinds of a few bytes,
 * lengths up to past the longest one kept, UTF-8 and malformed bytes, and byte strings that differ in one byte only.
 */
function repeatedStrings(seed: number): number[][] {
  const random = seededRandom(seed);
  const pool: number[][] = [];
  for (let i = 0; i < 3000; i++) {
    const length = 1 + Math.floor(random() * 52);
    const bytes = Array.from({ length }, () => 0x61 + Math.floor(random() * 4));
    if (i % 7 === 0) bytes[Math.floor(random() * length)] = [0xc3, 0xa4, 0xff, 0xe2][i % 4];
    pool.push(bytes);
    // The same bytes but one, anywhere: the same length, often the same hash, never the same string.
    const changed = Math.floor(random() * length);
    pool.push(bytes.map((byte, at) => at === changed ? byte ^ 1 : byte));
  }
  return Array.from({ length: 20_000 }, () => pool[Math.floor(random() * pool.length)]);
}

Deno.test("sharedStringField() gives what string() gives for the same bytes, however often they repeat or collide", () => {
  const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  for (const bytes of repeatedStrings(0x5eed)) {
    const field = new Uint8Array([0x0a, bytes.length, ...bytes]);
    const reader = new WireReader(field);
    const value = reader.sharedStringField(reader.tag(), "Test.field");
    assert.equal(value, utf8.decode(new Uint8Array(bytes)));
    assert.equal(reader.pos, field.length);
  }
});

Deno.test("endpoints with the same conditions or hints share one frozen object, and hundreds of different hints decode as JSON has them", () => {
  // 27 sets of conditions (each field unset, false or true) and 300 sets of hints, more than the table has slots.
  const values = [undefined, false, true];
  const endpoints = Array.from({ length: 600 }, (_, i) => {
    const [ready, serving, terminating] = [values[i % 3], values[Math.floor(i / 3) % 3], values[Math.floor(i / 9) % 3]];
    const conditions = Object.fromEntries(
      Object.entries({ ready, serving, terminating }).filter(([, value]) => value !== undefined),
    );
    const zone = `zone-${i % 300}`;
    const hints = i % 4 === 3
      ? { forZones: [{ name: zone }], forNodes: [{ name: `node-${i % 7}` }] }
      : i % 4 === 2
      ? {}
      : { forZones: [{ name: zone }] };
    return { addresses: [`10.0.${i >> 8}.${i & 255}`], conditions, zone, hints };
  });
  const object = {
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata: { name: "a" },
    addressType: "IPv4",
  };
  const slice = { ...object, endpoints, ports: null };
  // Twice, so that the second decode reads every set from the table.
  for (let round = 0; round < 2; round++) {
    const event = decodeWatchEvent(protobufWatchFrame("MODIFIED", slice).slice(4));
    assert.deepEqual(event.object, slice);
    const decoded = (event.object as EndpointSlice).endpoints!;
    for (const endpoint of decoded) {
      assert.ok(Object.isFrozen(endpoint.conditions));
      const hints = endpoint.hints as Record<string, { name: string }[]>;
      assert.ok(Object.isFrozen(hints) && Object.values(hints).every((names) => Object.isFrozen(names)));
      assert.ok(Object.values(hints).every((names) => names.every((name) => Object.isFrozen(name))));
    }
    assert.equal(decoded[0].conditions, decoded[27].conditions);
    assert.equal(decoded[2].hints, decoded[6].hints);
  }
  const zoneA = { addresses: ["10.1.0.1"], conditions: { ready: true }, hints: { forZones: [{ name: "a" }] } };
  const same = decodeWatchEvent(protobufWatchFrame("ADDED", { ...slice, endpoints: [zoneA, zoneA] }).slice(4));
  const [first, second] = (same.object as EndpointSlice).endpoints!;
  assert.equal(first.hints, second.hints);
});

Deno.test("Bun, which reads short strings another way, decodes every fixture as Deno does", async () => {
  const bun = new URL("../node_modules/.bin/bun", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(bun, { env: childEnv(), args: [child, "src"] }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const decoded = decodeFixtures(decoder);
  assert.equal(Object.keys(decoded).length, 8);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)).decoded, JSON.parse(JSON.stringify(decoded)));
});

Deno.test("Node, which reads strings with Buffer#utf8Slice, decodes every fixture and malformed UTF-8 as Deno does", async () => {
  if (!existsSync(new URL("../dist/src/api/protobuf/messages.js", import.meta.url))) {
    throw new Error("Cannot run the Node child: the package is not built: run `npm run build` first");
  }
  // UTF-8 of 2 to 4 bytes a character; malformed bytes (stray, cut sequences, a surrogate, an overlong form); long.
  const utf8 = [
    [0xc3, 0xa4, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80],
    [0xff, 0x61, 0xc3],
    [0xe2, 0x82, 0x61, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc0, 0xaf],
    [...new Array(60).fill(0x7a), 0xc3, 0xa4],
    [0xef, 0xbb, 0xbf, 0x61, ...new Array(60).fill(0x7a)],
  ];
  const { code, stdout, stderr } = await new Deno.Command("node", {
    env: childEnv(),
    args: [child, "dist", JSON.stringify(utf8)],
  })
    .output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const strings = utf8.map((bytes) => new WireReader(new Uint8Array([bytes.length, ...bytes])).string());
  assert.deepEqual(
    strings,
    utf8.map((bytes) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array(bytes))),
  );
  const expected = { decoded: decodeFixtures(decoder), strings };
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), JSON.parse(JSON.stringify(expected)));
});

Deno.test("a string that starts with U+FEFF keeps it, as Go, JSON.parse and Node's decoding do", () => {
  // TextDecoder drops a byte order mark at the start of what it decodes: Deno and Bun read a Status message, an
  // annotation or any string field that starts with one without it.
  for (const text of ["\ufeffa", `\ufeff${"long message ".repeat(8)}`, "\ufeff\ufeffb"]) {
    const bytes = new TextEncoder().encode(text);
    const status = [0x1a, bytes.length, ...bytes]; // Status.message
    const typeMeta = [0x0a, 0x02, 0x76, 0x31, 0x12, 0x06, ...new TextEncoder().encode("Status")];
    const envelope = [0x6b, 0x38, 0x73, 0, 0x0a, typeMeta.length, ...typeMeta];
    const body = new Uint8Array([...envelope, 0x12, status.length, ...status]);
    assert.equal(decodeStatusBody(body).message, JSON.parse(JSON.stringify(text)));
  }
});

Deno.test("frameHead gives what sliceEventHead gives for the same event's JSON line", () => {
  for (const name of ["watch", "streaming_list", "watch_error_410"]) {
    const frames = splitFrames(bytes(`${name}.pb`), 4096);
    const jsonLines = Deno.readTextFileSync(new URL(`${name}.ndjson`, dir)).split("\n").filter((line) => line !== "");
    assert.equal(frames.length, jsonLines.length);
    const heads = frames.map(frameHead);
    assert.deepEqual(heads, jsonLines.map((line) => sliceEventHead(new TextEncoder().encode(line))), name);
    if (name === "watch") {
      assert.deepEqual(heads.filter(Boolean).map((head) => head!.type), ["MODIFIED", "DELETED", "ADDED"]);
    }
  }
});

Deno.test("frameHead gives undefined, never an error, for cut or garbage frames", () => {
  const [frame] = splitFrames(bytes("watch.pb"), 4096);
  assert.deepEqual(frameHead(frame), { type: "MODIFIED", name: "echo-v6" });
  // Unlike a JSON line's head, read from its first bytes, a cut frame's lengths do not add up: no head.
  for (let cut = 0; cut < frame.length; cut++) assert.equal(frameHead(frame.subarray(0, cut)), undefined, `${cut}`);
  for (let i = 0; i < 2000; i++) {
    const copy = frame.slice();
    copy[(i * 7919) % copy.length] = (i * 31) & 0xff;
    frameHead(copy);
  }
});

Deno.test("an endpoint decodes with JSON's field order whichever of its fields are set, as its targetRef does", () => {
  // The usual field sets are built by one literal each, the others field by field: both in the JSON order.
  const next = seededRandom(0x0e4d);
  const maybe = (share: number, value: string) => (next() < share ? value : undefined);
  const endpoints = Array.from({ length: 400 }, (_, i) => {
    const reference = {
      kind: maybe(0.9, "Pod"),
      namespace: maybe(0.9, "prod"),
      name: maybe(0.9, `echo-${i}`),
      uid: maybe(0.5, `uid-${i}`),
      apiVersion: maybe(0.1, "v1"),
      resourceVersion: maybe(0.1, "42"),
      fieldPath: maybe(0.1, "spec"),
    };
    const zone = maybe(0.6, `zone-${i % 3}`);
    const endpoint = {
      addresses: Array.from({ length: [1, 1, 1, 2, 3][i % 5] }, (_, a) => `10.${a}.${i >> 8}.${i & 255}`),
      conditions: next() < 0.5 ? { ready: true, serving: true, terminating: false } : { serving: false },
      hostname: maybe(0.2, `host-${i}`),
      targetRef: next() < 0.9 ? JSON.parse(JSON.stringify(reference)) : undefined,
      nodeName: maybe(0.6, `node-${i % 4}`),
      zone,
      hints: zone !== undefined && next() < 0.5 ? { forZones: [{ name: zone }] } : undefined,
    };
    return JSON.parse(JSON.stringify(endpoint));
  });
  const slice = { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", metadata: { name: "a" }, endpoints };
  const event = decodeWatchEvent(protobufWatchFrame("ADDED", { ...slice, addressType: "IPv4" }).slice(4));
  const decoded = (event.object as EndpointSlice).endpoints!;
  for (let i = 0; i < endpoints.length; i++) {
    assert.equal(JSON.stringify(decoded[i]), JSON.stringify(endpoints[i]), `endpoint ${i}`);
  }
});
