/**
 * What every HTTP client of `runtime/` returns, and how an answer whose body
 * is a Node readable (undici's `request()`, `node:http`) becomes one: a web
 * `Response` plus the same body pushed to the watch decoder
 * (`pushed_body.ts`).
 *
 * @module
 */

import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { bodyOfPushSource, type ChunkSource, type PushSource } from "./pushed_body.ts";

/** An answer of {@linkcode HttpClient.fetch}. */
export interface HttpResponse {
  /** The status, the headers, and the body as a web stream. */
  readonly response: Response;
  /**
   * The same body as the watch decoder reads it fastest: chunks pushed by the
   * connection (undici and `node:http`), or the web stream itself (Bun's `fetch`, for proxied clusters);
   * `null` when there is no body. Read the body either here or through `response`, not both.
   */
  readonly chunks: ChunkSource | null;
}

/** A `fetch` bound to one cluster's TLS settings, and a way to release its connections. */
export interface HttpClient {
  /**
   * A request like the global `fetch`'s, with the cluster's TLS settings applied; only
   * method (GET unless given), headers, a string body, signal and `redirect: "manual"`
   * are used, and redirects are never followed. A body the server compressed with gzip (asked for with
   * `accept-encoding: gzip`) is read decompressed, as `fetch` reads it.
   */
  fetch(url: string, init: RequestInit): Promise<HttpResponse>;
  /** Closes pooled connections; the client must not be used afterwards. */
  close(): void;
  /**
   * Set when a header name given more than once goes as one line of comma-joined values (Bun's `fetch`, used through
   * a proxy), which a header whose values may hold commas (`Impersonate-Group`) cannot survive.
   */
  readonly joinsRepeatedHeaders?: true;
}

/** Statuses whose response cannot carry a body. */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** A Node readable body, as undici's `request()` and `node:http` give it. */
export interface ReadableBody extends PushSource {
  /** Lets the body flow to its end unread (a body the status says is empty). */
  resume(): unknown;
}

/**
 * Makes the answer of a request whose body is a Node readable: a body that
 * the status says cannot exist is drained and answered as `null`; a gzip one
 * is decompressed (`content-encoding` stays, as `fetch` leaves it). A status
 * that a `Response` cannot have (below 200) destroys the body and throws.
 *
 * @param status The HTTP status.
 * @param headers The headers, as Node gives them (lower-case names, repeated ones as arrays).
 * @param body The body, not yet flowing.
 * @returns The web `Response` and the pushed body.
 * @throws {RangeError} When `status` is outside 200-599.
 *
 * @example A 200 answer with a JSON body
 * ```ts
 * import { Readable } from "node:stream";
 * import { readableResponse } from "./http_response.ts";
 * const body = Readable.from([new TextEncoder().encode("{}")]);
 * const { response } = readableResponse(200, { "content-type": "application/json" }, body);
 * console.log(await response.json()); // {}
 * ```
 */
export function readableResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: ReadableBody,
): HttpResponse {
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const one of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      responseHeaders.append(name, one);
    }
  }
  try {
    if (NULL_BODY_STATUS.has(status)) {
      body.resume();
      return { response: new Response(null, { status, headers: responseHeaders }), chunks: null };
    }
    const { stream, pushed } = bodyOfPushSource(headers["content-encoding"] === "gzip" ? gunzipped(body) : body);
    return { response: new Response(stream, { status, headers: responseHeaders }), chunks: pushed };
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** The body decompressed; an error on either side (a truncated or corrupt body) ends both. */
function gunzipped(body: ReadableBody): PushSource {
  const gunzip = createGunzip();
  pipeline(body as unknown as Readable, gunzip, () => {});
  return gunzip;
}
