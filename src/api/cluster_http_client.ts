/**
 * The HTTP client of one cluster: built on first use with the runtime's TLS
 * transport, and rebuilt when the client certificate changes (an exec plugin
 * issues a new one, or its files are rotated) or the CA file does (a rotated
 * cluster CA). Requests under way finish on the client they started on.
 *
 * @module
 */

import type { ClientCertificate, ClusterAccess, TlsSettings } from "../cluster/types.ts";
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
  let current: { client: HttpClient; cert?: string; ca?: string } | undefined;
  return {
    async fetch(url, init) {
      const issued = await access.credentials.clientCertificate?.();
      const ca = await access.currentCa?.() ?? access.tls.ca;
      if (!current || current.cert !== issued?.cert || current.ca !== ca) {
        current?.client.close();
        const tls = issued || ca !== access.tls.ca ? withTrust(access.tls, ca, issued) : access.tls;
        current = { client: await createHttpClient({ tls, proxyUrl: access.proxyUrl }), cert: issued?.cert, ca };
      }
      return current.client.fetch(url, init);
    },
    close() {
      current?.client.close();
      current = undefined;
    },
  };
}

/** `tls` with another CA, and with the client certificate `issued` (else its own). */
function withTrust(tls: TlsSettings, ca: string | undefined, issued: ClientCertificate | undefined): TlsSettings {
  const { serverName, insecureSkipVerify, caSource } = tls;
  const cert = issued?.cert ?? tls.cert;
  const key = issued?.key ?? tls.key;
  return { ca, serverName, insecureSkipVerify, caSource, ...(cert !== undefined ? { cert, key } : {}) };
}
