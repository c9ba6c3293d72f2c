/**
 * Splits a protobuf watch body into frames. kube-apiserver writes each watch event as a 4-byte big-endian length
 * followed by that many bytes (a `metav1.WatchEvent`), with frames split across chunks anywhere.
 *
 * @module
 */

import { ProtobufError } from "./wire_reader.ts";

/** Largest frame accepted, in bytes (16 MiB, as the JSON watch's longest line). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Cuts frames out of chunks as they arrive. A frame within one chunk is handed over as a view of that chunk (no
 * copy); one split across chunks is gathered into its own buffer.
 *
 * @example
 * ```ts
 * import { FrameSplitter } from "./frame_splitter.ts";
 * const splitter = new FrameSplitter();
 * const frames = [...splitter.push(new Uint8Array([0, 0, 0, 2, 7])), ...splitter.push(new Uint8Array([8]))];
 * splitter.end();
 * console.log(frames); // [ Uint8Array(2) [ 7, 8 ] ]
 * ```
 */
export class FrameSplitter {
  readonly #maxFrameBytes: number;
  /** Bytes of a length prefix not yet complete. */
  #head = new Uint8Array(4);
  #headBytes = 0;
  /** The frame being gathered across chunks, and how much of it has arrived. */
  #frame: Uint8Array | undefined;
  #frameBytes = 0;

  /**
   * Creates a splitter.
   *
   * @param maxFrameBytes Largest frame accepted; a longer length prefix throws.
   */
  constructor(maxFrameBytes: number = MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /**
   * Takes the next chunk of the body.
   *
   * @param chunk Bytes as they arrived.
   * @returns The frames the chunk completes, in order.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#frame !== undefined) {
        const take = Math.min(this.#frame.length - this.#frameBytes, chunk.length - pos);
        this.#frame.set(chunk.subarray(pos, pos + take), this.#frameBytes);
        this.#frameBytes += take;
        pos += take;
        if (this.#frameBytes === this.#frame.length) {
          frames.push(this.#frame);
          this.#frame = undefined;
        }
        continue;
      }
      let length: number;
      if (this.#headBytes === 0 && chunk.length - pos >= 4) {
        length = readLength(chunk, pos);
        pos += 4;
      } else {
        while (this.#headBytes < 4 && pos < chunk.length) this.#head[this.#headBytes++] = chunk[pos++];
        if (this.#headBytes < 4) break;
        this.#headBytes = 0;
        length = readLength(this.#head, 0);
      }
      if (length > this.#maxFrameBytes) {
        throw new ProtobufError(`a watch frame of ${length} bytes exceeds ${this.#maxFrameBytes} bytes`);
      }
      if (chunk.length - pos >= length) {
        frames.push(chunk.subarray(pos, pos + length));
        pos += length;
      } else {
        this.#frame = new Uint8Array(length);
        this.#frameBytes = 0;
      }
    }
    return frames;
  }

  /** Bytes of a frame begun and not complete (its length prefix included): 0 between frames. */
  get pendingBytes(): number {
    return this.#frame === undefined ? this.#headBytes : 4 + this.#frameBytes;
  }

  /** Checks, at the end of the body, that it did not stop inside a frame; throws if it did. */
  end(): void {
    if (this.#headBytes > 0 || this.#frame !== undefined) {
      const missing = this.#frame === undefined
        ? `${4 - this.#headBytes} bytes of a length prefix`
        : `${this.#frame.length - this.#frameBytes} of a frame's ${this.#frame.length} bytes`;
      throw new ProtobufError(`the watch body ended ${missing} short`);
    }
  }
}

function readLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}
