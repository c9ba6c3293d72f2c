/**
 * The fake API server's `tls` option checked before it listens: a certificate and the private key it was made for.
 * Private to the package.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";

/**
 * Refuses a `tls` that no HTTPS server can use. Deno listened on one and failed every request without a word; Node
 * and Bun threw OpenSSL's own words. Messages never quote the PEM: it holds a private key.
 *
 * @param cert The PEM certificate chain, the server's own certificate first.
 * @param key The PEM private key.
 * @throws {RangeError} When `cert` holds no certificate, `key` no private key, or the key is not the certificate's.
 *
 * @example A certificate given where the key goes
 * ```ts
 * import { checkTlsPair } from "./_tls_pair.ts";
 * const cert = await Deno.readTextFile("tests/fixtures/server.pem");
 * try {
 *   checkTlsPair(cert, cert);
 * } catch (error) {
 *   console.log((error as Error).message); // ... 'tls.key' must be a PEM private key ...
 * }
 * ```
 */
export function checkTlsPair(cert: string, key: string): void {
  const start = "Cannot start the fake API server as";
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    const swapped = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(cert)
      ? "holds a private key: give the certificate here, and its key as 'tls.key'"
      : "is none";
    throw new RangeError(`${start} 'tls.cert' must be a PEM certificate (-----BEGIN CERTIFICATE-----): it ${swapped}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new RangeError(`${start} 'tls.key' must be a PEM private key (-----BEGIN PRIVATE KEY-----): it is none`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new RangeError(
      `${start} 'tls.key' is not the private key of 'tls.cert': give the key the certificate was made for`,
    );
  }
}
