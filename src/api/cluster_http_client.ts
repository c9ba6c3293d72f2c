/**
 * The HTTP client of one cluster: built on first use with the runtime's TLS
 * transport, and rebuilt when an exec credential plugin issues a new client
 * certificate (short-lived certificates rotate).
 *
 * @module
 */

import type { ClusterAccess, TlsSettings } from "../cluster/types.ts";
import { createHttpClient, type HttpClient } from "../runtime/http_client.ts";

/**
 * Creates the cluster's HTTP client. Failures to obtain a certificate or to
 * set up TLS surface from `fetch`, where the watch retries them.
 *
 * @param access Where the cluster is and how to authenticate.
 * @returns The client; `close()` releases its connections.
 *
 * @example
 * ```ts ignore
 * import { createClusterHttpClient } from "./cluster_http_client.ts";
 * const client = createClusterHttpClient(access);
 * const response = await client.fetch(`${access.server}/version`, {});
 * client.close();
 * ```
 */
export function createClusterHttpClient(access: ClusterAccess): HttpClient {
  let current: { client: HttpClient; cert?: string } | undefined;
  return {
    async fetch(url, init) {
      const issued = await access.credentials.clientCertificate?.();
      if (!current || current.cert !== issued?.cert) {
        current?.client.close();
        const tls = issued ? withCertificate(access.tls, issued.cert, issued.key) : access.tls;
        current = { client: await createHttpClient({ tls, proxyUrl: access.proxyUrl }), cert: issued?.cert };
      }
      return current.client.fetch(url, init);
    },
    close() {
      current?.client.close();
      current = undefined;
    },
  };
}

function withCertificate(tls: TlsSettings, cert: string, key: string): TlsSettings {
  const { ca, serverName, insecureSkipVerify, caSource } = tls;
  return { ca, serverName, insecureSkipVerify, caSource, cert, key };
}
