/**
 * TLS settings and client certificates whose private key stays out of sight:
 * readable as `.key`, but never shown by `inspect` (Node's, Bun's or Deno's,
 * whatever the options), `JSON.stringify` or `String()`.
 *
 * @module
 */

import { keyPairBlocks } from "../runtime/client_key_pair.ts";
import type { ClientCertificate, TlsSettings } from "./types.ts";

const NODE_INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * Makes `inspect` (Node's and Deno's, whatever the options, `getters` and
 * `showHidden` included) print `view()` instead of the object, so that a
 * getter holding a secret is never called by a logger.
 */
function inspectAs(
  target: { prototype: object },
  view: (self: never) => Record<string, unknown>,
): void {
  // Node and Bun inspect whatever non-string the hook returns.
  Object.defineProperty(target.prototype, NODE_INSPECT, {
    value(this: never) {
      return view(this);
    },
  });
  Object.defineProperty(target.prototype, DENO_INSPECT, {
    value(this: never, inspect: unknown, options: unknown) {
      const shown = view(this);
      return typeof inspect === "function" ? inspect(shown, options) : JSON.stringify(shown);
    },
  });
}

class SecretKeepingTlsSettings implements TlsSettings {
  declare ca?: string;
  declare cert?: string;
  declare serverName?: string;
  declare insecureSkipVerify?: boolean;
  caSource: string;
  declare caSettings?: string;
  #key: string | undefined;

  constructor(init: TlsSettings) {
    this.caSource = init.caSource;
    if (init.caSettings !== undefined) this.caSettings = init.caSettings;
    if (init.ca !== undefined) this.ca = init.ca;
    if (init.cert !== undefined) this.cert = init.cert;
    if (init.serverName !== undefined) this.serverName = init.serverName;
    if (init.insecureSkipVerify === true) this.insecureSkipVerify = true;
    this.#key = init.key;
  }

  get key(): string | undefined {
    return this.#key;
  }
}

inspectAs(SecretKeepingTlsSettings, (tls: SecretKeepingTlsSettings) => ({
  ...tls,
  ...(tls.key !== undefined ? { key: "[redacted]" } : {}),
}));

/**
 * Makes TLS settings whose private key is readable as `tls.key` but never
 * shows in `inspect`, `JSON.stringify` or a spread (`{ ...tls }` drops it:
 * read `tls.key` explicitly). Of a client certificate and key, only the
 * blocks TLS uses are kept (see `keyPairBlocks()`).
 *
 * @param init The settings, key included.
 * @returns Settings that keep the key out of sight.
 *
 * @example Settings with a client certificate
 * ```ts
 * import { createTlsSettings } from "./tls_settings.ts";
 * const tls = createTlsSettings({ caSource: "the runtime's default CA roots", cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" });
 * console.log(JSON.stringify(tls).includes("PRIVATE"), tls.key !== undefined); // false true
 * ```
 */
export function createTlsSettings(init: TlsSettings): TlsSettings {
  if (init.cert === undefined || init.key === undefined) return new SecretKeepingTlsSettings(init);
  return new SecretKeepingTlsSettings({ ...init, ...keyPairBlocks(init.cert, init.key) });
}

class SecretKeepingClientCertificate implements ClientCertificate {
  cert: string;
  #key: string;

  constructor(cert: string, key: string) {
    this.cert = cert;
    this.#key = key;
  }

  get key(): string {
    return this.#key;
  }
}

inspectAs(
  SecretKeepingClientCertificate,
  (pair: SecretKeepingClientCertificate) => ({
    cert: pair.cert,
    key: "[redacted]",
  }),
);

/**
 * Makes a client certificate whose key is readable as `.key` but never shows
 * in `inspect` or `JSON.stringify`; only the blocks TLS uses are kept (see
 * `keyPairBlocks()`).
 *
 * @param cert The certificate, PEM.
 * @param key Its private key, PEM.
 * @returns The pair.
 *
 * @example Keeping a key out of logs
 * ```ts
 * import { createClientCertificate } from "./tls_settings.ts";
 * const pair = createClientCertificate("-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----");
 * console.log(JSON.stringify(pair)); // {"cert":"-----BEGIN CERTIFICATE-----"}
 * ```
 */
export function createClientCertificate(
  cert: string,
  key: string,
): ClientCertificate {
  const blocks = keyPairBlocks(cert, key);
  return new SecretKeepingClientCertificate(blocks.cert, blocks.key);
}
