/**
 * The library's cluster-access messages in the CLI's terms: they name the
 * options of `register()` (`cluster.kubeconfig`, `cluster.context`), which a
 * user of `kgr-resolver` sets with its flags.
 *
 * @module
 */

const TERMS: [RegExp, string][] = [
  // The CLI has no --server: a kubeconfig is its only way to name a cluster.
  [/\bcluster\.kubeconfig or cluster\.server\b/g, "--kubeconfig"],
  [/\bcluster\.kubeconfig\b/g, "--kubeconfig"],
  [/\bcluster\.context\b/g, "--context"],
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
