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
 * "dev")`, or `..., and cluster.namespace is not set` for access from the cluster options alone.
 *
 * @example A kubeconfig context without a namespace
 * ```ts
 * import { defaultNamespaceNote } from "./namespace_note.ts";
 * const origin = { kind: "kubeconfig", files: ["/root/.kube/config"], context: "dev" } as const;
 * const access = { source: 'kubeconfig /root/.kube/config (context "dev")', origin };
 * console.log(defaultNamespaceNote(access)); // the target names no namespace, and none is set in kubeconfig ...
 * ```
 */
export function defaultNamespaceNote(access: Pick<ClusterAccess, "source" | "origin" | "namespaceSource">): string {
  if (access.namespaceSource !== undefined) {
    return `the target names no namespace, so it comes from ${access.namespaceSource}`;
  }
  // Options alone (cluster.server): the one place to set it is named, as "in cluster options" named none.
  return access.origin.kind === "options"
    ? "the target names no namespace, and cluster.namespace is not set"
    : `the target names no namespace, and none is set in ${access.source}`;
}

/**
 * What to do about a namespace that does not exist, by where it came from.
 *
 * @param access The cluster access whose default namespace a target that names none was given.
 * @param named Whether the target names its namespace.
 * @returns `fix the target's namespace`, or where the default came from, to fix that when something set it, and to
 *   name one in the target.
 *
 * @example A namespace from the cluster options
 * ```ts
 * import { missingNamespaceFix } from "./namespace_note.ts";
 * const access = { source: "cluster options", origin: { kind: "options" }, namespaceSource: "cluster.namespace" } as const;
 * console.log(missingNamespaceFix(access, false));
 * // the target names no namespace, so it comes from cluster.namespace: fix cluster.namespace, or name the
 * // namespace in the target
 * ```
 */
export function missingNamespaceFix(
  access: Pick<ClusterAccess, "source" | "origin" | "namespaceSource">,
  named: boolean,
): string {
  if (named) return "fix the target's namespace";
  const { namespaceSource } = access;
  // What set the namespace is as much to fix as the target (`-n nope`): when nothing did, it is `default`. An option
  // or variable is named again (`cluster.namespace`, the CLI's `--namespace`); a kubeconfig's long name is not.
  const fix = namespaceSource === undefined ? "" : `fix ${/^\S+$/.test(namespaceSource) ? namespaceSource : "it"}, or `;
  return `${defaultNamespaceNote(access)}: ${fix}name the namespace in the target`;
}
