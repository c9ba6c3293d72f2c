/**
 * Splits a Kubernetes watch response body into events: one JSON object per
 * line, lines split across chunks anywhere, several lines per chunk.
 *
 * @module
 */

import { KubeApiError } from "./errors.ts";
import type { WatchEvent } from "./endpoint_slice.ts";

/** Longest line accepted, in bytes (16 MiB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

/** Options of {@linkcode decodeWatchEvents}. */
export interface DecodeOptions {
  /**
   * Longest line accepted, in bytes.
   * @default {16777216}
   */
  maxLineBytes?: number;
  /** Called for every chunk received, e.g. to reset a stall timer. */
  onChunk?: () => void;
}

/**
 * Decodes a watch response body into events. A line longer than
 * `maxLineBytes`, a line that is not a JSON watch event, or a body that
 * ends in the middle of a line throws a {@linkcode KubeApiError}; the caller
 * restarts the watch.
 *
 * @param body The response body.
 * @param options Line limit and chunk callback.
 * @returns The events, in order.
 * @throws {KubeApiError} On a malformed stream.
 *
 * @example Decoding a body
 * ```ts
 * import { decodeWatchEvents } from "./watch_decoder.ts";
 * const body = new Response('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n').body!;
 * for await (const event of decodeWatchEvents(body)) console.log(event.type);
 * ```
 */
export async function* decodeWatchEvents(
  body: ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<WatchEvent> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      options.onChunk?.();
      let start = 0;
      while (start < value.length) {
        const newline = value.indexOf(NEWLINE, start);
        const end = newline === -1 ? value.length : newline;
        if (pendingBytes + end - start > maxLineBytes) {
          throw new KubeApiError(
            `Cannot decode watch stream: a line exceeds ${maxLineBytes} bytes; the watch restarts`,
          );
        }
        if (newline === -1) {
          pending.push(value.subarray(start));
          pendingBytes += value.length - start;
          break;
        }
        const piece = value.subarray(start, newline);
        const line = pending.length === 0 ? piece : join(pending, piece);
        pending = [];
        pendingBytes = 0;
        start = newline + 1;
        const event = parseLine(decoder.decode(line));
        if (event) yield event;
      }
    }
    if (pendingBytes > 0) {
      const event = parseTail(decoder.decode(join(pending)));
      if (event) yield event;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseTail(text: string): WatchEvent | undefined {
  try {
    return parseLine(text);
  } catch (cause) {
    throw new KubeApiError(
      "Cannot decode watch stream: the body ended in the middle of an event; the watch restarts",
      { cause },
    );
  }
}

function join(pieces: Uint8Array[], last?: Uint8Array): Uint8Array {
  const all = last ? [...pieces, last] : pieces;
  const out = new Uint8Array(all.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of all) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function parseLine(text: string): WatchEvent | undefined {
  if (text.trim() === "") return undefined;
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

function isWatchEvent(value: unknown): value is WatchEvent {
  if (typeof value !== "object" || value === null) return false;
  const { type, object } = value as Record<string, unknown>;
  return typeof type === "string" && typeof object === "object" && object !== null;
}

function describe(text: string): string {
  return text.length > 80 ? `starts with ${JSON.stringify(text.slice(0, 80))}` : JSON.stringify(text);
}
