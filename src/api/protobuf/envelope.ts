/**
 * Opens the envelope kube-apiserver puts around every protobuf object it sends (a LIST or error body, and the
 * `object` of each watch event): the magic `k8s\0`, then a `runtime.Unknown` whose `typeMeta` names the kind and
 * whose `raw` holds the object's own message.
 *
 * @module
 */

import { LENGTH_DELIMITED, ProtobufError, WireReader } from "./wire_reader.ts";

/** The first bytes of every enveloped object: `k8s` and a zero byte. */
const MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

/** The contents of a `runtime.Unknown`. */
export interface Envelope {
  /** `typeMeta.apiVersion`, e.g. `discovery.k8s.io/v1`, `v1`. */
  apiVersion: string;
  /** `typeMeta.kind`, e.g. `EndpointSlice`, `EndpointSliceList`, `Status`. */
  kind: string;
  /** The object's message, a view of the input. */
  raw: Uint8Array;
}

/**
 * Reads the envelope of an object.
 *
 * @param bytes The enveloped object, starting with {@linkcode MAGIC}.
 * @param start Where it starts in `bytes`.
 * @param end Offset just past it.
 * @returns The kind and the object's bytes.
 * @throws {ProtobufError} When the magic is missing, the envelope is malformed, or the object is compressed or
 * of another content type (kube-apiserver sends neither).
 *
 * @example
 * ```ts
 * import { openEnvelope } from "./envelope.ts";
 * const bytes = new Uint8Array([0x6b, 0x38, 0x73, 0, 0x0a, 0x08, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x02, 0x4b, 0x4b, 0x12, 0x01, 0x07]);
 * console.log(openEnvelope(bytes)); // { apiVersion: "v1", kind: "KK", raw: Uint8Array(1) [ 7 ] }
 * ```
 */
export function openEnvelope(bytes: Uint8Array, start = 0, end = bytes.length): Envelope {
  if (end - start < MAGIC.length || MAGIC.some((byte, at) => bytes[start + at] !== byte)) {
    throw new ProtobufError("an object does not start with the k8s\\0 magic of kube-apiserver's protobuf");
  }
  const reader = new WireReader(bytes, start + MAGIC.length, end);
  let raw: Uint8Array | undefined;
  let apiVersion = "";
  let kind = "";
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1: {
        reader.expect(tag, LENGTH_DELIMITED, "Unknown.typeMeta");
        const stop = reader.delimited();
        const typeMeta = new WireReader(bytes, reader.pos, stop);
        reader.pos = stop;
        while (typeMeta.more()) {
          const field = typeMeta.tag();
          const number = field >>> 3;
          // Every object of a watch has the same two: read from the shared strings, they make no new string.
          if (number === 1) apiVersion = typeMeta.sharedStringField(field, "TypeMeta");
          else if (number === 2) kind = typeMeta.sharedStringField(field, "TypeMeta");
          else typeMeta.skip(field);
        }
        break;
      }
      case 2:
        reader.expect(tag, LENGTH_DELIMITED, "Unknown.raw");
        raw = reader.bytesField();
        break;
      case 3:
      case 4: {
        reader.expect(tag, LENGTH_DELIMITED, "Unknown.contentEncoding");
        const value = reader.string();
        if (value !== "") {
          const name = (tag >>> 3) === 3 ? "contentEncoding" : "contentType";
          // Quoted whole or not at all, as `unexpectedKind()` quotes a kind.
          const quoted = value.length <= 60 ? JSON.stringify(value) : `of ${value.length} characters`;
          throw new ProtobufError(`an object has ${name} ${quoted}, which is not decoded`);
        }
        break;
      }
      default:
        reader.skip(tag);
    }
  }
  if (raw === undefined) throw new ProtobufError("an enveloped object without its raw bytes");
  return { apiVersion, kind, raw };
}
