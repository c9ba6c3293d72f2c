/**
 * The addresses of a fake Service as kube-apiserver v1.36.3 on an IPv4 cluster
 * stores them (measured): its cluster IP, allocated from the service range
 * (`_service_ranges.ts`), given, or `"None"` (a headless Service), none for an
 * ExternalName Service, and its IP families and family policy. Private to the
 * fake API server.
 *
 * @module
 */

import { describeValue } from "../base/_util.ts";
import { allocateClusterIp, clusterIpProblem, type Held, SERVICE_CIDR } from "./_service_ranges.ts";
import type { Service, ServiceInput } from "./types.ts";
import { jsonValue, quotedValue } from "./_go_quote.ts";
import type { Refusals, Refuse } from "./_refusals.ts";

/** A Service's cluster IP fields as they are stored: `[clusterIP]` in both, or neither for an ExternalName one. */
export type ClusterIpFields = Pick<Service["spec"], "clusterIP" | "clusterIPs">;

const IPV4_ONLY = ' (the fake API server is an IPv4 cluster: leave ipFamilies out or give ["IPv4"])';
const IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"];

/**
 * The cluster IP of a Service of type `type`: `"None"`, an address given (which must be in the service range and
 * free), kept from the Service it replaces when left out (`""` too), as a real update keeps an allocated one (before
 * `clusterIPs` is checked against it), or else allocated; none for an ExternalName Service, which refuses one (the
 * replaced Service's own is dropped, as a real type change drops it). Refuses in kube-apiserver's words.
 *
 * @param spec The given spec, read as given (a JavaScript caller can pass any value).
 * @param context The Service's name and type, the Service it replaces and the addresses other Services hold.
 * @param refuse Throws the refusal.
 * @returns `{ clusterIP, clusterIPs: [clusterIP] }`, or `{}` for an ExternalName Service.
 */
export function clusterIpOf(
  spec: ServiceInput["spec"],
  context: { name: string; type: Service["spec"]["type"]; existing: Service | undefined; used: Held<string> },
  refuse: Refuse,
): ClusterIpFields {
  const { type, used } = context;
  // The replaced Service's address, unless it is an ExternalName one (it has none).
  const had = context.existing?.spec.clusterIP;
  let given: unknown = spec.clusterIP ?? "";
  let list: unknown = spec.clusterIPs ?? [];
  if (typeof given !== "string") {
    refuse(`spec.clusterIP must be a string such as "None": current value is ${describeValue(given)}`);
  }
  if (!Array.isArray(list) || list.some((ip) => typeof ip !== "string")) {
    refuse(`spec.clusterIPs must be a list of strings such as ["None"]: current value is ${describeValue(list)}`);
  }
  if (type === "ExternalName") {
    // A change to ExternalName drops the address the Service had, given back unchanged (measured).
    if (had !== undefined && given === had) [given, list] = ["", (list as string[]).filter((ip) => ip !== had)];
    if (given !== "" || (list as string[]).length > 0) {
      refuse("spec.clusterIPs: Forbidden: may not be set for ExternalName services");
    }
    return {};
  }
  // A replacement that leaves clusterIP out gets the stored one before the checks, as kube-apiserver v1.36.3 fills it
  // in (measured), clusterIPs too.
  const kept = given === "" && had !== undefined;
  const clusterIP = kept ? had : given;
  const ips = (list as string[]).length === 0 && kept ? context.existing!.spec.clusterIPs ?? [] : list as string[];
  const quoted = quotedValue(ips);
  // In the order and words kube-apiserver v1.36.3 checks them (measured).
  if (clusterIP === "" && ips.length > 0) {
    refuse(`spec.clusterIPs: Invalid value: ${quoted}: must be empty when \`clusterIP\` is not specified`);
  }
  if (ips.length > 0 && ips[0] !== clusterIP) {
    refuse(`spec.clusterIPs: Invalid value: ${quoted}: first value must match \`clusterIP\``);
  }
  if (clusterIP === "None" && ips.length > 1) {
    refuse(`spec.clusterIPs: Invalid value: ${quoted}: 'None' must be the first and only value`);
  }
  if (clusterIP !== "" && clusterIP !== "None" && !isIp(clusterIP)) {
    refuse(
      `spec.clusterIPs[0]: Invalid value: ${quotedValue(clusterIP)}: must be a valid IP address, (e.g. 10.9.8.7 ` +
        `or 2001:db8::ffff) (give "None" for a headless Service, with a capital N)`,
    );
  }
  if (clusterIP === "None" && (type === "NodePort" || type === "LoadBalancer")) {
    refuse(
      `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for ${type} services (a headless ` +
        "Service is of type ClusterIP)",
    );
  }
  if (had !== undefined && clusterIP !== had) {
    const what = (clusterIP === "None") !== (had === "None")
      ? "a Service cannot become headless or stop being one"
      : `it keeps ${had}`;
    refuse(
      `spec.clusterIPs[0]: Invalid value: ${quotedValue([clusterIP])}: may not change once set (${what}: ` +
        "delete it, then apply it again)",
    );
  }
  if (clusterIP.includes(":")) {
    refuse(
      `spec.clusterIPs[0]: Invalid value: ${quotedValue([clusterIP])}: IPv6 is not configured on this cluster ` +
        `(the fake API server is an IPv4 cluster: give an address of ${SERVICE_CIDR}, leave spec.clusterIP out, ` +
        'or give "None" for a headless Service)',
    );
  }
  if (clusterIP === "None" || kept) return { clusterIP, clusterIPs: [clusterIP] };
  if (clusterIP !== "") {
    const problem = clusterIpProblem(clusterIP, used);
    if (problem !== undefined) {
      refuse(
        `spec.clusterIPs: Invalid value: ${quotedValue([clusterIP])}: failed to allocate IP ${clusterIP}: ` +
          `${problem} (the fake API server's service range is ${SERVICE_CIDR}: give a free address of it, or ` +
          "leave spec.clusterIP out to have one allocated)",
      );
    }
    return { clusterIP, clusterIPs: [clusterIP] };
  }
  const allocated = allocateClusterIp(used);
  if (allocated === undefined) {
    // As kube-apiserver v1.36.3's allocator words it (a 500; read in its source, not measured).
    refuse(
      `Internal error occurred: failed to allocate a serviceIP for Service ${quotedValue(context.name)}: range is ` +
        `full (every address of ${SERVICE_CIDR} is held: delete a Service, or make this one headless with ` +
        'clusterIP: "None")',
    );
  }
  return { clusterIP: allocated, clusterIPs: [allocated] };
}

/**
 * The IP families and family policy a Service gets from kube-apiserver v1.36.3 on an IPv4 cluster, which the fake's
 * is (measured): the policy given, else the replaced Service's (measured with kubectl replace), else `SingleStack`,
 * or `RequireDualStack` for a headless Service without a selector; the families given, else the replaced Service's,
 * else `["IPv4"]`, cut to the first for `SingleStack`, which one family given in place of two takes. A headless Service without a selector may have IPv6 and gets
 * the other family added unless `SingleStack`; any other refuses IPv6 and `RequireDualStack` (422s there).
 *
 * @param spec The given spec, read as given.
 * @param existing The Service it replaces.
 * @param selectorless Whether the Service is headless without a selector.
 * @param refuse Throws the refusal.
 * @returns The stored families and policy.
 */
export function ipFamiliesOf(
  spec: ServiceInput["spec"],
  existing: Service | undefined,
  selectorless: boolean,
  refuse: Refuse,
): Pick<Service["spec"], "ipFamilies" | "ipFamilyPolicy"> {
  const policy: unknown = spec.ipFamilyPolicy ?? existing?.spec.ipFamilyPolicy ??
    (selectorless ? "RequireDualStack" : "SingleStack");
  if (typeof policy !== "string" || !IP_FAMILY_POLICIES.includes(policy)) {
    const supported = IP_FAMILY_POLICIES.map((name) => JSON.stringify(name)).join(", ");
    refuse(`spec.ipFamilyPolicy: Unsupported value: ${jsonValue(policy)}: supported values: ${supported}`);
  }
  const given: unknown = spec.ipFamilies ?? [];
  if (!Array.isArray(given)) {
    refuse(`spec.ipFamilies must be a list such as ["IPv4"]: current value is ${describeValue(given)}`);
  }
  given.forEach((family, index) => {
    if (family !== "IPv4" && family !== "IPv6") {
      refuse(
        `spec.ipFamilies[${index}]: Unsupported value: ${jsonValue(family)}: supported values: "IPv4", "IPv6"`,
      );
    }
    if (given.indexOf(family) !== index) {
      refuse(`spec.ipFamilies[${index}]: Duplicate value: ${jsonValue(family)}`);
    }
  });
  if (given.length > 1 && policy === "SingleStack") {
    refuse(
      `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when ` +
        "multiple IP families are specified",
    );
  }
  // One family given where the replaced Service has two drops the other, which takes SingleStack (measured).
  if (given.length === 1 && existing?.spec.ipFamilies?.length === 2 && policy !== "SingleStack") {
    refuse(
      `spec.ipFamilyPolicy: Invalid value: ${jsonValue(policy)}: must be 'SingleStack' to release the secondary ` +
        'IP family (give ipFamilyPolicy: "SingleStack" with the one family)',
    );
  }
  let families = (given.length > 0 ? given : existing?.spec.ipFamilies ?? ["IPv4"]) as ("IPv4" | "IPv6")[];
  if (policy === "SingleStack") families = families.slice(0, 1);
  else if (selectorless && families.length < 2) families = [families[0], families[0] === "IPv4" ? "IPv6" : "IPv4"];
  // Both, the policy's first, as kube-apiserver v1.36.3 lists them (measured); with the families kept from the replaced
  // Service, not given, only the policy's (measured: a selector given to a headless Service that had both families).
  const unserved: string[] = [];
  if (!selectorless && policy === "RequireDualStack") {
    unserved.push(
      'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack ' +
        'services (the fake API server is an IPv4 cluster: give "SingleStack" or "PreferDualStack")',
    );
  }
  const ipv6 = selectorless ? -1 : families.indexOf("IPv6");
  if (ipv6 !== -1 && (unserved.length === 0 || given.length > 0)) {
    unserved.push(`spec.ipFamilies[${ipv6}]: Invalid value: "IPv6": not configured on this cluster${IPV4_ONLY}`);
  }
  if (unserved.length > 0) refuse(unserved.length === 1 ? unserved[0] : `[${unserved.join(", ")}]`);
  return { ipFamilies: families, ipFamilyPolicy: policy as Service["spec"]["ipFamilyPolicy"] };
}

/**
 * Refuses IP families or a family policy given to an ExternalName Service, as kube-apiserver v1.36.3 does (measured),
 * unless they are the replaced Service's, which a type change drops.
 *
 * @param spec The given spec, read as given.
 * @param existing The Service it replaces.
 * @param refusals Keeps the refusals.
 */
export function checkExternalNameFamilies(
  spec: ServiceInput["spec"],
  existing: Service | undefined,
  refusals: Refusals,
): void {
  const families: unknown = spec.ipFamilies ?? [];
  if (Array.isArray(families) && families.length > 0 && !sameList(families, existing?.spec.ipFamilies ?? [])) {
    refusals.attempt((refuse) => refuse("spec.ipFamilies: Forbidden: may not be set for ExternalName services"), 0);
  }
  if ((spec.ipFamilyPolicy ?? "") !== "" && spec.ipFamilyPolicy !== existing?.spec.ipFamilyPolicy) {
    refusals.attempt((refuse) => refuse("spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services"), 0);
  }
}

function sameList(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** Whether `text` is an IPv4 or IPv6 address as Go's `netip.ParseAddr` reads one (no zone). */
function isIp(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    return text.split(".").every((part) => Number(part) <= 255 && (part === "0" || !part.startsWith("0")));
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return false;
  try {
    return new URL(`http://[${text}]/`).hostname !== "";
  } catch {
    return false;
  }
}
