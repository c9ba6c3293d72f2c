/**
 * Turns the EndpointSlices of one Service into the endpoints a gRPC client should use: all slices merged, one
 * endpoint per pod, ready ones first and the kube-proxy fallback to serving-but-terminating ones.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import {
  byKey,
  emptyEntries,
  mergeEntries,
  NO_POSITIONS,
  patchOneToOne,
  removedPositions,
  type SliceEntry,
  type SliceRecord,
} from "./_merged_entries.ts";
import { COPY_AFTER, copyEndpoints, mergedEndpoint } from "./_pod_endpoint.ts";
import type { EndpointAddress, ResolvedEndpoint } from "./resolved_endpoint.ts";
import { hostKey } from "./_host_key.ts";
import { computeSliceEntries, NO_ENTRIES } from "./_slice_entries.ts";

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

function addressId(address: EndpointAddress): string {
  return `${address.host}|${address.port}`;
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
