/**
 * What `--once` and `check` say to check when the API server gave no answer within `--timeout`: the server, and the
 * proxy on the way when there is one (a proxy that takes the connection and never answers holds a request as a hung
 * server does), the API server behind a plain-HTTP server (`kubectl proxy`, which holds a request as long as the
 * server behind it does), or that the link is slow when the answer of a LIST was still coming in.
 *
 * @module
 */

import { proxyForDisplay } from "../cluster/proxy.ts";
import type { ClusterAccess } from "../cluster/types.ts";

/**
 * The advice for an API server that gave no answer in time, naming the proxy on the way and where it came from.
 *
 * @param access The cluster's server and proxy.
 * @returns The advice, e.g. `check that the API server at https://10.0.0.1:6443 is reachable, or raise --timeout`; for
 *   an `http://` server, to check the API server behind it.
 *
 * @example Behind a proxy
 * ```ts
 * import { reachableAdvice } from "./reachable_advice.ts";
 * const access = { server: "https://10.0.0.1:6443", proxyUrl: "http://proxy:3128", proxySource: "HTTPS_PROXY" };
 * console.log(reachableAdvice(access)); // check that the API server at ... through the proxy ... from HTTPS_PROXY, ...
 * ```
 */
export function reachableAdvice(access: Pick<ClusterAccess, "server" | "proxyUrl" | "proxySource">): string {
  if (access.proxyUrl === undefined && access.server.startsWith("http://")) {
    // The proxy answers when it is down (connection refused, another message); up, it holds the request for as long
    // as the server behind it: which one hangs, this side cannot tell.
    return `the server at ${access.server} serves plain HTTP, as kubectl proxy does (an API server serves HTTPS ` +
      "only): check that the API server behind it answers (kubectl get --raw /readyz with the kubeconfig the proxy " +
      "was started with) and that the proxy is running, or raise --timeout";
  }
  const via = access.proxyUrl === undefined
    ? ""
    : ` through the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}, and that the proxy answers`;
  return `check that the API server at ${access.server} is reachable${via}, or raise --timeout`;
}

/**
 * The advice for a LIST whose answer was still arriving when `--timeout` came: a slow link (a large Service over a
 * VPN, say), not a server that does not answer.
 *
 * @param access The cluster's server.
 * @param timeoutSeconds The `--timeout` that came.
 * @returns The advice, e.g. `the list of its EndpointSlices was still coming in from the API server at ... after 30 s:
 *   a slow link (a large Service over a VPN, say); raise --timeout`.
 *
 * @example A list cut short
 * ```ts
 * import { slowListAdvice } from "./reachable_advice.ts";
 * console.log(slowListAdvice({ server: "https://10.0.0.1:6443" }, 30)); // the list of its EndpointSlices was still ...
 * ```
 */
export function slowListAdvice(access: Pick<ClusterAccess, "server">, timeoutSeconds: number): string {
  return `the list of its EndpointSlices was still coming in from the API server at ${access.server} after ` +
    `${timeoutSeconds} s: a slow link (a large Service over a VPN, say); raise --timeout`;
}
