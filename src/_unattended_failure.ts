/**
 * Says on standard error, once per cluster, credentials and kind (and namespace, for a 403: a grant fixes one at a
 * time), a failure of a watch that nobody handles (no `onError`) and that the watch cannot get over by itself:
 * credentials refused (401, after they were read again) or not granted (403), a proxy's login refused (407, SOCKS5's
 * too), a failed TLS verification of a certificate, credentials that cannot be got (an exec plugin that fails: a
 * `ConfigError`). Without it, a channel goes on with the last endpoints it had (or none, before the first) and nothing
 * is printed unless traces are on. A server down or restarting (unreachable, 5xx, 429, a TLS handshake that did not
 * finish) recovers by itself and is only traced: an API-server upgrade must not fill logs.
 *
 * @module
 */

import { ConfigError, KubeApiError, type ResolverError } from "./base/errors.ts";
import { TlsVerificationError } from "./api/api_errors.ts";
import { warnOnce } from "./runtime/trace.ts";

/** The HTTP statuses of failures that only the user can end, by their kind in the warning's key. */
const STATUS_KINDS: Readonly<Record<number, string>> = { 401: "credentials", 403: "forbidden", 407: "proxy login" };

/**
 * The kind of a failure that the watch cannot get over by itself, or `undefined` for one that ends by itself.
 *
 * @param error A failure reported to the subscribers (a first 401 or 403 that a retry may fix never is).
 * @returns `credentials`, `forbidden`, `proxy login`, `tls` or `config`; `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { KubeApiError } from "./base/errors.ts";
 * import { unattendedKind } from "./_unattended_failure.ts";
 * console.log(unattendedKind(new KubeApiError("Cannot watch endpointslices: ...", { status: 401 }))); // "credentials"
 * console.log(unattendedKind(new KubeApiError("Cannot watch endpointslices: ...", { status: 503 }))); // undefined
 * ```
 */
export function unattendedKind(error: ResolverError): string | undefined {
  if (error instanceof ConfigError) return "config";
  if (error instanceof TlsVerificationError) return "tls";
  if (error instanceof KubeApiError && error.status !== undefined) return STATUS_KINDS[error.status];
  return undefined;
}

/** Who hears of a failure, for {@linkcode warnUnattended}. */
export interface FailureAudience {
  /**
   * The API server and the credentials, as an identity that tells two sets of credentials apart (`access.identity`):
   * the warning is said once for each. Only a key: never printed.
   */
  cluster: string;
  /** The namespace watched: a 403 is said once for each, as a grant fixes one namespace at a time. */
  namespace: string;
  /** Whether a channel routes calls with the endpoints kept meanwhile (else only `watchEndpoints()` loops follow them). */
  routesCalls: boolean;
  /** Whether the watch delivered endpoints before: only then are there last endpoints that calls go on with. */
  delivered: boolean;
}

/**
 * Says `error` on standard error once per cluster, credentials and kind (and namespace, for a 403) when the watch
 * cannot get over it by itself (see {@linkcode unattendedKind}), ending with what happens meanwhile and how to hear of
 * each one (`onError`, traces); else does nothing. For a failure that no subscriber's caller handles (no `onError`):
 * others are theirs to say.
 *
 * @param error The failure, whose message says what to do and holds no secret.
 * @param audience The cluster and credentials, the namespace, whether a channel routes calls, and whether endpoints
 * were delivered.
 *
 * @example
 * ```ts
 * import { KubeApiError } from "./base/errors.ts";
 * import { warnUnattended } from "./_unattended_failure.ts";
 * const error = new KubeApiError("Cannot watch endpointslices of service echo: ... (401 Unauthorized): renew ...", {
 *   status: 401,
 * });
 * const cluster = 'https://10.0.0.1:6443 user "dev" of /root/.kube/config (token ...)';
 * warnUnattended(error, { cluster, namespace: "prod", routesCalls: false, delivered: true }); // on standard error
 * ```
 */
export function warnUnattended(error: ResolverError, audience: FailureAudience): void {
  const kind = unattendedKind(error);
  if (kind === undefined) return;
  const { cluster, namespace, routesCalls, delivered } = audience;
  const once = "said once for this cluster, credentials and kind of failure" +
    (kind === "forbidden" ? ` in namespace ${namespace}` : "");
  // A channel has no onError: its user reads standard error, or the traces.
  const meanwhile = routesCalls
    ? (delivered
      ? "channels go on calling the endpoints they had, which may be stale, and retry"
      : "channels have no endpoints to call yet, and retry") +
      `; ${once}: GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG traces each one`
    : (delivered ? "the watch keeps the last endpoints and retries" : "the watch retries") +
      `; ${once}: pass onError to watchEndpoints() to handle such failures in code`;
  // A grant fixes one namespace at a time: a 403 in another is news.
  const where = kind === "forbidden" ? `\u0000${namespace}` : "";
  warnOnce([`unattended ${kind} failure\u0000${cluster}${where}`], `${error.message} (${meanwhile})`);
}
