/**
 * The fast path for undici's response bodies (Node and Deno): a body made
 * from a Node readable is handed to the watch decoder as the readable's own
 * `data` events, not through the web stream built over it. On Node 20, web
 * streams roughly doubled the p99 latency of a watch event in
 * `deno task bench`. Bun's bodies are native web streams and take the
 * ordinary path.
 *
 * @module
 */

/** The part of a Node readable used here. */
export interface PushSource {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(error?: Error): unknown;
}

const sources = new WeakMap<ReadableStream<Uint8Array>, PushSource>();

/**
 * Wraps a Node readable as a web stream (read lazily, one chunk at a time)
 * whose chunks {@linkcode pushChunks} can take directly instead.
 *
 * @param source The readable, not yet flowing.
 * @returns The web stream.
 *
 * @example Wrapping a Node readable
 * ```ts
 * import { Readable } from "node:stream";
 * import { streamOfPushSource } from "./pushed_body.ts";
 * const stream = streamOfPushSource(Readable.from([new TextEncoder().encode("hi")]));
 * console.log(await new Response(stream).text()); // "hi"
 * ```
 */
export function streamOfPushSource(source: PushSource): ReadableStream<Uint8Array> {
  let settled = false;
  let listening = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (listening) {
        source.resume();
        return;
      }
      // Read as a web stream: the fast path must not take it as well.
      listening = true;
      sources.delete(stream);
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
  sources.set(stream, source);
  return stream;
}

/**
 * Pushes the chunks of a body made by {@linkcode streamOfPushSource} to
 * `onChunk`, straight from its Node readable.
 *
 * @param body A response body.
 * @param onChunk Receives every chunk in order; what it throws ends the body and rejects.
 * @returns A promise that settles once the body ended; `undefined` when `body` has no fast path.
 *
 * @example Taking the fast path when there is one
 * ```ts
 * import { pushChunks } from "./pushed_body.ts";
 * const pushed = pushChunks(new Response("hi").body!, (chunk) => console.log(chunk.length));
 * console.log(pushed); // undefined: not a body from a Node readable
 * ```
 */
export function pushChunks(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> | undefined {
  const source = sources.get(body);
  if (!source) return undefined;
  sources.delete(body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      reject(error);
    };
    source.on("data", (chunk) => {
      if (settled) return;
      try {
        onChunk(chunk);
      } catch (error) {
        fail(error);
      }
    });
    source.on("end", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    source.on("error", fail);
    source.on("close", () => fail(new Error("the connection closed before the body ended")));
  });
}
