/**
 * Splits a Kubernetes watch response body into events: one JSON object per
 * line, lines split across chunks anywhere, several lines per chunk. Lines
 * are handed over unparsed, and parsed on demand.
 *
 * @module
 */

import { KubeApiError } from "../errors.ts";
import type { WatchEvent } from "../endpoint_slice.ts";
import type { ChunkSource } from "../runtime/pushed_body.ts";
import { cancelOnAbort } from "../_util.ts";

/** Longest line accepted, in bytes (16 MiB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
/** Microtask turns left to consumers after a chunk's events, before the next read starts. */
const YIELD_TICKS = 6;

/** Options of {@linkcode readWatchLines}. */
export interface DecodeOptions {
  /**
   * Longest line accepted, in bytes.
   * @default {16777216}
   */
  maxLineBytes?: number;
  /**
   * Ends the read when it aborts, and the promise then rejects. The body is
   * cancelled here rather than left to the runtime's HTTP client, which may
   * stop following its own signal (Deno's `fetch` does once the `Response`
   * is garbage-collected).
   */
  signal?: AbortSignal;
}

/**
 * Reads a watch response body to its end and hands each line (one event's
 * JSON, blank lines skipped) to `onLine` synchronously as soon as it is
 * complete: no promise, iterator or parse per line, so that a reader can
 * leave unparsed the events that later ones supersede (see
 * {@linkcode parseWatchEvent} and {@linkcode sliceEventHead}). A line longer
 * than `maxLineBytes`, or a body that ends in the middle of an event, throws
 * a {@linkcode KubeApiError}; the caller restarts the watch. The body is
 * cancelled when reading stops early: an error, or `onLine` throwing. A
 * pushed body (undici's, on Node and Deno) is read from the connection's own
 * chunks, a web stream chunk by chunk (see `runtime/pushed_body.ts`).
 *
 * @param body The response body: a web stream, or a pushed body.
 * @param onLine Receives the lines in order; what it throws ends the read.
 * @param options Line limit and signal.
 * @returns A promise that settles once the body ended.
 * @throws {KubeApiError} On a malformed stream.
 *
 * @example Reading a body
 * ```ts
 * import { parseWatchEvent, readWatchLines } from "./watch_decoder.ts";
 * const body = new Response('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n').body!;
 * await readWatchLines(body, (line) => console.log(parseWatchEvent(line).type));
 * ```
 */
export async function readWatchLines(
  body: ChunkSource,
  onLine: (line: string) => void,
  options: DecodeOptions = {},
): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const decoder = new TextDecoder();
  // Each chunk is decoded on its own, a character cut at its end carried over to
  // the next; newlines are found in the bytes, for the length limit, and in the text,
  // whose n-th newline is the bytes' n-th. `partial` is the start of a line split
  // across chunks and `pendingBytes` its length in bytes.
  let partial = "";
  let pendingBytes = 0;
  // Bytes of a character cut at the end of the previous chunk. Chunks are decoded
  // without `stream: true`, whose slow path costs Node about five times more.
  let carry: Uint8Array | undefined;
  const decodeWhole = (chunk: Uint8Array): string => {
    let bytes = chunk;
    if (carry) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
      carry = undefined;
    }
    const complete = completeUtf8Length(bytes);
    if (complete < bytes.length) carry = bytes.slice(complete);
    return decoder.decode(complete < bytes.length ? bytes.subarray(0, complete) : bytes);
  };
  // One chunk's lines, handed over as events; true when there was at least one.
  const split = (value: Uint8Array): boolean => {
    let delivered = false;
    const text = decodeWhole(value);
    let start = 0;
    let textStart = 0;
    while (start < value.length) {
      const newline = value.indexOf(NEWLINE, start);
      const end = newline === -1 ? value.length : newline;
      if (pendingBytes + end - start > maxLineBytes) {
        throw new KubeApiError(
          `Cannot decode watch stream: a line exceeds ${maxLineBytes} bytes; the watch restarts`,
        );
      }
      if (newline === -1) {
        partial += textStart === 0 ? text : text.slice(textStart);
        pendingBytes += value.length - start;
        break;
      }
      const textNewline = text.indexOf("\n", textStart);
      const piece = text.slice(textStart, textNewline);
      const line = pendingBytes === 0 ? piece : partial + piece;
      partial = "";
      pendingBytes = 0;
      start = newline + 1;
      textStart = textNewline + 1;
      // Lines start with "{"; only a line starting with whitespace can be blank.
      if (line.length === 0 || (line.charCodeAt(0) <= 0x20 && line.trim() === "")) continue;
      delivered = true;
      onLine(line);
    }
    return delivered;
  };
  if ("push" in body) await body.push(split, options.signal);
  else await readChunks(body, split, options.signal);
  if (pendingBytes > 0) {
    const tail = partial + (carry ? decoder.decode(carry) : "");
    if (tail.trim() !== "") onLine(checkTail(tail));
  }
}

/** Reads a web stream to its end, chunk by chunk; the stream is cancelled when reading stops early. */
async function readChunks(
  body: ReadableStream<Uint8Array>,
  split: (chunk: Uint8Array) => boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const reader = body.getReader();
  const release = cancelOnAbort(reader, signal);
  let delivered = false;
  try {
    while (true) {
      // Starting a read costs the runtime real work before it returns: after events,
      // let their consumers' promise chains (an async iterator's, say) run first.
      if (delivered) {
        for (let tick = 0; tick < YIELD_TICKS; tick++) await undefined;
      }
      const { done, value } = await reader.read();
      if (done) {
        signal?.throwIfAborted();
        return;
      }
      delivered = split(value);
    }
  } finally {
    release();
    reader.cancel().catch(() => {});
  }
}

/** The length of the longest prefix of `bytes` that ends on a UTF-8 character boundary. */
function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  // Look back over at most three continuation bytes (10xxxxxx) for a lead byte.
  for (let back = 1; back <= Math.min(4, length); back++) {
    const byte = bytes[length - back];
    if (byte < 0x80) return length; // ASCII: complete
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return needed <= back ? length : length - back;
    }
  }
  return length; // Not UTF-8 continuation structure: let the decoder replace it.
}

/** A last line without its newline, once it is known to be a whole event. */
function checkTail(text: string): string {
  try {
    parseWatchEvent(text);
  } catch (cause) {
    throw new KubeApiError(
      "Cannot decode watch stream: the body ended in the middle of an event; the watch restarts",
      { cause },
    );
  }
  return text;
}

/**
 * Parses one line of a watch body.
 *
 * @param text The line, as {@linkcode readWatchLines} hands it over.
 * @returns The event.
 * @throws {KubeApiError} When the line is not JSON, or not a watch event; the watch restarts.
 *
 * @example
 * ```ts
 * import { parseWatchEvent } from "./watch_decoder.ts";
 * console.log(parseWatchEvent('{"type":"DELETED","object":{"metadata":{"name":"a"}}}').type); // "DELETED"
 * ```
 */
export function parseWatchEvent(text: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new KubeApiError(
      `Cannot decode watch stream: a line is not JSON (${describe(text)}); the watch restarts`,
      { cause },
    );
  }
  if (!isWatchEvent(value)) {
    throw new KubeApiError(
      `Cannot decode watch stream: a line is not a watch event (${describe(text)}); the watch restarts`,
    );
  }
  return value;
}

/**
 * How a Kubernetes API server starts the line of an EndpointSlice's ADDED, MODIFIED or DELETED event (Go
 * writes fields in their declared order): its type, then the object's kind, apiVersion and name.
 */
const SLICE_EVENT_HEAD =
  /^\{"type":"(ADDED|MODIFIED|DELETED)","object":\{"kind":"EndpointSlice","apiVersion":"discovery\.k8s\.io\/v1","metadata":\{"name":"([a-z0-9][a-z0-9.-]{0,252})"/;

/** The type and slice name that a watch line starts with. */
export interface SliceEventHead {
  /** `ADDED`, `MODIFIED` or `DELETED`. */
  type: string;
  /** The EndpointSlice's `metadata.name`. */
  name: string;
}

/**
 * Reads the type and slice name of an EndpointSlice event from the first bytes of its line, as an API
 * server writes them, without parsing the rest: a reader that gets a later event for the same slice
 * before it needs this one never parses it. Any other line (a BOOKMARK, an ERROR, another writer's
 * field order) gives `undefined`, and is parsed.
 *
 * @param text A line from {@linkcode readWatchLines}.
 * @returns The type and name, or `undefined`.
 *
 * @example
 * ```ts
 * import { sliceEventHead } from "./watch_decoder.ts";
 * const line = '{"type":"MODIFIED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",' +
 *   '"metadata":{"name":"echo-x1"}}}';
 * console.log(sliceEventHead(line)); // { type: "MODIFIED", name: "echo-x1" }
 * ```
 */
export function sliceEventHead(text: string): SliceEventHead | undefined {
  const found = SLICE_EVENT_HEAD.exec(text);
  return found ? { type: found[1], name: found[2] } : undefined;
}

function isWatchEvent(value: unknown): value is WatchEvent {
  if (typeof value !== "object" || value === null) return false;
  const { type, object } = value as Record<string, unknown>;
  return typeof type === "string" && typeof object === "object" && object !== null;
}

function describe(text: string): string {
  return text.length > 80 ? `starts with ${JSON.stringify(text.slice(0, 80))}` : JSON.stringify(text);
}
