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
 * A certificate chain that does not reach a root the channel trusts, in the words of Node, Bun and Deno alike: a
 * wrong CA (or none) given to createSsl(), an intermediate the pods do not send, a self-signed pod, a root not given.
 */
const UNTRUSTED =
  /unable to verify the first certificate|unable to get local issuer certificate|self[- ]signed certificate/;
/**
 * Deno's words for most certificates it refuses, besides one of a CA not given or an intermediate not sent: one
 * expired, not yet valid, or not for servers, where Node and Bun name the cause.
 */
const DENO_REFUSED = "unable to verify the first certificate";

/**
 * Advice to append to a connection error of a TLS channel to the pods, or `""`.
 *
 * @param error A connection error, as grpc-js reports it.
 * @returns `"; ..."` for pods that do not answer in TLS, saying what to use if they serve plaintext, and for a
 * certificate the channel does not trust, saying which CA to give (and, for Deno's words of other causes too, which
 * those are); `""` for any other error.
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
  if (UNTRUSTED.test(error)) {
    return "; the pods' certificate does not chain to a CA the channel trusts: give createSsl() the CA that issued " +
      "it (a self-signed certificate is its own; without one, createSsl() trusts the runtime's default roots; the API " +
      "server's CA from the kubeconfig or cluster options is not used for pods), and have the pods send any " +
      "intermediate CA with their certificate" +
      (error.includes(DENO_REFUSED)
        ? "; on Deno, this error also comes from a certificate expired, not yet valid, or not for servers (an " +
          "extendedKeyUsage without serverAuth): check its dates and usage"
        : "");
  }
  return "";
}
