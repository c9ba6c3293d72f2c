/**
 * One request on an HTTP/2 session (`node_http2_client.ts`), answered as `node_http_client.ts` answers one: a web
 * `Response` and the body pushed to the watch decoder; the signal aborts it until the body ends, and a stop of an
 * answer under way ends it quietly. A request the server never processed (its stream refused, or not sent because
 * the session got GOAWAY) is marked so, for the client to send it again on another session, as is a GET closed before
 * its answer without an error code (Bun's refused stream).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { PassThrough } from "node:stream";
import { type HttpResponse, readableResponse } from "./http_response.ts";
import type { StreamLease } from "./_http2_sessions.ts";
import { headerLines } from "./_header_lines.ts";
import { blamesConnection } from "./silent_connection.ts";

/** Request headers that HTTP/2 forbids (connection-specific) or sends as the `:authority` pseudo-header. */
const CONNECTION_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
]);

/** Why an answer whose connection ended before its body did fails: `pushed_body.ts`'s words, which Node gives. */
const CUT = "the connection closed before the body ended";

/** The errors of requests the server refused unprocessed (RFC 9113, 8.7): safe to send again, whatever the method. */
const refusedErrors = new WeakSet<object>();

/** The errors of GETs closed before their answer with code 0 and no GOAWAY that covers them: sent again a few times. */
const closedErrors = new WeakSet<object>();

/**
 * The streams we closed or destroyed ourselves (an abort, a cancelled body): the end Node and Bun then push is ours,
 * not the server's word, and must not tell the health check the server is alive.
 */
const closedByUs = new WeakSet<http2.ClientHttp2Stream>();

/** Closes `stream` from our side: cancelled (`NGHTTP2_CANCEL`) without a reason, else destroyed with it. */
function closeOurs(stream: http2.ClientHttp2Stream, reason?: unknown): void {
  closedByUs.add(stream);
  if (reason === undefined) stream.close(http2.constants.NGHTTP2_CANCEL);
  else stream.destroy(reason as Error);
}

/**
 * Whether `error` failed a request that the server never processed, and how we know: `"refused"` when its stream was
 * refused (`REFUSED_STREAM`, or closed with code 0 after a GOAWAY: Bun's word for it), or was not sent because its
 * session had received GOAWAY (Node says so at once; Bun 1.4 fails the streams above the GOAWAY's last stream id so);
 * `"closed"` for a GET or HEAD closed before its answer with code 0 and no GOAWAY (Bun's word for some refusals, but
 * also a server that drops the request).
 *
 * @param error What {@linkcode sendOnSession} threw.
 * @returns The kind when the request may be sent again on another session, else `undefined`.
 *
 * @example A reset is not a refusal
 * ```ts
 * import { unprocessed } from "./_http2_request.ts";
 * console.log(unprocessed(new Error("reset"))); // undefined
 * ```
 */
export function unprocessed(error: unknown): "refused" | "closed" | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if (refusedErrors.has(error) || sessionGoneAway(error)) return "refused";
  return closedErrors.has(error) ? "closed" : undefined;
}

/** Whether `error` says its session takes no new stream: it received GOAWAY (Bun), or was destroyed (Node). */
function sessionGoneAway(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "ERR_HTTP2_GOAWAY_SESSION" || code === "ERR_HTTP2_INVALID_SESSION";
}

/**
 * Sends a request on the leased session; the lease is given back once its stream has closed.
 *
 * @param lease A place for the stream.
 * @param target The URL.
 * @param init Method, headers, a string body and the signal.
 * @returns The answer; its body aborts with the signal.
 * @throws {Error} The stream's error (a reset, a refusal), or the signal's reason.
 *
 * @example A GET
 * ```ts ignore
 * import { sendOnSession } from "./_http2_request.ts";
 * const { response } = await sendOnSession(lease, new URL("https://127.0.0.1:6443/version"), {});
 * ```
 */
export function sendOnSession(lease: StreamLease, target: URL, init: RequestInit): Promise<HttpResponse> {
  const headers: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headerLines(init.headers))) {
    if (!CONNECTION_HEADERS.has(name)) headers[name] = value;
  }
  const body = typeof init.body === "string" ? init.body : undefined;
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  headers[":method"] = init.method ?? "GET";
  headers[":path"] = `${target.pathname}${target.search}`;
  let stream: http2.ClientHttp2Stream;
  try {
    stream = lease.session.request(headers, { endStream: body === undefined });
  } catch (error) {
    lease.retire();
    lease.release();
    return Promise.reject(error);
  }
  stream.once("close", lease.release);
  // Bun fails a stream with "New streams cannot be created after receiving a GOAWAY" before its `goaway` event: the
  // session, offered again meanwhile, took the resends of the requests waiting (81,533 streams in 5 s, pauses off).
  stream.on("error", (error) => {
    if (sessionGoneAway(error)) lease.retire();
  });
  // What the stream reads counts for the health check, seen where Node pushes it, as it comes off the connection:
  // the `data` listener of `bufferedBody` sees it only once the buffer has room, late behind a slow reader. Node has
  // no session-wide event for a frame read. An end pushed after our own close is not read from the server: counted,
  // every watch stopped by a stall timer or a re-read put the PING of a hung server off again.
  // The end of a body read after the connection ended is a cut, which Node and Bun report as an end (the server's
  // END_STREAM never came): it fails the body, as over HTTP/1.1, rather than end a LIST short. On Node the stream is
  // destroyed by then, and the body fails at its close (`pushed_body.ts`) in the same words.
  const push = stream.push;
  stream.push = function (this: http2.ClientHttp2Stream, ...args: Parameters<typeof push>) {
    if (args[0] !== null || !closedByUs.has(stream)) lease.use.lastRead = performance.now();
    if (args[0] === null && lease.use.lost && !init.signal?.aborted) {
      closeOurs(stream, Object.assign(new Error(CUT), { code: "ECONNRESET" }));
      return false;
    }
    return push.apply(this, args);
  };
  return answer(stream, init, body, lease);
}

/** Whether an abort's reason is `abort()`'s own, a stop without a failure: a stall or a timeout gives its own. */
function isStop(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === "AbortError";
}

function answer(
  stream: http2.ClientHttp2Stream,
  init: RequestInit,
  body: string | undefined,
  lease: StreamLease,
): Promise<HttpResponse> {
  const signal = init.signal ?? undefined;
  const use = lease.use;
  return new Promise((resolve, reject) => {
    let answered = false;
    const onAbort = () => {
      const reason = signal!.reason;
      // Aborted as silent (a stall, an answer paused halfway): the connection may be frozen, and the retry that
      // follows must not wait on it too. A stop or a timeout of the caller's leaves the session in use.
      if (blamesConnection(reason)) lease.retire(true);
      reject(reason);
      if (!answered || !isStop(reason)) {
        closeOurs(stream, reason);
        return;
      }
      // As `node_http_client.ts`: a body pushed to a reader of the same signal has ended quietly by the next
      // microtask; the stream is then cancelled without an error.
      queueMicrotask(() => closeOurs(stream));
    };
    const done = () => signal?.removeEventListener("abort", onAbort);
    // Attached for good: the errors that follow an abort are expected, not uncaught.
    stream.on("error", (error) => {
      done();
      if (!answered && stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) refusedErrors.add(error);
      reject(error);
    });
    stream.once("close", () => {
      done();
      if (answered) return;
      const code = stream.rstCode;
      const error = Object.assign(
        new Error(`the server closed the request's HTTP/2 stream before it answered (error code ${code})`),
        { code: "ECONNRESET" },
      );
      // Bun 1.4.5 reports a refused stream as one closed with no error (code 0, no answer): a GET or HEAD so closed
      // is sent again, as Go's transport sends an idempotent request again; another method is not, unknown there.
      // After a GOAWAY it was refused; without one, the server may drop every send, so it is sent a few times only.
      const idempotent = ["GET", "HEAD"].includes(init.method ?? "GET");
      if (code === http2.constants.NGHTTP2_REFUSED_STREAM || (code === 0 && idempotent && use.goneAway)) {
        refusedErrors.add(error);
      } else if (code === 0 && idempotent) closedErrors.add(error);
      reject(error);
    });
    stream.once("response", (headers) => {
      answered = true;
      use.lastRead = performance.now();
      const grpc = grpcAnswer(headers);
      if (grpc !== undefined) {
        done();
        reject(grpc);
        closeOurs(stream);
        return;
      }
      const plain: Record<string, string | string[] | undefined> = {};
      for (const [name, value] of Object.entries(headers)) if (!name.startsWith(":")) plain[name] = value;
      try {
        const status = Number(headers[":status"]);
        const length = init.method === "HEAD" || status === 204 || status === 304
          ? undefined
          : Number(headers["content-length"] ?? NaN);
        const announced = Number.isSafeInteger(length) ? length : undefined;
        resolve(readableResponse(status, plain, bufferedBody(stream, signal, announced)));
      } catch (error) {
        done();
        reject(error);
      }
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (body !== undefined) stream.end(body);
  });
}

/** How much of an answer is read ahead of its reader: the stream window of `_http2_sessions.ts`. */
const READ_AHEAD = 4 * 2 ** 20;

/**
 * The body of `stream` in a buffer of ours, read ahead up to the stream's window: Node destroys a stream when its
 * connection closes, with what it had received and not yet given to a reader, so an answer the server finished
 * before it closed the connection (after GOAWAY) failed when read slowly. A stream closed before its end (a cut) or
 * failed fails the body; a stop by the signal ends it quietly, as the reader has. A body that ends short of its
 * `content-length` fails too: Bun 1.4.5 ends one the server reset with NO_ERROR or dropped with its session as if
 * complete, and this is the one sign of it there (Node's nghttp2 fails it itself).
 */
function bufferedBody(
  stream: http2.ClientHttp2Stream,
  signal: AbortSignal | undefined,
  announced: number | undefined,
): PassThrough {
  // Read ahead on the writing side only: at most the window, past which the stream stops and the server waits.
  // The `data` listener sets the stream flowing before the body has a reader, which is safe as the body holds what
  // comes, its end too, until it is read (a short body's end, emitted before a reader was attached, was lost when the
  // reader read the stream itself).
  const body = new PassThrough({ writableHighWaterMark: READ_AHEAD, readableHighWaterMark: 16 * 1024 });
  // Its reader gets its errors; a body nobody reads (the client closed under it) must not throw them.
  body.on("error", () => {});
  let received = 0;
  stream.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (!body.write(chunk)) stream.pause();
  });
  body.on("drain", () => stream.resume());
  stream.once("end", () => {
    if (announced === undefined || received === announced || signal?.aborted) return void body.end();
    const error = new Error(`the body ended short of its content-length: ${received} of ${announced} bytes came`);
    body.destroy(Object.assign(error, { code: "ECONNRESET" }));
  });
  stream.on("error", (error) => body.destroy(error));
  stream.once("close", () => {
    if (stream.readableEnded || body.destroyed) return;
    if (signal?.aborted) return void body.destroy();
    body.destroy(Object.assign(new Error(CUT), { code: "ECONNRESET" }));
  });
  // A reader that cancels the body cancels the stream.
  body.once("close", () => {
    if (!stream.destroyed) closeOurs(stream);
  });
  return body;
}

/**
 * The error for an answer that a gRPC server wrote (a `grpc-status`, a gRPC content type, or grpc-js's bare 415),
 * which kube-apiserver never writes: over HTTP/1.1, such a server refuses the TLS hello's ALPN instead, and the API
 * errors name it as no API server (`_network_error.ts` reads these words too).
 */
function grpcAnswer(headers: http2.IncomingHttpHeaders): Error | undefined {
  const status = Number(headers[":status"]);
  const type = headers["content-type"];
  const grpcStatus = headers["grpc-status"];
  if (grpcStatus === undefined && !type?.startsWith("application/grpc") && !(status === 415 && type === undefined)) {
    return undefined;
  }
  const detail = [`HTTP/2 status ${status}`, ...(grpcStatus === undefined ? [] : [`grpc-status ${grpcStatus}`])];
  return new Error(`the server answers in gRPC, not as a Kubernetes API server (${detail.join(", ")})`);
}
