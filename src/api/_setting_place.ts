/**
 * Where advice about the server's URL, port or CA sends the user.
 *
 * @module
 */
import type { ClusterAccess } from "../cluster/types.ts";

/**
 * What to check about the server or its CA, and where: `what` in the kubeconfig or options that `access` came from,
 * or, for the in-cluster service account, which holds no URL, port or TLS setting, `inPod` alone (the variables and
 * files the pod's server and CA are made of, or the TLS options that replaced them, as `inPod` says), whatever
 * options the `source` adds (`the in-cluster service account with cluster.token` still takes its port from
 * `KUBERNETES_SERVICE_PORT`).
 *
 * @param access The cluster access.
 * @param what What to check, e.g. `the port`.
 * @param inPod What to check in a pod, e.g. `KUBERNETES_SERVICE_PORT`.
 * @returns The advice's object, e.g. `the port in kubeconfig /root/.kube/config (context "dev")`.
 *
 * @example A kubeconfig's port
 * ```ts
 * import { settingPlace } from "./_setting_place.ts";
 * const origin = { kind: "kubeconfig", files: ["/root/.kube/config"], context: "dev" } as const;
 * const access = { source: 'kubeconfig /root/.kube/config (context "dev")', origin };
 * console.log(settingPlace(access, "the port", "KUBERNETES_SERVICE_PORT")); // the port in kubeconfig ...
 * ```
 */
export function settingPlace(access: Pick<ClusterAccess, "source" | "origin">, what: string, inPod: string): string {
  return access.origin.kind === "in-cluster" ? inPod : `${what} in ${access.source}`;
}
