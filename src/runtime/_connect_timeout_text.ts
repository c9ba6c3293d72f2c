/**
 * The words of our connect timeouts (`node_http_client.ts`, the HTTP/2 client's `_http2_connection.ts` and
 * `_http2_sessions.ts`, and `http_client.ts` for undici), in undici's ("Connect Timeout Error", with its code
 * `UND_ERR_CONNECT_TIMEOUT`), which the API errors read.
 *
 * @module
 */

/**
 * What a connection that was not set up in time says: that none was set up (a server out of reach), or, when the
 * server took it and the TLS handshake did not finish (no answer to the hello from a stopped, hung or overloaded API
 * server, or an answer that stalled; kubectl says "TLS handshake timeout" for both), that it was.
 *
 * @param connected Whether the TCP connection was set up, for a TLS one.
 * @param ms The time allowed.
 * @returns The error's message.
 *
 * @example A server that never answers the TLS hello
 * ```ts
 * import { connectTimeoutText } from "./_connect_timeout_text.ts";
 * console.log(connectTimeoutText(true, 10_000)); // Connect Timeout Error (connected, but the TLS handshake did not ...
 * ```
 */
export function connectTimeoutText(connected: boolean, ms: number): string {
  return connected
    ? `Connect Timeout Error (connected, but the TLS handshake did not finish within ${ms} ms)`
    : `Connect Timeout Error (no connection set up within ${ms} ms)`;
}

/**
 * What an HTTP/2 connection says when the server finished the TLS handshake, chose `h2` in ALPN, and sent no SETTINGS
 * frame in time (RFC 9113 has it send one first): it never started HTTP/2 (a hung or overloaded API server, or a
 * port whose server takes `h2` and waits for something else).
 *
 * @param ms The time it was given once TLS was done.
 * @returns The error's message.
 *
 * @example A server that took the TLS connection and stayed silent
 * ```ts
 * import { http2StartTimeoutText } from "./_connect_timeout_text.ts";
 * console.log(http2StartTimeoutText(10_000)); // Connect Timeout Error (connected over TLS, but the server did not ...
 * ```
 */
export function http2StartTimeoutText(ms: number): string {
  return `Connect Timeout Error (connected over TLS, but the server did not start HTTP/2 (no SETTINGS frame) within ${ms} ms)`;
}

/**
 * A connect timeout as undici reports one: `message` with the code `UND_ERR_CONNECT_TIMEOUT`, which the API errors
 * read.
 *
 * @param message One of this module's texts.
 * @returns The error to fail the connection with.
 *
 * @example
 * ```ts
 * import { connectTimeoutError, connectTimeoutText } from "./_connect_timeout_text.ts";
 * console.log(connectTimeoutError(connectTimeoutText(false, 10_000)).code); // UND_ERR_CONNECT_TIMEOUT
 * ```
 */
export function connectTimeoutError(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: "UND_ERR_CONNECT_TIMEOUT" });
}
