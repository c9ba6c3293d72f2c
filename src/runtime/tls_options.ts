/**
 * The `node:tls` options of a cluster's TLS settings, shared by the HTTP clients of every runtime
 * (`http_client.ts`, `node_http_client.ts`). Like Go's `AppendCertsFromPEM`, which kubectl trusts its CA with,
 * a `CERTIFICATE` block that does not parse as X.509 is skipped rather than failing the whole bundle: left in,
 * it made Deno's `node:tls` throw an uncaught error after the handshake, and Node and Bun fail verification
 * when it came first.
 *
 * A `tls-server-name` that is an IP address (an IPv6 one with or without brackets) is sent in no SNI (Node warns,
 * Deno and Bun refuse an IP there, and kubectl sends none) and is checked against the certificate's IP addresses,
 * as kubectl does.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { checkServerIdentity, type ConnectionOptions } from "node:tls";
import { unbracketedHost } from "../base/ip_address.ts";
import type { TlsSettings } from "./types.ts";

/**
 * The `node:tls` connect options that {@linkcode tlsOptions} sets: the CA as the only roots (absent: the system
 * roots), the client certificate and key, the name sent in SNI and verified, whether to verify, and, for an IP
 * address `tls-server-name`, the check of the certificate against it whatever host is connected.
 */
export type TlsOptions = Pick<
  ConnectionOptions,
  "ca" | "cert" | "key" | "servername" | "rejectUnauthorized" | "checkServerIdentity"
>;

/**
 * The `node:tls` options for a cluster's TLS settings: the CA's certificates that parse, the client certificate,
 * the server name and whether to verify.
 *
 * @param tls The cluster's TLS settings.
 * @returns The options.
 * @throws {Error} When the CA holds no `CERTIFICATE` block that parses as X.509.
 *
 * @example The options of a cluster with a private CA
 * ```ts
 * import { tlsOptions } from "./tls_options.ts";
 * const ca = await Deno.readTextFile("tests/fixtures/ca.pem");
 * const options = tlsOptions({ ca, caSource: "ca.pem", serverName: "kubernetes" });
 * console.log(options.servername, options.rejectUnauthorized); // kubernetes true
 * ```
 */
export function tlsOptions(tls: TlsSettings): TlsOptions {
  const options: TlsOptions = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.ca) options.ca = trustedCertificates(tls.ca, tls.caSource);
  if (tls.cert && tls.key) Object.assign(options, { cert: tls.cert, key: tls.key });
  const name = tls.serverName;
  // As Go's VerifyHostname and SNI: `[fd00::1]` is the IP address fd00::1 (else sent in SNI, which servers refuse).
  const ip = name === undefined ? undefined : unbracketedHost(name);
  if (ip && isIP(ip)) options.checkServerIdentity = (_host, certificate) => checkServerIdentity(ip, certificate);
  else if (name) options.servername = name;
  return options;
}

/**
 * The `CERTIFICATE` blocks of a CA bundle that parse as X.509, the others skipped as Go's `AppendCertsFromPEM` skips
 * them.
 *
 * @param pem The CA bundle.
 * @param source Where it comes from, for the message (`certificate-authority-data of cluster "prod"`).
 * @returns The blocks that parse, one after the other.
 * @throws {Error} When it holds no whole `CERTIFICATE` block (a key only, one cut short) or none that parses, naming
 * `source`: kubectl refuses such a CA too.
 *
 * @example A bundle with one certificate
 * ```ts
 * import { trustedCertificates } from "./tls_options.ts";
 * const pem = await Deno.readTextFile("tests/fixtures/ca.pem");
 * console.log(trustedCertificates(pem, "ca.pem").startsWith("-----BEGIN CERTIFICATE-----")); // true
 * ```
 */
export function trustedCertificates(pem: string, source: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const parsed = blocks.filter(parses);
  if (blocks.length === 0) {
    throw new Error(
      `Cannot trust the CA in ${source}: ${noCertificateBlock(pem)}: replace it with the PEM of the cluster's CA ` +
        "certificate, a -----BEGIN CERTIFICATE----- block",
    );
  }
  if (parsed.length === 0) {
    throw new Error(
      `Cannot trust the CA in ${source}: none of its ${blocks.length} CERTIFICATE blocks is an X.509 certificate: ` +
        "replace it with the PEM of the cluster's CA certificate",
    );
  }
  return `${parsed.join("\n")}\n`;
}

/**
 * Why a CA bundle holds no whole `CERTIFICATE` block: one cut short before its END line (a copy cut off), or only
 * blocks of other kinds (a key), named.
 */
function noCertificateBlock(pem: string): string {
  if (pem.includes("-----BEGIN CERTIFICATE-----")) {
    return "its -----BEGIN CERTIFICATE----- line has no -----END CERTIFICATE----- line after it (was it cut short?)";
  }
  const others = [...new Set(Array.from(pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g), (match) => match[1]))];
  return `it holds no CERTIFICATE block${others.length > 0 ? ` (only ${others.join(", ")})` : ""}`;
}

function parses(block: string): boolean {
  try {
    new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
