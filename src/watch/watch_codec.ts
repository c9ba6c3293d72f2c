/**
 * The two forms of a watch body, behind one seam for the reflector: JSON lines (`application/json`) and protobuf
 * frames (`application/vnd.kubernetes.protobuf;stream=watch`, a 4-byte length before each event). Each form reads
 * its events off the body unparsed, reads the type and slice name of one without parsing it (to coalesce a burst
 * by slice), and parses one; it also says whether the slices it gives still need the shape check (`shaped`).
 *
 * @module
 */

import { KubeApiError } from "../base/errors.ts";
import type { WatchEvent } from "../base/endpoint_slice.ts";
import type { WatchEncoding } from "../api/kube_api.ts";
import { frameHead } from "../api/protobuf/event_head.ts";
import { FrameSplitter } from "../api/protobuf/frame_splitter.ts";
import { EndpointMemory } from "../api/protobuf/endpoint_memory.ts";
import { decodeWatchEvent } from "../api/protobuf/messages.ts";
import { ProtobufError } from "../api/protobuf/wire_reader.ts";
import type { ChunkSource } from "../runtime/pushed_body.ts";
import {
  type DecodeOptions,
  MAX_LINE_BYTES,
  parseWatchEvent,
  readChunkSource,
  readWatchLines,
  type SliceEventHead,
  sliceEventHead,
} from "./watch_decoder.ts";

/** How to read one form of watch body: its events stay bytes until someone parses them. */
export interface WatchCodec {
  /**
   * Reads the body to its end, handing each event's bytes to `onEvent` as soon as it is complete (see
   * `readWatchLines`); a body that ends inside an event drops it and tells `options.onTruncated`.
   */
  read(body: ChunkSource, onEvent: (event: Uint8Array) => void, options: DecodeOptions): Promise<void>;
  /** The type and slice name of an ADDED, MODIFIED or DELETED EndpointSlice event, read without parsing it. */
  head(event: Uint8Array): SliceEventHead | undefined;
  /** Parses one event; throws a `KubeApiError` (the watch restarts) when it is none. */
  parse(event: Uint8Array, redact: (text: string) => string): WatchEvent;
  /**
   * Whether every EndpointSlice `parse` gives has the shape selection relies on (lists where lists go, strings for
   * addresses, objects for conditions and targetRef): the protobuf decoder builds them so, while JSON may hold
   * anything and is checked (`_slice_check.ts`).
   */
  readonly shaped: boolean;
}

/**
 * A codec for one watch request's body, by the `encoding` of the watch's answer. The protobuf one remembers the
 * endpoints it decoded last for each slice, with their bytes, for as long as the watch is read and its unparsed events
 * are applied: the next event of a slice reuses its unchanged endpoints (see `endpoint_memory.ts`). A relist, a new
 * watch after a 410, or the next watch after a timeout open a new one.
 *
 * @param encoding The form of the body.
 * @returns The codec.
 *
 * @example
 * ```ts
 * import { openWatchCodec } from "./watch_codec.ts";
 * const line = new TextEncoder().encode('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}');
 * console.log(openWatchCodec("json").parse(line, (text) => text).type); // BOOKMARK
 * ```
 */
export function openWatchCodec(encoding: WatchEncoding): WatchCodec {
  if (encoding === "json") return JSON_CODEC;
  const memory = new EndpointMemory();
  return {
    read: readWatchFrames,
    head: frameHead,
    parse: (frame, redact) => decoded(() => decodeWatchEvent(frame, memory), redact),
    shaped: true,
  };
}

const JSON_CODEC: WatchCodec = { read: readWatchLines, head: sliceEventHead, parse: parseWatchEvent, shaped: false };

/**
 * Reads a protobuf watch body to its end and hands each frame (one `metav1.WatchEvent`) to `onFrame` synchronously
 * as soon as it is complete, as `readWatchLines` hands lines: a frame longer than `options.maxLineBytes` throws
 * (the watch restarts), `onChunkRead` gets the bytes of a frame begun, and a body that ends inside a frame drops it
 * and tells `onTruncated`.
 *
 * @param body The response body.
 * @param onFrame Receives the frames in order; what it throws ends the read.
 * @param options Frame limit, signal and callbacks.
 * @returns A promise that settles once the body ended.
 * @throws {KubeApiError} On a frame over the limit.
 *
 * @example
 * ```ts
 * import { readWatchFrames } from "./watch_codec.ts";
 * await readWatchFrames(new Response(new Uint8Array([0, 0, 0, 1, 7])).body!, (frame) => console.log(frame));
 * ```
 */
export async function readWatchFrames(
  body: ChunkSource,
  onFrame: (frame: Uint8Array) => void,
  options: DecodeOptions = {},
): Promise<void> {
  const splitter = new FrameSplitter(options.maxLineBytes ?? MAX_LINE_BYTES);
  await readChunkSource(body, (chunks) => {
    let delivered = false;
    for (const chunk of chunks) {
      const frames = decoded(() => splitter.push(chunk));
      for (const frame of frames) onFrame(frame);
      delivered ||= frames.length > 0;
    }
    options.onChunkRead?.(splitter.pendingBytes);
    return delivered;
  }, options.signal);
  if (splitter.pendingBytes > 0) options.onTruncated?.(splitter.pendingBytes);
}

/**
 * What `decode` returns; its `ProtobufError` as the watch's own error, which says that the watch restarts, its detail
 * (which may quote the object's kind) without the request's credentials.
 */
function decoded<T>(decode: () => T, redact: (text: string) => string = (text) => text): T {
  try {
    return decode();
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    throw new KubeApiError(`Cannot decode protobuf watch stream: ${redact(error.detail)}; the watch restarts`);
  }
}
