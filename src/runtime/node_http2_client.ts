/**
 * The HTTP/2 client on `node:http2`, for Node and Bun when no proxy is in the way, unless a cluster sets
 * `http2: false` (`http_client.ts`): the watches of a cluster share a few TLS connections (one per 100 streams, the
 * kube-apiserver's limit; see `_http2_sessions.ts`) rather than one each, and a hung API server is noticed by PING
 * within 45-46 s (`_http2_health.ts`). A request refused by a session going away is sent again on another, for up to
 * 5 s: a restarting kube-apiserver, or one with `--goaway-chance`, may send several new sessions away in a row. The
 * resends open at most one new session to a server each 200 ms (`_http2_sessions.ts`).
 *
 * The TLS hello offers `h2` and `http/1.1`: a server that picks HTTP/1.1 (a TLS-terminating gateway), or a plain
 * `http://` one (kube-apiserver serves no HTTP/2 without TLS), is served by `node_http_client.ts`, from then on for a
 * server that picked it. Failures reach the API errors in the words of `node_http_client.ts`: `node:tls`'s own for
 * a refused, unreachable or unverified server, and the same connect timeout.
 *
 * Not on Deno: its `node:http2` loses bodies already answered when a session that received GOAWAY closes (Deno
 * 2.9.6), silently.
 *
 * @module
 */

import { createSecureContext } from "node:tls";
import type { ClientHttp2Session } from "node:http2";
import { settledOnAbort } from "./abortable.ts";
import type { HttpClient } from "./http_response.ts";
import { nodeHttpClient } from "./node_http_client.ts";
import { tlsOptions } from "./tls_options.ts";
import type { TlsSettings } from "./types.ts";
import { unrefTimer } from "./unref_timer.ts";
import { HTTP2_TIMING, type Http2Timing } from "./_http2_health.ts";
import { sendOnSession, unprocessed } from "./_http2_request.ts";
import { http2Sessions } from "./_http2_sessions.ts";

/** How long TCP and TLS may take, as `node_http_client.ts`'s (10 s); then as long again for the server's SETTINGS. */
const CONNECT_TIMEOUT_MS = 10_000;

/** How many sends of a request go at once; a resend after them waits a random pause (`timing.resendPauseMs`). */
const SENDS_WITHOUT_PAUSE = 2;

/**
 * How many times a GET closed before its answer without an error code, and without a GOAWAY that explains it, is
 * sent: Bun's word for some refused streams, but also a server that drops the request, which more sends do not mend.
 */
const CLOSED_TRIES = 5;

/**
 * Creates an HTTP client on `node:http2` whose sessions never keep the process alive; redirects are never
 * followed, and the TLS options (CA as the only roots, client certificate, server name, verification) are the
 * cluster's.
 *
 * @param tls The cluster's TLS settings.
 * @param connectTimeoutMs How long a new connection may take to be set up, TLS included, before its request fails
 *   as one to an unreachable server; then as long again for the server's first SETTINGS frame.
 * @param timing The health check's and the resends' times, `HTTP2_TIMING`'s where not given; tests shorten them.
 * @returns The client.
 *
 * @example A client that trusts a private CA
 * ```ts ignore
 * import { nodeHttp2Client } from "./node_http2_client.ts";
 * const client = nodeHttp2Client({ ca: "-----BEGIN CERTIFICATE-----...", caSource: "ca.pem" });
 * const { response } = await client.fetch("https://127.0.0.1:6443/version", {});
 * console.log(await response.json());
 * client.close();
 * ```
 */
export function nodeHttp2Client(
  tls: TlsSettings,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
  given: Http2Timing = HTTP2_TIMING,
): HttpClient {
  const timing = { ...HTTP2_TIMING, ...given };
  const { ca, cert, key, ...checks } = tlsOptions(tls);
  // One TLS context for all the client's connections, as `node_http_client.ts`.
  const sessions = http2Sessions(
    { ...checks, secureContext: createSecureContext({ ca, cert, key }) },
    connectTimeoutMs,
    timing,
  );
  let http1: HttpClient | undefined;
  const overHttp1 = () => http1 ??= nodeHttpClient(tls, connectTimeoutMs);
  /** The origins whose server picked HTTP/1.1 in ALPN. */
  const http1Origins = new Set<string>();
  return {
    async fetch(url, init) {
      const target = new URL(url);
      if (target.protocol !== "https:" || http1Origins.has(target.origin)) return await overHttp1().fetch(url, init);
      const started = performance.now();
      /** The sessions that refused the request unprocessed. */
      const refusedOn = new Set<ClientHttp2Session>();
      for (let sends = 1;; sends++) {
        const lease = await sessions.take(target, init.signal, refusedOn.size > 0);
        if (lease === "http/1.1") {
          http1Origins.add(target.origin);
          return await overHttp1().fetch(url, init);
        }
        try {
          return await sendOnSession(lease, target, init);
        } catch (error) {
          if (init.signal?.aborted) throw error;
          // A request sent before the server's SETTINGS fails with its session when they never come: that says why.
          await lease.started;
          const kind = unprocessed(error);
          if (kind === undefined) throw error;
          if (kind === "closed") {
            if (sends >= CLOSED_TRIES) throw error;
            continue;
          }
          refusedOn.add(lease.session);
          const spent = performance.now() - started;
          if (spent >= timing.resendMs) throw refusedTooLong(refusedOn.size, spent, error);
          if (sends >= SENDS_WITHOUT_PAUSE) await resendPause(timing, init.signal ?? undefined);
        }
      }
    },
    close() {
      sessions.close();
      http1?.close();
    },
  };
}

/** A random pause within `resendPauseMs`, which `signal` ends with its reason; it never keeps the process alive. */
function resendPause(timing: Required<Http2Timing>, signal: AbortSignal | undefined): Promise<void> {
  const [least, most] = timing.resendPauseMs;
  const ms = least + timing.random() * (most - least);
  return settledOnAbort(new Promise<void>((resolve) => unrefTimer(setTimeout(resolve, ms))), signal);
}

/**
 * The error of a request that sessions refused unprocessed (after GOAWAY) for the whole resend time: the server is
 * reached, and sends every new connection away (the API errors read these words, `_network_error.ts`).
 */
function refusedTooLong(connections: number, ms: number, last: unknown): Error {
  const count = connections === 1 ? "1 connection" : `${connections} connections`;
  return new Error(
    `the API server refused new streams after GOAWAY on ${count} in ${(ms / 1000).toFixed(1)} s`,
    { cause: last },
  );
}
