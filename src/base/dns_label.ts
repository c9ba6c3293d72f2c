/**
 * The DNS name rules that Kubernetes names follow (`k8s.io/apimachinery`
 * `validation.IsDNS1123Label` and `IsDNS1123Subdomain`), in
 * one place for the target parser (`target.ts`), the default namespace of
 * `cluster/` and the fake API server's checks.
 *
 * @module
 */

/** What a DNS-1123 label is, in the words of messages that ask for one. */
export const DNS_1123_LABEL_RULE = 'at most 63 of a-z, 0-9 and "-", starting and ending with a letter or digit';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Whether a name is an RFC 1123 label, as a namespace or Service must be: at most 63 of
 * a-z, 0-9 and `-`, starting and ending with a letter or digit.
 *
 * @param name The name.
 * @returns True when it is a valid label.
 *
 * @example Checking namespaces
 * ```ts
 * import { isDns1123Label } from "./dns_label.ts";
 * console.log(isDns1123Label("kube-system"), isDns1123Label("Shop")); // true false
 * ```
 */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS_1123_LABEL.test(name);
}

/**
 * The end of a message about a name that is no DNS-1123 label only because of its case: Kubernetes names are lower
 * case, so `Shop` was meant to be `shop`.
 *
 * @param name The name refused.
 * @returns `: Kubernetes names are lower case, did you mean "shop"?`, or `""` when lower case would not make a label.
 *
 * @example
 * ```ts
 * import { lowerCaseMeant } from "./dns_label.ts";
 * console.log(lowerCaseMeant("Shop")); // ': Kubernetes names are lower case, did you mean "shop"?'
 * console.log(lowerCaseMeant("My_Shop")); // ""
 * ```
 */
export function lowerCaseMeant(name: string): string {
  const lower = name.toLowerCase();
  return lower !== name && isDns1123Label(lower)
    ? `: Kubernetes names are lower case, did you mean ${JSON.stringify(lower)}?`
    : "";
}

/**
 * Whether a name is an RFC 1123 subdomain, as most object names (an
 * EndpointSlice's) must be: at most 253 characters, dot-separated RFC 1123
 * labels.
 *
 * @param name The name.
 * @returns True when it is a valid subdomain.
 *
 * @example Checking slice names
 * ```ts
 * import { isDns1123Subdomain } from "./dns_label.ts";
 * console.log(isDns1123Subdomain("echo-ipv4"), isDns1123Subdomain("-ipv4")); // true false
 * ```
 */
export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS_1123_SUBDOMAIN.test(name);
}
