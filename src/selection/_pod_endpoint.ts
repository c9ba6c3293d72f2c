/**
 * A pod's endpoint, as endpoint selection builds it from a slice's endpoint and combines it when several slices (or
 * one slice twice) list the pod, and copies of them for the call after one that built most of them
 * (`copyEndpoints`); and whether a slice's endpoint shows what a built one shows (`showsEndpoint`). Private to
 * `endpoint_selection.ts` and its `_slice_entries.ts`.
 *
 * @module
 */

import type { SliceEndpoint } from "../base/endpoint_slice.ts";
import type { SliceEntry } from "./_merged_entries.ts";
import type { EndpointAddress, ResolvedEndpoint } from "./resolved_endpoint.ts";
import { hintsOfIpv4Copy, type TopologyHints } from "./topology.ts";

/** An endpoint while it is built: once handed out it is shared, and read-only to its consumers. */
type Building = { -readonly [Field in keyof ResolvedEndpoint]: ResolvedEndpoint[Field] };

/**
 * The endpoint the resolver hands on for a slice's endpoint, with its conditions.
 *
 * @param endpoint The slice's endpoint.
 * @param addresses Its addresses on the slice's port.
 * @param hints Its topology hints, read.
 * @returns The endpoint.
 */
export function podEndpoint(
  endpoint: SliceEndpoint,
  addresses: EndpointAddress[],
  hints: TopologyHints | undefined,
): ResolvedEndpoint {
  const conditions = endpoint.conditions;
  return endpointOf(
    addresses,
    conditions?.ready !== false,
    conditions?.serving !== false,
    conditions?.terminating === true,
    endpoint.targetRef?.name || undefined,
    endpoint.zone || undefined,
    endpoint.nodeName || undefined,
    hints,
  );
}

/** A selection call that builds at least this many entries, and more than half of all, has the next one copy them. */
export const COPY_AFTER = 1000;

/**
 * Gives each entry still in use (its slice object was seen in `call`) a copy of its endpoint and addresses (the same
 * fields, built as {@linkcode podEndpoint} builds them), and returns the selection of a
 * one-to-one list made of the copies (an entry no longer in use keeps its endpoint: it is about to leave).
 *
 * Why: the objects built by a call that builds thousands of entries (a first list) are made among that call's and the
 * decoder's short-lived objects, and Node 20's V8 moved them to its old generation spread thin: for 5,000 endpoints
 * the objects a consumer reads for `addresses[0].host` lay on 526-1,442 pages of 4 KB (by `%DebugPrint`, six client
 * processes), and that walk took 0.27-0.52 ms. Copies made by the next call lay on 408-1,066 pages, the walk
 * 0.17-0.39 ms (client-node's informer, same run: 0.20-0.38). The copy costs that call 0.1-0.6 ms; nothing when that
 * call drops them all (a burst that replaces every pod again: 0.4-1.2 ms of CPU saved at 5,000 endpoints).
 *
 * @param entries The merged entries, each pod once when `output` is given.
 * @param output The last selection when it holds one endpoint per entry, in their order.
 * @param call The current selection call: the entries whose owner it did not see are not copied.
 * @returns That selection made of the copies, or `undefined` without one.
 */
export function copyEndpoints(
  entries: SliceEntry[],
  output: ResolvedEndpoint[] | undefined,
  call: number,
): ResolvedEndpoint[] | undefined {
  // Filled by push, not `new Array(length)`: that array, and each later selection sliced from it, would be HOLEY to
  // V8 where the first list's is PACKED, and a consumer's loop over the snapshots would see two array maps.
  const copies: ResolvedEndpoint[] | undefined = output === undefined ? undefined : [];
  for (let i = 0; i < entries.length; i++) {
    const shown = entries[i].endpoint;
    if (entries[i].owner.seen !== call) {
      copies?.push(shown);
      continue;
    }
    const hosts = shown.addresses;
    const addresses: EndpointAddress[] = hosts.length === 1
      ? [{ host: hosts[0].host, port: hosts[0].port }]
      : hosts.map(({ host, port }) => ({ host, port }));
    const { ready, serving, terminating, podName, zone, nodeName, hints } = shown;
    const endpoint = endpointOf(addresses, ready, serving, terminating, podName, zone, nodeName, hints);
    entries[i].endpoint = endpoint;
    copies?.push(endpoint);
  }
  return copies;
}

/**
 * An endpoint, built whole by one literal for the usual sets of fields (the EndpointSlice controller names every
 * pod, and sets zone and node for all endpoints or none): fields added to an object afterwards go to a second store
 * of their own, and the objects a consumer walks stay smaller and closer together (a walk of 5,000 endpoints'
 * `addresses[0].host` 13-16% faster on Deno and Bun in a microbenchmark). The fields' order is the same.
 */
function endpointOf(
  addresses: EndpointAddress[],
  ready: boolean,
  serving: boolean,
  terminating: boolean,
  podName: string | undefined,
  zone: string | undefined,
  nodeName: string | undefined,
  hints: TopologyHints | undefined,
): ResolvedEndpoint {
  if (podName !== undefined && zone === undefined && nodeName === undefined && hints === undefined) {
    return { addresses, ready, serving, terminating, preferred: true, podName };
  }
  if (podName !== undefined && zone !== undefined && nodeName !== undefined) {
    return hints === undefined
      ? { addresses, ready, serving, terminating, preferred: true, podName, zone, nodeName }
      : { addresses, ready, serving, terminating, preferred: true, podName, zone, nodeName, hints };
  }
  const result: Building = { addresses, ready, serving, terminating, preferred: true };
  if (podName !== undefined) result.podName = podName;
  if (zone !== undefined) result.zone = zone;
  if (nodeName !== undefined) result.nodeName = nodeName;
  if (hints) result.hints = hints;
  return result;
}

/**
 * The same pod seen twice: the first one's pod, zone and node; conditions combined; IPv4 addresses before IPv6; the
 * hints of the first copy with an IPv4 address (see {@linkcode hintsOfIpv4Copy}).
 */
export function combine(first: ResolvedEndpoint, second: ResolvedEndpoint): ResolvedEndpoint {
  const ready = first.ready && second.ready;
  const serving = first.serving && second.serving;
  const terminating = first.terminating || second.terminating;
  const addresses = [...first.addresses];
  for (const address of second.addresses) {
    if (address.host.includes(":")) addresses.push(address);
    else addresses.splice(countIpv4(addresses), 0, address);
  }
  const endpoint: Building = { ...first, addresses, ready, serving, terminating };
  if (hintsOfIpv4Copy(first.addresses, second.addresses)) {
    if (second.hints) endpoint.hints = second.hints;
    else delete endpoint.hints;
  }
  return endpoint;
}

/** The endpoint of a pod whose entries from several slices are `entries[from..to)`, combined in order. */
export function mergedEndpoint(entries: SliceEntry[], from: number, to: number): ResolvedEndpoint {
  let endpoint = entries[from].endpoint;
  for (let i = from + 1; i < to; i++) endpoint = combine(endpoint, entries[i].endpoint);
  return endpoint;
}

function countIpv4(addresses: EndpointAddress[]): number {
  let count = 0;
  while (count < addresses.length && !addresses[count].host.includes(":")) count++;
  return count;
}

/**
 * Whether a slice's endpoint, with its addresses on `port`, shows what `shown` shows in every field a snapshot
 * has: what `sameEndpoint` (in `_slice_entries.ts`) says of the endpoint it would build, read from the JSON
 * without building it. Hints that are not plain lists of names never match (they are read, and traced, the slow way).
 */
export function showsEndpoint(endpoint: SliceEndpoint, port: number, shown: ResolvedEndpoint): boolean {
  const conditions = endpoint.conditions;
  if (
    (conditions?.ready !== false) !== shown.ready || (conditions?.serving !== false) !== shown.serving ||
    (conditions?.terminating === true) !== shown.terminating ||
    (endpoint.targetRef?.name || undefined) !== shown.podName || (endpoint.zone || undefined) !== shown.zone ||
    (endpoint.nodeName || undefined) !== shown.nodeName
  ) return false;
  const hosts = endpoint.addresses;
  const addresses = shown.addresses;
  if (hosts.length !== addresses.length) return false;
  for (let i = 0; i < hosts.length; i++) {
    if (addresses[i].host !== hosts[i] || addresses[i].port !== port) return false;
  }
  const hints = endpoint.hints;
  if (hints === undefined || hints === null) return shown.hints === undefined;
  if (typeof hints !== "object" || Array.isArray(hints)) return false;
  const { forZones, forNodes } = hints as Record<string, unknown>;
  const zones = shown.hints?.forZones ?? [];
  const nodes = shown.hints?.forNodes ?? [];
  return showsNames(forZones, zones) && showsNames(forNodes, nodes);
}

/** Whether `value` (a hints list as received: absent, or `{ name }` objects) names exactly `names`. */
function showsNames(value: unknown, names: readonly string[]): boolean {
  if (value === undefined || value === null) return names.length === 0;
  if (!Array.isArray(value) || value.length !== names.length) return false;
  for (let i = 0; i < value.length; i++) {
    const entry = value[i];
    if (typeof entry !== "object" || entry === null || (entry as { name?: unknown }).name !== names[i]) return false;
  }
  return true;
}
