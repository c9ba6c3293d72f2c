/**
 * What `--once` and `check` say to check when the API server gave no answer within `--timeout`: the server, and the
 * proxy on the way when there is one (a proxy that takes the connection and never answers holds a request as a hung
 * server does).
 *
 * @module
 */

import { proxyForDisplay } from "../cluster/proxy.ts";
import type { ClusterAccess } from "../cluster/types.ts";

/**
 * The advice for an API server that gave no answer in time, naming the proxy on the way and where it came from.
 *
 * @param access The cluster's server and proxy.
 * @returns The advice, e.g. `check that the API server at https://10.0.0.1:6443 is reachable, or raise --timeout`.
 *
 * @example Behind a proxy
 * ```ts
 * import { reachableAdvice } from "./reachable_advice.ts";
 * const access = { server: "https://10.0.0.1:6443", proxyUrl: "http://proxy:3128", proxySource: "HTTPS_PROXY" };
 * console.log(reachableAdvice(access)); // check that the API server at ... through the proxy ... from HTTPS_PROXY, ...
 * ```
 */
export function reachableAdvice(access: Pick<ClusterAccess, "server" | "proxyUrl" | "proxySource">): string {
  const via = access.proxyUrl === undefined
    ? ""
    : ` through the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}, and that the proxy answers`;
  return `check that the API server at ${access.server} is reachable${via}, or raise --timeout`;
}
