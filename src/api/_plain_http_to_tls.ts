/**
 * The errors for plain HTTP sent to a server that serves HTTPS on that port (an `http://` URL of a TLS server): Go's
 * `400` answer, and the TLS alert that other TLS servers (rustls, Deno's among them) write back instead.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { KubeApiError } from "../base/errors.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";

/**
 * The error for what Go's HTTPS servers, kube-apiserver among them, answer a plain HTTP request: a `400` with the
 * text "Client sent an HTTP request to an HTTPS server.". Undefined for any other answer.
 *
 * @param verb `list`, `watch` or `get`.
 * @param where The objects, for the message.
 * @param access The cluster.
 * @param code The answer's status.
 * @param body The answer's text, when it was read.
 * @returns The error that says to use `https://`, or undefined.
 *
 * @example
 * ```ts
 * import { plainHttpToTlsError } from "./_plain_http_to_tls.ts";
 * import type { ClusterAccess } from "../cluster/types.ts";
 * const access = { server: "http://10.0.0.1:6443", source: "kubeconfig /k" } as ClusterAccess;
 * const body = "Client sent an HTTP request to an HTTPS server.\n";
 * console.log(plainHttpToTlsError("list", "endpointslices", access, 400, body)?.message);
 * ```
 */
export function plainHttpToTlsError(
  verb: string,
  where: string,
  access: ClusterAccess,
  code: number,
  body: string | undefined,
): KubeApiError | undefined {
  if (code !== 400 || !body?.startsWith("Client sent an HTTP request to an HTTPS server")) return undefined;
  const via = access.proxyUrl === undefined ? "" : ` (through the proxy ${proxyForDisplay(access.proxyUrl)})`;
  return new KubeApiError(
    `Cannot ${verb} ${where}: the server at ${access.server}${via} serves HTTPS on this port and answered 400 to ` +
      `plain HTTP: make the URL in ${access.source} start with https://`,
    { status: code },
  );
}

/**
 * Whether the bytes that an HTTP/1.1 parser refused, as the runtime's error (or one it wraps) carries them, begin a
 * TLS record: an alert or a handshake (content type 21 or 22, then major version 3). node:http (Node, Bun) keeps them
 * in `rawPacket`, undici (Deno) in `data`.
 */
function answeredInTls(cause: unknown): boolean {
  for (let error = cause, depth = 0; typeof error === "object" && error !== null && depth < 4; depth++) {
    const { rawPacket, data } = error as { rawPacket?: unknown; data?: unknown };
    const first = rawPacket instanceof Uint8Array
      ? [rawPacket[0], rawPacket[1]]
      : typeof data === "string"
      ? [data.charCodeAt(0), data.charCodeAt(1)]
      : [];
    if ((first[0] === 0x15 || first[0] === 0x16) && first[1] === 0x03) return true;
    error = (error as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The error for an `http://` request answered with a TLS record (a rustls server's alert to plain HTTP), which the
 * HTTP/1.1 parser refused: the server serves HTTPS on this port. Undefined for any other failure, and through a
 * proxy (whose answer it may be).
 *
 * @param verb `list`, `watch` or `get`.
 * @param where The objects, for the message.
 * @param access The cluster.
 * @param cause What the runtime threw.
 * @param detail The cause as one line, without credentials.
 * @param options The error's options (its cause, when it may travel on).
 * @returns The error that says to use `https://`, or undefined.
 *
 * @example A Deno TLS server's alert, through undici
 * ```ts
 * import { tlsAnswerToPlainHttpError } from "./_plain_http_to_tls.ts";
 * import type { ClusterAccess } from "../cluster/types.ts";
 * const access = { server: "http://10.0.0.1:6443", source: "kubeconfig /k" } as ClusterAccess;
 * const cause = Object.assign(new Error("Response does not match the HTTP/1.1 protocol"), { data: "\x15\x03\x03" });
 * console.log(tlsAnswerToPlainHttpError("list", "endpointslices", access, cause, cause.message, {})?.message);
 * ```
 */
export function tlsAnswerToPlainHttpError(
  verb: string,
  where: string,
  access: ClusterAccess,
  cause: unknown,
  detail: string,
  options: ErrorOptions,
): KubeApiError | undefined {
  if (!access.server.startsWith("http://") || access.proxyUrl !== undefined || !answeredInTls(cause)) return undefined;
  return new KubeApiError(
    `Cannot ${verb} ${where}: the server at ${access.server} serves HTTPS on this port and answered plain HTTP ` +
      `with a TLS alert (${detail}): make the URL in ${access.source} start with https://`,
    options,
  );
}
