/**
 * The types that the runtime's HTTP clients share with the layers above them: `TlsSettings`, which
 * `cluster/` fills from a kubeconfig or options and `http_client.ts` and `node_http_client.ts` connect
 * with. Types only, so that `runtime/` imports nothing from `cluster/`.
 *
 * @module
 */

/**
 * TLS settings of one cluster. Objects returned by this library keep `key`
 * in a private field: it reads normally (`tls.key`) but never shows in
 * `inspect` or `JSON.stringify`, and a spread (`{ ...tls }`) drops it.
 *
 * @example Describing the settings in use
 * ```ts
 * import type { TlsSettings } from "./types.ts";
 * function describe(tls: TlsSettings): string {
 *   return tls.insecureSkipVerify ? "no verification" : `trusting ${tls.caSource}`;
 * }
 * ```
 */
export interface TlsSettings {
  /** PEM of the CA to trust; absent means the system roots. */
  ca?: string;
  /** Client certificate, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** Name to verify the server certificate against (kubeconfig `tls-server-name`). */
  serverName?: string;
  /** Skip verification; only `true` when the kubeconfig or options say so explicitly. */
  insecureSkipVerify?: boolean;
  /** Names the CA in use, for TLS error messages, e.g. `certificate-authority /path/ca.crt`. */
  caSource: string;
  /**
   * The settings that choose the CA and the name verified, as their source spells them, for TLS error messages:
   * `cluster.ca, cluster.caFile and cluster.tlsServerName` for `cluster` options, `certificate-authority-data and
   * tls-server-name` for a kubeconfig's inline CA; absent for a kubeconfig's other (`certificate-authority and
   * tls-server-name`).
   */
  caSettings?: string;
}
