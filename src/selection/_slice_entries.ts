/**
 * The entries of one EndpointSlice object for `selectEndpoints`: one per pod, keyed by `podKey`, with the slice's
 * number for the target's port, sorted; an endpoint that shows what the previous object of the same slice showed
 * takes that object's entry over, so that an update builds entries only for the endpoints that changed. Private to
 * `endpoint_selection.ts`, which keeps the entries of every slice merged; `podKey` and `slicePortNumber` are shared
 * with the explanation of a selection (`endpoint_explanation.ts`), and `slicePortNumber` with the reason for no
 * endpoints (`no_endpoints_reason.ts`), so that they group and skip slices as selection does.
 *
 * @module
 */

import type { EndpointSlice, SliceEndpoint } from "../base/endpoint_slice.ts";
import { byKey, type SliceEntry, type SliceRecord, takenOverInPlace } from "./_merged_entries.ts";
import { combine, podEndpoint, showsEndpoint } from "./_pod_endpoint.ts";
import type { EndpointAddress, ResolvedEndpoint } from "./resolved_endpoint.ts";
import { readHints } from "./topology.ts";
import { noPortWords } from "./topology_reason.ts";
import { sameAddresses, sameNames } from "./_endpoint_fields.ts";
import { trace } from "../runtime/trace.ts";

/** The entries of a record being computed: shared, never modified. */
export const NO_ENTRIES: SliceEntry[] = [];

/**
 * The entries of a slice object, sorted, each pod once. Those identical to an entry of `replaced` (the
 * previous object of the same slice) are that entry, taken over; the others are also appended to `created`.
 */
export function computeSliceEntries(
  slice: EndpointSlice,
  port: number | string,
  owner: SliceRecord,
  replaced: SliceRecord | undefined,
  created: SliceEntry[],
): SliceEntry[] {
  if (slice.addressType === "FQDN") {
    trace(`ignoring FQDN EndpointSlice ${slice.metadata.name}: only IPv4 and IPv6 slices are used`);
    return [];
  }
  const slicePort = slicePortNumber(slice, port);
  if (slicePort === undefined) {
    trace(
      `EndpointSlice ${slice.metadata.name} has ${noPortWords(String(port))} (with a number 1-65535): its endpoints ` +
        "are skipped",
    );
    return [];
  }
  const name = slice.metadata.name ?? "";
  const entries: SliceEntry[] = [];
  const endpoints = slice.endpoints ?? [];
  const previous = replaced?.entries ?? NO_ENTRIES;
  // The previous object's endpoints, when where their entries are is known: an endpoint that is the same object at
  // the same index (a protobuf watch reuses the unchanged ones: see `endpoint_memory.ts`) is its entry, taken over
  // without a key built or looked up, and without reading the entry (thousands of them, scattered in memory).
  const known = replaced?.places !== undefined && replaced.port === slicePort &&
      replaced.slice.metadata.namespace === slice.metadata.namespace
    ? replaced.slice.endpoints ?? undefined
    : undefined;
  const inPlace = known !== undefined ? takenOverInPlace(endpoints, known, replaced!, owner) : undefined;
  if (inPlace !== undefined) return inPlace;
  // Where each entry's pod sits among the previous object's entries (-1: not there), when they are looked up: a
  // slice whose pods are all new (a burst) has every look-up miss, so when probes say so none is made, and the
  // entries are sorted and compared with the previous ones in one pass below.
  const places = previous.length > 0 && !probesAllMiss(slice, endpoints, known, previous) ? [] as number[] : undefined;
  let malformedHints = false;
  for (let i = 0; i < endpoints.length; i++) {
    const endpoint = endpoints[i];
    const hosts = endpoint.addresses;
    if (!hosts?.length) continue;
    if (known !== undefined && known[i] === endpoint) {
      const same = replaced!.places![i];
      places?.push(same);
      entries.push(previous[same]);
      continue;
    }
    const key = podKey(slice, endpoint);
    const place = places !== undefined ? keyIndex(previous, key) : -1;
    places?.push(place);
    // An endpoint that shows what the previous object's entry of its pod showed (most of them, in an update) takes
    // that entry over before anything is built: an update allocates only for the endpoints that changed.
    const before = place >= 0 ? previous[place] : undefined;
    if (before !== undefined && showsEndpoint(endpoint, slicePort, before.endpoint)) {
      entries.push(before);
      continue;
    }
    let hints = readHints(endpoint.hints);
    if (hints === "malformed") {
      malformedHints = true;
      hints = undefined;
    }
    // Built at their length (an array grown by `push` reserves room for 17): a snapshot stays compact in
    // memory, and a consumer walking thousands of endpoints touches fewer cache lines.
    const addresses: EndpointAddress[] = hosts.length === 1
      ? [{ host: hosts[0], port: slicePort }]
      : hosts.map((host) => ({ host, port: slicePort }));
    entries.push({ key, slice: name, endpoint: podEndpoint(endpoint, addresses, hints), owner });
  }
  if (malformedHints) trace(`EndpointSlice ${name} has malformed topology hints: those endpoints count as unhinted`);
  // Each pod once, most of them the previous object's (a rollout replaces a few): their order is known, new pods go
  // in at the place their look-up found, and where each endpoint's entry ends up is known (kept when each endpoint
  // has an entry of its own: an address, and no malformed hints, which are read and traced anew). Else a stable sort,
  // skipped when already in order (sorting allocates even then): the same pod twice in one slice combines in the
  // slice's order.
  const reordered = places !== undefined ? placedOrder(entries, places, previous, owner, created) : undefined;
  if (reordered) {
    if (places!.length === endpoints.length && !malformedHints) {
      owner.places = places;
      owner.port = slicePort;
    }
    return reordered;
  }
  if (!isSorted(entries)) entries.sort(byKey);
  let kept = 0;
  for (let i = 0; i < entries.length; i++) {
    if (kept > 0 && entries[kept - 1].key === entries[i].key) {
      // An entry taken over belongs to the previous object too: the combined one is a copy.
      const first = entries[kept - 1].owner === owner ? entries[kept - 1] : { ...entries[kept - 1], owner };
      first.endpoint = combine(first.endpoint, entries[i].endpoint);
      entries[kept - 1] = first;
    } else entries[kept++] = entries[i];
  }
  if (kept < entries.length) entries.length = kept;
  for (let i = 0, p = 0; i < entries.length; i++) {
    const entry = entries[i];
    while (p < previous.length && previous[p].key < entry.key) p++;
    const same = p < previous.length ? previous[p] : undefined;
    if (same === entry || (same?.key === entry.key && sameEndpoint(same.endpoint, entry.endpoint))) {
      same.owner = owner;
      entries[i] = same;
    } else created.push(entry);
  }
  return entries;
}

/**
 * Where `key` is in a record's entries (sorted, one per key), by binary search; when it is not there, `-(p + 1)`
 * for the `p` of the first entry whose key sorts after it.
 */
function keyIndex(entries: SliceEntry[], key: string): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle].key < key) low = middle + 1;
    else high = middle;
  }
  return low < entries.length && entries[low].key === key ? low : -low - 1;
}

/** How many endpoints {@linkcode probesAllMiss} looks up. */
const PROBES = 8;

/**
 * Whether the pods of {@linkcode PROBES} endpoints spread over the slice, none the previous object's own endpoint at
 * its index (`known`), are all missing from the `previous` entries: most of the slice's pods are then new, and looking
 * each one up would cost more than it saves. `false` when there are not that many such endpoints.
 */
function probesAllMiss(
  slice: EndpointSlice,
  endpoints: readonly SliceEndpoint[],
  known: readonly SliceEndpoint[] | undefined,
  previous: SliceEntry[],
): boolean {
  if (endpoints.length < PROBES * 2) return false;
  const step = Math.floor(endpoints.length / PROBES);
  let probed = 0;
  for (let i = step >> 1; i < endpoints.length && probed < PROBES; i += step) {
    const endpoint = endpoints[i];
    if ((known !== undefined && known[i] === endpoint) || !endpoint.addresses?.length) continue;
    if (keyIndex(previous, podKey(slice, endpoint)) >= 0) return false;
    probed++;
  }
  return probed === PROBES;
}

/**
 * `entries` in sorted order when each pod is there once and some are the pods of the slice's `previous` entries
 * (sorted, one per key): `places[i]` is where `entries[i]`'s pod is among them, or `-(p + 1)` for a new pod that sorts
 * just before `previous[p]`. The pods kept keep their order and the new ones go in at their place, so keys are read
 * only among new pods at one place (an update keeps or replaces a few pods, in an order that is seldom theirs by
 * name). An entry that shows what its pod's previous one shows is that one, taken over; the others are appended to
 * `created`, and `places[i]` becomes where `entries[i]` ends up. `undefined`, nothing changed, when a pod is there
 * twice or none was there before.
 */
function placedOrder(
  entries: SliceEntry[],
  places: number[],
  previous: SliceEntry[],
  owner: SliceRecord,
  created: SliceEntry[],
): SliceEntry[] | undefined {
  const slots: number[] = new Array(previous.length).fill(-1);
  const fresh: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const place = places[i];
    if (place < 0) fresh.push(i);
    else if (slots[place] >= 0) return undefined;
    else slots[place] = i;
  }
  if (fresh.length === entries.length) return undefined;
  if (fresh.length > 1) {
    fresh.sort((a, b) => places[b] - places[a] || byKey(entries[a], entries[b]));
    for (let f = 1; f < fresh.length; f++) if (entries[fresh[f - 1]].key === entries[fresh[f]].key) return undefined;
  }
  const ordered = entries.slice();
  for (let p = 0, f = 0, at = 0; p <= previous.length; p++) {
    while (f < fresh.length && places[fresh[f]] === -p - 1) {
      const entry = entries[fresh[f]];
      places[fresh[f++]] = at;
      created.push(entry);
      ordered[at++] = entry;
    }
    const i = p < previous.length ? slots[p] : -1;
    if (i < 0) continue;
    const entry = entries[i], same = previous[p];
    places[i] = at;
    if (same === entry || sameEndpoint(same.endpoint, entry.endpoint)) {
      same.owner = owner;
      ordered[at++] = same;
    } else {
      created.push(entry);
      ordered[at++] = entry;
    }
  }
  return ordered;
}

/** Whether two endpoints are the same in every field a snapshot has. */
function sameEndpoint(x: ResolvedEndpoint, y: ResolvedEndpoint): boolean {
  return x.ready === y.ready && x.serving === y.serving && x.terminating === y.terminating &&
    x.podName === y.podName && x.zone === y.zone && x.nodeName === y.nodeName &&
    sameAddresses(x.addresses, y.addresses) && sameNames(x.hints?.forZones, y.hints?.forZones) &&
    sameNames(x.hints?.forNodes, y.hints?.forNodes);
}

/**
 * The key a slice's endpoint is grouped and sorted by: one per pod. A pod of the slice's own namespace
 * (every pod, for the EndpointSlice controller's slices), or named without one, or in a slice without
 * one (hand-made), is keyed by its name; a pod of another namespace by `namespace/name`; either followed
 * by a space and the pod's uid when the reference has one (the controller always sets it): a StatefulSet's
 * new pod, which has the old one's name and a new address, is a pod of its own while a slice the controller
 * has not rewritten yet still shows the old one terminating, as kube-proxy sees them (it counts each address),
 * instead of one pod that is terminating. An endpoint without a pod is keyed by `slice/address`. Pod names
 * have no "/" or space; only a pod of another namespace named like an address could share the key of an
 * endpoint without a pod in a slice named like that namespace.
 *
 * @param slice The slice that holds the endpoint.
 * @param endpoint The endpoint, with at least one address.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { podKey } from "./_slice_entries.ts";
 * const slice = { metadata: { name: "echo-x1", namespace: "prod" }, addressType: "IPv4" as const };
 * console.log(podKey(slice, { addresses: ["10.0.0.1"], targetRef: { kind: "Pod", name: "echo-0" } })); // "echo-0"
 * console.log(podKey(slice, { addresses: ["10.0.0.1"], targetRef: { name: "echo-0", uid: "7c1e" } })); // "echo-0 7c1e"
 * ```
 */
export function podKey(slice: EndpointSlice, endpoint: SliceEndpoint): string {
  const ref = endpoint.targetRef;
  if (!ref?.name) return `${slice.metadata.name ?? ""}/${endpoint.addresses![0]}`;
  const namespace = slice.metadata.namespace;
  const name = !ref.namespace || !namespace || ref.namespace === namespace ? ref.name : `${ref.namespace}/${ref.name}`;
  return ref.uid ? `${name} ${ref.uid}` : name;
}

/** Whether entries are in {@linkcode byKey} order. */
function isSorted(entries: SliceEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (byKey(entries[i - 1], entries[i]) > 0) return false;
  return true;
}

/**
 * The number a slice gives a target's port: a number as it is, a name by the first of the slice's ports with that
 * name. Shared with the CLI's explanation and the reason for no endpoints, so that they skip the slices selection
 * skips.
 *
 * @param slice The EndpointSlice.
 * @param port The target's port: a number, or a name (`""` for a Service's single unnamed port).
 * @returns The port number, or `undefined` when the slice has no port of that name, or its number is none, or not
 *   1-65535 (a real server stores 0 or 65536; kube-proxy skips 0, and no client can dial either).
 *
 * @example
 * ```ts
 * import { slicePortNumber } from "./_slice_entries.ts";
 * const ports = [{ name: "grpc", port: 50051 }];
 * const slice = { metadata: { name: "echo-x1" }, addressType: "IPv4" as const, ports };
 * console.log(slicePortNumber(slice, "grpc"), slicePortNumber(slice, "http")); // 50051 undefined
 * ```
 */
export function slicePortNumber(slice: EndpointSlice, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  const ports = slice.ports ?? [];
  let found: number | null | undefined;
  for (let i = 0; found === undefined && i < ports.length; i++) {
    if ((ports[i].name ?? "") === port) found = ports[i].port;
  }
  return typeof found === "number" && found >= 1 && found <= 65535 ? found : undefined;
}
