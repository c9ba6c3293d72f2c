import assert from "node:assert/strict";
import { lastBytes, ProtobufError, readFields, stringField } from "../../src/testing/_protobuf.ts";

const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);

Deno.test("readFields() reads varints, lengths of several bytes, and skips fixed-size values", () => {
  const long = "x".repeat(300);
  const bytes = new Uint8Array([
    // field 1, varint 150 (two bytes)
    0x08,
    0x96,
    0x01,
    // field 2, fixed64
    0x11,
    ...new Array(8).fill(0),
    // field 3, fixed32
    0x1d,
    0,
    0,
    0,
    0,
    // field 16 (a two-byte key), 300 bytes (a two-byte length)
    0x82,
    0x01,
    0xac,
    0x02,
    ...new TextEncoder().encode(long),
  ]);
  const fields = readFields(bytes);
  assert.deepEqual(fields.map((field) => field.number), [1, 16]);
  assert.equal(stringField(fields, 16), long);
  assert.equal(stringField(fields, 4), "");
});

Deno.test("readFields() keeps every occurrence, and the last one wins when read", () => {
  const fields = readFields(new Uint8Array([0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]));
  assert.equal(fields.length, 2);
  assert.equal(stringField(fields, 1), "b");
  assert.equal(text(lastBytes(fields, 1)), "b");
});

Deno.test("readFields() refuses a message cut short, as Go does, and the wire types of groups", () => {
  for (const bytes of [[0x0a, 0x05, 0x61], [0x08], [0x08, 0x80], [0x11, 0, 0], [0x80]]) {
    assert.throws(() => readFields(new Uint8Array(bytes)), new ProtobufError("unexpected EOF"), `${bytes}`);
  }
  assert.throws(() => readFields(new Uint8Array([0x0b])), ProtobufError);
  assert.throws(() => readFields(new Uint8Array([0x02, 0x00])), /field number 0/);
  assert.throws(() => readFields(new Uint8Array([0x08, ...new Array(10).fill(0xff), 0x01])), /longer than 10 bytes/);
});
