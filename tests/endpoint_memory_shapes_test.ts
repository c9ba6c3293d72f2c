/**
 * Random versions of a few slices written in shapes our own writer never makes (fields of an endpoint in any order,
 * unknown fields inside endpoints and between them, ports before or between endpoints, `metadata` after them or
 * twice, lengths written in more bytes than needed, a frame inside a larger buffer, corrupt frames), decoded by one
 * watch's memory: each event must be what a decoder without memory gives, and endpoint selection fed those objects
 * with its memo must pick what it picks from a fresh decode without one.
 */

import assert from "node:assert/strict";
import type { EndpointSlice, WatchEvent } from "../src/base/endpoint_slice.ts";
import { EndpointMemory } from "../src/api/protobuf/endpoint_memory.ts";
import { decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { createSelectionMemo, selectEndpoints, selectLocalEndpoints } from "../src/selection/endpoint_selection.ts";
import { seededRandom } from "./_seeded_random.ts";

const utf8 = new TextEncoder();

/** Writes protobuf fields by hand, in whatever shape the test asks for. */
class Shapes {
  constructor(readonly next: () => number) {}

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(values: T[]): T {
    return values[this.int(values.length)];
  }

  /** A varint; `padded` writes it in one more byte than it needs (protobuf readers accept that). */
  varint(value: number, padded = false): number[] {
    const out: number[] = [];
    while (value >= 0x80) {
      out.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    return padded ? [...out, value | 0x80, 0] : [...out, value];
  }

  /** A length-delimited field; its length padded (see {@linkcode varint}) when `padded`, else one time in 20. */
  delimited(field: number, body: number[], padded = this.next() < 0.05): number[] {
    return [...this.varint((field << 3) | 2), ...this.varint(body.length, padded), ...body];
  }

  string(field: number, value: string): number[] {
    return this.delimited(field, [...utf8.encode(value)]);
  }

  number(field: number, value: number): number[] {
    return [...this.varint(field << 3), ...this.varint(value)];
  }

  /** A field no decoder of ours reads: a varint, a fixed32, or bytes (sometimes over 127 of them). */
  unknown(): number[] {
    const bytes = "x".repeat(this.next() < 0.2 ? 130 + this.int(200) : this.int(4));
    return this.pick([this.number(20, this.int(300)), this.string(21, bytes), [(22 << 3) | 5, 1, 2, 3, 4]]);
  }

  /** `fields` in their order most of the time, else shuffled. */
  order(fields: number[][]): number[] {
    if (this.next() < 0.7) return fields.flat();
    for (let i = fields.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [fields[i], fields[j]] = [fields[j], fields[i]];
    }
    return fields.flat();
  }

  endpoint(): number[] {
    const fields = [this.string(1, `10.0.${this.int(3)}.${this.int(4)}`)];
    if (this.next() < 0.3) fields.push(this.string(1, `10.1.0.${this.int(3)}`));
    if (this.next() < 0.8) {
      const conditions = [1, 2, 3].filter(() => this.next() < 0.7).map((field) => this.number(field, this.int(2)));
      if (this.next() < 0.1) conditions.push(this.unknown());
      fields.push(this.delimited(2, this.order(conditions)));
    }
    if (this.next() < 0.2) fields.push(this.string(3, `host-${this.int(3)}`));
    if (this.next() < 0.8) {
      const reference = [this.string(1, "Pod"), this.string(2, "proto"), this.string(3, `pod-${this.int(40)}`)];
      if (this.next() < 0.3) reference.push(this.string(4, `uid-${this.int(2)}`));
      fields.push(this.delimited(4, this.order(reference)));
    }
    if (this.next() < 0.6) fields.push(this.string(6, this.pick(["node-a", "node-b", ""])));
    if (this.next() < 0.6) fields.push(this.string(7, this.pick(["zone-a", "zone-b", ""])));
    if (this.next() < 0.4) {
      fields.push(this.delimited(8, this.delimited(1, this.string(1, this.pick(["zone-a", "zone-b"])))));
    }
    if (this.next() < 0.15) fields.push(this.unknown());
    return this.order(fields);
  }
}

interface Version {
  name: string;
  /** How the slice's fields are laid out (see {@linkcode frame}); kept from version to version, as a writer would. */
  layout: number;
  /** Where an unknown field (layout 5) or the ports (layout 7) go among the endpoints. */
  between: number;
  /** Whether the endpoints' lengths are written padded. */
  padded: boolean;
  endpoints: number[][];
  port: number;
  portName: string;
  addressType: string;
  label: string;
}

/** A watch frame (without its length) of slice `version`, its fields laid out in one of several shapes. */
function frame(w: Shapes, type: string, version: Version): Uint8Array {
  const labels = version.label === "" ? [] : w.delimited(11, [...w.string(1, "tier"), ...w.string(2, version.label)]);
  const metadata = w.delimited(1, [...w.string(1, version.name), ...w.string(3, "proto"), ...labels]);
  const endpoints = version.endpoints.map((endpoint) => w.delimited(2, endpoint, version.padded));
  const ports = w.delimited(3, [...w.string(1, version.portName), ...w.string(2, "TCP"), ...w.number(3, version.port)]);
  const addressType = w.string(4, version.addressType);
  const layout = version.layout;
  let fields = [metadata, ...endpoints, ports, addressType];
  if (layout === 5) fields.splice(1 + Math.min(version.between, endpoints.length), 0, w.number(20, 7));
  else if (layout === 6) fields = [metadata, ports, ...endpoints, addressType];
  else if (layout === 7) fields.splice(1 + Math.min(version.between, endpoints.length), 0, ports);
  else if (layout === 8) fields = [...endpoints, metadata, ports, addressType];
  else if (layout === 9) fields.push(w.next() < 0.5 ? metadata : w.delimited(1, w.string(1, `${version.name}-other`)));
  const typeMeta = w.delimited(1, [...w.string(1, "discovery.k8s.io/v1"), ...w.string(2, "EndpointSlice")]);
  const envelope = [0x6b, 0x38, 0x73, 0x00, ...typeMeta, ...w.delimited(2, fields.flat()), ...w.string(3, "")];
  const event = [...w.string(1, type), ...w.delimited(2, w.delimited(1, envelope))];
  // Sometimes inside a larger buffer, at an offset.
  const lead = w.next() < 0.1 ? 1 + w.int(7) : 0;
  const buffer = new Uint8Array(lead + event.length + 3);
  buffer.set(event, lead);
  return buffer.subarray(lead, lead + event.length);
}

/** The next version of a slice: one change to its endpoints (either end, the middle, a copy) or to the slice. */
function change(w: Shapes, version: Version): Version {
  const endpoints = [...version.endpoints];
  const next = { ...version, endpoints };
  const at = w.int(endpoints.length);
  switch (w.int(16)) {
    case 0:
      endpoints.splice(at, 1);
      break;
    case 1:
      endpoints.splice(w.int(endpoints.length + 1), 0, w.endpoint());
      break;
    case 2:
      if (endpoints.length > 0) endpoints[at] = w.endpoint();
      break;
    case 3:
      endpoints.push(w.endpoint());
      break;
    case 4:
      endpoints.unshift(w.endpoint());
      break;
    case 5:
      endpoints.pop();
      break;
    case 6:
      endpoints.shift();
      break;
    case 7:
      next.port = w.pick([80, 81]);
      break;
    case 8:
      next.label = w.pick(["", "a", "b"]);
      break;
    case 9:
      next.addressType = w.pick(["IPv4", "IPv6"]);
      break;
    case 10:
      next.portName = w.pick(["grpc", "http"]);
      break;
    case 11:
      if (endpoints.length > 0) endpoints.push(endpoints[at]);
      break;
    case 12:
      next.layout = w.int(10);
      next.between = w.int(4);
      break;
    case 13:
      next.padded = w.next() < 0.2;
      break;
      // Otherwise the same endpoints again (a new resourceVersion, as a burst brings).
  }
  next.endpoints = endpoints.slice(0, 30);
  return next;
}

/** The event, or the message of what decoding it throws. */
function decoded(bytes: Uint8Array, memory?: EndpointMemory): WatchEvent | string {
  try {
    return decodeWatchEvent(bytes, memory);
  } catch (error) {
    return `throws: ${(error as Error).message}`;
  }
}

/** Applies an event to a store of slices by name, as the reflector does. */
function apply(store: Map<string, EndpointSlice>, event: WatchEvent | string): void {
  if (typeof event === "string" || !("addressType" in event.object)) return;
  const name = event.object.metadata.name ?? "";
  if (event.type === "DELETED") store.delete(name);
  else if (event.type === "ADDED" || event.type === "MODIFIED") store.set(name, event.object);
}

/** Plain data, so that a selection kept in a memo and a fresh one compare by value. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

for (const [seed, port] of [[0x51ce5, "grpc"], [0xb17e5, 80]] as const) {
  Deno.test(`slices in unusual shapes decode with a memory as without one, and select the same (seed ${seed})`, () => {
    const w = new Shapes(seededRandom(seed));
    const memory = new EndpointMemory();
    const selection = createSelectionMemo();
    const remembered = new Map<string, EndpointSlice>();
    const fresh = new Map<string, EndpointSlice>();
    const versions: Version[] = ["a", "b", "c", "d"].map((name) => ({
      name: `echo-${name}`,
      layout: 0,
      between: 1,
      padded: false,
      endpoints: [],
      port: 80,
      portName: "grpc",
      addressType: "IPv4",
      label: "",
    }));
    const last = new Map<string, unknown[]>();
    let sameList = 0;
    let reused = 0;
    for (let step = 0; step < 4000; step++) {
      const at = w.int(versions.length);
      versions[at] = change(w, versions[at]);
      const type = w.next() < 0.03 ? "DELETED" : w.next() < 0.02 ? "BOOKMARK" : w.next() < 0.1 ? "ADDED" : "MODIFIED";
      let bytes = frame(w, type, versions[at]);
      if (w.next() < 0.03) {
        bytes = bytes.slice();
        if (w.next() < 0.5) bytes[w.int(bytes.length)] ^= 1 << w.int(8);
        else bytes = bytes.subarray(0, w.int(bytes.length));
      }
      const event = decoded(bytes, memory);
      const expected = decoded(bytes);
      assert.deepEqual(event, expected, `step ${step}`);
      const endpoints = typeof event === "string" ? undefined : (event.object as EndpointSlice).endpoints;
      if (endpoints) {
        const previous = last.get(versions[at].name);
        if (previous === endpoints) sameList++;
        else if (previous?.includes(endpoints[0])) reused++;
        last.set(versions[at].name, endpoints);
      }
      apply(remembered, event);
      apply(fresh, expected);
      const kept = selectEndpoints(remembered.values(), port, { memo: selection });
      const once = createSelectionMemo();
      assert.deepEqual(plain(kept), plain(selectEndpoints(fresh.values(), port, { memo: once })), `step ${step}`);
      assert.deepEqual(plain(selectLocalEndpoints(selection, "node-a")), plain(selectLocalEndpoints(once, "node-a")));
    }
    // Both ways of reuse ran: a version's list itself, and single endpoints in a list of its own.
    assert.ok(sameList > 150 && reused > 150, `${sameList} lists, ${reused} lists with endpoints reused`);
  });
}
