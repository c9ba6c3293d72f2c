/**
 * Decoders of whole protobuf answers of kube-apiserver: a watch event (one frame of a watch body), a LIST body
 * (an EndpointSliceList), and an error body (a Status). Each gives the object `JSON.parse` gives for the JSON form
 * of the same answer, for the fields the resolver reads.
 *
 * @module
 */

import type { EndpointSlice, EndpointSliceList, Status, WatchEvent } from "../../base/endpoint_slice.ts";
import type { EndpointMemory } from "./endpoint_memory.ts";
import { decodeEndpointSlice } from "./endpoint_slice.ts";
import { type Envelope, openEnvelope } from "./envelope.ts";
import { decodeListMeta, decodeStatus } from "./meta.ts";
import { LENGTH_DELIMITED, ProtobufError, WireReader } from "./wire_reader.ts";

/**
 * Decodes one frame of a protobuf watch body: a `metav1.WatchEvent` whose `object` is an enveloped EndpointSlice
 * (ADDED, MODIFIED, DELETED, BOOKMARK) or Status (ERROR).
 *
 * @param frame A frame from {@linkcode FrameSplitter}.
 * @param memory The watch's memory of the endpoints it decoded, which this event's slice reuses and updates.
 * @returns The event.
 * @throws {ProtobufError} When the frame is not such an event.
 *
 * @example
 * ```ts
 * import { decodeWatchEvent } from "./messages.ts";
 * const frame = new Uint8Array([0x0a, 0x01, 0x58]); // type "X", no object
 * try { decodeWatchEvent(frame); } catch (error) { console.log((error as Error).message); }
 * ```
 */
export function decodeWatchEvent(frame: Uint8Array, memory?: EndpointMemory): WatchEvent {
  memory?.begin();
  const reader = new WireReader(frame);
  let type: string | undefined;
  let object: EndpointSlice | Status | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number === 1) {
      type = reader.sharedStringField(tag, "WatchEvent.type");
    } else if (number === 2) {
      const outer = reader.enter(tag, "WatchEvent.object");
      object = decodeRawExtension(reader, memory);
      reader.end = outer;
    } else {
      reader.skip(tag);
    }
  }
  if (type === undefined || type === "" || object === undefined) {
    throw new ProtobufError(`a watch event without ${type ? "an object" : "a type"}`);
  }
  if (memory !== undefined && "metadata" in object) memory.settle(type, object.metadata.name ?? "");
  return { type, object };
}

/** Reads a `runtime.RawExtension` (field 1: the enveloped object). */
function decodeRawExtension(reader: WireReader, memory: EndpointMemory | undefined): EndpointSlice | Status {
  let object: EndpointSlice | Status | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    if (tag >>> 3 !== 1) {
      reader.skip(tag);
      continue;
    }
    reader.expect(tag, LENGTH_DELIMITED, "RawExtension.raw");
    const stop = reader.delimited();
    object = decodeObject(openEnvelope(reader.bytes, reader.pos, stop), "EndpointSlice", memory);
    reader.pos = stop;
  }
  if (object === undefined) throw new ProtobufError("a watch event's object is empty");
  return object;
}

/**
 * Decodes a LIST body of EndpointSlices (`EndpointSliceList`; its items carry no `kind`/`apiVersion`, as in JSON).
 *
 * @param body The whole response body.
 * @returns The list.
 * @throws {ProtobufError} When the body is not an enveloped EndpointSliceList.
 *
 * @example
 * ```ts
 * import { decodeEndpointSliceList } from "./messages.ts";
 * try { decodeEndpointSliceList(new Uint8Array([1, 2, 3])); } catch (error) { console.log((error as Error).message); }
 * ```
 */
export function decodeEndpointSliceList(body: Uint8Array): EndpointSliceList & { apiVersion?: string } {
  const envelope = openEnvelope(body);
  if (envelope.kind !== "EndpointSliceList") throw unexpectedKind(envelope, "EndpointSliceList");
  const list: EndpointSliceList & { apiVersion?: string } = withType(envelope, { metadata: {}, items: [] });
  const reader = new WireReader(envelope.raw);
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number !== 1 && number !== 2) {
      reader.skip(tag);
      continue;
    }
    const outer = reader.enter(tag, "EndpointSliceList", number === 1 ? "metadata" : "items");
    if (number === 1) list.metadata = decodeListMeta(reader);
    else list.items.push(decodeEndpointSlice(reader));
    reader.end = outer;
  }
  return list;
}

/**
 * Decodes an error body: an enveloped `metav1.Status`.
 *
 * @param body The whole response body.
 * @returns The Status.
 * @throws {ProtobufError} When the body is not an enveloped Status.
 *
 * @example
 * ```ts
 * import { decodeStatusBody } from "./messages.ts";
 * try { decodeStatusBody(new Uint8Array()); } catch (error) { console.log((error as Error).message); }
 * ```
 */
export function decodeStatusBody(body: Uint8Array): Status {
  const envelope = openEnvelope(body);
  if (envelope.kind !== "Status") throw unexpectedKind(envelope, "Status");
  return decodeObject(envelope, "Status") as Status;
}

/** Decodes an enveloped Status, or an object of the `expected` kind. */
function decodeObject(envelope: Envelope, expected: string, memory?: EndpointMemory): EndpointSlice | Status {
  const reader = new WireReader(envelope.raw);
  if (envelope.kind === "Status") return withType(envelope, decodeStatus(reader));
  if (envelope.kind !== expected) throw unexpectedKind(envelope, expected);
  return withType(envelope, decodeEndpointSlice(reader, memory));
}

/** Sets `kind` and `apiVersion` from the envelope, first, as the JSON form has them. */
function withType<T extends object>(envelope: Envelope, object: T): T & { kind?: string; apiVersion?: string } {
  const typed: Record<string, unknown> = {};
  if (envelope.kind !== "") typed.kind = envelope.kind;
  if (envelope.apiVersion !== "") typed.apiVersion = envelope.apiVersion;
  return Object.assign(typed, object) as T & { kind?: string; apiVersion?: string };
}

/**
 * The kind is quoted whole or not at all: the caller takes the request's credentials out of the message, which a
 * kind cut short (a server that echoes a long token there) would no longer match.
 */
function unexpectedKind(envelope: Envelope, expected: string): ProtobufError {
  const kind = envelope.kind.length <= 60
    ? `of kind ${JSON.stringify(envelope.kind)}`
    : `whose kind is ${envelope.kind.length} characters long`;
  return new ProtobufError(`an object ${kind} where ${expected} or Status was expected`);
}
