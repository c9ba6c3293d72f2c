/**
 * Turns the EndpointSlices of one Service into the endpoints a gRPC client should use: all slices merged, one
 * endpoint per pod, ready ones first and the kube-proxy fallback to serving-but-terminating ones.
 *
 * @module
 */

import type { EndpointSlice, SliceEndpoint } from "../base/endpoint_slice.ts";
import {
  byKey,
  emptyEntries,
  mergeEntries,
  NO_POSITIONS,
  patchOneToOne,
  removedPositions,
  type SliceEntry,
  type SliceRecord,
  takenOverInPlace,
} from "./_merged_entries.ts";
import { combine, COPY_AFTER, copyEndpoints, mergedEndpoint, podEndpoint, showsEndpoint } from "./_pod_endpoint.ts";
import type { EndpointAddress, ResolvedEndpoint } from "./resolved_endpoint.ts";
import { readHints } from "./topology.ts";
import { sameAddresses, sameNames } from "./_endpoint_fields.ts";
import { trace } from "../runtime/trace.ts";
import { hostKey } from "./_host_key.ts";

/**
 * Selects the usable endpoints of a Service from all of its slices: those
 * whose `ready` is not false; when none is, those serving while terminating
 * (as kube-proxy does). Addresses of the same pod (same `targetRef`) across
 * slices form one endpoint, terminating when any copy says so; repeated
 * host:port pairs are dropped, and a terminating pod leaves its address to a
 * pod that is not terminating (its IP was reused while its Pod object
 * lingers: kube-proxy does the same); the order is deterministic. FQDN
 * slices are ignored.
 *
 * @param slices Every slice of the Service.
 * @param port The port: a number is used as given, a name is looked up in
 *   each slice's `ports` (`""` is a Service's single unnamed port); a target
 *   without a port gets its name from `service_port.ts`.
 * @param options A memo kept between calls for the same Service and port.
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
  port: number | string,
  options: SelectOptions = {},
): ResolvedEndpoint[] {
  const memo = options.memo ?? createSelectionMemo();
  const call = ++memo.call;
  // Entries are computed once per slice object (the reflector replaces a slice's object when it changes) and kept
  // merged in key order across calls, so that an update costs the changed endpoints' own work plus, at most, one pass
  // over the set (none when the last list can be patched). Loops here index arrays: until the JIT optimizes a
  // function, which updates a few seconds apart never make hot, `for...of` allocates a result object per step, and
  // garbage sets the pace of the GC pauses that land on updates.
  const arrived: SliceRecord[] = [];
  for (const slice of slices) {
    const known = memo.records.get(slice);
    if (known) {
      known.seen = call;
      continue;
    }
    const record: SliceRecord = { slice, entries: NO_ENTRIES, seen: call, places: undefined, port: 0 };
    memo.records.set(slice, record);
    arrived.push(record);
  }
  // A new object of a slice keeps the entries of its endpoints that did not change (most of them, in a
  // rollout): those stay where they are, and only the others are counted, looked up and put in place.
  const created: SliceEntry[] = [];
  for (const record of arrived) {
    const name = record.slice.metadata.name ?? "";
    const previous = memo.byName.get(name);
    const replaced = previous !== undefined && previous.seen !== call ? previous : undefined;
    record.entries = computeSliceEntries(record.slice, port, record, replaced, created);
    memo.byName.set(name, record);
  }
  const dropped: SliceEntry[] = [];
  for (const record of memo.records.values()) {
    if (record.seen === call) continue;
    memo.records.delete(record.slice);
    const name = record.slice.metadata.name ?? "";
    if (memo.byName.get(name) === record) memo.byName.delete(name);
    const { entries } = record;
    for (let i = 0; i < entries.length; i++) if (entries[i].owner === record) dropped.push(entries[i]);
  }
  // Once the slices that changed are known: a burst that replaced every endpoint the last call built copies none.
  if (memo.copyNext) memo.output = copyEndpoints(memo.merged, memo.output, call);
  memo.copyNext = created.length >= COPY_AFTER && created.length * 2 > memo.merged.length;
  // Counting anew beats a removal and an addition per host once most of the Service changed (a burst).
  if (created.length + dropped.length > memo.merged.length) recountHosts(memo);
  else {
    countHosts(memo, created, 1);
    countHosts(memo, dropped, -1);
  }
  const unique = memo.repeated === 0;
  if (created.length === 0 && dropped.length === 0 && memo.output) return memo.output;
  const fresh = arrived.length > 1 ? created.sort(byKey) : created;
  const gone = dropped.length > 0 ? removedPositions(memo.merged, dropped, fresh.length) : NO_POSITIONS;
  if (gone !== undefined && unique && memo.output !== undefined) {
    const patched = patchOneToOne(memo.merged, memo.output, fresh, gone);
    if (patched) {
      memo.merged = patched.merged;
      memo.output = patched.endpoints;
      return patched.endpoints;
    }
  }
  // When every entry leaves (a burst replaced every pod), the fresh ones are the list.
  const replacedAll = fresh.length > 0 && dropped.length === memo.merged.length;
  memo.merged = replacedAll ? fresh : mergeEntries(memo.merged, fresh, gone, call);
  const ready = usableEndpoints(memo.merged, isReady, unique);
  // One endpoint per entry, as in most Services: the next update can patch this list.
  memo.output = unique && ready.length === memo.merged.length ? ready : undefined;
  return ready.length > 0 ? ready : usableEndpoints(memo.merged, isServingTerminating, unique);
}

/** Options of {@linkcode selectEndpoints}. */
export interface SelectOptions {
  /**
   * State kept between calls for the same Service and port (see
   * {@linkcode createSelectionMemo}): the entries of each slice, merged in
   * order, and how often each host is used, so that an update recomputes
   * only the slices that changed.
   */
  memo?: SelectionMemo;
}

/** Opaque state of {@linkcode selectEndpoints} for one Service and port. */
export interface SelectionMemo {
  /** The entries of each slice object of the last call. */
  records: Map<EndpointSlice, SliceRecord>;
  /** The record of each slice name, whose entries a new object of the same slice reuses when unchanged. */
  byName: Map<string, SliceRecord>;
  /** Every record's entries, sorted by pod key then slice name. */
  merged: SliceEntry[];
  /** How many entries use each host, by its `hostKey()`. */
  counts: Map<string | number, number>;
  /** How many hosts are used more than once: then repeated `host|port` pairs are dropped. */
  repeated: number;
  /**
   * The last selection when it holds one endpoint per merged entry (every pod ready, each in one slice, no
   * host shared), as most Services are: an update then patches it without reading every entry.
   */
  output?: ResolvedEndpoint[];
  /** Number of calls so far; a record seen in the current call carries it. */
  call: number;
  /** Set by a call that built most entries, and at least `COPY_AFTER`: the next call gives each one a copy. */
  copyNext?: boolean;
}

/**
 * Creates the state that makes repeated {@linkcode selectEndpoints} calls for
 * one Service and port cheaper.
 *
 * @returns An empty memo.
 *
 * @example Selecting twice with a memo
 * ```ts
 * import { createSelectionMemo, selectEndpoints } from "./endpoint_selection.ts";
 * const memo = createSelectionMemo();
 * console.log(selectEndpoints([], "grpc", { memo }).length); // 0
 * ```
 */
export function createSelectionMemo(): SelectionMemo {
  // Every field from the start, in one order: a field that a call adds later gives the memo a second map to V8, and
  // the code of the rebuild path, which only the first list ran before a burst, deoptimized ("wrong map").
  return {
    records: new Map(),
    byName: new Map(),
    merged: emptyEntries(),
    counts: new Map(),
    repeated: 0,
    output: undefined,
    call: 0,
    copyNext: false,
  };
}

/**
 * The endpoints on one node, as kube-proxy's `CategorizeEndpoints` gives them under `internalTrafficPolicy: Local`:
 * the ready ones there, else those serving while terminating there (even if other nodes have ready ones); no hints.
 * Reads the memo that {@linkcode selectEndpoints} has just brought up to date for the same slices and port.
 *
 * @param memo The memo of the call to {@linkcode selectEndpoints} just made.
 * @param node The client's node.
 * @returns The endpoints whose `nodeName` is `node`, sorted by pod; empty when the node has no usable one.
 *
 * @example Two pods, one on node-a
 * ```ts
 * import { createSelectionMemo, selectEndpoints, selectLocalEndpoints } from "./endpoint_selection.ts";
 * const memo = createSelectionMemo();
 * selectEndpoints([{
 *   metadata: { name: "agent-abc" },
 *   addressType: "IPv4",
 *   ports: [{ name: "grpc", port: 4317 }],
 *   endpoints: [{ addresses: ["10.1.0.7"], nodeName: "node-a" }, { addresses: ["10.1.1.7"], nodeName: "node-b" }],
 * }], "grpc", { memo });
 * console.log(selectLocalEndpoints(memo, "node-a").map((endpoint) => endpoint.addresses[0].host)); // ["10.1.0.7"]
 * ```
 */
export function selectLocalEndpoints(memo: SelectionMemo, node: string): ResolvedEndpoint[] {
  const { merged, repeated } = memo;
  const ready = usableEndpoints(merged, (endpoint) => endpoint.ready && endpoint.nodeName === node, repeated === 0);
  return ready.length > 0 ? ready : usableEndpoints(
    merged,
    (endpoint) => isServingTerminating(endpoint) && endpoint.nodeName === node,
    repeated === 0,
  );
}

/** The entries of a record being computed: shared, never modified. */
const NO_ENTRIES: SliceEntry[] = [];

/** Adds (1) or removes (-1) the hosts of entries to the memo's counts. */
function countHosts(memo: SelectionMemo, entries: SliceEntry[], delta: 1 | -1): void {
  for (let i = 0; i < entries.length; i++) {
    const { addresses } = entries[i].endpoint;
    for (let j = 0; j < addresses.length; j++) {
      const host = hostKey(addresses[j].host);
      const before = memo.counts.get(host) ?? 0;
      const after = before + delta;
      if (after === 0) memo.counts.delete(host);
      else memo.counts.set(host, after);
      if (before === 1 && after === 2) memo.repeated++;
      if (before === 2 && after === 1) memo.repeated--;
    }
  }
}

/** Counts the hosts of every current slice's entries from scratch. */
function recountHosts(memo: SelectionMemo): void {
  // One look-up per host: `set` adds it with 1, and a host that was there already (the size did not grow) is noted
  // and counted afterwards, once per repeat (the overwrite reset it to 1, and repeats are few). A `get` and a `set`
  // per host took 1.6-1.7 ms of CPU on Node and 3.0 on Deno for a burst's 5,000 new hosts, this 1.3-1.5 and 2.5.
  const counts = new Map<string | number, number>();
  const again: (string | number)[] = [];
  for (const record of memo.records.values()) {
    const { entries } = record;
    for (let i = 0; i < entries.length; i++) {
      const { addresses } = entries[i].endpoint;
      for (let j = 0; j < addresses.length; j++) {
        const host = hostKey(addresses[j].host);
        const size = counts.size;
        counts.set(host, 1);
        if (counts.size === size) again.push(host);
      }
    }
  }
  let repeated = 0;
  for (let i = 0; i < again.length; i++) {
    const before = counts.get(again[i])!;
    counts.set(again[i], before + 1);
    if (before === 1) repeated++;
  }
  memo.counts = counts;
  memo.repeated = repeated;
}

const isReady = (endpoint: ResolvedEndpoint) => endpoint.ready;
const isServingTerminating = (endpoint: ResolvedEndpoint) => endpoint.serving && endpoint.terminating;

/**
 * One endpoint per pod (a run of equal keys in `entries`) that `wanted` accepts;
 * `unique` says no `host|port` is used twice, else repeats are dropped, and a
 * terminating pod does not use an address that a pod not terminating has.
 */
function usableEndpoints(entries: SliceEntry[], wanted: (endpoint: ResolvedEndpoint) => boolean, unique: boolean) {
  const endpoints: ResolvedEndpoint[] = [];
  const held = unique ? undefined : new Set<string>();
  for (let i = 0; i < entries.length;) {
    let j = i + 1;
    while (j < entries.length && entries[j].key === entries[i].key) j++;
    const endpoint = j === i + 1 ? entries[i].endpoint : mergedEndpoint(entries, i, j);
    i = j;
    if (held && !endpoint.terminating) { for (const address of endpoint.addresses) held.add(addressId(address)); }
    if (wanted(endpoint)) endpoints.push(endpoint);
  }
  return held ? withoutRepeatedAddresses(endpoints, held) : endpoints;
}

/**
 * The entries of a slice object, sorted, each pod once. Those identical to an entry of `replaced` (the
 * previous object of the same slice) are that entry, taken over; the others are also appended to `created`.
 */
function computeSliceEntries(
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
      `EndpointSlice ${slice.metadata.name} has no port named "${port}" (with a number 1-65535): its endpoints are skipped`,
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

function addressId(address: EndpointAddress): string {
  return `${address.host}|${address.port}`;
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
 * import { podKey } from "./endpoint_selection.ts";
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

function isSorted(entries: SliceEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (byKey(entries[i - 1], entries[i]) > 0) return false;
  return true;
}

/**
 * The number a slice gives a target's port: a number as it is, a name by the first of the slice's ports with that
 * name. Shared with the CLI's explanation, so that it skips the slices selection skips.
 *
 * @param slice The EndpointSlice.
 * @param port The target's port: a number, or a name (`""` for a Service's single unnamed port).
 * @returns The port number, or `undefined` when the slice has no port of that name, or its number is none, or not
 *   1-65535 (a real server stores 0 or 65536; kube-proxy skips 0, and no client can dial either).
 *
 * @example
 * ```ts
 * import { slicePortNumber } from "./endpoint_selection.ts";
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

/**
 * Drops host:port pairs already used by an earlier endpoint, and, from a terminating pod's endpoint, those `held`
 * by a pod not terminating: the terminating pod's Pod object outlived its network, and its IP went to a new pod
 * (kube-proxy does the same). Shares the endpoint objects that lose none.
 */
function withoutRepeatedAddresses(endpoints: ResolvedEndpoint[], held: Set<string>): ResolvedEndpoint[] {
  const seen = new Set<string>();
  const result: ResolvedEndpoint[] = [];
  for (const endpoint of endpoints) {
    let keep: EndpointAddress[] | undefined;
    const { addresses } = endpoint;
    for (let i = 0; i < addresses.length; i++) {
      const id = addressId(addresses[i]);
      if (seen.has(id) || (endpoint.terminating && held.has(id))) {
        keep ??= addresses.slice(0, i);
        continue;
      }
      seen.add(id);
      keep?.push(addresses[i]);
    }
    if (keep === undefined) result.push(endpoint);
    else if (keep.length > 0) result.push({ ...endpoint, addresses: keep });
  }
  return result;
}
