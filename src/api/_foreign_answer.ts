/**
 * Answers that something other than kube-apiserver wrote in its place (a web
 * page, a gateway's own JSON): what to tell the user, which depends on
 * whether the server URL has a path, as the URL of a gateway in front of
 * many clusters has (Rancher's `/k8s/clusters/<id>`, the GKE Connect
 * gateway's `/v1/projects/<n>/locations/global/gkeMemberships/<m>`).
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";
import { isRecord } from "../base/_util.ts";
import { unbracketedHost } from "../base/ip_address.ts";
import type { Status } from "../base/endpoint_slice.ts";

/**
 * What an error answer's body says: a Kubernetes `Status`, or with `foreign` the message of a JSON body that is
 * none (a gateway's own refusal), which kube-apiserver never writes.
 *
 * @example A gateway's JSON
 * ```ts
 * import type { ErrorBody } from "./_foreign_answer.ts";
 * const body: ErrorBody = { message: "The caller does not have permission", foreign: true };
 * ```
 */
export interface ErrorBody extends Status {
  /** Set when the body is JSON but no Status: `message` is its message, or the JSON itself. */
  foreign?: true;
}

/**
 * What to do about an answer that is not the API server's, naming `cluster.server` when the URL came from that
 * option (alone, or replacing the kubeconfig's server), as the TLS advice names the TLS options, and the in-cluster
 * variables in a pod. Through a proxy, it adds that the page may be the proxy's own, and what to check.
 *
 * @param access The cluster.
 * @returns Advice for the end of a message.
 *
 * @example A server URL without a path
 * ```ts ignore
 * import { foreignAnswerAdvice } from "./_foreign_answer.ts";
 * console.log(foreignAnswerAdvice(access)); // point the kubeconfig at the Kubernetes API server itself, ...
 * ```
 */
export function foreignAnswerAdvice(access: ClusterAccess): string {
  const option = access.serverFromOption === true;
  // In a pod (with other options or not: `the in-cluster service account with cluster.token`), no kubeconfig holds
  // the URL: the kubelet's variables make it. (cluster.server leaves the pod's service account unused.)
  const inPod = !option && access.origin.kind === "in-cluster";
  const place = option
    ? "cluster.server"
    : inPod
    ? "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"
    : "the kubeconfig";
  const point = `point ${place} at the Kubernetes API server itself`;
  if (new URL(access.server).pathname.replace(/\/+$/, "") !== "") {
    return "a gateway that serves the API under the path of its URL (Rancher, a Connect gateway) answers so when " +
      `it refuses the user or knows no such cluster: check the path in ${option ? "cluster.server" : access.source} ` +
      `and the user's access there, or ${point}${throughProxy(access)}`;
  }
  return `${point}, not at a web page, a login page or a proxy${throughProxy(access)}`;
}

/** When the request went through a proxy: the answer may be the proxy's own page, and what to check then. */
function throughProxy(access: ClusterAccess): string {
  if (access.proxyUrl === undefined) return "";
  const host = new URL(access.server).hostname;
  const source = access.proxySource;
  // An environment proxy (HTTPS_PROXY and the like) skips the hosts in NO_PROXY (in no_proxy where it alone is set: a
  // NO_PROXY beside it would hide it); a kubeconfig's proxy-url does not. Of a proxy from nowhere known, neither.
  // An IPv6 address goes there without brackets, for any port: kubectl (Go's httpproxy) and we read `[fd00::1]` alone
  // as a name, which matches no server.
  const skip = access.proxyOrigin === "proxy-url"
    ? `, or drop ${source ?? "the kubeconfig's proxy-url"} if the server is reachable without it`
    : access.proxyOrigin === "environment"
    ? `, or add ${unbracketedHost(host)} to ${access.noProxyVariable ?? "NO_PROXY"} if the server is reachable ` +
      "without the proxy"
    : "";
  const from = source === undefined ? "" : ` from ${source}`;
  return `; it came through the proxy ${proxyForDisplay(access.proxyUrl)}${from}, so the page may be the proxy's ` +
    `own (a login page, a corporate proxy's block page): check that the proxy lets requests to ${host} through${skip}`;
}

/**
 * The message of a JSON error body that is no Kubernetes `Status` (kube-apiserver writes every error as one, with
 * `kind`, `code` and `reason`): `message`, or `error.message` (Google APIs), or else the JSON itself, written again:
 * as sent it may escape a credential it echoes (`\/`, `\u002b`) past the redaction, which looks for it as it is.
 *
 * @param value The parsed body.
 * @returns The message on one line, or `undefined` for a Status.
 *
 * @example Google's error format
 * ```ts
 * import { foreignJsonMessage } from "./_foreign_answer.ts";
 * const body = { error: { code: 403, message: "The caller does not have permission" } };
 * console.log(foreignJsonMessage(body)); // The caller does not have permission
 * ```
 */
export function foreignJsonMessage(value: Record<string, unknown>): string | undefined {
  if (value.kind !== undefined || typeof value.code === "number" || typeof value.reason === "string") return undefined;
  const nested = isRecord(value.error) ? value.error.message : undefined;
  const message = typeof value.message === "string"
    ? value.message
    : typeof nested === "string"
    ? nested
    : JSON.stringify(value);
  return message.trim().replace(/\s+/g, " ");
}
