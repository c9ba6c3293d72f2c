/**
 * A reader of the protobuf wire format, as far as Kubernetes objects need it: varints, length-delimited fields,
 * and skipping of the fields a decoder does not read. Every read is bounds-checked against the end of the
 * message being read, so truncated or garbage input throws {@linkcode ProtobufError} instead of reading past it.
 * Strings that repeat from endpoint to endpoint come from one small table of shared strings (about 100 KB at most,
 * for the whole process).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { KubeApiError } from "../../base/errors.ts";
import { runtimeKey } from "../../runtime/runtime.ts";

/** Input that is not the protobuf the API server sends: truncated, mis-tagged, or of an unexpected kind. */
export class ProtobufError extends KubeApiError {
  /** What is wrong with the input, without any of its bytes: for a caller's own message. */
  readonly detail: string;

  /**
   * Creates the error.
   *
   * @param detail What is wrong with the input, without any of its bytes.
   */
  constructor(detail: string) {
    super(`Cannot decode the API server's protobuf answer: ${detail}`);
    this.name = "ProtobufError";
    this.detail = detail;
  }
}

/** Wire type of a varint field (int32, int64, bool, enum). */
export const VARINT = 0;
/** Wire type of a length-delimited field (string, bytes, message, packed repeated). */
export const LENGTH_DELIMITED = 2;

/** Keeps a leading U+FEFF, as Go, `JSON.parse` and Node's `utf8Slice` do (TextDecoder drops it by default). */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
/** Strings up to this many bytes are decoded by {@linkcode shortAscii} when they are ASCII. */
const SHORT_STRING = 48;
/** One reused array of char codes per short-string length. */
const CODES: number[][] = Array.from({ length: SHORT_STRING + 1 }, (_, length) => new Array<number>(length).fill(0));
/** Node's (and Bun's) native `Buffer#latin1Slice`, which takes any `Uint8Array`; absent from the typings. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string })
  .latin1Slice;

/**
 * Node's native `Buffer#utf8Slice`, which takes any `Uint8Array`; absent from the typings. Node decodes every string
 * with it: no slower than {@linkcode shortAscii} once that is optimized, and much faster before, when a fresh process
 * decodes its first LIST in the interpreter, running `shortAscii`'s loop a byte at a time. Not in Bun, where it is
 * slower than `latin1Slice` warm, nor in Deno, where `TextDecoder` made the first LIST slower (15 -> 49 ms).
 */
const utf8Slice = runtimeKey() === "node"
  ? (Buffer.prototype as unknown as { utf8Slice?: (start: number, end: number) => string }).utf8Slice
  : undefined;

/**
 * A short string of ASCII bytes, or undefined when one is not ASCII. In Bun, the native `latin1Slice` (the same as
 * ASCII for these bytes) is twice as fast as one `fromCharCode` call; in Deno and Node, `fromCharCode` over a
 * reused plain array beats it, `TextDecoder`, and `+=` a character at a time (which makes a string per character).
 */
const shortAscii: (bytes: Uint8Array, start: number, stop: number) => string | undefined =
  runtimeKey() === "bun" && latin1Slice !== undefined
    ? (bytes, start, stop) => {
      for (let at = start; at < stop; at++) if (bytes[at] >= 0x80) return undefined;
      return latin1Slice.call(bytes, start, stop);
    }
    : (bytes, start, stop) => {
      const codes = CODES[stop - start];
      for (let at = start; at < stop; at++) {
        const byte = bytes[at];
        if (byte >= 0x80) return undefined;
        codes[at - start] = byte;
      }
      return String.fromCharCode.apply(null, codes);
    };

/** Slots of the table of shared strings (a power of two): a string per slot, the last one read whose bytes hash to it. */
const SHARED_SLOTS = 1024;
/** The string in each slot. */
const sharedStrings: string[] = new Array<string>(SHARED_SLOTS).fill("");
/** The byte length of each slot's string (0: none yet). */
const sharedLengths = new Uint8Array(SHARED_SLOTS);
/** The bytes each slot's string was decoded from, {@linkcode SHORT_STRING} per slot (strings over that are not kept). */
const sharedBytes = new Uint8Array(SHARED_SLOTS * SHORT_STRING);

/**
 * A cursor over one message: `pos` moves forward as fields are read, and never past `end`.
 *
 * @example
 * ```ts
 * import { WireReader } from "./wire_reader.ts";
 * const reader = new WireReader(new Uint8Array([0x0a, 0x02, 0x68, 0x69]));
 * const tag = reader.tag();
 * console.log(tag >>> 3, reader.string()); // 1 "hi"
 * ```
 */
export class WireReader {
  /** The bytes being read. */
  readonly bytes: Uint8Array;
  /** Offset of the next byte to read. */
  pos: number;
  /** Offset just past the last byte of the message being read. */
  end: number;

  /**
   * Starts reading `bytes` from `start` to `end`.
   *
   * @param bytes The buffer.
   * @param start First byte of the message.
   * @param end Offset just past the message.
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** Whether the message has more fields. */
  more(): boolean {
    return this.pos < this.end;
  }

  /**
   * Reads a field's tag: `tag >>> 3` is the field number, `tag & 7` the wire type.
   *
   * @returns The tag.
   */
  tag(): number {
    // One-byte tags (fields 1 to 15) are read here rather than by varint32(): in a fresh process the decoders run
    // in the interpreter, where every call counts.
    const pos = this.pos;
    if (pos < this.end) {
      const byte = this.bytes[pos];
      if (byte < 0x80 && byte >= 8) {
        this.pos = pos + 1;
        return byte;
      }
    }
    const tag = this.varint32();
    if (tag >>> 3 === 0) throw new ProtobufError(`a field number 0 at byte ${this.pos}`);
    return tag;
  }

  /**
   * Reads a varint and returns its low 32 bits, unsigned; an int32 field's value is `varint32() | 0`.
   *
   * @returns The low 32 bits.
   */
  varint32(): number {
    const { bytes, end } = this;
    let pos = this.pos;
    if (pos < end && bytes[pos] < 0x80) {
      // Most tags and lengths are one byte.
      this.pos = pos + 1;
      return bytes[pos];
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new ProtobufError(`a varint runs past the end of its message at byte ${pos}`);
      const byte = bytes[pos++];
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new ProtobufError(`a varint longer than 10 bytes at byte ${this.pos}`);
  }

  /**
   * Reads a varint whose value must be a safe integer (an int64 count, such as `remainingItemCount`).
   *
   * @returns The value.
   */
  uint53(): number {
    const at = this.pos;
    let value = 0;
    for (let scale = 1; this.pos < this.end; scale *= 128) {
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new ProtobufError(`a varint beyond 2^53 at byte ${at}`);
        return value;
      }
      if (scale > 2 ** 49) throw new ProtobufError(`a varint beyond 2^53 at byte ${at}`);
    }
    throw new ProtobufError(`a varint runs past the end of its message at byte ${this.pos}`);
  }

  /**
   * Reads a length prefix and checks that that many bytes follow inside the message.
   *
   * @returns The offset just past the length-delimited field; its bytes start at `pos`.
   */
  delimited(): number {
    const at = this.pos;
    const length = this.varint32();
    if (this.pos - at > 5 || length > this.end - this.pos) {
      throw new ProtobufError(`a field of ${length} bytes at byte ${at} runs past the end of its message`);
    }
    return this.pos + length;
  }

  /**
   * Reads a length-delimited UTF-8 string. Malformed bytes become U+FFFD, as in Go's JSON encoder, though not always
   * as many of them for one malformed sequence.
   *
   * @returns The string.
   */
  string(): string {
    const { bytes } = this;
    let start = this.pos;
    let stop: number;
    const length = start < this.end ? bytes[start] : 0x80;
    if (length < 0x80 && length < this.end - start) {
      // A one-byte length that fits, read here rather than by delimited() (see tag()).
      start++;
      stop = start + length;
    } else {
      stop = this.delimited();
      start = this.pos;
    }
    this.pos = stop;
    // Empty strings are common (an ObjectReference's unset fields, which Go writes all the same): no call for them.
    if (stop === start) return "";
    if (utf8Slice !== undefined) return utf8Slice.call(bytes, start, stop);
    if (stop - start <= SHORT_STRING) {
      const ascii = shortAscii(bytes, start, stop);
      if (ascii !== undefined) return ascii;
    }
    return decoder.decode(bytes.subarray(start, stop));
  }

  /**
   * Reads a string field whose values repeat from endpoint to endpoint (a kind, a namespace, a node name, a zone):
   * the same bytes give the string read before, from a small table shared by all readers, instead of a new one
   * (decoding them again would give an equal string). A hit makes no string and, in Node, no native `utf8Slice` call:
   * a warm decode of 100-endpoint slices whose every endpoint is new (a burst) went from 440-510 to 400-470 ns per
   * endpoint in Deno, 550-790 to 400-520 in Bun, 900-1,150 to 680-860 in Node (endpoints with kind, namespace,
   * nodeName, zone and a zone hint). All in this one method, bytes compared in a typed array: a fresh process runs
   * its first decodes in the interpreter, where each call costs. Node's first LIST still takes more CPU (5,000 such
   * endpoints: 30 -> 36 ms), the slices decoded right after it less (32 -> 22 ms).
   *
   * @param tag The field's tag.
   * @param field The field's name (`Message.field`), for the error of a mis-tagged field.
   * @returns The string.
   */
  sharedStringField(tag: number, field: string): string {
    if ((tag & 7) !== LENGTH_DELIMITED) this.expect(tag, LENGTH_DELIMITED, field);
    const { bytes } = this;
    let start = this.pos;
    let stop: number;
    const prefix = start < this.end ? bytes[start] : 0x80;
    if (prefix < 0x80 && prefix < this.end - start) {
      start++;
      stop = start + prefix;
    } else {
      stop = this.delimited();
      start = this.pos;
    }
    this.pos = stop;
    const length = stop - start;
    if (length === 0) return "";
    if (length > SHORT_STRING) return this.decode(start, stop);
    // Hashed from the length and five of the bytes, without a loop.
    const last = stop - 1;
    const hash = length * 0x9e5 + bytes[start] * 0x3b + bytes[start + (length >> 2)] * 0x1f3 +
      bytes[start + (length >> 1)] * 0x65 + bytes[last - (length >> 2)] * 0xb + bytes[last] * 0x1d7;
    const slot = hash & (SHARED_SLOTS - 1);
    const base = slot * SHORT_STRING - start;
    if (sharedLengths[slot] === length) {
      let at = start;
      while (at < stop && sharedBytes[base + at] === bytes[at]) at++;
      if (at === stop) return sharedStrings[slot];
    }
    const value = this.decode(start, stop);
    sharedStrings[slot] = value;
    sharedLengths[slot] = length;
    for (let at = start; at < stop; at++) sharedBytes[base + at] = bytes[at];
    return value;
  }

  /** Decodes `bytes[start..stop)` as UTF-8, as {@linkcode string} does, for a string not in the shared table. */
  private decode(start: number, stop: number): string {
    const { bytes } = this;
    if (utf8Slice !== undefined) return utf8Slice.call(bytes, start, stop);
    if (stop - start <= SHORT_STRING) {
      const ascii = shortAscii(bytes, start, stop);
      if (ascii !== undefined) return ascii;
    }
    return decoder.decode(bytes.subarray(start, stop));
  }

  /**
   * Reads a string field after checking its wire type: `expect` and `string` in one call.
   *
   * @param tag The field's tag.
   * @param field The field's name (`Message.field`), for the error of a mis-tagged field.
   * @returns The string.
   */
  stringField(tag: number, field: string): string {
    if ((tag & 7) !== LENGTH_DELIMITED) this.expect(tag, LENGTH_DELIMITED, field);
    return this.string();
  }

  /**
   * Reads a length-delimited `bytes` field without copying it.
   *
   * @returns A view of the field's bytes.
   */
  bytesField(): Uint8Array {
    const stop = this.delimited();
    const view = this.bytes.subarray(this.pos, stop);
    this.pos = stop;
    return view;
  }

  /**
   * Checks that a field has the wire type its decoder expects, so a mis-tagged field throws.
   *
   * @param tag The tag read.
   * @param wireType The wire type expected.
   * @param message The message's name (or `Message.field`), for the error.
   * @param field The field's name, for the error, when `message` does not include it; joined only on failure.
   */
  expect(tag: number, wireType: number, message: string, field?: string): void {
    if ((tag & 7) !== wireType) {
      const name = field === undefined ? message : `${message}.${field}`;
      throw new ProtobufError(`field ${name} has wire type ${tag & 7}, not ${wireType}, at byte ${this.pos}`);
    }
  }

  /**
   * Enters a nested message: checks that the field is length-delimited and moves `end` to the message's end.
   *
   * @param tag The field's tag.
   * @param message The message's name (or `Message.field`), for the error of a mis-tagged field.
   * @param field The field's name, when `message` does not include it.
   * @returns The enclosing message's `end`, to set back once the nested message is read.
   */
  enter(tag: number, message: string, field?: string): number {
    this.expect(tag, LENGTH_DELIMITED, message, field);
    const outer = this.end;
    this.end = this.delimited();
    return outer;
  }

  /**
   * Skips a field a decoder does not read.
   *
   * @param tag The field's tag.
   */
  skip(tag: number): void {
    switch (tag & 7) {
      case VARINT:
        this.varint32();
        return;
      case 1:
        this.advance(8);
        return;
      case LENGTH_DELIMITED:
        this.pos = this.delimited();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`field ${tag >>> 3} has wire type ${tag & 7}, which Kubernetes never sends`);
    }
  }

  private advance(count: number): void {
    if (count > this.end - this.pos) {
      throw new ProtobufError(`a fixed-size field runs past the end at byte ${this.pos}`);
    }
    this.pos += count;
  }
}
