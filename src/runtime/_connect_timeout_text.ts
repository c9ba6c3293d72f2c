/**
 * The words of our connect timeouts (`node_http_client.ts`, and `http_client.ts` for undici), in undici's ("Connect
 * Timeout Error", with its code `UND_ERR_CONNECT_TIMEOUT`), which the API errors read.
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
