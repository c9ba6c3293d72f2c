/**
 * A guard for TLS sockets whose peer certificate cannot be read. Deno's `node:tls` reads it in the handshake's own
 * callback (to check the server's name), where an exception is uncaught and ends the process: a CA certificate
 * its chain completion could not parse did so. Guarded, the socket fails with that error instead, which its
 * request reports.
 *
 * @module
 */

import type { PeerCertificate, TLSSocket } from "node:tls";
import type { Connector } from "./socks5_connector.ts";

/**
 * Wraps an undici connector so that a TLS socket it opens fails, rather than throws, when its peer certificate
 * cannot be read.
 *
 * @param connector The connector, e.g. undici's `buildConnector(tls)`.
 * @returns The guarded connector.
 *
 * @example Guarding undici's connector
 * ```ts ignore
 * import { buildConnector } from "undici";
 * import { caughtPeerCertificate } from "./_caught_peer_certificate.ts";
 * const connect = caughtPeerCertificate(buildConnector({ ca: "-----BEGIN CERTIFICATE-----..." }));
 * ```
 */
export function caughtPeerCertificate(connector: Connector): Connector {
  return (options, callback) => {
    const socket = connector(options, callback);
    if (typeof (socket as Partial<TLSSocket> | undefined)?.getPeerCertificate === "function") {
      guard(socket as TLSSocket);
    }
    return socket;
  };
}

function guard(socket: TLSSocket): void {
  const read = socket.getPeerCertificate.bind(socket) as (detailed?: boolean) => PeerCertificate;
  socket.getPeerCertificate = ((detailed?: boolean) => {
    try {
      return read(detailed);
    } catch (error) {
      socket.destroy(
        error instanceof Error ? error : new Error(`Cannot read the TLS peer certificate: ${String(error)}`),
      );
      return {};
    }
  }) as TLSSocket["getPeerCertificate"];
}
