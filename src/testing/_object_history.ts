/**
 * The fake API server's storage of one resource (EndpointSlices, Services or
 * Nodes): the current objects, the changes
 * since the last compaction (like etcd's revision history), and the state at
 * the compaction point, so any state since then can be rebuilt. A write that
 * takes the changes beyond their limit compacts the oldest away at once,
 * keeping the newest half of the limit, as kube-apiserver's compactor steps
 * etcd's history every few minutes (it keeps one to two intervals of it), so
 * memory stays bounded. The resources share one resourceVersion clock, as
 * they share etcd's revision. Private to the fake API server.
 *
 * @module
 */

import type { EndpointSlice } from "./types.ts";
import type { WatchWindow } from "./_watch_window.ts";

/** What a history stores: an object with a name, and a namespace unless it is cluster-scoped. */
export interface StoredObject {
  /** The object's kind, which list items leave out. */
  readonly kind?: string;
  /** The object's apiVersion, which list items leave out. */
  readonly apiVersion?: string;
  /** The object's identity, labels (for label selectors) and resourceVersion. */
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly resourceVersion?: string;
  };
}

/** The resourceVersion that the histories of one server share, as etcd's revision is shared by every resource. */
export interface RvClock {
  /** The current resourceVersion. */
  rv: number;
}

/** The type of a stored change, as watch events name it. */
export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** One stored change; `object` carries the change's resourceVersion. */
export interface Change<T extends StoredObject = EndpointSlice> {
  /** What happened. */
  readonly type: ChangeType;
  /** The global resourceVersion this change created. */
  readonly rv: number;
  /** `namespace/name`, or the name of a cluster-scoped object (see `storedKey`). */
  readonly key: string;
  /** The new state; for DELETED the last state with the deletion's resourceVersion. */
  readonly object: T;
  /** The state before the change, absent for ADDED. */
  readonly prev?: T;
}

/** The storage of one resource of the fake API server (EndpointSlices unless `T` says otherwise). */
export interface ObjectHistory<T extends StoredObject = EndpointSlice> {
  /** The current global resourceVersion. */
  readonly rv: number;
  /** Changes at or below this resourceVersion are forgotten. */
  readonly compactedRv: number;
  /**
   * The oldest resourceVersion a watch can start from: the compaction point,
   * or the one just before the oldest change the watch cache window still
   * holds, when that is later.
   */
  readonly watchableFrom: number;
  /** The current state by key (see `Change.key`); do not mutate. */
  readonly current: ReadonlyMap<string, T>;
  /** The next resourceVersion, not yet used. */
  nextRv(): number;
  /** Uses the next resourceVersion with no change (the resourceVersion moving on by itself). */
  advance(): void;
  /** Stores a change whose object already carries `nextRv()`. */
  record(
    type: ChangeType,
    key: string,
    object: T,
    prev?: T,
  ): Change<T>;
  /**
   * Stores the ADDED change of an object made by the write that will take the next resourceVersion (a namespace made
   * by the first object stored in it), at that resourceVersion, without using it: the write does.
   */
  recordBeside(key: string, object: T): Change<T>;
  /**
   * Stores an object that was there from the start (the `kubernetes` Service): in the current state and the state at
   * the compaction point, with no change to replay and without moving the resourceVersion.
   */
  seed(key: string, object: T): void;
  /** Changes with a resourceVersion above `rv`, oldest first. */
  changesAfter(rv: number): readonly Change<T>[];
  /** The state at `rv`, which must be in [compactedRv, rv]. */
  stateAt(rv: number): ReadonlyMap<string, T>;
  /** Forgets every change up to the current resourceVersion. */
  compact(): void;
}

/** The first resourceVersion; "0" stays free for its special meaning. */
const INITIAL_RV = 1;

/** How {@linkcode createObjectHistory} bounds what it keeps. */
export interface ObjectHistoryLimits {
  /**
   * The watch cache window this resource's changes go into and its watches resume within (shared by the resources
   * a real server caches); every change since the compaction when undefined.
   */
  window?: WatchWindow | undefined;
  /** The most changes kept; a write beyond it compacts all but the newest half of it. `Infinity` keeps all. */
  historyLimit: number;
  /** The resourceVersion shared with the server's other histories; a clock of its own when undefined. */
  clock?: RvClock | undefined;
}

/**
 * Creates empty storage, at resourceVersion 1 or at that of the clock it shares.
 *
 * @param limits How far back watches and reads can go.
 * @returns The storage.
 */
export function createObjectHistory<T extends StoredObject = EndpointSlice>(
  limits: ObjectHistoryLimits,
): ObjectHistory<T> {
  const { window, historyLimit } = limits;
  const keptAfterCompaction = Math.ceil(historyLimit / 2);
  const clock = limits.clock ?? { rv: INITIAL_RV };
  let compactedRv = clock.rv;
  let base = new Map<string, T>();
  let changes: Change<T>[] = [];
  const current = new Map<string, T>();

  return {
    get rv() {
      return clock.rv;
    },
    get compactedRv() {
      return compactedRv;
    },
    get watchableFrom() {
      return Math.max(compactedRv, window?.floor ?? 0);
    },
    current,
    nextRv() {
      return clock.rv + 1;
    },
    advance() {
      clock.rv += 1;
    },
    record(type, key, object, prev) {
      const rv = ++clock.rv;
      const change: Change<T> = prev === undefined ? { type, rv, key, object } : { type, rv, key, object, prev };
      changes.push(change);
      window?.note(rv);
      if (type === "DELETED") current.delete(key);
      else current.set(key, object);
      if (changes.length > historyLimit) compactOldest(changes.length - keptAfterCompaction);
      return change;
    },
    recordBeside(key, object) {
      const change: Change<T> = { type: "ADDED", rv: clock.rv + 1, key, object };
      changes.push(change);
      window?.note(change.rv);
      current.set(key, object);
      if (changes.length > historyLimit) compactOldest(changes.length - keptAfterCompaction);
      return change;
    },
    seed(key, object) {
      current.set(key, object);
      base.set(key, object);
    },
    changesAfter(after) {
      if (after >= clock.rv) return [];
      // Changes are sorted by rv; find the first one above `after`.
      let low = 0;
      let high = changes.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (changes[mid].rv > after) high = mid;
        else low = mid + 1;
      }
      return changes.slice(low);
    },
    stateAt(at) {
      if (at >= clock.rv) return current;
      const state = new Map(base);
      for (const change of changes) {
        if (change.rv > at) break;
        apply(state, change);
      }
      return state;
    },
    compact() {
      compactedRv = clock.rv;
      base = new Map(current);
      changes = [];
    },
  };

  /** Folds the oldest `count` changes into the state at the compaction point. */
  function compactOldest(count: number): void {
    const forgotten = changes.splice(0, count);
    for (const change of forgotten) apply(base, change);
    compactedRv = forgotten[forgotten.length - 1].rv;
  }
}

/** Applies one change to a state by key. */
function apply<T extends StoredObject>(state: Map<string, T>, change: Change<T>): void {
  if (change.type === "DELETED") state.delete(change.key);
  else state.set(change.key, change.object);
}
