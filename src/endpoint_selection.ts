/**
 * Turns the EndpointSlices of one Service into the endpoints a gRPC client
 * should use: all slices merged, one endpoint per pod, ready ones first and
 * the kube-proxy fallback to serving-but-terminating ones.
 *
 * @module
 */

import type { EndpointSlice, SliceEndpoint } from "./endpoint_slice.ts";
import { trace } from "./trace.ts";

/** One address of an endpoint. */
export interface EndpointAddress {
  /** IPv4 or IPv6 address, without brackets. */
  host: string;
  /** TCP port. */
  port: number;
}

/** One endpoint (normally one pod) with all of its addresses. */
export interface ResolvedEndpoint {
  /** Addresses of the pod, IPv4 before IPv6; never empty. */
  addresses: EndpointAddress[];
  /** `conditions.ready` (unset means true). */
  ready: boolean;
  /** `conditions.serving` (unset means true). */
  serving: boolean;
  /** `conditions.terminating` (unset means false). */
  terminating: boolean;
  /** Zone of the endpoint, when known. */
  zone?: string;
  /** Node of the endpoint, when known. */
  nodeName?: string;
  /** Pod of the endpoint, when the slice names it. */
  podName?: string;
}

interface PodGroup extends ResolvedEndpoint {
  key: string;
}

/**
 * Selects the usable endpoints of a Service from all of its slices: those
 * whose `ready` is not false; when none is, those serving while terminating
 * (as kube-proxy does). Addresses of the same pod (same `targetRef`) across
 * slices form one endpoint; repeated host:port pairs are dropped; the order
 * is deterministic. FQDN slices are ignored.
 *
 * @param slices Every slice of the Service.
 * @param port The target's port: a number is used as given, a name is looked
 *   up in each slice's `ports`, absent means each slice's first port.
 * @returns The usable endpoints, sorted by pod.
 *
 * @example Selecting from one slice
 * ```ts
 * import { selectEndpoints } from "./endpoint_selection.ts";
 * const endpoints = selectEndpoints([{
 *   metadata: { name: "echo-abc" },
 *   addressType: "IPv4",
 *   ports: [{ name: "grpc", port: 50051 }],
 *   endpoints: [{ addresses: ["10.1.0.7"], targetRef: { kind: "Pod", name: "echo-0" } }],
 * }], "grpc");
 * console.log(endpoints[0].addresses); // [{ host: "10.1.0.7", port: 50051 }]
 * ```
 */
export function selectEndpoints(
  slices: Iterable<EndpointSlice>,
  port?: number | string,
): ResolvedEndpoint[] {
  const groups = new Map<string, PodGroup>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") {
      trace(`ignoring FQDN EndpointSlice ${slice.metadata.name}: only IPv4 and IPv6 slices are used`);
      continue;
    }
    const slicePort = portOf(slice, port);
    if (slicePort === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      addToGroup(groups, slice, endpoint, slicePort);
    }
  }
  const all = [...groups.values()].sort((a, b) => compare(a.key, b.key));
  const ready = all.filter((group) => group.ready);
  const usable = ready.length > 0 ? ready : all.filter((group) => group.serving && group.terminating);
  return withoutRepeatedAddresses(usable);
}

function portOf(slice: EndpointSlice, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  const ports = slice.ports ?? [];
  const found = port === undefined ? ports[0] : ports.find((candidate) => candidate.name === port);
  if (typeof found?.port !== "number") {
    const wanted = port === undefined ? "any port" : `a port named "${port}"`;
    trace(`EndpointSlice ${slice.metadata.name} has no ${wanted}: its endpoints are skipped`);
    return undefined;
  }
  return found.port;
}

function addToGroup(
  groups: Map<string, PodGroup>,
  slice: EndpointSlice,
  endpoint: SliceEndpoint,
  port: number,
): void {
  if (!endpoint.addresses?.length) return;
  const ref = endpoint.targetRef;
  const key = ref?.name
    ? `${ref.namespace ?? slice.metadata.namespace ?? ""}/${ref.name}`
    : `${slice.metadata.name}/${endpoint.addresses[0]}`;
  const conditions = endpoint.conditions ?? {};
  let group = groups.get(key);
  if (!group) {
    group = { key, addresses: [], ready: true, serving: true, terminating: false };
    if (ref?.name) group.podName = ref.name;
    if (endpoint.zone) group.zone = endpoint.zone;
    if (endpoint.nodeName) group.nodeName = endpoint.nodeName;
    groups.set(key, group);
  }
  group.ready &&= conditions.ready !== false;
  group.serving &&= conditions.serving !== false;
  group.terminating ||= conditions.terminating === true;
  const ipv6 = slice.addressType === "IPv6";
  for (const host of endpoint.addresses) {
    const address = { host, port };
    if (ipv6) group.addresses.push(address);
    else group.addresses.splice(countIpv4(group.addresses), 0, address);
  }
}

function countIpv4(addresses: EndpointAddress[]): number {
  let count = 0;
  while (count < addresses.length && !addresses[count].host.includes(":")) count++;
  return count;
}

function withoutRepeatedAddresses(groups: PodGroup[]): ResolvedEndpoint[] {
  const seen = new Set<string>();
  const result: ResolvedEndpoint[] = [];
  for (const { key: _key, ...endpoint } of groups) {
    endpoint.addresses = endpoint.addresses.filter((address) => {
      const id = `${address.host}|${address.port}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (endpoint.addresses.length > 0) result.push(endpoint);
  }
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A string that is equal for two endpoint lists exactly when a gRPC client
 * would use them the same way; cheap to compare.
 *
 * @param endpoints Endpoints as returned by {@linkcode selectEndpoints}.
 * @returns The fingerprint.
 *
 * @example Detecting a change
 * ```ts
 * import { endpointsFingerprint } from "./endpoint_selection.ts";
 * const before = endpointsFingerprint([]);
 * console.log(before === endpointsFingerprint([])); // true
 * ```
 */
export function endpointsFingerprint(endpoints: readonly ResolvedEndpoint[]): string {
  let text = "";
  for (const endpoint of endpoints) {
    text += `${endpoint.podName ?? ""}${endpoint.ready ? "R" : ""}${endpoint.serving ? "S" : ""}${
      endpoint.terminating ? "T" : ""
    }`;
    for (const address of endpoint.addresses) text += ` ${address.host}|${address.port}`;
    text += "\n";
  }
  return text;
}
