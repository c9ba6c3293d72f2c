/**
 * Whether the target's namespace exists, for `kgr-resolver check`: a list of
 * EndpointSlices in a namespace that does not exist is simply empty, as
 * `kubectl get endpointslices -n nosuch` says "No resources found".
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { KubeApiError } from "../base/errors.ts";
import { requestObject } from "../api/kube_api.ts";
import type { HttpClient } from "../runtime/http_client.ts";

/**
 * GETs the Namespace (which needs `get` on `namespaces`, a ClusterRole that
 * few clients have): `false` only when the API server says that Namespace is
 * not found (a 404 whose Status names it, as kube-apiserver's does), `true`
 * when it is there, `undefined` when that cannot be told (forbidden, no
 * answer, a server that serves no Namespaces, as the fake API server).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The namespace.
 * @param signal Aborts the request.
 * @returns Whether the namespace exists, when the server says.
 *
 * @example
 * ```ts ignore
 * import { namespaceExists } from "./namespace_presence.ts";
 * if (await namespaceExists(access, client, "nosuch", AbortSignal.timeout(10_000)) === false) {
 *   console.log("namespace nosuch does not exist");
 * }
 * ```
 */
export async function namespaceExists(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  signal: AbortSignal,
): Promise<boolean | undefined> {
  const subject = {
    verb: "get",
    where: `namespace "${namespace}"`,
    grant: `"get" on "namespaces" in the core API group ("")`,
    missing: `namespace "${namespace}" does not exist (404)`,
  };
  try {
    const url = `${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}`;
    await requestObject(access, client, subject, url, signal);
    return true;
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    const named = error.details?.kind === "namespaces" && error.details.name === namespace;
    return error.status === 404 && error.reason === "NotFound" && named ? false : undefined;
  }
}
