/**
 * A client certificate and key read from files (kubeconfig
 * `client-certificate`/`client-key`, `cluster.certFile`/`keyFile`), read
 * again as client-go reads them (`ReloadTLSFiles`: every five minutes) and
 * also at once after a 401: whatever issues short-lived certificates
 * (cert-manager, a Vault agent) replaces the files before the old one
 * expires, and a process that read them once fails with 401 from then on.
 *
 * @module
 */

import { checkClientKeyPair } from "../runtime/client_key_pair.ts";
import { trace } from "../runtime/trace.ts";
import { createClientCertificate } from "./tls_settings.ts";
import type { ClientCertificate, Credentials, ReadFile } from "./types.ts";
import { readAgain } from "./_read_again.ts";

/**
 * Where a client certificate and its key were read from.
 *
 * @example
 * ```ts
 * import type { CertificateFiles } from "./certificate_files.ts";
 * const files: CertificateFiles = { cert: "/etc/kube/client.crt", key: "/etc/kube/client.key" };
 * ```
 */
export interface CertificateFiles {
  /** Path of the PEM certificate. */
  cert: string;
  /** Path of the PEM key. */
  key: string;
}

/**
 * How old a pair read from files may get before they are read again, in ms (client-go's
 * `CertCallbackRefreshDuration`): the messages say "every 5 minutes".
 */
const CERTIFICATE_REFRESH_MS = 300_000;

/**
 * Options of {@linkcode withCertificateFiles}.
 *
 * @example Reading the files from disk
 * ```ts
 * import type { CertificateFilesOptions } from "./certificate_files.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * const options: CertificateFilesOptions = { readFile: readTextFile };
 * ```
 */
export interface CertificateFilesOptions {
  /** Reads a file; `undefined` when it does not exist. */
  readFile: ReadFile;
  /**
   * The clock, in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Credentials that send what `credentials` sends and present the client
 * certificate of `files`, read again at least every five minutes and at once
 * after `invalidate()` (a 401). A pair that cannot be read, or whose key is
 * not the certificate's (a rotation half done), is skipped: the last good
 * pair stays until the next read.
 *
 * @param credentials The user's other credentials (a token, or none).
 * @param files The certificate and key files.
 * @param first The pair as read when the cluster was loaded.
 * @param options File reading and clock.
 * @returns The credentials, with `clientCertificate()`.
 *
 * @example A kubeconfig user with certificate files
 * ```ts ignore
 * import { withCertificateFiles } from "./certificate_files.ts";
 * import { noCredentials } from "./credentials.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * const files = { cert: "/etc/kube/client.crt", key: "/etc/kube/client.key" };
 * const credentials = withCertificateFiles(noCredentials(), files, pair, { readFile: readTextFile });
 * await credentials.clientCertificate?.(); // the pair, read again once it is five minutes old
 * ```
 */
export function withCertificateFiles(
  credentials: Credentials,
  files: CertificateFiles,
  first: ClientCertificate,
  options: CertificateFilesOptions,
): Credentials {
  const now = options.now ?? Date.now;
  let current = first;
  let readAt = now();
  let stale = false;
  let reading: Promise<ClientCertificate> | undefined;

  async function reread(): Promise<ClientCertificate> {
    let problem: string | undefined;
    try {
      const [cert, key] = await Promise.all([options.readFile(files.cert), options.readFile(files.key)]);
      problem = cert === undefined
        ? `${files.cert} does not exist`
        : key === undefined
        ? `${files.key} does not exist`
        : checkClientKeyPair(cert, key, files)?.problem;
      if (problem === undefined && (cert !== current.cert || key !== current.key)) {
        trace(`client certificate ${files.cert} changed: using the new one`);
        current = createClientCertificate(cert!, key!);
      }
    } catch (error) {
      // The runtime's message names the file, never its content.
      problem = (error as Error).message;
    }
    if (problem !== undefined) trace(`client certificate files not read again, keeping the last pair: ${problem}`);
    readAt = now();
    stale = false;
    return current;
  }

  return {
    authorization: () => credentials.authorization(),
    invalidate(refused, refusedCertificate) {
      credentials.invalidate(refused, refusedCertificate);
      stale = true;
    },
    renewal: credentials.renewal ??
      `renew the client certificate ${files.cert} and its key ${files.key} (it may have expired, or the server ` +
        "not trust its CA): they are read again every 5 minutes and at once after a 401",
    clientCertificate() {
      if (!stale && !readAgain(now(), readAt, CERTIFICATE_REFRESH_MS)) return Promise.resolve(current);
      reading ??= reread().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}
