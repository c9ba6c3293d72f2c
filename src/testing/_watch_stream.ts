/**
 * One open watch response of the fake API server: `200`, then one JSON event
 * per line or one length-prefixed protobuf frame per event, optionally cut
 * into small chunks; its timers; and the three ways
 * it ends (cleanly, abruptly, or silently when the client leaves). Private
 * to the fake API server.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import type { Format } from "./_accept.ts";
import { goJson } from "./_go_json.ts";
import { protobufWatchFrame } from "./_protobuf_writer.ts";

/** The type of a watch event. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** An open watch response. */
export interface WatchStream {
  /** Writes one event; ignored once the stream is done. */
  send(type: WatchEventType, object: unknown): void;
  /** Runs `run` once after `ms`, unless the stream ends first. */
  later(ms: number, run: () => void): void;
  /** Runs `run` every `ms` until the stream ends. */
  every(ms: number, run: () => void): void;
  /** Ends the response cleanly once every written piece is out, like a server-side timeout. */
  end(): void;
  /** Breaks the connection at once. */
  drop(): void;
  /** Ends the response at once, dropping what is not written yet: the server closes. */
  close(): void;
}

/** Options of {@linkcode openWatchStream}. */
export interface WatchStreamOptions {
  /** The events' format: a Table is written in JSON. */
  format: Format;
  /** What an event's object becomes before it is written (a Table); ERROR events are written as they are. */
  convert?: (type: string, object: unknown) => unknown;
  /** Cut every write into pieces of at most this many bytes, one event-loop turn apart. */
  maxChunkBytes?: number;
  /** Called once when the stream ends, for whatever reason. */
  onDone: () => void;
}

const encoder = new TextEncoder();

/**
 * Sends the `200` head of a watch and returns the stream.
 *
 * @param res The response.
 * @param options Format, chunking and the end callback.
 * @returns The open stream.
 */
export function openWatchStream(res: ServerResponse, options: WatchStreamOptions): WatchStream {
  const { format, maxChunkBytes, onDone, convert } = options;
  const cancels = new Set<() => void>();
  let pending: Uint8Array[] = [];
  let pumping = false;
  let ending = false;
  let done = false;

  res.writeHead(200, {
    "Content-Type": format === "protobuf" ? "application/vnd.kubernetes.protobuf;stream=watch" : "application/json",
    "Cache-Control": "no-cache, private",
    "Audit-Id": crypto.randomUUID(),
  });
  res.flushHeaders();

  function finish(): void {
    if (done) return;
    done = true;
    for (const cancel of cancels) cancel();
    cancels.clear();
    pending = [];
    onDone();
  }
  res.on("close", finish);
  // A client that goes away mid-write is not the server's problem.
  res.on("error", finish);

  function later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      cancels.delete(cancel);
      run();
    }, ms);
    const cancel = () => clearTimeout(timer);
    cancels.add(cancel);
  }

  function end(): void {
    if (done) return;
    if (pumping) {
      ending = true;
      return;
    }
    finish();
    res.end();
  }

  function pump(): void {
    if (done) return;
    const piece = pending.shift();
    if (piece === undefined) {
      pumping = false;
      if (ending) end();
      return;
    }
    res.write(piece);
    later(0, pump);
  }

  return {
    send(type, object) {
      if (done) return;
      if (res.destroyed) {
        finish();
        return;
      }
      const written = convert === undefined || type === "ERROR" ? object : convert(type, object);
      const bytes = format === "protobuf"
        ? protobufWatchFrame(type, written as Record<string, unknown>)
        : encoder.encode(goJson({ type, object: written }) + "\n");
      if (maxChunkBytes === undefined) {
        res.write(bytes);
        return;
      }
      // Bounded: bytes.length / maxChunkBytes pieces.
      for (let offset = 0; offset < bytes.length; offset += maxChunkBytes) {
        pending.push(bytes.subarray(offset, offset + maxChunkBytes));
      }
      if (!pumping) {
        pumping = true;
        pump();
      }
    },
    later,
    every(ms, run) {
      const timer = setInterval(run, ms);
      cancels.add(() => clearInterval(timer));
    },
    end,
    drop() {
      finish();
      const socket = res.socket;
      if (socket) socket.destroy();
      else res.destroy();
    },
    close() {
      finish();
      res.end();
    },
  };
}
