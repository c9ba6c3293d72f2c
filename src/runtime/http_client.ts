/**
 * The choice of an HTTP client per runtime, the only runtime-specific part of
 * talking HTTP: TLS settings (our own CA, client certificates,
 * `tls-server-name`) and proxies. On Node and Bun without a proxy,
 * `node:http2` (`node_http2_client.ts`) by default, which hands a server that
 * picks HTTP/1.1, or a plain `http://` one, to `node:http` and `node:https`
 * (`node_http_client.ts`), as `http2: false` does with every server. Through
 * a proxy, an undici `Agent` on Node (`ProxyAgent` for HTTP(S) proxies, our
 * connector for SOCKS5 ones) and Bun's `fetch(..., { tls, proxy })` on Bun.
 * On Deno, undici always. Everything above this file is plain `fetch`.
 *
 * Node's own client costs less than undici's `request()`: measured with the
 * benchmark's 5,000-endpoint Service (one slice of 100 endpoints changed at a
 * time), 1.60–1.75 ms of CPU per update against 2.10–2.55 ms, and the
 * grpc-js event loop stalled 34–68 ms at first resolution against 97–123 ms.
 *
 * Deno runs undici through its Node compatibility layer rather than
 * `Deno.createHttpClient`, whose `caCerts` are added to the default roots
 * (the Mozilla store, `DENO_CERT`, `DENO_TLS_CA_STORE`): a server signed by
 * any CA the process trusts would pass. Deno's `node:tls` takes `ca` as the
 * only roots, as Node does, and also honours `servername` and
 * `rejectUnauthorized`. Checked on Deno 2.9.6, with `DENO_CERT` naming
 * another CA: `fetch` with `caCerts` of the cluster's CA accepted a server
 * signed by that other CA, where undici refused it. Deno's `fetch` has no
 * per-client server name or skipped verification either, sends loopback
 * servers through `HTTP_PROXY`, and a read pending on its body keeps the
 * process alive; and a burst's watch through it lagged more (BENCHMARKS.md,
 * Bursts: its body came as one chunk per event).
 *
 * @module
 */

import { isIP, type Socket } from "node:net";
import { unbracketedHost } from "../base/ip_address.ts";
import { ConfigError } from "../base/errors.ts";
import { caughtPeerCertificate } from "./_caught_peer_certificate.ts";
import { takeBunRequestSlot } from "./bun_request_slots.ts";
import { settledOnAbort } from "./abortable.ts";
import { type HttpClient, type HttpResponse, readableResponse } from "./http_response.ts";
import { nodeHttpClient } from "./node_http_client.ts";
import { nodeHttp2Client } from "./node_http2_client.ts";
import { runtimeKey } from "./runtime.ts";
import { type ConnectOptions, type Connector, socks5Connector } from "./socks5_connector.ts";
import { undiciKeepAlive } from "./tcp_keepalive.ts";
import { tlsOptions } from "./tls_options.ts";
import type { TlsSettings } from "./types.ts";
import { unrefTimer } from "./unref_timer.ts";
import { headerLines } from "./_header_lines.ts";
import { importedPackage } from "./_lazy_package.ts";
import { connectTimeoutText } from "./_connect_timeout_text.ts";
import { neverHoldProcess } from "./_unheld_socket.ts";

export type { HttpClient, HttpResponse } from "./http_response.ts";

/** What {@linkcode createHttpClient} needs to know about a cluster. */
export interface HttpClientSettings {
  /** CA, client certificate, server name, verification. */
  tls: TlsSettings;
  /**
   * The proxy to reach the API server through (the kubeconfig's `proxy-url` or the
   * environment's, chosen when the cluster was loaded); absent means a direct connection,
   * whatever the runtime's own `fetch` would do with `HTTPS_PROXY`.
   */
  proxyUrl?: string;
  /** Where `proxyUrl` came from (`HTTPS_PROXY`, `proxy-url of <kubeconfig>`), for the SOCKS5 proxy's messages. */
  proxySource?: string;
  /**
   * How long a new connection may take to be set up, TLS (and a SOCKS5 proxy's handshake) included, before its
   * request fails as one to an unreachable server; not through an HTTP(S) proxy, whose tunnel has undici's own.
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * Whether to talk HTTP/2 to the API server on Node and Bun when no proxy is in the way (`node_http2_client.ts`),
   * offered in ALPN beside HTTP/1.1, which a server that picks it (or a plain `http://` one) still gets; HTTP/1.1
   * always on Deno and through a proxy. `false` keeps HTTP/1.1 everywhere; absent, as `true`, HTTP/2 where it can
   * (an explicit `cluster.http2: true` that cannot have it is traced once per cluster access, by
   * `resolve_cluster_access.ts`, not here).
   * @default {true}
   */
  http2?: boolean;
}

/** How long a new connection may take, as undici's own connect timeout (10 s) and `node_http_client.ts`'s. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Creates an HTTP client for one cluster on the current runtime.
 *
 * @param settings The cluster's TLS settings and proxy.
 * @returns The client.
 *
 * @example A client that trusts a private CA
 * ```ts ignore
 * import { createHttpClient } from "./http_client.ts";
 * const client = await createHttpClient({ tls: { ca: "-----BEGIN CERTIFICATE-----...", caSource: "ca.pem" } });
 * const { response } = await client.fetch("https://127.0.0.1:6443/version", {});
 * console.log(await response.json());
 * client.close();
 * ```
 */
export async function createHttpClient(
  { tls, proxyUrl, proxySource, connectTimeoutMs = CONNECT_TIMEOUT_MS, http2 }: HttpClientSettings,
): Promise<HttpClient> {
  const runtime = runtimeKey();
  // Not on Deno: its node:http2 loses answered bodies when a session that received GOAWAY closes (2.9.6).
  if (http2 !== false && runtime !== "deno" && proxyUrl === undefined) return nodeHttp2Client(tls, connectTimeoutMs);
  if (runtime === "deno") return await undiciClient(tls, proxyUrl, proxySource, connectTimeoutMs);
  if (proxyUrl === undefined) return nodeHttpClient(tls, connectTimeoutMs);
  return runtime === "bun"
    ? bunFetchClient(tls, proxyUrl)
    : await undiciClient(tls, proxyUrl, proxySource, connectTimeoutMs);
}

/**
 * Whether the client {@linkcode createHttpClient} makes for this proxy sends a header name given more than once as
 * one line of comma-joined values: Bun's `fetch`, which it uses on Bun through a proxy.
 *
 * @param proxyUrl The proxy, if any.
 * @returns True on Bun with a proxy.
 *
 * @example
 * ```ts
 * import { joinsRepeatedHeaders } from "./http_client.ts";
 * console.log(joinsRepeatedHeaders(undefined)); // false
 * ```
 */
export function joinsRepeatedHeaders(proxyUrl: string | undefined): boolean {
  return proxyUrl !== undefined && runtimeKey() === "bun";
}

/**
 * Bun's `fetch`, for a cluster reached through an HTTP(S) proxy only: its pending requests hold the process
 * (README, "Process lifetime"), but it speaks to proxies, which `node_http_client.ts` does not. Each request holds
 * one of Bun's request slots until its body ends (`bun_request_slots.ts`): past the last one, a request fails
 * rather than waiting forever.
 */
function bunFetchClient(tls: TlsSettings, proxy: string): HttpClient {
  const { servername, ...rest } = tlsOptions(tls);
  const options: Record<string, unknown> = { ...rest, ...(servername !== undefined ? { serverName: servername } : {}) };
  return {
    async fetch(url, init) {
      const signal = init.signal ?? undefined;
      const releaseSlot = takeBunRequestSlot();
      const release = () => {
        signal?.removeEventListener("abort", release);
        releaseSlot();
      };
      signal?.addEventListener("abort", release, { once: true });
      try {
        const response = await fetch(url, { ...init, tls: options, proxy } as RequestInit);
        const { status, statusText, headers } = response;
        const body = response.body === null ? null : releasedAtEnd(response.body, release);
        if (body === null) release();
        const tracked = new Response(body, { status, statusText, headers });
        return { response: tracked, chunks: tracked.body };
      } catch (error) {
        release();
        throw error;
      }
    },
    close() {},
    // Measured on Bun 1.4.5: two `Impersonate-Group` pairs arrived as one line, `dev, a, b`.
    joinsRepeatedHeaders: true,
  };
}

/** `body`, calling `release` once it has ended, failed or been cancelled. */
function releasedAtEnd(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
}

async function undiciClient(
  tls: TlsSettings,
  proxyUrl: string | undefined,
  proxySource: string | undefined,
  connectTimeoutMs: number,
): Promise<HttpClient> {
  const undici = await undiciPackage();
  const connect: Record<string, unknown> = { ...tlsOptions(tls), ...undiciKeepAlive };
  const factory = releasingPool(undici);
  // Without undici's timers (see `limitConnectTime()`): no connect timeout of its own, and no headers or body
  // timeout, which Node's own client (`node_http_client.ts`) has none of either: the watch's stall deadline and the
  // time limits of each read stand in for them.
  const untimed = { factory, headersTimeout: 0, bodyTimeout: 0 };
  const secure = caughtPeerCertificate(undici.buildConnector({ ...connect, timeout: 0 }) as Connector);
  const connecting: Connecting = new Map();
  const agent = !proxyUrl
    ? new undici.Agent({ ...untimed, connect: limitConnectTime(undici, secure, connectTimeoutMs, connecting, true) })
    : ["socks5:", "socks5h:"].includes(new URL(proxyUrl).protocol)
    ? new undici.Agent({
      ...untimed,
      connect: limitConnectTime(undici, socks5Connector(proxyUrl, secure, proxySource), connectTimeoutMs, connecting),
    })
    : new undici.ProxyAgent({
      uri: proxyUrl,
      // As Go's net/http (and Bun's fetch): a request for an http:// server goes to an http:// proxy as is (`GET
      // http://host:port/path`), not through a CONNECT tunnel, which proxies such as Squid refuse by default for any
      // port but 443. An https:// proxy is still tunnelled through (undici forwards through http:// ones only).
      proxyTunnel: false,
      proxyTls: connect,
      requestTls: connect,
      factory: failingTunnels(factory),
      clientFactory: (origin, options) =>
        factory(origin, {
          ...options,
          headersTimeout: PROXY_CONNECT_TIMEOUT_MS,
          connect: tracked(withoutIpServername(options), connecting),
        }),
    });
  return {
    fetch: (url, init) => requestAsResponse(undici, agent, url, init),
    close() {
      agent.destroy().catch(() => {});
      // undici's destroy() waits for a connection still being set up: a server that never completes TLS, or a
      // network that drops packets, would keep it and its timer (ours, or undici's to a proxy) until it times out.
      for (const [socket, timer] of connecting) {
        clearTimeout(timer);
        socket.destroy(new undici.errors.ClientDestroyedError());
      }
      connecting.clear();
    },
  };
}

type Undici = typeof import("undici");

/** What undici does for us, for the message of an import that fails. */
const UNDICI_ROLE = "makes the requests to the API server on Deno, and through a proxy on Node";

/** undici's exports that we call (`errors` is an object of classes). */
const UNDICI_CALLS = ["Agent", "ProxyAgent", "Pool", "buildConnector", "request"] as const;

/**
 * undici, or a `ConfigError` that says why it did not load: the request that needed it was never sent, so it is not
 * read as a network error ("cannot reach the API server"), and the watch reports it as the yaml package's.
 */
async function undiciPackage(): Promise<Undici> {
  try {
    return await importedPackage("undici", UNDICI_ROLE, () => import("undici"), UNDICI_CALLS);
  } catch (error) {
    throw new ConfigError(`Cannot make requests to the API server: ${(error as Error).message}`, {
      cause: (error as Error).cause ?? error,
    });
  }
}

/** The connections of one client still being set up, with our connect timer if any (see `limitConnectTime()`). */
type Connecting = Map<Socket, ReturnType<typeof setTimeout> | undefined>;

/** `connector`, each connection it opens in `connecting` until it is set up or fails, for the client's `close()`. */
function tracked(connector: Connector, connecting: Connecting): Connector {
  return (options, callback) => {
    let settled = false;
    let opened: Socket | undefined;
    const socket = connector(options, (...result: Parameters<Parameters<Connector>[1]>) => {
      settled = true;
      if (opened) connecting.delete(opened);
      callback(...result);
    });
    if (!settled && isSocket(socket)) connecting.set(opened = socket, undefined);
    return socket;
  };
}

/**
 * `connector`, failing a connection that is not set up within `ms` as undici's connect timeout does ("Connect Timeout
 * Error", which the API errors report as an unreachable server, or as a reached one that never answered the TLS
 * hello), on a timer of the runtime's that is cleared when the connection is set up or fails. undici's own timers
 * share one tick, which goes on for up to a second after the last of them was cleared: a test that closed its channel
 * or left its `watchEndpoints()` loop found it still pending (Deno's op sanitizer), where a grpc-js channel with a
 * `dns:` target leaves nothing. A connection being set up is in `connecting` with its timer, for the client's `close()`
 * to end. Only a `direct` one is said to have been set up without a TLS answer: through a SOCKS5 proxy, the socket
 * set up may be the proxy's.
 */
function limitConnectTime(
  undici: Undici,
  connector: Connector,
  ms: number,
  connecting: Connecting,
  direct = false,
): Connector {
  const connect = tracked(connector, connecting);
  return (options, callback) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const socket = connect(options, (...result: Parameters<Parameters<Connector>[1]>) => {
      settled = true;
      clearTimeout(timer);
      callback(...result);
    });
    if (!settled && isSocket(socket)) {
      const tls = direct && options.protocol === "https:";
      timer = unrefTimer(setTimeout(() => {
        socket.destroy(new undici.errors.ConnectTimeoutError(connectTimeoutText(tls && !socket.connecting, ms)));
      }, ms));
      connecting.set(socket, timer);
    }
    return socket;
  };
}

/**
 * How long an HTTP proxy has to answer a CONNECT: undici waits for its headers as for any answer's (300 s), and a
 * proxy that takes the connection and never answers held a request until the stall timeout (150 s), blamed on the
 * API server. 10 s, as undici's connection timeout, which the tunnel is part of (Go's `net/http` allows 1 min).
 */
const PROXY_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The connector of a `ProxyAgent`'s client to an `https://` proxy, sending no IP address in SNI: undici names the
 * proxy's host there, which Node warns about (DEP0123) and Deno refuses ("must not be an IP address"). Go sends none
 * for an IP address and checks the certificate against it, as `node:tls` does with the host once the name is gone.
 */
function withoutIpServername(options: { connect?: unknown }): Connector {
  const connect = options.connect as Connector;
  return (connectOptions, callback) => {
    const { servername } = connectOptions as ConnectOptions & { servername?: string | null };
    const ip = servername ? isIP(unbracketedHost(servername)) !== 0 : false;
    return connect(ip ? { ...connectOptions, servername: null } as ConnectOptions : connectOptions, callback);
  };
}

/**
 * A `ProxyAgent`'s pool factory whose requests fail when the proxy closes a connection before it answers the CONNECT
 * (a proxy that drops tunnels it refuses): undici 7.30 takes that (`UND_ERR_SOCKET`) for an established connection
 * that broke, keeps the request and tunnels again at once, thousands of times a second, and the request never ends
 * (nodejs/undici#3897). It fails as a reset connection, which the watch backs off from and reports.
 */
function failingTunnels(factory: ReturnType<typeof releasingPool>): ReturnType<typeof releasingPool> {
  return (origin, options) => {
    if (typeof options.connect !== "function") return factory(origin, options);
    const connect = options.connect as Connector;
    const final: Connector = (connectOptions, callback) =>
      connect(connectOptions, (...result: Parameters<Parameters<Connector>[1]>) => {
        const [error] = result;
        if ((error as { code?: unknown } | null)?.code !== "UND_ERR_SOCKET") return callback(...result);
        const closed = new Error("the proxy closed the connection before it answered the CONNECT", { cause: error });
        callback(Object.assign(closed, { code: "ECONNRESET" }), null);
      });
    return factory(origin, { ...options, connect: final });
  };
}

/**
 * A pool factory for undici agents whose sockets never keep the process alive
 * (README, "Process lifetime"): like grpc-js's own timers, a watch nobody
 * closed must not hold a script whose calls are done. undici refs a socket
 * while a request is in flight, and a watch always is, so `ref()` is disabled
 * on these sockets. A caller that must keep the process alive holds it itself.
 */
function releasingPool(undici: Undici) {
  return (origin: string | URL, options: { connect?: Connector | object; headersTimeout?: number }) => {
    const connect: Connector = typeof options.connect === "function"
      ? options.connect as Connector
      : undici.buildConnector({ ...options.connect });
    const releasing: Connector = (connectOptions, callback) => {
      const connecting = connect(connectOptions, (...result: Parameters<Parameters<Connector>[1]>) => {
        if (result[1]) neverHoldProcess(result[1]);
        callback(...result);
      });
      // A server that accepts and never completes TLS would otherwise hold the process until undici's connect
      // timeout (10 s), even after every request on it was aborted; so would a SOCKS5 proxy that never answers.
      // undici's own connector and ours (SOCKS5) return the socket they are connecting; a proxy agent's a promise.
      if (isSocket(connecting)) neverHoldProcess(connecting);
      return connecting;
    };
    return new undici.Pool(origin, { ...options, connect: releasing });
  };
}

function isSocket(value: unknown): value is Socket {
  return typeof (value as Socket | undefined)?.unref === "function";
}

/**
 * Whether a request failed because Deno refused to look up the server's host name: undici looks the name up with
 * `node:dns`, which reports a lookup that `--allow-net` does not cover as `getaddrinfo EPERM`, not as the
 * `NotCapable` error a refused address gets.
 *
 * @param error The request's failure.
 * @returns True for a lookup that Deno refused.
 *
 * @example The error of a refused lookup
 * ```ts
 * import { lookupRefusedByDeno } from "./http_client.ts";
 * const error = Object.assign(new Error("getaddrinfo EPERM k8s.example"), { code: "EPERM", syscall: "getaddrinfo" });
 * console.log(lookupRefusedByDeno(error)); // true on Deno
 * ```
 */
export function lookupRefusedByDeno(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return runtimeKey() === "deno" && code === "EPERM" && syscall === "getaddrinfo";
}

/**
 * A request through undici's `request()` (redirects are not followed), answered as a web
 * `Response` and, for the watch decoder, as the readable's own chunks (see
 * `pushed_body.ts`): undici's `fetch` layers web streams over the socket.
 */
async function requestAsResponse(
  undici: Undici,
  dispatcher: InstanceType<Undici["Dispatcher"]>,
  url: string,
  init: RequestInit,
): Promise<HttpResponse> {
  const signal = init.signal ?? undefined;
  const { statusCode, headers, body } = await settledOnAbort(
    undici.request(url, {
      dispatcher,
      method: init.method ?? "GET",
      body: typeof init.body === "string" ? init.body : undefined,
      headers: headerLines(init.headers),
      signal,
    }),
    signal,
  );
  return readableResponse(statusCode, headers, body);
}
