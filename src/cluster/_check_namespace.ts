/**
 * Checking a default namespace, wherever it came from (`cluster.namespace`,
 * a kubeconfig context, `POD_NAMESPACE`, the service account's file).
 *
 * @module
 */

import { DNS_1123_LABEL_RULE, isDns1123Label, lowerCaseMeant } from "../base/dns_label.ts";
import { ConfigError } from "../base/errors.ts";

/**
 * Checks a default namespace: a DNS-1123 label.
 *
 * @param namespace The namespace.
 * @param from Where it came from, e.g. `cluster.namespace` or `POD_NAMESPACE`.
 * @returns The namespace.
 * @throws {ConfigError} When it is not a label; `field` is `from` for an
 * option (`cluster.*`), else `namespace`.
 *
 * @example A namespace from the environment
 * ```ts
 * import { checkNamespace } from "./_check_namespace.ts";
 * console.log(checkNamespace("shop", "POD_NAMESPACE")); // shop
 * ```
 */
export function checkNamespace(namespace: string, from: string): string {
  if (!isDns1123Label(namespace)) {
    throw new ConfigError(
      `Cannot use namespace ${JSON.stringify(namespace)} from ${from}: a namespace is a DNS-1123 label ` +
        `(${DNS_1123_LABEL_RULE})${lowerCaseMeant(namespace)}`,
      { field: from.startsWith("cluster.") ? from : "namespace" },
    );
  }
  return namespace;
}
