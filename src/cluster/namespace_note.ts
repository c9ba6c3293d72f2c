/**
 * What a message says of the namespace of a target that names none: where the
 * namespace it was given came from, as kubectl takes it from the current
 * context (then the pod's, then `default`).
 *
 * @module
 */
import type { ClusterAccess } from "./types.ts";

/**
 * Where the default namespace of `access` came from, for a message about a target that names no namespace.
 *
 * @param access The cluster access whose default namespace the target was given.
 * @returns A clause, e.g. `the target names no namespace, and none is set in kubeconfig /root/.kube/config (context
 * "dev")`.
 *
 * @example A kubeconfig context without a namespace
 * ```ts
 * import { defaultNamespaceNote } from "./namespace_note.ts";
 * const access = { source: 'kubeconfig /root/.kube/config (context "dev")' };
 * console.log(defaultNamespaceNote(access)); // the target names no namespace, and none is set in kubeconfig ...
 * ```
 */
export function defaultNamespaceNote(access: Pick<ClusterAccess, "source" | "namespaceSource">): string {
  return access.namespaceSource === undefined
    ? `the target names no namespace, and none is set in ${access.source}`
    : `the target names no namespace, so it comes from ${access.namespaceSource}`;
}
