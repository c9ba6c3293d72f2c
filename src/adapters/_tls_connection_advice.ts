/**
 * What to do when a TLS channel's connection to the pods fails for other than their certificate's names: grpc-js
 * passes on the TLS stack's words, which say what failed at the byte level, not what to change in the channel.
 *
 * @module
 */

/**
 * A TLS record whose header is not one: the pods' first bytes are no TLS (an HTTP/2 server's SETTINGS frame).
 * Node's and Deno's words, and Bun's (BoringSSL's `WRONG_VERSION_NUMBER`).
 */
const NOT_TLS = /wrong[ _]version[ _]number/i;

/**
 * Advice to append to a connection error of a TLS channel to the pods, or `""`.
 *
 * @param error A connection error, as grpc-js reports it.
 * @returns `"; ..."` for pods that do not answer in TLS, saying what to use if they serve plaintext; `""` for any
 * other error.
 *
 * @example Pods that serve plaintext, on Node
 * ```ts ignore
 * tlsConnectionAdvice("Error: ...:SSL routines:ssl3_get_record:wrong version number:...");
 * // "; the pods do not answer in TLS on this port: if they serve plaintext, ..."
 * ```
 */
export function tlsConnectionAdvice(error: string): string {
  if (NOT_TLS.test(error)) {
    return "; the pods do not answer in TLS on this port: if they serve plaintext, create the channel with insecure " +
      "credentials (grpc.credentials.createInsecure())";
  }
  return "";
}
