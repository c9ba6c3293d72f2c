/**
 * The HTTP/1.1 client on `node:http` and `node:https`, for Node and Bun when no
 * proxy is in the way and HTTP/2 is not spoken: with `http2: false`, and under
 * `node_http2_client.ts` for a server that picks HTTP/1.1 in the TLS hello or a
 * plain `http://` one. On Node it costs less CPU per watch event than undici
 * (see `http_client.ts`). On Bun, its `fetch` cannot let a pending request not
 * hold the process (README, "Process lifetime"), so a watch behind a gRPC
 * channel nobody closed kept a Bun script alive until the channel went idle; a
 * `node:http` socket can be unref'd, as undici's are on Deno. Bun's `node:http`
 * asks for no content encoding and, unlike its `fetch`, sent a loopback request
 * directly with `HTTP_PROXY` set: the proxy, if any, was chosen when the
 * cluster was loaded, and a proxied cluster goes through Bun's `fetch`
 * (`http_client.ts`): Bun ignores a `createConnection` that answers through its
 * callback, which a tunnel through a proxy needs.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import { createSecureContext } from "node:tls";
import { type HttpClient, type HttpResponse, readableResponse } from "./http_response.ts";
import { keepAlive } from "./tcp_keepalive.ts";
import { unrefTimer } from "./unref_timer.ts";
import { type TlsOptions, tlsOptions } from "./tls_options.ts";
import type { TlsSettings } from "./types.ts";
import { headerLines } from "./_header_lines.ts";
import { connectTimeoutError, connectTimeoutText } from "./_connect_timeout_text.ts";
import { neverHoldProcess } from "./_unheld_socket.ts";

/** How long a new connection may take, TLS included, as undici's connect timeout (10 s). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How long an idle connection stays pooled, as undici's keep-alive timeout (4 s) for a server that gives no
 * `Keep-Alive` hint (kube-apiserver gives none; Node's agent takes a shorter hint). Unbounded, a connection that a
 * load balancer dropped while idle was reused minutes later, and the request failed with ECONNRESET.
 */
const IDLE_TIMEOUT_MS = 4_000;

/** The TLS options of `node:https`: a cluster's (`tls_options.ts`) in one context, and HTTP/1.1 in ALPN. */
type HttpsOptions =
  & Omit<TlsOptions, "ca" | "cert" | "key">
  & Pick<https.AgentOptions, "ALPNProtocols" | "secureContext">;

/**
 * Creates an HTTP client on `node:http`/`node:https` whose sockets never keep the process alive; redirects are
 * never followed, and the TLS options (CA as the only roots, client certificate, server name, verification)
 * are the cluster's.
 *
 * @param tls The cluster's TLS settings.
 * @param connectTimeoutMs How long a new connection may take to be set up, TLS included, before its request fails
 *   as one to an unreachable server (a stopped process accepts connections and never completes TLS).
 * @param idleTimeoutMs How long a connection with no request on it stays pooled for the next one.
 * @returns The client.
 *
 * @example A client that trusts a private CA
 * ```ts ignore
 * import { nodeHttpClient } from "./node_http_client.ts";
 * const client = nodeHttpClient({ ca: "-----BEGIN CERTIFICATE-----...", caSource: "ca.pem" });
 * const { response } = await client.fetch("https://127.0.0.1:6443/version", {});
 * console.log(await response.json());
 * client.close();
 * ```
 */
export function nodeHttpClient(
  tls: TlsSettings,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
  idleTimeoutMs = IDLE_TIMEOUT_MS,
): HttpClient {
  // HTTP/1.1 named in the TLS hello, as undici does: an HTTP/2-only server (a gRPC server's port) refuses it in
  // TLS, where without it Node's answered 403, which the API errors took for a missing RBAC grant.
  const { ca, cert, key, ...checks } = tlsOptions(tls);
  // One TLS context for all the client's connections, as client-go keeps one tls.Config per transport: given the CA
  // and key as options, node:tls parsed them again for each connection, and 500 watches reconnecting after an
  // API-server restart stopped Node's loop for seconds.
  const options: HttpsOptions = {
    ...checks,
    secureContext: createSecureContext({ ca, cert, key }),
    ALPNProtocols: ["http/1.1"],
  };
  // An agent's `timeout` closes only pooled sockets: one a request is on (a quiet watch) stays.
  const plain = new http.Agent({ keepAlive: true, timeout: idleTimeoutMs });
  const secure = new https.Agent({ keepAlive: true, timeout: idleTimeoutMs, ...options });
  return {
    async fetch(url, init) {
      const target = new URL(url);
      const secured = target.protocol === "https:";
      const connect = { ready: secured ? "secureConnect" : "connect", ms: connectTimeoutMs } as const;
      const { sent, credentials } = requestOptions(init);
      for (;;) {
        const request = secured
          ? https.request(target, { ...options, agent: secure, ...sent })
          : http.request(target, { agent: plain, ...sent });
        for (const [name, value] of credentials) request.setHeader(name, value);
        try {
          return await send(request, init, connect);
        } catch (error) {
          if (!closedWhilePooled(request, error, init)) throw error;
        }
      }
    },
    close() {
      plain.destroy();
      secure.destroy();
    },
  };
}

/**
 * Headers that carry a credential: set on the request once it is made, as `NODE_DEBUG=http` prints the options given
 * to `http.request()`, headers included (a bearer token showed), and not what `setHeader()` adds.
 */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization"]);

/** The options of a request for `http.request()`, and apart from them its credential headers. */
function requestOptions(
  init: RequestInit,
): { sent: http.RequestOptions; credentials: [string, string | string[]][] } {
  const headers = headerLines(init.headers);
  if (typeof init.body === "string") headers["content-length"] = String(Buffer.byteLength(init.body));
  const credentials = Object.entries(headers).filter(([name]) => CREDENTIAL_HEADERS.has(name));
  for (const [name] of credentials) delete headers[name];
  return { sent: { method: init.method ?? "GET", headers }, credentials };
}

/** Whether an abort's reason is `abort()`'s own, a stop without a failure: a stall or a timeout gives its own. */
function isStop(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === "AbortError";
}

/**
 * Sends `request` and answers with its response; the signal aborts it until the response's body ends. A socket
 * is released as soon as the request has one, so that a server that accepts and never answers (or never
 * completes TLS) does not hold the process either; a new one that does not emit `connect.ready` within
 * `connect.ms` fails the request.
 */
function send(request: http.ClientRequest, init: RequestInit, connect: ConnectLimit): Promise<HttpResponse> {
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    let received: http.IncomingMessage | undefined;
    const onAbort = () => {
      const reason = signal!.reason;
      reject(reason);
      if (received === undefined || !isStop(reason)) {
        // The body's readers get the signal's reason, as with `fetch`.
        received?.destroy(reason);
        request.destroy(reason);
        return;
      }
      // A stop of an answer under way is no failure: a body pushed to a reader of the same signal (a watch's) has
      // ended quietly by the next microtask, and neither the request nor the answer may emit an error (OpenTelemetry's
      // http instrumentation marks the span ERROR). A body read otherwise still gets the reason.
      queueMicrotask(() => {
        received!.destroy(reason);
        request.destroy();
      });
    };
    const done = () => signal?.removeEventListener("abort", onAbort);
    // Attached for good: the errors that follow an abort are expected, not uncaught.
    request.on("error", (error) => {
      done();
      reject(error);
    });
    request.on("socket", (socket) => {
      neverHoldProcess(socket);
      // On a reused one too: the agent set its own 1 s (keepAliveMsecs) when it pooled it, as Bun's does on a new one.
      keepAlive(socket);
      if (!request.reusedSocket) limitConnectTime(request, socket, connect);
    });
    request.on("response", (response) => {
      received = response;
      response.on("error", () => {});
      response.on("close", done);
      try {
        resolve(readableResponse(response.statusCode ?? 0, response.headers, response));
      } catch (error) {
        done();
        reject(error);
      }
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    request.end(typeof init.body === "string" ? init.body : undefined);
  });
}

/**
 * Whether a request failed only because the pooled connection it was sent on had been closed by the server, so that
 * it may be sent again, as Go's HTTP client (client-go's) sends it again: a GET or HEAD, not aborted, that met a reset
 * or a closed pipe on a reused socket before any answer. The pool's idle timeout drops a connection before a server's
 * own does, but not one that a process resumes with (SIGSTOP, a frozen container): a watch that the server ended, and
 * whose connection it closed after its idle timeout (kube-apiserver: 90 s) while the process was stopped, gave its
 * socket back as it was read, and the watch resumed on it failed at once (ECONNRESET on Bun, EPIPE on Node), and
 * waited for a backoff. Each such socket is destroyed: the next attempt takes another one, or a new connection.
 */
function closedWhilePooled(request: http.ClientRequest, error: unknown, init: RequestInit): boolean {
  if (init.signal?.aborted || !request.reusedSocket) return false;
  const code = (error as { code?: unknown } | null)?.code;
  const method = init.method ?? "GET";
  return (code === "ECONNRESET" || code === "EPIPE") && (method === "GET" || method === "HEAD");
}

/** The event of a socket that is set up (`secureConnect` for TLS), and how long to wait for it. */
interface ConnectLimit {
  ready: "connect" | "secureConnect";
  ms: number;
}

/**
 * Fails `request` when its new `socket` is not set up within `ms`, in undici's words ("Connect Timeout Error"),
 * which the API errors report as an unreachable server, or, when the server took the connection and never answered
 * the TLS hello or stalled in the handshake (a stopped or hung API server), as a reached one.
 */
function limitConnectTime(request: http.ClientRequest, socket: Socket, { ready, ms }: ConnectLimit): void {
  const timer = unrefTimer(setTimeout(() => {
    request.destroy(connectTimeoutError(connectTimeoutText(ready === "secureConnect" && !socket.connecting, ms)));
  }, ms));
  const stop = () => clearTimeout(timer);
  socket.once(ready, stop);
  socket.once("close", stop);
}
