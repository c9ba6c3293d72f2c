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
import { decodeObjectMeta } from "./meta.ts";
import { LENGTH_DELIMITED, VARINT, type WireReader } from "./wire_reader.ts";

/**
 * Reads an EndpointSlice message (without its envelope; the envelope's `kind`/`apiVersion` are the caller's).
 *
 * @param reader Positioned on the message's first field, `end` at its end.
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
export function decodeEndpointSlice(reader: WireReader): EndpointSlice {
  const slice: EndpointSlice = { metadata: {}, addressType: "", endpoints: null, ports: null };
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
          (slice.endpoints ??= []).push(decodeEndpoint(reader));
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
        reader.expect(tag, LENGTH_DELIMITED, "EndpointSlice.addressType");
        slice.addressType = reader.string();
        break;
      default:
        reader.skip(tag);
    }
  }
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
        reader.expect(tag, LENGTH_DELIMITED, "Endpoint.addresses");
        (endpoint.addresses ??= []).push(reader.string());
        break;
      case 2:
        {
          const outer = reader.enter(tag, "Endpoint.conditions");
          endpoint.conditions = decodeConditions(reader);
          reader.end = outer;
        }
        break;
      case 3:
        reader.expect(tag, LENGTH_DELIMITED, "Endpoint.hostname");
        endpoint.hostname = reader.string();
        break;
      case 4:
        {
          const outer = reader.enter(tag, "Endpoint.targetRef");
          endpoint.targetRef = decodeObjectReference(reader);
          reader.end = outer;
        }
        break;
      case 6:
        reader.expect(tag, LENGTH_DELIMITED, "Endpoint.nodeName");
        endpoint.nodeName = reader.string();
        break;
      case 7:
        reader.expect(tag, LENGTH_DELIMITED, "Endpoint.zone");
        endpoint.zone = reader.string();
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

const CONDITIONS: Record<number, keyof EndpointConditions> = { 1: "ready", 2: "serving", 3: "terminating" };

function decodeConditions(reader: WireReader): EndpointConditions {
  const conditions: EndpointConditions = {};
  while (reader.more()) {
    const tag = reader.tag();
    const field = CONDITIONS[tag >>> 3];
    if (field === undefined) {
      reader.skip(tag);
      continue;
    }
    reader.expect(tag, VARINT, "EndpointConditions", field);
    conditions[field] = reader.varint32() !== 0;
  }
  return conditions;
}

/** `core/v1` ObjectReference fields, all `omitempty` strings. */
const REFERENCE: Record<number, string> = {
  1: "kind",
  2: "namespace",
  3: "name",
  4: "uid",
  5: "apiVersion",
  6: "resourceVersion",
  7: "fieldPath",
};

function decodeObjectReference(reader: WireReader): Record<string, string> {
  const reference: Record<string, string> = {};
  while (reader.more()) {
    const tag = reader.tag();
    const field = REFERENCE[tag >>> 3];
    if (field === undefined) {
      reader.skip(tag);
      continue;
    }
    reader.expect(tag, LENGTH_DELIMITED, "ObjectReference", field);
    const value = reader.string();
    if (value !== "") reference[field] = value;
    else delete reference[field];
  }
  return reference;
}

function decodeHints(reader: WireReader): Record<string, { name: string }[]> {
  const hints: Record<string, { name: string }[]> = {};
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number !== 1 && number !== 2) {
      reader.skip(tag);
      continue;
    }
    const field = number === 1 ? "forZones" : "forNodes";
    {
      const outer = reader.enter(tag, "EndpointHints", field);
      (hints[field] ??= []).push(decodeName(reader));
      reader.end = outer;
    }
  }
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
    reader.expect(tag, LENGTH_DELIMITED, "ForZone.name");
    name = reader.string();
  }
  return { name };
}

function decodePort(reader: WireReader): SlicePort {
  const port: SlicePort = {};
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        reader.expect(tag, LENGTH_DELIMITED, "EndpointPort.name");
        port.name = reader.string();
        break;
      case 2:
        reader.expect(tag, LENGTH_DELIMITED, "EndpointPort.protocol");
        port.protocol = reader.string();
        break;
      case 3:
        reader.expect(tag, VARINT, "EndpointPort.port");
        port.port = reader.varint32() | 0;
        break;
      case 4:
        reader.expect(tag, LENGTH_DELIMITED, "EndpointPort.appProtocol");
        port.appProtocol = reader.string();
        break;
      default:
        reader.skip(tag);
    }
  }
  return port;
}
