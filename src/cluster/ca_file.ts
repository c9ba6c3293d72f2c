/**
 * A CA read from a file (the in-cluster `ca.crt`, a kubeconfig's
 * `certificate-authority`, `cluster.caFile`), read again as client-go 1.36
 * reads one (`ClientsAllowCARotation`, on by default): every five minutes, on
 * the next request. When a cluster's CA is rotated, the kubelet writes the new
 * bundle into every pod's `ca.crt`; a process that read it once fails TLS
 * verification from the day the API server serves a certificate of the new CA.
 *
 * @module
 */

import { trustedCertificates } from "../runtime/tls_options.ts";
import { trace } from "../runtime/trace.ts";
import { readConfigFile } from "./_read_config_file.ts";
import { holdsCertificates } from "./_pem.ts";
import type { ReadFile } from "./types.ts";
import { readAgain } from "./_read_again.ts";

/** How old a CA read from a file may get before it is read again, in ms (client-go's CA refresh period). */
const CA_REFRESH_MS = 300_000;

/**
 * Options of {@linkcode caFileReader}.
 *
 * @example Reading the file from disk
 * ```ts
 * import type { CaFileOptions } from "./ca_file.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * const options: CaFileOptions = { readFile: readTextFile };
 * ```
 */
export interface CaFileOptions {
  /** Reads the file; `undefined` when it does not exist. */
  readFile: ReadFile;
  /**
   * The clock, in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * The CA of `path` as the file holds it now: `first` until five minutes have
 * passed, then the file read again. A file that is missing, unreadable, empty,
 * holds no whole PEM certificate (one half written, or a key) or none that is
 * X.509 is skipped and traced, as client-go keeps its transport then: the last
 * good CA stays until the next read. Concurrent calls share one read.
 *
 * @param path The CA file.
 * @param first The CA as read when the cluster was loaded.
 * @param options File reading and clock.
 * @returns A function that resolves to the CA, PEM.
 *
 * @example The in-cluster CA
 * ```ts
 * import { caFileReader } from "./ca_file.ts";
 * const pem = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
 * const currentCa = caFileReader("/sa/ca.crt", pem, { readFile: () => Promise.resolve(pem) });
 * console.log(await currentCa() === pem); // true
 * ```
 */
export function caFileReader(path: string, first: string, options: CaFileOptions): () => Promise<string> {
  const now = options.now ?? Date.now;
  let current = first;
  let readAt = now();
  let reading: Promise<string> | undefined;

  async function reread(): Promise<string> {
    let problem: string | undefined;
    try {
      const text = await readConfigFile(options.readFile, path, ({ problem }) => new Error(`${path} ${problem}`));
      problem = text === undefined
        ? `${path} does not exist`
        : !holdsCertificates(text)
        ? `${path} holds no whole PEM certificate`
        : unparsed(text, path);
      if (problem === undefined && text !== current) {
        trace(`CA file ${path} changed: new connections trust the new one`);
        current = text!;
      }
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem !== undefined) trace(`CA file not read again, keeping the last CA: ${problem}`);
    readAt = now();
    return current;
  }

  return () => {
    if (!readAgain(now(), readAt, CA_REFRESH_MS)) return Promise.resolve(current);
    reading ??= reread().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}

/**
 * Why a CA file's whole `CERTIFICATE` blocks cannot be trusted: none of them is an X.509 certificate (the check the
 * CA had when the cluster was loaded). Taken as the new CA, it failed every new connection until the next read, where
 * client-go keeps the last one.
 */
function unparsed(text: string, path: string): string | undefined {
  try {
    trustedCertificates(text, path);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
