/**
 * Splits a Kubernetes watch response body into events: one JSON object per
 * line, lines split across chunks anywhere, several lines per chunk. Lines
 * are handed over unparsed, and parsed on demand.
 *
 * @module
 */

import { KubeApiError } from "../base/errors.ts";
import type { WatchEvent } from "../base/endpoint_slice.ts";
import type { ChunkSource } from "../runtime/pushed_body.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import { cancelOnAbort } from "../runtime/abortable.ts";
import { concatBytes } from "../base/_util.ts";

/** Longest line accepted, in bytes (16 MiB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const typedIndexOf = Uint8Array.prototype.indexOf;
/**
 * Where the next newline of a chunk is, from `start`. Node's `Buffer#indexOf` (undici's chunks) is native and
 * several times faster than the typed array's; Deno's `Buffer` does it in JavaScript, twice as slow as the typed
 * array's, which Bun's plain chunks use anyway.
 */
const indexOfNewline: (chunk: Uint8Array, start: number) => number = runtimeKey() === "deno"
  ? (chunk, start) => typedIndexOf.call(chunk, NEWLINE, start)
  : (chunk, start) => chunk.indexOf(NEWLINE, start);
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
  /** Called after each chunk's lines with the bytes of a line it left incomplete (0 when it ended with one). */
  onChunkRead?: (incompleteBytes: number) => void;
  /** Called when the body ended in the middle of an event, with the bytes of that event dropped. */
  onTruncated?: (droppedBytes: number) => void;
}

/**
 * Reads a watch response body to its end and hands each line (one event's
 * JSON, blank lines skipped) to `onLine` synchronously as soon as it is
 * complete: no promise, iterator or parse per line, so that a reader can
 * leave unparsed the events that later ones supersede (see
 * {@linkcode parseWatchEvent} and {@linkcode sliceEventHead}). A line longer
 * than `maxLineBytes` throws a {@linkcode KubeApiError}; the caller restarts
 * the watch. A body that ends in the middle of an event ends like any other:
 * the partial event is dropped (as client-go's stream watcher does on an
 * unexpected EOF), and `onTruncated` is told. The body is
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
  onLine: (line: Uint8Array) => void,
  options: DecodeOptions = {},
): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // The start of a line split across chunks, in pieces, and its length in bytes. Lines stay bytes until
  // someone parses them: most events of a burst are replaced before that, and are never turned into text.
  let pieces: Uint8Array[] = [];
  let pendingBytes = 0;
  // One read's lines, handed over as views of its chunks (a chunk belongs to its reader once read: web streams hand
  // it over, and Node's readables allocate each one); true when there was one.
  const split = (chunks: readonly Uint8Array[]): boolean => {
    let delivered = false;
    for (const chunk of chunks) delivered = splitChunk(chunk) || delivered;
    options.onChunkRead?.(pendingBytes);
    return delivered;
  };
  const splitChunk = (value: Uint8Array): boolean => {
    let delivered = false;
    let start = 0;
    while (start < value.length) {
      const newline = indexOfNewline(value, start);
      const end = newline === -1 ? value.length : newline;
      if (pendingBytes + end - start > maxLineBytes) {
        throw new KubeApiError(
          `Cannot decode watch stream: a line exceeds ${maxLineBytes} bytes; the watch restarts`,
        );
      }
      if (newline === -1) {
        pieces.push(value.subarray(start));
        pendingBytes += value.length - start;
        break;
      }
      const line = pendingBytes === 0 ? value.subarray(start, end) : concatBytes(pieces, value.subarray(start, end));
      pieces = [];
      pendingBytes = 0;
      start = newline + 1;
      if (isBlank(line)) continue;
      delivered = true;
      onLine(line);
    }
    return delivered;
  };
  await readChunkSource(body, split, options.signal);
  if (pendingBytes > 0) {
    const tail = concatBytes(pieces);
    if (isBlank(tail)) return;
    if (isWholeEvent(tail)) onLine(tail);
    else options.onTruncated?.(tail.length);
  }
}

/** Whether a line holds only JSON whitespace (lines start with "{": the first byte decides almost always). */
function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  }
  return true;
}

/**
 * Hands the chunks of a watch body to `split` as they arrive, those of one read together: a pushed body's
 * synchronously (as many as the socket read brought, not joined), a web stream's one read at a time, leaving
 * consumers a few microtask turns after a read that `split` says delivered events. The body is cancelled when
 * reading stops early (`split` throwing, or `signal` aborting).
 *
 * @param body The response body.
 * @param split Takes one read's chunks (never none); returns whether they delivered an event.
 * @param signal Ends the read; the promise then rejects.
 * @returns A promise that settles once the body ended.
 *
 * @example
 * ```ts
 * import { readChunkSource } from "./watch_decoder.ts";
 * await readChunkSource(new Response("abc").body!, (chunks) => chunks[0].length > 0, undefined);
 * ```
 */
export async function readChunkSource(
  body: ChunkSource,
  split: (chunks: readonly Uint8Array[]) => boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  if ("push" in body) await body.push(split, signal);
  else await readChunks(body, split, signal);
}

/** Reads a web stream to its end, chunk by chunk; the stream is cancelled when reading stops early. */
async function readChunks(
  body: ReadableStream<Uint8Array>,
  split: (chunks: readonly Uint8Array[]) => boolean,
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
      delivered = split([value]);
    }
  } finally {
    release();
    reader.cancel().catch(() => {});
  }
}

/** Whether a last line without its newline is a whole event, rather than the start of one the body cut off. */
function isWholeEvent(line: Uint8Array): boolean {
  try {
    parseWatchEvent(line);
    return true;
  } catch {
    return false;
  }
}

const decoder = new TextDecoder();

/**
 * Parses one line of a watch body.
 *
 * @param line The line, as {@linkcode readWatchLines} hands it over.
 * @param redact Takes the request's credentials out of the line before its start is quoted in an error (a
 *   server or proxy may echo them).
 * @returns The event.
 * @throws {KubeApiError} When the line is not JSON, or not a watch event; the watch restarts.
 *
 * @example
 * ```ts
 * import { parseWatchEvent } from "./watch_decoder.ts";
 * const line = new TextEncoder().encode('{"type":"DELETED","object":{"metadata":{"name":"a"}}}');
 * console.log(parseWatchEvent(line).type); // "DELETED"
 * ```
 */
export function parseWatchEvent(line: Uint8Array, redact: (text: string) => string = (text) => text): WatchEvent {
  const text = decoder.decode(line);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not the parse error as cause: its message quotes the text around the fault, unredacted.
    throw new KubeApiError(
      `Cannot decode watch stream: a line is not JSON (${describe(redact(text))}); the watch restarts`,
    );
  }
  if (!isWatchEvent(value)) {
    throw new KubeApiError(
      `Cannot decode watch stream: a line is not a watch event (${describe(redact(text))}); the watch restarts`,
    );
  }
  return value;
}

/** The type and slice name that a watch line starts with. */
export interface SliceEventHead {
  /** `ADDED`, `MODIFIED` or `DELETED`. */
  type: string;
  /** The EndpointSlice's `metadata.name`. */
  name: string;
}

const encoder = new TextEncoder();
/**
 * How a Kubernetes API server starts the line of an EndpointSlice's ADDED, MODIFIED or DELETED event (Go
 * writes fields in their declared order): its type, then the object's kind, apiVersion and name.
 */
const HEAD_START = encoder.encode('{"type":"');
const HEAD_TYPES = ["ADDED", "MODIFIED", "DELETED"].map((type) => ({ type, bytes: encoder.encode(type) }));
const HEAD_OBJECT = encoder.encode(
  '","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"',
);
/** The longest Kubernetes name (a DNS subdomain). */
const MAX_NAME = 253;

/**
 * Reads the type and slice name of an EndpointSlice event from the first bytes of its line, as an API
 * server writes them, without decoding the rest: a reader that gets a later event for the same slice
 * before it needs this one never parses it. Any other line (a BOOKMARK, an ERROR, another writer's
 * field order) gives `undefined`, and is parsed.
 *
 * @param line A line from {@linkcode readWatchLines}.
 * @returns The type and name, or `undefined`.
 *
 * @example
 * ```ts
 * import { sliceEventHead } from "./watch_decoder.ts";
 * const line = new TextEncoder().encode(
 *   '{"type":"MODIFIED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",' +
 *     '"metadata":{"name":"echo-x1"}}}',
 * );
 * console.log(sliceEventHead(line)); // { type: "MODIFIED", name: "echo-x1" }
 * ```
 */
export function sliceEventHead(line: Uint8Array): SliceEventHead | undefined {
  if (!startsWithAt(line, HEAD_START, 0)) return undefined;
  let at = HEAD_START.length;
  const type = HEAD_TYPES.find(({ bytes }) => startsWithAt(line, bytes, at));
  if (type === undefined) return undefined;
  at += type.bytes.length;
  if (!startsWithAt(line, HEAD_OBJECT, at)) return undefined;
  at += HEAD_OBJECT.length;
  // A name: lowercase letters, digits, "-" and ".", starting with a letter or digit, then the closing quote.
  let name = "";
  for (let i = at; i < line.length && i - at <= MAX_NAME; i++) {
    const byte = line[i];
    if (byte === 0x22) return name === "" ? undefined : { type: type.type, name };
    const alphanumeric = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39);
    if (!alphanumeric && (name === "" || (byte !== 0x2d && byte !== 0x2e))) return undefined;
    name += String.fromCharCode(byte);
  }
  return undefined;
}

function startsWithAt(line: Uint8Array, prefix: Uint8Array, at: number): boolean {
  if (line.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false;
  return true;
}

function isWatchEvent(value: unknown): value is WatchEvent {
  if (typeof value !== "object" || value === null) return false;
  const { type, object } = value as Record<string, unknown>;
  return typeof type === "string" && typeof object === "object" && object !== null;
}

function describe(text: string): string {
  return text.length > 80 ? `starts with ${JSON.stringify(text.slice(0, 80))}` : JSON.stringify(text);
}
