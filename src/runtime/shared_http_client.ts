/**
 * One HTTP client per cluster and credentials, shared by all its watches, as client-go's informers share one
 * transport: built once for the same TLS settings (CA, client certificate and key, server name, verification) and
 * proxy, and closed when the last user has closed its handle. Over HTTP/2 (the default on Node and Bun) the
 * watches share a few connections; over HTTP/1.1 (Deno, a proxy, `http2: false`, a server that picks HTTP/1.1)
 * each still gets a connection of its own while it runs, but the TLS context, the pool of idle connections and the
 * TLS sessions to resume are the cluster's: a client per watch builds a TLS context per watch, and for 500 watches
 * starting at once that stops Node's loop for 0.7–1.2 s.
 *
 * New credentials (a rotated client certificate or CA) are other settings, hence another client: no connection or
 * TLS session set up with the old ones serves a request made with the new ones.
 *
 * @module
 */

import { createHttpClient, type HttpClient, type HttpClientSettings } from "./http_client.ts";

/** A client shared by the users of the same settings. */
interface SharedClient {
  client: Promise<HttpClient>;
  users: number;
}

const clients = new Map<string, SharedClient>();

/**
 * The HTTP client for `settings`, the one already built for equal settings if any (see {@linkcode createHttpClient}).
 *
 * @param settings The cluster's TLS settings and proxy.
 * @returns A handle on the shared client; its `close()` releases it, and the last one closes the client.
 * @throws {Error} As {@linkcode createHttpClient} (a CA with no certificate that parses), to each user.
 *
 * @example Two watches of one cluster on one client
 * ```ts ignore
 * import { sharedHttpClient } from "./shared_http_client.ts";
 * const tls = { ca: "-----BEGIN CERTIFICATE-----...", caSource: "ca.pem" };
 * const [a, b] = await Promise.all([sharedHttpClient({ tls }), sharedHttpClient({ tls })]);
 * a.close(); // b's requests go on.
 * b.close(); // Closes the client.
 * ```
 */
export async function sharedHttpClient(settings: HttpClientSettings): Promise<HttpClient> {
  const key = settingsKey(settings);
  let shared = clients.get(key);
  if (!shared) {
    const entry: SharedClient = { client: createHttpClient(settings), users: 0 };
    entry.client.catch(() => {
      if (clients.get(key) === entry) clients.delete(key);
    });
    clients.set(key, shared = entry);
  }
  shared.users++;
  let client: HttpClient;
  try {
    client = await shared.client;
  } catch (error) {
    shared.users--;
    throw error;
  }
  return handleOn(client, shared, key);
}

/** A handle on `client` for one user: closed twice, it releases the client once. */
function handleOn(client: HttpClient, shared: SharedClient, key: string): HttpClient {
  let closed = false;
  return {
    ...(client.joinsRepeatedHeaders ? { joinsRepeatedHeaders: true as const } : {}),
    fetch: (url, init) => client.fetch(url, init),
    close() {
      if (closed) return;
      closed = true;
      if (--shared.users > 0) return;
      if (clients.get(key) === shared) clients.delete(key);
      client.close();
    },
  };
}

/** Equal for settings that make the same client: every field of {@linkcode HttpClientSettings}, in a fixed order. */
function settingsKey({ tls, proxyUrl, proxySource, connectTimeoutMs, http2 }: HttpClientSettings): string {
  const { ca, cert, key, serverName, insecureSkipVerify, caSource, caSettings } = tls;
  return JSON.stringify([
    ca,
    cert,
    key,
    serverName,
    insecureSkipVerify,
    caSource,
    caSettings,
    proxyUrl,
    proxySource,
    connectTimeoutMs,
    http2 !== false,
  ]);
}
