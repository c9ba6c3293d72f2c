/**
 * The only runtime-specific part of talking HTTP: TLS settings (our own CA,
 * client certificates, `tls-server-name`) need Deno `Deno.createHttpClient`,
 * Bun `fetch(..., { tls })` or, on Node, an undici `Agent`. Everything above
 * this file is plain `fetch`.
 *
 * @module
 */

import type { TlsSettings } from "../cluster_access.ts";
import { streamOfPushSource } from "./pushed_body.ts";
import { runtimeKey } from "./runtime.ts";
import { trace } from "../trace.ts";

/** A `fetch` bound to one cluster's TLS settings, and a way to release its connections. */
export interface HttpClient {
  /**
   * A GET like the global `fetch`'s, with the cluster's TLS settings applied; only
   * headers, signal and `redirect: "manual"` are used, and redirects are never followed.
   */
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Closes pooled connections; the client must not be used afterwards. */
  close(): void;
}

/** What {@linkcode createHttpClient} needs to know about a cluster. */
export interface HttpClientSettings {
  /** CA, client certificate, server name, verification. */
  tls: TlsSettings;
  /** The kubeconfig's `proxy-url`: an HTTP(S) proxy to reach the API server through. */
  proxyUrl?: string;
}

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
 * const response = await client.fetch("https://127.0.0.1:6443/version", {});
 * client.close();
 * ```
 */
export async function createHttpClient({ tls, proxyUrl }: HttpClientSettings): Promise<HttpClient> {
  switch (runtimeKey()) {
    case "deno":
      return denoClient(tls, proxyUrl);
    case "bun":
      return bunClient(tls, proxyUrl);
    case "node":
      return await nodeClient(tls, proxyUrl);
  }
}

interface DenoHttpClient {
  close(): void;
}
interface DenoNamespace {
  createHttpClient(options: Record<string, unknown>): DenoHttpClient;
}

function denoClient(tls: TlsSettings, proxyUrl: string | undefined): HttpClient {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  if (tls.insecureSkipVerify) {
    trace(
      "insecure-skip-tls-verify is set, but Deno.createHttpClient cannot skip verification: " +
        "run Deno with --unsafely-ignore-certificate-errors=<host> to allow it",
    );
  }
  if (tls.serverName) {
    trace(
      `tls-server-name ${tls.serverName} is ignored on Deno: Deno.createHttpClient cannot set the TLS server name, ` +
        "so the certificate is checked against the server's own host name",
    );
  }
  const options: Record<string, unknown> = {};
  if (tls.ca) options.caCerts = [tls.ca];
  if (tls.cert && tls.key) Object.assign(options, { cert: tls.cert, key: tls.key });
  if (proxyUrl) options.proxy = { url: proxyUrl };
  const client = deno.createHttpClient(options);
  return {
    fetch: (url, init) => fetch(url, { ...init, client } as RequestInit),
    close: () => client.close(),
  };
}

function bunClient(tls: TlsSettings, proxyUrl: string | undefined): HttpClient {
  const options: Record<string, unknown> = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.ca) options.ca = tls.ca;
  if (tls.cert && tls.key) Object.assign(options, { cert: tls.cert, key: tls.key });
  if (tls.serverName) options.serverName = tls.serverName;
  return {
    fetch: (url, init) =>
      fetch(url, { ...init, tls: options, ...(proxyUrl ? { proxy: proxyUrl } : {}) } as RequestInit),
    close() {},
  };
}

async function nodeClient(tls: TlsSettings, proxyUrl: string | undefined): Promise<HttpClient> {
  const undici = await import("undici");
  const connect: Record<string, unknown> = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.ca) connect.ca = tls.ca;
  if (tls.cert && tls.key) Object.assign(connect, { cert: tls.cert, key: tls.key });
  if (tls.serverName) connect.servername = tls.serverName;
  const factory = releasingPool(undici);
  const agent = proxyUrl
    ? new undici.ProxyAgent({ uri: proxyUrl, requestTls: connect, factory })
    : new undici.Agent({ connect, factory });
  return {
    fetch: (url, init) => requestAsResponse(undici, agent, url, init),
    close() {
      agent.destroy().catch(() => {});
    },
  };
}

type Undici = typeof import("undici");
type Connector = import("undici").buildConnector.connector;

/**
 * A pool factory for undici agents whose sockets never keep the process alive
 * (README, "Process lifetime"): like grpc-js's own timers, a watch nobody
 * closed must not hold a script whose calls are done. undici refs a socket
 * while a request is in flight, and a watch always is, so `ref()` is disabled
 * on these sockets. A caller that must keep the process alive holds it itself.
 */
function releasingPool(undici: Undici) {
  return (origin: string | URL, options: { connect?: Connector | object }) => {
    const connect: Connector = typeof options.connect === "function"
      ? options.connect as Connector
      : undici.buildConnector({ ...options.connect });
    const releasing: Connector = (connectOptions, callback) =>
      connect(connectOptions, (...result: Parameters<Parameters<Connector>[1]>) => {
        const socket = result[1];
        if (socket) {
          socket.unref();
          socket.ref = () => socket;
        }
        callback(...result);
      });
    return new undici.Pool(origin, { ...options, connect: releasing });
  };
}
/** Statuses whose response cannot carry a body. */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * A GET through undici's `request()` (redirects are not followed), answered as a web
 * `Response` whose body the watch decoder can take as the readable's own chunks
 * (see `pushed_body.ts`): undici's `fetch` layers web streams over the socket.
 */
async function requestAsResponse(
  undici: Undici,
  dispatcher: InstanceType<Undici["Dispatcher"]>,
  url: string,
  init: RequestInit,
): Promise<Response> {
  const { statusCode, headers, body } = await undici.request(url, {
    dispatcher,
    headers: Object.fromEntries(new Headers(init.headers)),
    signal: init.signal ?? undefined,
  });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const one of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      responseHeaders.append(name, one);
    }
  }
  try {
    if (NULL_BODY_STATUS.has(statusCode)) {
      body.dump().catch(() => {});
      return new Response(null, { status: statusCode, headers: responseHeaders });
    }
    return new Response(streamOfPushSource(body), { status: statusCode, headers: responseHeaders });
  } catch (error) {
    body.destroy();
    throw error;
  }
}
