/**
 * A small reader of the protobuf wire format, enough for the fake API
 * server to read the access reviews kubectl sends as
 * `application/vnd.kubernetes.protobuf`: a message is a sequence of fields,
 * each a key (field number and wire type, as a varint) and a value. Only
 * varints and length-delimited values (strings, bytes, nested messages) are
 * kept; fixed-size values are skipped, groups refused. Private to the fake
 * API server.
 *
 * @module
 */

/** One field of a message: its number and, for a length-delimited field, its bytes. */
export interface ProtoField {
  /** The field number, as in the `.proto` file. */
  readonly number: number;
  /** The bytes of a length-delimited field (string, bytes, message); undefined for a varint. */
  readonly bytes?: Uint8Array;
}

/**
 * A malformed message, with what was wrong: `unexpected EOF` (Go's words, which kube-apiserver quotes) for one
 * cut short.
 */
export class ProtobufError extends Error {
  /**
   * @param message What was wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "ProtobufError";
  }
}

/** Wire types: 0 varint, 1 eight bytes, 2 length-delimited, 5 four bytes (3 and 4 are the deprecated groups). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const CUT_SHORT = "unexpected EOF";

/**
 * The fields of a message, in the order they come.
 *
 * @param bytes The encoded message.
 * @returns Its fields (a repeated or repeated-and-overwritten field appears once per occurrence).
 * @throws {ProtobufError} When the message is cut short or uses a wire type that does not exist.
 */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const at = offset;
    const key = readVarint(bytes, offset);
    offset = key.next;
    const number = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    if (number === 0) throw new ProtobufError(`field number 0 at byte ${at}`);
    if (wireType === VARINT) {
      offset = readVarint(bytes, offset).next;
      fields.push({ number });
    } else if (wireType === LENGTH_DELIMITED) {
      const length = readVarint(bytes, offset);
      const end = length.next + length.value;
      if (end > bytes.length) throw new ProtobufError(CUT_SHORT);
      fields.push({ number, bytes: bytes.subarray(length.next, end) });
      offset = end;
    } else if (wireType === FIXED64 || wireType === FIXED32) {
      offset += wireType === FIXED64 ? 8 : 4;
      if (offset > bytes.length) throw new ProtobufError(CUT_SHORT);
    } else {
      throw new ProtobufError(`field ${number} at byte ${at} has wire type ${wireType}, which is not supported`);
    }
  }
  return fields;
}

/**
 * The last value of a string field (protobuf's rule for a field that comes twice), or `""`.
 *
 * @param fields The fields of a message.
 * @param number The field number.
 * @returns The string.
 */
export function stringField(fields: readonly ProtoField[], number: number): string {
  const bytes = lastBytes(fields, number);
  return bytes === undefined ? "" : new TextDecoder().decode(bytes);
}

/**
 * The last value of a length-delimited field (a nested message or bytes), or undefined when it is absent.
 *
 * @param fields The fields of a message.
 * @param number The field number.
 * @returns Its bytes.
 */
export function lastBytes(fields: readonly ProtoField[], number: number): Uint8Array | undefined {
  for (let i = fields.length - 1; i >= 0; i--) {
    if (fields[i].number === number && fields[i].bytes !== undefined) return fields[i].bytes;
  }
  return undefined;
}

/**
 * A varint: seven bits a byte, least significant group first, the high bit set on every byte but the last.
 * Values up to 2^53 are exact, which is more than any key or length here needs.
 */
function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < offset + 10; i++) {
    if (i >= bytes.length) throw new ProtobufError(CUT_SHORT);
    value += (bytes[i] & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new ProtobufError(`the varint at byte ${offset} is longer than 10 bytes`);
}
