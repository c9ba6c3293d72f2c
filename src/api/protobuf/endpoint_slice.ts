/**
 * Decoder of a `discovery.k8s.io/v1` EndpointSlice message (field numbers of `k8s.io/api/discovery/v1`
 * generated.proto, v0.36.3), producing the object `JSON.parse` gives for the JSON form of the same slice, for
 * the fields the resolver reads: pointers (`hostname`, `zone`, a port's `name`...) are set when present, even
 * empty; `endpoints`, `ports` and `addresses` are `null` when absent, as Go writes a nil list; `conditions` is
 * always an object. Equal `conditions` and equal `hints` are one frozen object shared by every endpoint (of every
 * slice) that has them: a slice's 100 new endpoints then allocate their own addresses, pod reference and strings only
 * (a burst of 5,000 new endpoints as the bench writes them: 548 -> 267 bytes per endpoint on Deno).
 *
 * @module
 */

import type {
  EndpointConditions,
  EndpointSlice,
  ObjectReference,
  SliceEndpoint,
  SlicePort,
} from "../../base/endpoint_slice.ts";
import type { EndpointMemory, SliceRecall } from "./endpoint_memory.ts";
import { decodeObjectMeta } from "./meta.ts";
import { VARINT, type WireReader } from "./wire_reader.ts";

/**
 * Reads an EndpointSlice message (without its envelope; the envelope's `kind`/`apiVersion` are the caller's).
 *
 * @param reader Positioned on the message's first field, `end` at its end.
 * @param memory A watch's memory of the endpoints it decoded: an endpoint whose bytes equal one of the slice's
 *   previous version is that endpoint, not decoded again (see `endpoint_memory.ts`).
 * @returns The slice.
 *
 * @example
 * ```ts
 * import { WireReader } from "./wire_reader.ts";
 * import { decodeEndpointSlice } from "./endpoint_slice.ts";
 * const bytes = new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0x61, 0x22, 0x04, 0x49, 0x50, 0x76, 0x34]);
 * console.log(decodeEndpointSlice(new WireReader(bytes)));
 * // { metadata: { name: "a" }, addressType: "IPv4", endpoints: null, ports: null }
 * ```
 */
export function decodeEndpointSlice(reader: WireReader, memory?: EndpointMemory): EndpointSlice {
  const slice: EndpointSlice = { metadata: {}, addressType: "", endpoints: null, ports: null };
  // Opened at the first endpoint, once the name is known (kube-apiserver writes `metadata` first); none without one.
  // It holds the endpoints until the end, where they become the slice's.
  let recall: SliceRecall | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        {
          const outer = reader.enter(tag, "EndpointSlice.metadata");
          slice.metadata = decodeObjectMeta(reader);
          reader.end = outer;
        }
        break;
      case 2:
        {
          const outer = reader.enter(tag, "EndpointSlice.endpoints");
          const name = slice.metadata.name;
          if (memory !== undefined && slice.endpoints === null && recall === undefined && name !== undefined) {
            recall = memory.recall(reader.bytes, name);
            // The previous version's endpoints all again, unchanged: read past them at once.
            const past = recall.whole(reader.pos, reader.end, outer);
            if (past >= 0) {
              reader.pos = past;
              reader.end = outer;
              break;
            }
          }
          if (recall === undefined) (slice.endpoints ??= []).push(decodeEndpoint(reader));
          else {
            const start = reader.pos;
            const stop = reader.end;
            let endpoint = recall.reused(start, stop);
            if (endpoint === undefined) endpoint = decodeEndpoint(reader);
            else reader.pos = stop;
            recall.note(start, stop, endpoint);
          }
          reader.end = outer;
        }
        break;
      case 3:
        {
          const outer = reader.enter(tag, "EndpointSlice.ports");
          (slice.ports ??= []).push(decodePort(reader));
          reader.end = outer;
        }
        break;
      case 4:
        slice.addressType = reader.stringField(tag, "EndpointSlice.addressType");
        break;
      default:
        reader.skip(tag);
    }
  }
  if (recall !== undefined) slice.endpoints = recall.done(slice.metadata.name);
  return slice;
}

/**
 * Reads an Endpoint into locals and builds it at the end: the usual sets of fields (an address, its conditions and pod,
 * with or without node, zone and hints) by one literal each, whose object holds every field in itself; a field added
 * afterwards would go to a second store of the object's own. One address makes a list of one (a list grown by `push`
 * reserves room for 17).
 */
function decodeEndpoint(reader: WireReader): SliceEndpoint {
  let address: string | undefined;
  let addresses: string[] | undefined;
  let conditions = NO_CONDITIONS;
  let hostname: string | undefined;
  let targetRef: ObjectReference | undefined;
  let nodeName: string | undefined;
  let zone: string | undefined;
  let hints: unknown;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1: {
        const value = reader.stringField(tag, "Endpoint.addresses");
        if (address === undefined) address = value;
        else (addresses ??= [address]).push(value);
        break;
      }
      case 2:
        {
          const outer = reader.enter(tag, "Endpoint.conditions");
          conditions = decodeConditions(reader);
          reader.end = outer;
        }
        break;
      case 3:
        hostname = reader.stringField(tag, "Endpoint.hostname");
        break;
      case 4:
        {
          const outer = reader.enter(tag, "Endpoint.targetRef");
          targetRef = decodeObjectReference(reader);
          reader.end = outer;
        }
        break;
      case 6:
        nodeName = reader.sharedStringField(tag, "Endpoint.nodeName");
        break;
      case 7:
        zone = reader.sharedStringField(tag, "Endpoint.zone");
        break;
      case 8:
        {
          const outer = reader.enter(tag, "Endpoint.hints");
          hints = sharedHints(reader);
          reader.end = outer;
        }
        break;
      default:
        reader.skip(tag);
    }
  }
  // `addresses` has no omitempty: null when absent (kube-apiserver refuses an endpoint without one).
  const list = (addresses ?? (address === undefined ? null : [address])) as string[];
  if (hostname === undefined && targetRef !== undefined) {
    if (nodeName === undefined && zone === undefined && hints === undefined) {
      return { addresses: list, conditions, targetRef };
    }
    if (nodeName !== undefined && zone !== undefined) {
      return hints === undefined
        ? { addresses: list, conditions, targetRef, nodeName, zone }
        : { addresses: list, conditions, targetRef, nodeName, zone, hints };
    }
  }
  // Any other set, in the JSON order.
  const endpoint: SliceEndpoint = { addresses: list, conditions };
  if (hostname !== undefined) endpoint.hostname = hostname;
  if (targetRef !== undefined) endpoint.targetRef = targetRef;
  if (nodeName !== undefined) endpoint.nodeName = nodeName;
  if (zone !== undefined) endpoint.zone = zone;
  if (hints !== undefined) endpoint.hints = hints;
  return endpoint;
}

/**
 * Reads EndpointConditions: one of 27 frozen objects shared by every endpoint (each of the three fields unset, true
 * or false), made once, so that an endpoint's conditions allocate nothing. Each object has the fields set, in the JSON
 * order.
 */
function decodeConditions(reader: WireReader): EndpointConditions {
  // 0 unset, 1 false, 2 true, for each field.
  let ready = 0;
  let serving = 0;
  let terminating = 0;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        reader.expect(tag, VARINT, "EndpointConditions.ready");
        ready = reader.varint32() !== 0 ? 2 : 1;
        break;
      case 2:
        reader.expect(tag, VARINT, "EndpointConditions.serving");
        serving = reader.varint32() !== 0 ? 2 : 1;
        break;
      case 3:
        reader.expect(tag, VARINT, "EndpointConditions.terminating");
        terminating = reader.varint32() !== 0 ? 2 : 1;
        break;
      default:
        reader.skip(tag);
    }
  }
  return CONDITIONS[ready * 9 + serving * 3 + terminating];
}

/** Every EndpointConditions, by `ready * 9 + serving * 3 + terminating` (0 unset, 1 false, 2 true). */
const CONDITIONS: readonly EndpointConditions[] = Array.from({ length: 27 }, (_, index) => {
  const conditions: EndpointConditions = {};
  const values = [undefined, false, true];
  const ready = values[Math.floor(index / 9)];
  const serving = values[Math.floor(index / 3) % 3];
  const terminating = values[index % 3];
  if (ready !== undefined) conditions.ready = ready;
  if (serving !== undefined) conditions.serving = serving;
  if (terminating !== undefined) conditions.terminating = terminating;
  return Object.freeze(conditions);
});
/** The conditions of an endpoint without any. */
const NO_CONDITIONS = CONDITIONS[0];

/** Reads a `core/v1` ObjectReference: all `omitempty` strings, so an empty one is left out. */
function decodeObjectReference(reader: WireReader): ObjectReference {
  let kind = "";
  let namespace = "";
  let name = "";
  let uid = "";
  let apiVersion = "";
  let resourceVersion = "";
  let fieldPath = "";
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number < 1 || number > 7) {
      reader.skip(tag);
      continue;
    }
    // The kind, namespace and apiVersion repeat from endpoint to endpoint: read from the shared strings.
    switch (number) {
      case 1:
        kind = reader.sharedStringField(tag, REFERENCE[number]);
        break;
      case 2:
        namespace = reader.sharedStringField(tag, REFERENCE[number]);
        break;
      case 3:
        name = reader.stringField(tag, REFERENCE[number]);
        break;
      case 4:
        uid = reader.stringField(tag, REFERENCE[number]);
        break;
      case 5:
        apiVersion = reader.sharedStringField(tag, REFERENCE[number]);
        break;
      case 6:
        resourceVersion = reader.stringField(tag, REFERENCE[number]);
        break;
      default:
        fieldPath = reader.stringField(tag, REFERENCE[number]);
    }
  }
  // The pod's reference as the EndpointSlice controller writes it (with its uid) or as a fake one may (without), by
  // one literal each; any other set of fields added in the JSON order.
  if (
    kind !== "" && namespace !== "" && name !== "" && apiVersion === "" && resourceVersion === "" && fieldPath === ""
  ) {
    return uid === "" ? { kind, namespace, name } : { kind, namespace, name, uid };
  }
  const reference: ObjectReference & Record<string, string> = {};
  if (kind !== "") reference.kind = kind;
  if (namespace !== "") reference.namespace = namespace;
  if (name !== "") reference.name = name;
  if (uid !== "") reference.uid = uid;
  if (apiVersion !== "") reference.apiVersion = apiVersion;
  if (resourceVersion !== "") reference.resourceVersion = resourceVersion;
  if (fieldPath !== "") reference.fieldPath = fieldPath;
  return reference;
}

/** `core/v1` ObjectReference field names by number, for the error of a mis-tagged field. */
const REFERENCE = ["", "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"].map((field) =>
  `ObjectReference.${field}`
);

/** Slots of the table of shared hints (a power of two): the hints last read whose bytes hash to each. */
const HINT_SLOTS = 64;
/** The longest hints message kept in the table (a zone and a node hint); longer ones are decoded each time. */
const HINT_BYTES = 128;
/** The hints in each slot. */
const hintValues: unknown[] = new Array<unknown>(HINT_SLOTS).fill(undefined);
/** The byte length of each slot's message (0: none yet). */
const hintLengths = new Uint8Array(HINT_SLOTS);
/** The bytes each slot's hints were decoded from, {@linkcode HINT_BYTES} per slot. */
const hintBytes = new Uint8Array(HINT_SLOTS * HINT_BYTES);
/** The hints of an empty message. */
const NO_HINTS = Object.freeze({});

/**
 * Reads EndpointHints whose bytes repeat from endpoint to endpoint (the same zone, or zone and node, for all the
 * endpoints of a zone): the same bytes give the object read before, frozen and shared, from a small table for the
 * whole process, as `WireReader.sharedStringField` gives strings; an endpoint's hints then allocate nothing.
 */
function sharedHints(reader: WireReader): unknown {
  const { bytes, pos: start, end: stop } = reader;
  const length = stop - start;
  if (length === 0) return NO_HINTS;
  if (length > HINT_BYTES) return frozenHints(decodeHints(reader));
  // Hashed from the length and four of the bytes: the names, which differ, are at the end.
  const last = stop - 1;
  const hash = length * 0x9e5 + bytes[last] * 0x1d7 + bytes[last - (length >> 1)] * 0x65 +
    bytes[last - (length >> 2)] * 0xb + bytes[start + (length >> 3)] * 0x3b;
  const slot = hash & (HINT_SLOTS - 1);
  const base = slot * HINT_BYTES - start;
  if (hintLengths[slot] === length) {
    let at = start;
    while (at < stop && hintBytes[base + at] === bytes[at]) at++;
    if (at === stop) {
      reader.pos = stop;
      return hintValues[slot];
    }
  }
  const hints = frozenHints(decodeHints(reader));
  hintValues[slot] = hints;
  hintLengths[slot] = length;
  for (let at = start; at < stop; at++) hintBytes[base + at] = bytes[at];
  return hints;
}

/** `hints` frozen, with its lists and their `{ name }` objects: shared by many endpoints, it must not change. */
function frozenHints(hints: Record<string, { name: string }[]>): unknown {
  for (const names of Object.values(hints)) {
    for (const name of names) Object.freeze(name);
    Object.freeze(names);
  }
  return Object.freeze(hints);
}

function decodeHints(reader: WireReader): Record<string, { name: string }[]> {
  let forZones: { name: string }[] | undefined;
  let forNodes: { name: string }[] | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number === 1) {
      const outer = reader.enter(tag, "EndpointHints.forZones");
      (forZones ??= []).push(decodeName(reader));
      reader.end = outer;
    } else if (number === 2) {
      const outer = reader.enter(tag, "EndpointHints.forNodes");
      (forNodes ??= []).push(decodeName(reader));
      reader.end = outer;
    } else {
      reader.skip(tag);
    }
  }
  const hints: Record<string, { name: string }[]> = {};
  if (forZones !== undefined) hints.forZones = forZones;
  if (forNodes !== undefined) hints.forNodes = forNodes;
  return hints;
}

/** Reads a ForZone or ForNode: `name`, always set (no `omitempty`). */
function decodeName(reader: WireReader): { name: string } {
  let name = "";
  while (reader.more()) {
    const tag = reader.tag();
    if (tag >>> 3 !== 1) {
      reader.skip(tag);
      continue;
    }
    name = reader.sharedStringField(tag, "ForZone.name");
  }
  return { name };
}

function decodePort(reader: WireReader): SlicePort {
  const port: SlicePort = {};
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        port.name = reader.stringField(tag, "EndpointPort.name");
        break;
      case 2:
        port.protocol = reader.stringField(tag, "EndpointPort.protocol");
        break;
      case 3:
        reader.expect(tag, VARINT, "EndpointPort.port");
        port.port = reader.varint32() | 0;
        break;
      case 4:
        port.appProtocol = reader.stringField(tag, "EndpointPort.appProtocol");
        break;
      default:
        reader.skip(tag);
    }
  }
  return port;
}
