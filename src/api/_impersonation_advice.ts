/**
 * What to grant when the API server refuses an impersonation (403): the
 * `impersonate` verb on what the kubeconfig user's `as`, `as-groups`,
 * `as-uid` and `as-user-extra` name, as kube-apiserver's impersonation filter
 * checks it.
 *
 * @module
 */

import type { Impersonation } from "../cluster/types.ts";
import { wordList } from "../base/_word_list.ts";

/**
 * Whether a 403's message is the impersonation filter's: `cannot impersonate resource "users"`, or with constrained
 * impersonation (Kubernetes 1.35 and later) `cannot impersonate-on:user-info:list resource "endpointslices"`.
 *
 * @param message The Status message.
 * @returns True for a refused impersonation.
 *
 * @example
 * ```ts
 * import { refusesImpersonation } from "./_impersonation_advice.ts";
 * console.log(refusesImpersonation('User "a" cannot impersonate resource "users" in API group ""')); // true
 * ```
 */
export function refusesImpersonation(message: string | undefined): boolean {
  return message !== undefined && / cannot impersonate(?:-on:\S+)? resource "/.test(message);
}

/**
 * The grant that lets the credentials' own user act as `impersonation`, as client-go's users grant it (the verb
 * `impersonate`, which every Kubernetes version takes).
 *
 * @param impersonation Whom the kubeconfig user acts as.
 * @returns What to grant, e.g. `"impersonate" on "users" named "jane"`.
 *
 * @example A user and a group
 * ```ts
 * import { impersonationGrant } from "./_impersonation_advice.ts";
 * console.log(impersonationGrant({ user: "jane", groups: ["dev"], extra: {} }));
 * // "impersonate" on "users" named "jane" and on "groups" named "dev" with a ClusterRole and ClusterRoleBinding
 * ```
 */
export function impersonationGrant(impersonation: Impersonation): string {
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(impersonation.user);
  const parts = account
    ? [`on "serviceaccounts" named ${JSON.stringify(account[2])} in namespace ${JSON.stringify(account[1])}`]
    : [`on "users" named ${JSON.stringify(impersonation.user)}`];
  if (impersonation.groups.length > 0) {
    parts.push(`on "groups" named ${impersonation.groups.map((group) => JSON.stringify(group)).join(", ")}`);
  }
  if (impersonation.uid !== undefined) {
    parts.push(`on "uids" in API group "authentication.k8s.io" named ${JSON.stringify(impersonation.uid)}`);
  }
  // kube-apiserver lowercases the key of Impersonate-Extra-<key> and authorizes "userextras/<key>" as such.
  for (const key of new Set(Object.keys(impersonation.extra).map((key) => key.toLowerCase()))) {
    parts.push(`on ${JSON.stringify(`userextras/${key}`)} in API group "authentication.k8s.io"`);
  }
  // A Role in the account's namespace would do for the account alone; one ClusterRole covers every part.
  return `"impersonate" ${wordList(parts)} with a ClusterRole and ClusterRoleBinding`;
}
