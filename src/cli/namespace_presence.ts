/**
 * Whether the target's namespace exists, for `kgr-resolver check`: a list of
 * EndpointSlices in a namespace that does not exist is simply empty, as
 * `kubectl get endpointslices -n nosuch` says "No resources found"; and one
 * being deleted loses its Services, pods and RoleBindings while `kubectl get
 * service` says only that the Service is not found.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { KubeApiError } from "../base/errors.ts";
import { notFoundByServer, readNamespace } from "../api/kube_api.ts";
import type { HttpClient } from "../runtime/http_client.ts";
import { isRecord } from "../base/_util.ts";

/**
 * What the API server says of a namespace: not found, there, or being
 * deleted (`Terminating`), with since when and the messages of the
 * conditions the namespace controller set true (what the deletion waits on).
 */
export type NamespacePresence =
  | { state: "missing" }
  | { state: "active" }
  | { state: "terminating"; since: string | undefined; waitingOn: string[] };

/**
 * GETs the Namespace (which needs `get` on `namespaces`, a ClusterRole that
 * few clients have): `missing` only when the API server says that Namespace
 * is not found (a 404 whose Status names it, as kube-apiserver's does),
 * `terminating` when its phase says it is being deleted, `active` otherwise,
 * `undefined` when that cannot be told (forbidden, no answer, a server that
 * serves no Namespaces).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The namespace.
 * @param signal Aborts the request.
 * @returns What the server says of the namespace, when it says.
 *
 * @example Telling a namespace that does not exist
 * ```ts ignore
 * import { namespacePresence } from "./namespace_presence.ts";
 * const presence = await namespacePresence(access, client, "nosuch", AbortSignal.timeout(10_000));
 * if (presence?.state === "missing") console.log("namespace nosuch does not exist");
 * ```
 */
export async function namespacePresence(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  signal: AbortSignal,
): Promise<NamespacePresence | undefined> {
  let object: Record<string, unknown>;
  try {
    object = await readNamespace(access, client, namespace, signal);
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    return notFoundByServer(error, "namespaces", namespace) && error.reason === "NotFound"
      ? { state: "missing" }
      : undefined;
  }
  const status = isRecord(object.status) ? object.status : {};
  if (status.phase !== "Terminating") return { state: "active" };
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const since = typeof metadata.deletionTimestamp === "string" ? metadata.deletionTimestamp : undefined;
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
  const waitingOn = conditions
    .filter((condition) => condition.status === "True" && typeof condition.message === "string")
    .map((condition) => condition.message as string);
  return { state: "terminating", since, waitingOn };
}
