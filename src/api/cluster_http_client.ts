/**
 * The HTTP client of one cluster: on first use, the runtime's TLS transport for its credentials, shared with the
 * other watches of the cluster (`shared_http_client.ts`), and another one when the client certificate changes (an
 * exec plugin issues a new one, or its files are rotated) or the CA file does (a rotated cluster CA). Requests under
 * way finish on the client they started on: a replaced client is closed only once any watch on it has ended. Its
 * requests start at most a few a turn of the event loop, counted with every other cluster's (`turn_slots.ts`).
 *
 * @module
 */

import type { ClientCertificate, ClusterAccess, TlsSettings } from "../cluster/types.ts";
import { type HttpClient, joinsRepeatedHeaders } from "../runtime/http_client.ts";
import { sharedHttpClient } from "../runtime/shared_http_client.ts";
import { requestSlots } from "../runtime/turn_slots.ts";
import { unrefTimer } from "../runtime/unref_timer.ts";

/**
 * How long a replaced client stays open for the requests under way on it, in ms: the API server ends a watch
 * after its `timeoutSeconds` (under 600 here), and closing the client at once cut the watch on undici's agents
 * (Deno, and Node through a proxy).
 */
const RETIRE_AFTER_MS = 11 * 60_000;

/** A client and the credentials it was built with. */
interface BuiltClient {
  client: HttpClient;
  cert?: string;
  ca?: string;
}

/**
 * Creates the cluster's HTTP client. Failures to obtain a certificate or to
 * set up TLS surface from `fetch`, where the watch retries them.
 *
 * @param access Where the cluster is and how to authenticate.
 * @returns The client; `close()` releases its connections, those of replaced clients too.
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
  let current: BuiltClient | undefined;
  // A client being built: requests made meanwhile with the same credentials wait for it rather than build another.
  let pending: { cert?: string; ca?: string; built: Promise<BuiltClient> } | undefined;
  const retired = new Map<HttpClient, ReturnType<typeof setTimeout>>();
  let closed = false;

  function retire(client: HttpClient): void {
    const timer = setTimeout(() => {
      retired.delete(client);
      client.close();
    }, RETIRE_AFTER_MS);
    retired.set(client, unrefTimer(timer));
  }

  function clientFor(issued: ClientCertificate | undefined, ca: string | undefined): Promise<BuiltClient> {
    const cert = issued?.cert;
    if (current && current.cert === cert && current.ca === ca) return Promise.resolve(current);
    if (pending && pending.cert === cert && pending.ca === ca) return pending.built;
    const tls = issued || ca !== access.tls.ca ? withTrust(access.tls, ca, issued) : access.tls;
    const built: Promise<BuiltClient> = sharedHttpClient({
      tls,
      proxyUrl: access.proxyUrl,
      proxySource: access.proxySource,
      ...(access.http2 === undefined ? {} : { http2: access.http2 }),
    }).then((client) => {
      const next = { client, cert, ca };
      // Closed meanwhile: its share of the cluster's client is given back at once (its request fails on its signal).
      if (closed) client.close();
      // Credentials newer than these arrived while it was built: its request goes on it, later ones will not.
      else if (pending?.built !== built) retire(client);
      else {
        if (current) retire(current.client);
        current = next;
      }
      return next;
    });
    pending = { cert, ca, built };
    const settled = () => {
      if (pending?.built === built) pending = undefined;
    };
    built.then(settled, settled);
    return built;
  }

  return {
    ...(joinsRepeatedHeaders(access.proxyUrl) ? { joinsRepeatedHeaders: true as const } : {}),
    async fetch(url, init) {
      const issued = await access.credentials.clientCertificate?.();
      const ca = await access.currentCa?.() ?? access.tls.ca;
      const { client } = await clientFor(issued, ca);
      // Many watches starting at once go out a few a turn (`turn_slots.ts`), not all in one.
      await requestSlots.take();
      return client.fetch(url, init);
    },
    close() {
      closed = true;
      for (const [client, timer] of retired) {
        clearTimeout(timer);
        client.close();
      }
      retired.clear();
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
