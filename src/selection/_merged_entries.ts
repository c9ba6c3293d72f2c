/**
 * The sorted list of every slice's entries that endpoint selection keeps
 * between updates, and the ways an update changes it: by binary search when
 * few entries change, with a patch of the last selection when it holds one
 * endpoint per entry. A slice's new object that brings back every endpoint
 * object of the previous one takes that one's entries over whole
 * (`takenOverInPlace`). Private to `endpoint_selection.ts` and its
 * `_slice_entries.ts`.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import type { ResolvedEndpoint } from "./resolved_endpoint.ts";

/** The entries of one slice object (some taken over from its previous object), and the last call that saw it. */
export interface SliceRecord {
  /** The slice object. */
  slice: EndpointSlice;
  /** Its entries, one per endpoint it lists. */
  entries: SliceEntry[];
  /** The number of the last selection call that saw this object. */
  seen: number;
  /**
   * Where the entry of each of the slice's endpoints is in `entries`, when known (each endpoint has one of its own):
   * a new object of the slice that has the same endpoint object at the same index takes that entry over without a
   * look-up.
   */
  places: number[] | undefined;
  /** The port of its entries' addresses, set with `places`: a new object on another port takes nothing over by index. */
  port: number;
}

/** One endpoint of one slice, ready to merge with the same pod's entries of other slices. */
export interface SliceEntry {
  /** The pod's key ({@linkcode byKey} sorts by it): the entries of one pod from several slices sit together. */
  key: string;
  /** The slice's name: a pod's addresses from several slices merge in slice-name order, whatever the arrival order. */
  slice: string;
  /**
   * The pod's endpoint as this slice shows it (its `ready`, `serving` and `terminating` are the slice's conditions),
   * shared by every selection that uses it unchanged: never mutated.
   */
  endpoint: ResolvedEndpoint;
  /** The record whose slice holds the entry now: a new object of the slice takes over unchanged entries. */
  owner: SliceRecord;
}

/** Where `entry` goes in the sorted `entries`, from `from` on: after every entry that sorts before or with it. */
function insertionPoint(entries: SliceEntry[], entry: SliceEntry, from: number): number {
  let low = from;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (byKey(entries[middle], entry) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** {@linkcode insertionPoint}, found by reading the entries from `from` on, one by one. */
function scannedInsertionPoint(entries: SliceEntry[], entry: SliceEntry, from: number): number {
  let at = from;
  while (at < entries.length && byKey(entries[at], entry) <= 0) at++;
  return at;
}

/**
 * The update of a selection with one endpoint per entry (`output[i]` is `previous[i]`'s): the entries at
 * the `gone` positions leave both lists, and each fresh entry goes in at its place, with its endpoint.
 * Nothing but the two arrays is read for the entries that stay. `undefined` when the result would not
 * be one endpoint per entry: a fresh entry that is not ready, or next to an entry of the same pod.
 */
export function patchOneToOne(
  previous: SliceEntry[],
  output: ResolvedEndpoint[],
  fresh: SliceEntry[],
  gone: number[],
): { merged: SliceEntry[]; endpoints: ResolvedEndpoint[] } | undefined {
  const replaced = replaceInPlace(previous, output, fresh, gone);
  if (replaced) return replaced;
  // Runs of the previous lists are copied whole (`slice`, then one `concat`): memory copies, no loop per entry.
  const entryRuns: SliceEntry[][] = [];
  const endpointRuns: ResolvedEndpoint[][] = [];
  const inserted: number[] = [];
  let length = 0;
  let from = 0;
  let next = 0;
  const run = (to: number) => {
    entryRuns.push(previous.slice(from, to));
    endpointRuns.push(output.slice(from, to));
    length += to - from;
  };
  const copy = (to: number) => {
    for (; next < gone.length && gone[next] < to; next++) {
      run(gone[next]);
      from = gone[next] + 1;
    }
    run(to);
    from = to;
  };
  for (let f = 0; f < fresh.length; f++) {
    const entry = fresh[f];
    if (!entry.endpoint.ready) return undefined;
    copy(insertionPoint(previous, entry, from));
    inserted.push(length++);
    entryRuns.push([entry]);
    endpointRuns.push([entry.endpoint]);
  }
  copy(previous.length);
  const merged = ([] as SliceEntry[]).concat(...entryRuns);
  const endpoints = ([] as ResolvedEndpoint[]).concat(...endpointRuns);
  // Entries of one pod sort side by side: only a fresh entry can have gained a neighbour with its key.
  for (const at of inserted) {
    const key = merged[at].key;
    if ((at > 0 && merged[at - 1].key === key) || (at + 1 < merged.length && merged[at + 1].key === key)) {
      return undefined;
    }
  }
  return { merged, endpoints };
}

/**
 * A new empty list of entries that V8 already holds as a list of objects, as it holds every merged list once an
 * entry is in it (`[]` is a list of small integers to it). A memo that started with `[]` had the first list, the
 * only call before a burst that builds most entries anew, leave feedback for that map in the rebuild path, and the
 * first such rebuild after selection was optimized deoptimized it ("wrong map" at `memo.merged.length`).
 */
export function emptyEntries(): SliceEntry[] {
  const entries: (SliceEntry | null)[] = [null];
  entries.pop();
  return entries as SliceEntry[];
}

/**
 * {@linkcode patchOneToOne} when each fresh entry takes the place of a gone one of the same pod and slice (an
 * endpoint of a slice that changed, as most updates are): the entries change in place (they are the memo's
 * own), and the endpoints are copied once. `undefined` otherwise.
 */
function replaceInPlace(
  previous: SliceEntry[],
  output: ResolvedEndpoint[],
  fresh: SliceEntry[],
  gone: number[],
): { merged: SliceEntry[]; endpoints: ResolvedEndpoint[] } | undefined {
  if (fresh.length !== gone.length) return undefined;
  // Both are in key order: the pairs line up. Keys are unique in a one-to-one list, so no neighbour can share one.
  for (let i = 0; i < fresh.length; i++) {
    if (!fresh[i].endpoint.ready || byKey(previous[gone[i]], fresh[i]) !== 0) return undefined;
  }
  const endpoints = output.slice();
  for (let i = 0; i < fresh.length; i++) {
    previous[gone[i]] = fresh[i];
    endpoints[gone[i]] = fresh[i].endpoint;
  }
  return { merged: previous, endpoints };
}

/**
 * The previous merged entries without those of slices gone since, with the
 * fresh entries put in place by binary search (by one pass over both lists
 * when they are many). The entries that leave are those at the `gone`
 * positions, or, when they were too many to look up
 * (`undefined`), those whose `owner.seen` is not `call`; the others are then
 * copied without reading them.
 */
export function mergeEntries(
  previous: SliceEntry[],
  fresh: SliceEntry[],
  gone: number[] | undefined,
  call: number,
): SliceEntry[] {
  const merged: SliceEntry[] = [];
  let from = 0;
  let next = 0;
  const copy = (to: number) => {
    if (gone === undefined) copyLive(previous, from, to, call, merged);
    else {
      for (let i = from; i < to; i++) {
        if (next < gone.length && gone[next] === i) next++;
        else merged.push(previous[i]);
      }
    }
    from = to;
  };
  // Many fresh entries (a relist, a burst over every slice): one pass over both lists costs fewer comparisons
  // than a binary search for each.
  const linear = fresh.length * 8 > previous.length;
  for (let f = 0; f < fresh.length; f++) {
    copy(linear ? scannedInsertionPoint(previous, fresh[f], from) : insertionPoint(previous, fresh[f], from));
    merged.push(fresh[f]);
  }
  copy(previous.length);
  return merged;
}

/** No entry leaves: shared, never modified. */
export const NO_POSITIONS: number[] = [];

/**
 * The positions in `merged` of the `dropped` entries, ascending, found by binary search; `undefined` when
 * they are too many for that to pay (then every entry's owner is read instead).
 */
export function removedPositions(
  merged: SliceEntry[],
  dropped: SliceEntry[],
  freshCount: number,
): number[] | undefined {
  if ((dropped.length + freshCount) * 8 > merged.length) return undefined;
  const positions: number[] = [];
  for (const entry of dropped) {
    let low = 0;
    let high = merged.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (byKey(merged[middle], entry) < 0) low = middle + 1;
      else high = middle;
    }
    // Entries with an equal key and slice name (the same pod twice under one slice name) sit side by side.
    while (low < merged.length && merged[low] !== entry && byKey(merged[low], entry) === 0) low++;
    if (merged[low] !== entry) return undefined;
    positions.push(low);
  }
  return positions.sort((a, b) => a - b);
}

/** Appends the entries of `entries[from..to)` whose slice is still there (seen in `call`) to `into`. */
function copyLive(entries: SliceEntry[], from: number, to: number, call: number, into: SliceEntry[]): void {
  for (let i = from; i < to; i++) if (entries[i].owner.seen === call) into.push(entries[i]);
}

/** Sorts entries by pod key, then slice name. */
export function byKey(a: SliceEntry, b: SliceEntry): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.slice < b.slice ? -1 : a.slice > b.slice ? 1 : 0;
}

/**
 * The entries of a slice's new object whose endpoints are all its previous object's, at the same indices (a protobuf
 * watch's slice whose endpoints did not change): the previous object's entries, in their order and places, taken
 * over by `owner` without reading an endpoint; `undefined` when some endpoint is not (`known` holds the previous
 * object's endpoints, `replaced` its record, whose `places` say that each endpoint had an entry of its own).
 */
export function takenOverInPlace(
  endpoints: readonly object[],
  known: readonly object[],
  replaced: SliceRecord,
  owner: SliceRecord,
): SliceEntry[] | undefined {
  if (endpoints.length === 0 || known.length !== endpoints.length || replaced.places?.length !== endpoints.length) {
    return undefined;
  }
  // The same list when the decoder kept the previous object's (none of its endpoints changed).
  if (endpoints !== known) {
    for (let i = 0; i < endpoints.length; i++) {
      if (endpoints[i] !== known[i]) return undefined;
    }
  }
  const entries = replaced.entries;
  for (let i = 0; i < entries.length; i++) entries[i].owner = owner;
  owner.places = replaced.places;
  owner.port = replaced.port;
  // The list itself, not a copy: a record's entries are never modified once computed, and `replaced` is dropped.
  return entries;
}
