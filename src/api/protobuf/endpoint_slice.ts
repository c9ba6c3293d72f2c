/**
 * Decoder of a `discovery.k8s.io/v1` EndpointSlice message (field numbers of `k8s.io/api/discovery/v1`
 * generated.proto, v0.36.3), producing the object `JSON.parse` gives for the JSON form of the same slice, for
 * the fields the resolver reads: pointers (`hostname`, `zone`, a port's `name`...) are set when present, even
 * empty; `endpoints`, `ports` and `addresses` are `null` when absent, as Go writes a nil list; `conditions` is
 * always an object.
 *
 * @module
 */

import type { EndpointConditions, EndpointSlice, SliceEndpoint, SlicePort } from "../../base/endpoint_slice.ts";
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

function decodeEndpoint(reader: WireReader): SliceEndpoint {
  // `addresses` has no omitempty: null when absent (kube-apiserver refuses an endpoint without one).
  const endpoint = { addresses: null, conditions: {} } as
    & { addresses: string[] | null }
    & Omit<SliceEndpoint, "addresses">;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        (endpoint.addresses ??= []).push(reader.stringField(tag, "Endpoint.addresses"));
        break;
      case 2:
        {
          const outer = reader.enter(tag, "Endpoint.conditions");
          endpoint.conditions = decodeConditions(reader);
          reader.end = outer;
        }
        break;
      case 3:
        endpoint.hostname = reader.stringField(tag, "Endpoint.hostname");
        break;
      case 4:
        {
          const outer = reader.enter(tag, "Endpoint.targetRef");
          endpoint.targetRef = decodeObjectReference(reader);
          reader.end = outer;
        }
        break;
      case 6:
        endpoint.nodeName = reader.sharedStringField(tag, "Endpoint.nodeName");
        break;
      case 7:
        endpoint.zone = reader.sharedStringField(tag, "Endpoint.zone");
        break;
      case 8:
        {
          const outer = reader.enter(tag, "Endpoint.hints");
          endpoint.hints = decodeHints(reader);
          reader.end = outer;
        }
        break;
      default:
        reader.skip(tag);
    }
  }
  return endpoint as SliceEndpoint;
}

/**
 * Reads EndpointConditions. This and the two messages below read their fields into locals and build their object at
 * the end, adding the fields present in one fixed order (the JSON order): every object of a kind shares one hidden
 * class, and no property is set under a computed name or deleted (warm decode of a 5,000-endpoint LIST in Deno: 3.7
 * -> 2.8 ms).
 */
function decodeConditions(reader: WireReader): EndpointConditions {
  let ready: boolean | undefined;
  let serving: boolean | undefined;
  let terminating: boolean | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        reader.expect(tag, VARINT, "EndpointConditions.ready");
        ready = reader.varint32() !== 0;
        break;
      case 2:
        reader.expect(tag, VARINT, "EndpointConditions.serving");
        serving = reader.varint32() !== 0;
        break;
      case 3:
        reader.expect(tag, VARINT, "EndpointConditions.terminating");
        terminating = reader.varint32() !== 0;
        break;
      default:
        reader.skip(tag);
    }
  }
  const conditions: EndpointConditions = {};
  if (ready !== undefined) conditions.ready = ready;
  if (serving !== undefined) conditions.serving = serving;
  if (terminating !== undefined) conditions.terminating = terminating;
  return conditions;
}

/** Reads a `core/v1` ObjectReference: all `omitempty` strings, so an empty one is left out. */
function decodeObjectReference(reader: WireReader): Record<string, string> {
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
  const reference: Record<string, string> = {};
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
