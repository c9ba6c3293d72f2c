/**
 * Checks a client certificate and its private key when they are loaded,
 * before any connection: that the key belongs to the certificate (kubectl
 * refuses a pair that does not, while undici silently sends no certificate
 * at all). X.509 v1 certificates are fine: every runtime reaches the API
 * server through undici and `node:tls`, which take them. `node:crypto` reads PEM
 * certificates and PKCS#1, SEC1 and PKCS#8 keys alike on Deno, Bun and Node;
 * WebCrypto reads none of these.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";

/**
 * How the certificate and the key are named in messages, e.g.
 * `users[0].user.client-certificate-data` and `cluster.keyFile /run/client.key`.
 *
 * @example Names from a kubeconfig
 * ```ts
 * import type { KeyPairNames } from "./client_key_pair.ts";
 * const names: KeyPairNames = { cert: "users[0].user.client-certificate-data", key: "users[0].user.client-key-data" };
 * ```
 */
export interface KeyPairNames {
  /** Where the certificate came from. */
  cert: string;
  /** Where the key came from. */
  key: string;
}

/**
 * What is wrong with a pair, and which half to point at.
 *
 * @example Reporting a problem
 * ```ts
 * import type { KeyPairProblem } from "./client_key_pair.ts";
 * const problem: KeyPairProblem = { part: "key", problem: "cluster.key is not a readable private key" };
 * console.log(problem.problem);
 * ```
 */
export interface KeyPairProblem {
  /** The half at fault. */
  part: "cert" | "key";
  /** A phrase naming the fields and saying what to do; never shows the key. */
  problem: string;
}

/** A PEM block: its type, and the whole block. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The blocks of a client certificate and key that TLS uses, picked as Go's `tls.X509KeyPair` (kubectl's)
 * picks them: every `CERTIFICATE` block of `cert` (the client's own, then its chain), and the first block of
 * `key` whose type ends in `PRIVATE KEY`. Other blocks are left out: the `EC PARAMETERS` block that
 * `openssl ecparam -genkey` writes before an EC key, or the other half of one file named as both. Deno's
 * `node:crypto` refuses a key or certificate with such a block beside it; Node's and Bun's skip it. Text
 * without such blocks is returned as it is, for the check to name.
 *
 * @param cert The certificate, PEM.
 * @param key The private key, PEM.
 * @returns The blocks to use.
 *
 * @example One file named as both the certificate and the key
 * ```ts
 * import { keyPairBlocks } from "./client_key_pair.ts";
 * const both = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n" +
 *   "-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n";
 * const { cert, key } = keyPairBlocks(both, both);
 * console.log(cert.includes("PRIVATE"), key.includes("CERTIFICATE")); // false false
 * ```
 */
export function keyPairBlocks(cert: string, key: string): { cert: string; key: string } {
  const blocks = (text: string) => [...text.matchAll(PEM_BLOCK)].map(([block, type]) => ({ block, type }));
  const inCert = blocks(cert);
  const certificates = inCert.filter(({ type }) => type === "CERTIFICATE");
  const inKey = blocks(key);
  const privateKey = inKey.find(({ type }) => type === "PRIVATE KEY" || type.endsWith(" PRIVATE KEY"));
  return {
    cert: certificates.length > 0 && certificates.length < inCert.length
      ? `${certificates.map(({ block }) => block).join("\n")}\n`
      : cert,
    key: privateKey && inKey.length > 1 ? `${privateKey.block}\n` : key,
  };
}

/**
 * Checks that a client certificate and key can be used together: both
 * readable, and the key's public half the certificate's (type and value).
 * Only the blocks {@linkcode keyPairBlocks} picks count.
 *
 * @param cert The certificate, PEM (the first block is the client's own).
 * @param key The private key, PEM.
 * @param names How to name them in the problem.
 * @returns The problem, or `undefined` when the pair is usable.
 *
 * @example A key that is not the certificate's
 * ```ts ignore
 * import { checkClientKeyPair } from "./client_key_pair.ts";
 * const found = checkClientKeyPair(ecCertificate, rsaKey, { cert: "cluster.cert", key: "cluster.key" });
 * console.log(found?.problem); // cluster.key does not match cluster.cert: the key is an RSA 2048-bit key, ...
 * ```
 */
export function checkClientKeyPair(cert: string, key: string, names: KeyPairNames): KeyPairProblem | undefined {
  ({ cert, key } = keyPairBlocks(cert, key));
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return {
      part: "cert",
      problem: `${names.cert} is not a readable X.509 certificate: it must hold a PEM CERTIFICATE block`,
    };
  }
  let publicKey: KeyObject;
  try {
    // The runtime's own error is not quoted: a parser's message could show part of the key.
    publicKey = createPublicKey(createPrivateKey(key));
  } catch {
    return {
      part: "key",
      problem: `${names.key} is not a readable private key: ` +
        "it must be an unencrypted PEM key (PKCS#1 RSA, SEC1 EC or PKCS#8)",
    };
  }
  const held = describeKey(certificate.publicKey);
  const given = describeKey(publicKey);
  if (held !== given) {
    return {
      part: "key",
      problem: `${names.key} does not match ${names.cert}: the key is ${article(given)} key, ` +
        `but the certificate holds ${article(held)} public key: use the key the certificate was issued for`,
    };
  }
  if (!spki(certificate.publicKey).equals(spki(publicKey))) {
    return {
      part: "key",
      problem: `${names.key} does not match ${names.cert}: both are ${given} keys, but not the same key: ` +
        "use the key the certificate was issued for",
    };
  }
  return undefined;
}

/** `RSA 2048-bit`, `EC P-256`, `ED25519`. */
function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? "unknown";
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "rsa" || type === "rsa-pss") return `${type.toUpperCase()} ${details.modulusLength}-bit`;
  if (type === "ec") return `EC ${CURVES[details.namedCurve ?? ""] ?? details.namedCurve}`;
  return type.toUpperCase();
}

const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

function article(phrase: string): string {
  return `${/^[AEFHILMNORSX]/.test(phrase) ? "an" : "a"} ${phrase}`;
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}
