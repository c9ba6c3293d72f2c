/**
 * What to do when the pods' TLS certificate does not hold the channel's TLS name: the name is the target's
 * `service.namespace` (see the README's TLS naming), which certificates issued for
 * `service.namespace.svc.cluster.local` do not hold, and the connection error alone does not say how to choose
 * another.
 *
 * @module
 */

/** The start of the error of a certificate that does not hold the name checked (Node, Bun and Deno alike). */
const NAME_MISMATCH = "does not match certificate's altnames";
/** The reason given when the certificate holds neither a DNS name nor a common name (a SPIFFE ID's URI alone). */
const NO_DNS_NAME = "Cert does not contain a DNS name";

/**
 * Advice to append to a connection error when it is a TLS name mismatch, or `""`.
 *
 * @param error A connection error, as grpc-js reports it.
 * @param authority The target's default authority (`echo.prod`), the TLS name unless a channel option set another.
 * @returns `"; ..."` naming the channel option to set and, when the error lists them, the certificate's DNS names,
 * each wildcard with the name of the checked name's first label under it, and when the name checked is the
 * target's own and of one label, to name the namespace in the target; for a certificate without a DNS name, which
 * no TLS name verifies, to check its names in createSsl()'s checkServerIdentity; for one that names other Services of
 * the namespace and not this one, whose it is, and when the option fits and when it would call another Service's pod;
 * `""` for any other error.
 *
 * @example A certificate for the fully qualified name
 * ```ts ignore
 * tlsNameAdvice("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: " +
 *   "Host: echo.prod. is not in the cert's altnames: DNS:echo.prod.svc.cluster.local", "echo.prod");
 * // '; the pods' certificate does not hold ... ("echo.prod.svc.cluster.local") ...'
 * ```
 */
export function tlsNameAdvice(error: string, authority?: string): string {
  if (!error.includes(NAME_MISMATCH)) return "";
  if (error.includes(NO_DNS_NAME)) {
    // grpc-js hands the TLS name to node:tls's check, which takes DNS names (a common name without them) only.
    return `; the pods' certificate holds no DNS name and no common name (only names such as a SPIFFE ID's URI or ` +
      `IP addresses), which grpc-js checks the TLS name against: give createSsl() a checkServerIdentity that checks ` +
      `the names it holds (createSsl(ca, key, cert, { checkServerIdentity: (host, cert) => ... }), cert.subjectaltname ` +
      `lists them; return an Error to refuse, undefined to accept; the CA is still checked), or issue the certificate ` +
      `with a DNS name`;
  }
  const checked = /Host: (\S+?)\.? is/.exec(error)?.[1];
  const otherService = checked === undefined ? "" : otherServiceAdvice(checked, heldNames(error));
  if (otherService) return otherService;
  // A wildcard is no name to set: "*.prod.svc" as the TLS name fails on Bun and sends no SNI on Deno, while a name
  // it matches (the checked name's first label in place of "*", "echo.prod.svc") verifies on all three.
  const first = checked?.split(".")[0]?.toLowerCase();
  const label = first === undefined || first.includes("*") ? undefined : first;
  const names = heldNames(error).map((name) => {
    if (!/^[\w*.-]+$/.test(name)) return `${JSON.stringify(name)}, which is no host name`;
    return name.includes("*")
      ? `${JSON.stringify(name)}, which matches ${wildcardMatch(name, label)}`
      : JSON.stringify(name);
  });
  const held = names.length > 0 ? ` (it holds ${names.join(", ")})` : "";
  // A name of one label is what a target without a namespace gets; one that an option set (an override such as
  // "localhost", or grpc.default_authority) is not the target's, and naming the namespace there would change nothing.
  const oneLabel = checked !== undefined && checked === authority && !checked.includes(".")
    ? ` (${JSON.stringify(checked)} here, one label: a target without a namespace gets its service alone, so name ` +
      `the namespace in the target, as in "kubernetes:///svc.ns:port")`
    : "";
  return `; the pods' certificate does not hold the channel's TLS name, which is the target's "service.namespace"` +
    `${oneLabel} unless the channel option "grpc.ssl_target_name_override" sets another: set that option to a name the ` +
    `certificate holds${held}, or issue the certificate for the TLS name`;
}

/**
 * Advice for a certificate that names other Services of the checked name's namespace and not its own: the pods may
 * serve another Service's certificate (one issued for a headless Service, say), or the address may be a pod of that
 * Service now (pod IPs are reused, and the channel's EndpointSlice may not have dropped it yet), where the option the
 * generic advice names would let the channel call that Service's pod.
 *
 * @param checked The name checked: `service.namespace`, optionally `.svc` and the cluster domain after it.
 * @param held The certificate's DNS names.
 * @returns The advice, or `""` when the checked name has no namespace, or the certificate names no other Service of
 * it, or may name this Service (its name as first label, or a wildcard).
 */
function otherServiceAdvice(checked: string, held: string[]): string {
  const [service, namespace] = serviceAndNamespace(checked);
  if (namespace === undefined) return "";
  const others = new Set<string>();
  for (const name of held) {
    const [first, itsNamespace] = serviceAndNamespace(name);
    if (first === service || first.includes("*")) return "";
    // A Service's name is a DNS label: a name that is no host name names none.
    if (itsNamespace === namespace && /^[a-z0-9-]+$/.test(first)) others.add(first);
  }
  if (others.size === 0) return "";
  const names = [...others].map((other) => JSON.stringify(other));
  const whose = names.length === 1 ? `Service ${names[0]}'s` : `of other Services (${names.join(", ")})`;
  const owner = names.length === 1 ? `a pod of ${names[0]}` : "a pod of one of them";
  const listed = held.map((name) => JSON.stringify(name)).join(", ");
  const ours = JSON.stringify(service);
  return `; the certificate is ${whose}, of the same namespace (it holds ${listed}): either the pods of ${ours} ` +
    `serve that certificate, and "grpc.ssl_target_name_override" set to a name it holds makes calls verify, or ` +
    `this address is now ${owner} (pod IPs are reused) that the EndpointSlices of ${ours} still list, and the ` +
    `option would send calls meant for ${ours} to it: check which pod has the address (kubectl get endpointslices ` +
    `-n ${namespace} -l kubernetes.io/service-name=${service}; kubectl get pods -n ${namespace} -o wide)`;
}

/**
 * A cluster DNS name's Service and namespace: `service.namespace`, optionally followed by `svc` and the cluster
 * domain; lowercase.
 *
 * @param name A DNS name.
 * @returns Its first label, and the namespace when the name has that form, else `undefined`.
 */
function serviceAndNamespace(name: string): [string, string | undefined] {
  const [first = "", namespace, svc, ...rest] = name.toLowerCase().split(".");
  const clusterForm = namespace !== undefined && (svc === undefined || (svc === "svc" && !rest.includes("")));
  return [first, clusterForm && namespace !== "" ? namespace : undefined];
}

/**
 * What a certificate's DNS name with a "*" matches, by the rules of node:tls's check (Bun's and Deno's alike): one
 * "*" in the first label, not in an "xn--" label, two labels or more after it; it stands for any part of the label,
 * none included ("e*" matches "echo" and "e").
 *
 * @param name The certificate's DNS name.
 * @param label The first label of the name checked, lowercase; `undefined` when it is itself a wildcard.
 * @returns The name with `label` in place of the first label when it fits, else what such a label needs.
 */
function wildcardMatch(name: string, label: string | undefined): string {
  const [first = "", ...rest] = name.toLowerCase().split(".");
  const [prefix = "", suffix = "", ...more] = first.split("*");
  if (rest.some((part) => part.includes("*"))) return `no name: "*" stands for a first label only`;
  if (more.length > 0) return `no name: a label takes one "*" at most`;
  if (first.includes("xn--")) return `no name: "*" in an "xn--" label is no wildcard`;
  if (rest.length < 2) return `no name: a wildcard needs two labels after its own`;
  const fits = label !== undefined && label.length >= prefix.length + suffix.length && label.startsWith(prefix) &&
    label.endsWith(suffix);
  if (fits) return JSON.stringify([label, ...rest].join("."));
  const needs = [prefix && `starting with ${JSON.stringify(prefix)}`, suffix && `ending with ${JSON.stringify(suffix)}`]
    .filter(Boolean).map((part) => ` ${part}`).join(" and");
  return `a name with a label${needs} in place of ${JSON.stringify(first)}, not itself`;
}

/**
 * The DNS names of the certificate's altnames that the error lists, as the certificate holds them: Node and Bun list
 * a name with a comma (or another sign that would break the list) JSON-quoted (`DNS:"a\u002cb"`), Deno as is, and
 * both separate names with ", ".
 */
function heldNames(error: string): string[] {
  return [...error.matchAll(/DNS:("(?:[^"\\]|\\.)*"|\S*?)(?=, |\s|$)/g)].map(([, name = ""]) => {
    if (!name.startsWith('"')) return name;
    try {
      return String(JSON.parse(name));
    } catch {
      return name;
    }
  });
}
