/**
 * The only runtime-specific part of talking HTTP: TLS settings (our own CA,
 * client certificates, `tls-server-name`) need Deno `Deno.createHttpClient`,
 * Bun `fetch(..., { tls })` or, on Node, an undici `Agent`. Everything above
 * this file is plain `fetch`.
 *
 * @module
 */

import type { TlsSettings } from "../cluster_access.ts";
import { runtimeKey } from "./runtime.ts";
import { trace } from "../trace.ts";

/** A `fetch` bound to one cluster's TLS settings, and a way to release its connections. */
export interface HttpClient {
  /** Like the global `fetch`, with the cluster's TLS settings applied. */
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Closes pooled connections; the client must not be used afterwards. */
  close(): void;
}

/**
 * Creates an HTTP client for one cluster on the current runtime.
 *
 * @param tls The cluster's TLS settings.
 * @returns The client.
 *
 * @example A client that trusts a private CA
 * ```ts ignore
 * import { createHttpClient } from "./http_client.ts";
 * const client = await createHttpClient({ ca: "-----BEGIN CERTIFICATE-----...", caSource: "ca.pem" });
 * const response = await client.fetch("https://127.0.0.1:6443/version", {});
 * client.close();
 * ```
 */
export async function createHttpClient(tls: TlsSettings): Promise<HttpClient> {
  switch (runtimeKey()) {
    case "deno":
      return denoClient(tls);
    case "bun":
      return bunClient(tls);
    case "node":
      return await nodeClient(tls);
  }
}

interface DenoHttpClient {
  close(): void;
}
interface DenoNamespace {
  createHttpClient(options: Record<string, unknown>): DenoHttpClient;
}

function denoClient(tls: TlsSettings): HttpClient {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  if (tls.insecureSkipVerify) {
    trace(
      "insecure-skip-tls-verify is set, but Deno.createHttpClient cannot skip verification: " +
        "run Deno with --unsafely-ignore-certificate-errors=<host> to allow it",
    );
  }
  const clients = new Map<string, DenoHttpClient>();
  const clientFor = (url: URL): DenoHttpClient => {
    let client = clients.get(url.host);
    if (!client) {
      const options: Record<string, unknown> = {};
      if (tls.ca) options.caCerts = [tls.ca];
      if (tls.cert && tls.key) Object.assign(options, { cert: tls.cert, key: tls.key });
      // Deno has no SNI override: connect to the real host through a TCP
      // "proxy" while the URL names the TLS server name.
      if (tls.serverName) {
        options.proxy = { transport: "tcp", hostname: unbracket(url.hostname), port: portOf(url) };
      }
      client = deno.createHttpClient(options);
      clients.set(url.host, client);
    }
    return client;
  };
  return {
    fetch(input, init) {
      const url = new URL(input);
      const client = clientFor(url);
      if (tls.serverName) url.hostname = tls.serverName;
      return fetch(url, { ...init, client } as RequestInit);
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

function bunClient(tls: TlsSettings): HttpClient {
  const options: Record<string, unknown> = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.ca) options.ca = tls.ca;
  if (tls.cert && tls.key) Object.assign(options, { cert: tls.cert, key: tls.key });
  if (tls.serverName) options.serverName = tls.serverName;
  return {
    fetch: (url, init) => fetch(url, { ...init, tls: options } as RequestInit),
    close() {},
  };
}

async function nodeClient(tls: TlsSettings): Promise<HttpClient> {
  const undici = await import("undici");
  const connect: Record<string, unknown> = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.ca) connect.ca = tls.ca;
  if (tls.cert && tls.key) Object.assign(connect, { cert: tls.cert, key: tls.key });
  if (tls.serverName) connect.servername = tls.serverName;
  const agent = new undici.Agent({ connect });
  return {
    fetch: (url, init) =>
      undici.fetch(url, { ...init, dispatcher: agent } as never) as unknown as Promise<Response>,
    close() {
      agent.destroy().catch(() => {});
    },
  };
}

function unbracket(hostname: string): string {
  return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}
