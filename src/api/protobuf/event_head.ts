/**
 * Reads the type and slice name of a protobuf watch event without decoding the slice, the protobuf counterpart of
 * `sliceEventHead` for JSON lines: a reader that gets a later event for the same slice before it needs this one
 * never decodes it.
 *
 * @module
 */

import { openEnvelope } from "./envelope.ts";
import { LENGTH_DELIMITED, ProtobufError, WireReader } from "./wire_reader.ts";

/** The type and slice name of an ADDED, MODIFIED or DELETED event of an EndpointSlice. */
export interface FrameHead {
  /** `ADDED`, `MODIFIED` or `DELETED`. */
  type: string;
  /** The EndpointSlice's `metadata.name`. */
  name: string;
}

const HEAD_TYPES = new Set(["ADDED", "MODIFIED", "DELETED"]);
/** The longest Kubernetes name (a DNS subdomain). */
const MAX_NAME = 253;
/** A name as the JSON head reader takes it: lowercase letters, digits, "-" and ".", starting with a letter or digit. */
const NAME = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Reads the type and `metadata.name` of an EndpointSlice event from a frame, reading past the endpoints unread. Any
 * other frame (a BOOKMARK, an ERROR, another kind, a name the JSON head reader would not take, or bytes that are not
 * a watch event) gives `undefined`, never an error: the caller decodes it with `decodeWatchEvent`, which says what
 * is wrong.
 *
 * @param frame A frame from {@linkcode FrameSplitter}.
 * @returns The type and name, or `undefined`.
 *
 * @example
 * ```ts
 * import { frameHead } from "./event_head.ts";
 * console.log(frameHead(new Uint8Array([0x0a, 0x05, 0x41, 0x44, 0x44, 0x45, 0x44]))); // undefined: no object
 * ```
 */
export function frameHead(frame: Uint8Array): FrameHead | undefined {
  try {
    return readHead(frame);
  } catch (error) {
    if (error instanceof ProtobufError) return undefined;
    throw error;
  }
}

function readHead(frame: Uint8Array): FrameHead | undefined {
  const event = new WireReader(frame);
  let type: string | undefined;
  let name: string | undefined;
  while (event.more()) {
    const tag = event.tag();
    if ((tag & 7) !== LENGTH_DELIMITED || (tag >>> 3 !== 1 && tag >>> 3 !== 2)) {
      event.skip(tag);
    } else if (tag >>> 3 === 1) {
      type = event.sharedStringField(tag, "WatchEvent.type");
      if (!HEAD_TYPES.has(type)) return undefined;
    } else {
      const stop = event.delimited();
      name = objectName(new WireReader(frame, event.pos, stop));
      event.pos = stop;
      if (name === undefined) return undefined;
    }
  }
  return type !== undefined && name !== undefined ? { type, name } : undefined;
}

/** The name of the EndpointSlice in a `RawExtension`, or undefined. */
function objectName(extension: WireReader): string | undefined {
  let name: string | undefined;
  while (extension.more()) {
    const tag = extension.tag();
    if (tag !== ((1 << 3) | LENGTH_DELIMITED)) {
      extension.skip(tag);
      continue;
    }
    const stop = extension.delimited();
    const envelope = openEnvelope(extension.bytes, extension.pos, stop);
    extension.pos = stop;
    if (envelope.kind !== "EndpointSlice" || envelope.apiVersion !== "discovery.k8s.io/v1") return undefined;
    name = sliceName(new WireReader(envelope.raw));
  }
  return name;
}

/** The slice's `metadata.name` (field 1 of field 1), reading no further than the metadata. */
function sliceName(slice: WireReader): string | undefined {
  while (slice.more()) {
    const tag = slice.tag();
    if (tag !== ((1 << 3) | LENGTH_DELIMITED)) {
      slice.skip(tag);
      continue;
    }
    slice.end = slice.delimited();
    let name: string | undefined;
    while (slice.more()) {
      const field = slice.tag();
      if (field === ((1 << 3) | LENGTH_DELIMITED)) name = slice.sharedStringField(field, "ObjectMeta.name");
      else slice.skip(field);
    }
    return name !== undefined && name.length <= MAX_NAME && NAME.test(name) ? name : undefined;
  }
  return undefined;
}
