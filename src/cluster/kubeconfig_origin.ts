/**
 * How a kubeconfig context is named where cluster access came from: the one
 * wording that `source` uses and that the CLI shortens.
 *
 * @module
 */

import type { KubeconfigOrigin } from "./types.ts";

/**
 * The `source` of access from a kubeconfig context, before any option overrides it: `kubeconfig PATHS (context
 * "NAME")`, the files joined with `, ` in `KUBECONFIG` order, or `the kubeconfig object given as cluster.kubeconfig`
 * for none (not "object from": messages put the source after "comes from" and "the credentials from").
 *
 * @param origin The files and the context.
 * @returns The words, e.g. `kubeconfig /a/config, /b/config (context "dev")`.
 *
 * @example Two files
 * ```ts
 * import { kubeconfigSource } from "./kubeconfig_origin.ts";
 * console.log(kubeconfigSource({ files: ["/a/config", "/b/config"], context: "dev" }));
 * // kubeconfig /a/config, /b/config (context "dev")
 * ```
 */
export function kubeconfigSource(origin: Pick<KubeconfigOrigin, "files" | "context">): string {
  const where = origin.files.length > 0
    ? `kubeconfig ${origin.files.join(", ")}`
    : "the kubeconfig object given as cluster.kubeconfig";
  return `${where} (context ${JSON.stringify(origin.context)})`;
}
