/**
 * The library's cluster-access messages in the CLI's terms: they name the
 * options of `register()` (`cluster.kubeconfig`, `cluster.context`), which a
 * user of `kgr-resolver` sets with its flags.
 *
 * @module
 */

/** An option's name, not part of a path or a name that contains it (`prod-cluster.kubeconfig`). */
const option = (name: string) => new RegExp(`(?<![\\w./-])${name.replaceAll(".", "\\.")}(?![\\w./-])`, "g");

const TERMS: [RegExp, string][] = [
  // The CLI has no --server: a kubeconfig is its only way to name a cluster.
  [option("cluster.kubeconfig or cluster.server"), "--kubeconfig"],
  [option("cluster.kubeconfig"), "--kubeconfig"],
  [option("cluster.context"), "--context"],
  [option("cluster.namespace"), "--namespace"],
];

/**
 * Rewrites a message of the library for a user of the CLI.
 *
 * @param message A message that may name `cluster.kubeconfig` or `cluster.context`.
 * @returns The message naming `--kubeconfig` and `--context` instead.
 *
 * @example
 * ```ts
 * import { inFlagTerms } from "./flag_terms.ts";
 * console.log(inFlagTerms('context "x" from cluster.context is not defined')); // 'context "x" from --context is not defined'
 * ```
 */
export function inFlagTerms(message: string): string {
  let result = message;
  for (const [pattern, flag] of TERMS) result = result.replace(pattern, flag);
  return result;
}
