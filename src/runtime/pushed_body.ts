/**
 * The body of an HTTP answer as the watch decoder reads it: a web stream, or
 * a {@linkcode PushedBody} whose chunks the connection hands over as they
 * arrive. undici's bodies (Deno, and Node through a proxy) and `node:http`'s
 * (Node and Bun) are Node readables; reading them directly rather than
 * through a web stream built over them halved the p99 latency of a watch
 * event on Node 20 in `deno task bench`. Their `data` events hand over each
 * chunk of the HTTP transfer encoding, one per watch event as kube-apiserver
 * writes them: a burst's 300 events of a 5,000-endpoint Service came as 328
 * chunks instead of 29. So all that a socket read brought is handed over in
 * one call, as the pieces it came in (joining them copied each 64 KB read of a
 * burst, 26 of the 44 µs its handling took on Deno): on Deno, read in paused
 * mode; on Node, read in paused mode and
 * gathered until the loop's check phase (`setImmediate`), as Node's TLS
 * socket hands each decrypted TLS record (16 KB) to the body on its own, with
 * the loop's ticks run in between: a 300-event burst in protobuf came as 108
 * chunks over TLS, 27 over plain HTTP; on Bun, whose `data` events of one
 * read come back to back, gathered until the next microtask (one by one, the
 * watch told of a burst's first state on its own, and the consumer got 2
 * snapshots per burst). A lone change waits for no other: the check phase
 * follows the socket reads of the same turn. The bodies of Bun's `fetch` (a
 * cluster behind a proxy) are native web streams, whose reads are socket
 * reads already, and are read as such.
 *
 * The HTTP client says which one a response has (`HttpResponse.chunks`), and
 * every layer up to the decoder passes it on as a value.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { runtimeKey } from "./runtime.ts";

/** The part of a Node readable used here. */
export interface PushSource {
  /** Listens for the next chunk. */
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  /** Listens for chunks to {@linkcode PushSource.read}, or for the end of the body. */
  on(event: "readable", listener: () => void): unknown;
  /** Listens for the end of the body, or for the connection closing. */
  on(event: "end" | "close", listener: () => void): unknown;
  /** Listens for a failure of the connection. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Takes the chunks buffered so far (Node joins them, Deno gives the first); `null` when there is none. */
  read(): Uint8Array | null;
  /** Stops the flow of chunks until {@linkcode PushSource.resume}. */
  pause(): unknown;
  /** Starts or restarts the flow of chunks. */
  resume(): unknown;
  /** Closes the body, failing it with `error` when given. */
  destroy(error?: Error): unknown;
}

/**
 * A body whose chunks the connection pushes to one reader, synchronously as
 * they arrive: no promise and no stream machinery per chunk.
 */
export interface PushedBody {
  /**
   * Hands every chunk to `onChunk`, in order: those that one socket read brought (or, on Node and Bun, the reads
   * of one turn) go together in one call, as they came, not joined. Call it once, and not after the same body was
   * read as a web stream.
   *
   * @param onChunk Receives the chunks, one read's in each call (never none); what it throws ends the body, and the
   * promise rejects with it.
   * @param signal Ends the body when it aborts; the promise then rejects with the signal's reason.
   * @returns A promise that resolves at the end of the body, and rejects when the connection fails or
   * closes first.
   */
  push(onChunk: (chunks: readonly Uint8Array[]) => void, signal?: AbortSignal): Promise<void>;
}

/** A response body for the watch decoder: a web stream, or a body the connection pushes (faster). */
export type ChunkSource = ReadableStream<Uint8Array> | PushedBody;

/** The two views of one Node readable that {@linkcode bodyOfPushSource} makes. */
export interface PushSourceBody {
  /** The body as a web stream, read lazily one chunk at a time (for a `Response`). */
  stream: ReadableStream<Uint8Array>;
  /** The body as pushed chunks, for the watch decoder. */
  pushed: PushedBody;
}

/**
 * Makes both views of a Node readable's body; the first one read takes the
 * readable, and the other then fails.
 *
 * @param source The readable, not yet flowing.
 * @returns The web stream and the pushed body.
 *
 * @example Reading a Node readable through either view
 * ```ts
 * import { Readable } from "node:stream";
 * import { bodyOfPushSource } from "./pushed_body.ts";
 * const asStream = bodyOfPushSource(Readable.from([new TextEncoder().encode("hi")]));
 * console.log(await new Response(asStream.stream).text()); // "hi"
 * const pushed = bodyOfPushSource(Readable.from([new TextEncoder().encode("hi")])).pushed;
 * await pushed.push((chunks) => console.log(chunks[0].length)); // 2
 * ```
 */
export function bodyOfPushSource(source: PushSource): PushSourceBody {
  let taken: "stream" | "pushed" | undefined;
  let settled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (taken === "stream") {
        source.resume();
        return;
      }
      if (taken === "pushed") {
        controller.error(new TypeError("Cannot read the body as a web stream: its chunks are pushed to a reader"));
        return;
      }
      taken = "stream";
      const settle = (end: () => void) => {
        if (settled) return;
        settled = true;
        end();
      };
      source.on("data", (chunk) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        source.pause();
      });
      source.on("end", () => settle(() => controller.close()));
      source.on("error", (error) => settle(() => controller.error(error)));
      source.on(
        "close",
        () => settle(() => controller.error(new Error("the connection closed before the body ended"))),
      );
    },
    cancel() {
      settled = true;
      // undici's body emits an abort error when destroyed: it is expected here, not uncaught.
      source.on("error", () => {});
      source.destroy();
    },
  }, { highWaterMark: 0 });
  const pushed: PushedBody = {
    push(onChunk, signal) {
      if (taken) {
        return Promise.reject(new TypeError("Cannot push the body's chunks: the body was already read"));
      }
      taken = "pushed";
      return pushChunks(source, onChunk, signal);
    },
  };
  return { stream, pushed };
}

/**
 * Whether a pushed body is read in paused mode, all that came since the last turn together (see the module's
 * doc): on Node and Deno; Bun's `node:http` body lagged 0.6-1.5 ms more in a burst that way (medians of 30-40 bursts),
 * and its `data` events are gathered instead.
 */
const READ_PAUSED = runtimeKey() !== "bun";

/**
 * Hands over the chunks gathered since the last time, once the reads that brought them are over (see the module's
 * doc): on Node in the check phase that follows the socket reads of the loop's turn, on Bun at the next microtask;
 * `undefined` on Deno, whose paused reads take all that came since the last turn already.
 */
const HAND_OVER_GATHERED: ((handOver: () => void) => void) | undefined = {
  node: (handOver: () => void) => void setImmediate(handOver),
  bun: queueMicrotask,
  deno: undefined,
}[runtimeKey()];

function pushChunks(
  source: PushSource,
  onChunk: (chunks: readonly Uint8Array[]) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => fail(signal!.reason);
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      source.destroy();
      reject(error);
    };
    const takeAll = (chunks: Uint8Array[]) => {
      if (settled || chunks.length === 0) return;
      try {
        onChunk(chunks);
      } catch (error) {
        fail(error);
      }
    };
    // Chunks of the socket reads under way (Node and Bun), not handed over yet: they are, before the body ends or
    // fails, as they would have been one by one.
    let gathered: Uint8Array[] = [];
    const takeGathered = () => {
      const chunks = gathered;
      gathered = [];
      takeAll(chunks);
    };
    const gather = (chunk: Uint8Array) => {
      if (settled) return;
      gathered.push(chunk);
      if (gathered.length === 1) HAND_OVER_GATHERED!(takeGathered);
    };
    // Attached for good: a later error (undici's abort error after a destroy) is expected, not uncaught.
    source.on("error", (error) => {
      takeGathered();
      fail(error);
    });
    if (!READ_PAUSED) {
      // Bun emits a socket read's chunks back to back, with no microtask between them: they go together once the
      // last one came.
      source.on("data", gather);
    } else if (HAND_OVER_GATHERED) {
      source.on("readable", () => {
        for (let chunk = source.read(); chunk !== null; chunk = source.read()) gather(chunk);
      });
    } else {
      source.on("readable", () => {
        const chunks: Uint8Array[] = [];
        for (let chunk = source.read(); chunk !== null; chunk = source.read()) chunks.push(chunk);
        takeAll(chunks);
      });
    }
    source.on("end", () => {
      takeGathered();
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    source.on("close", () => {
      takeGathered();
      fail(new Error("the connection closed before the body ended"));
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
