/**
 * The TLS connection under an HTTP/2 session (`node_http2_client.ts`), set up as `node_http_client.ts` sets up its
 * own: the cluster's TLS options in one context, the name sent in SNI as `node:https` sends it, TCP keepalive, the
 * connect timeout over TCP and TLS in the same words, and a socket that never keeps the process alive. The hello
 * offers `h2` and `http/1.1`; the server's choice is the caller's to read (`alpnProtocol`).
 *
 * @module
 */

import { isIP } from "node:net";
// The module object, not its `connect`: a program that counts handshakes on `tls.connect` (scripts/many_services.mjs)
// sees these too, as it sees node:https's.
import tls, { type SecureContext, type TLSSocket } from "node:tls";
import { unbracketedHost } from "../base/ip_address.ts";
import { urlPort } from "../base/_url_port.ts";
import { keepAlive } from "./tcp_keepalive.ts";
import type { TlsOptions } from "./tls_options.ts";
import { unrefTimer } from "./unref_timer.ts";
import { connectTimeoutError, connectTimeoutText } from "./_connect_timeout_text.ts";
import { neverHoldProcess } from "./_unheld_socket.ts";

/** The TLS options of one client: a cluster's checks (`tls_options.ts`) with its CA and key in one context. */
export type Http2TlsOptions = Omit<TlsOptions, "ca" | "cert" | "key"> & { secureContext: SecureContext };

/**
 * Opens a TLS connection to `target`'s host and port that offers `h2`, then `http/1.1`, in ALPN.
 *
 * @param target The server's URL (`https:`).
 * @param options The client's TLS options.
 * @param connectTimeoutMs How long TCP and TLS together may take.
 * @returns The socket once the handshake is done; the server's choice is in `alpnProtocol`.
 * @throws {Error} What `node:tls` says (refused, unreachable, verification), or our connect timeout's words.
 *
 * @example A connection to a local API server
 * ```ts ignore
 * import { createSecureContext } from "node:tls";
 * import { secureConnection } from "./_http2_connection.ts";
 * const socket = await secureConnection(new URL("https://127.0.0.1:6443"), { secureContext: createSecureContext() }, 10_000);
 * console.log(socket.alpnProtocol); // h2
 * ```
 */
export function secureConnection(
  target: URL,
  options: Http2TlsOptions,
  connectTimeoutMs: number,
): Promise<TLSSocket> {
  const host = unbracketedHost(target.hostname);
  // As `node:https`: the host in SNI unless it is an IP address, or the cluster names another (`tls-server-name`).
  const named = options.servername === undefined && isIP(host) === 0;
  const socket = tls.connect({
    ...options,
    ...(named ? { servername: host } : {}),
    host,
    port: urlPort(target),
    ALPNProtocols: ["h2", "http/1.1"],
  });
  neverHoldProcess(socket);
  keepAlive(socket);
  return new Promise((resolve, reject) => {
    const timer = unrefTimer(setTimeout(() => {
      socket.destroy(connectTimeoutError(connectTimeoutText(!socket.connecting, connectTimeoutMs)));
    }, connectTimeoutMs));
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    const closed = () => failed(new Error("the connection closed before the TLS handshake finished"));
    socket.once("error", failed);
    socket.once("close", closed);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeListener("error", failed);
      socket.removeListener("close", closed);
      resolve(socket);
    });
  });
}
