/**
 * The fake API server's watch cache window (its `watchCacheSize` option): the
 * resourceVersions of the latest changes of the resources a real server keeps
 * a watch cache of (EndpointSlices, Services, Nodes, Namespaces and the
 * others), which share one resourceVersion, as etcd's revision. A watch of
 * one of them from before the window gets 410 Expired, though that resource
 * may not have changed since: as after a restart of kube-apiserver v1.36.3
 * (measured), whose watch caches all start at the resourceVersion it started
 * at, so that a Service watch from before it gets "too old resource version"
 * too. Private to the fake API server.
 *
 * @module
 */

/** The latest changes of a server's watch-cached resources. */
export interface WatchWindow {
  /** Notes a change at resourceVersion `rv`; the changes of one write (a slice and its namespace) count once. */
  note(rv: number): void;
  /** The oldest resourceVersion a watch can start from; 0 while the window holds every change. */
  readonly floor: number;
}

/**
 * Creates an empty window.
 *
 * @param size How many of the latest changes a watch can resume from.
 * @returns The window.
 * @example A window of two changes
 * ```ts
 * import { createWatchWindow } from "./_watch_window.ts";
 * const window = createWatchWindow(2);
 * for (const rv of [2, 3, 4]) window.note(rv);
 * console.log(window.floor); // 2: a watch from 2 gets the changes at 3 and 4
 * ```
 */
export function createWatchWindow(size: number): WatchWindow {
  /** Ascending; trimmed to the newest `size + 1` once it holds twice that, so each note costs O(1) on average. */
  const rvs: number[] = [];
  return {
    note(rv) {
      if (rvs.at(-1) === rv) return;
      rvs.push(rv);
      if (rvs.length > 2 * (size + 1)) rvs.splice(0, rvs.length - (size + 1));
    },
    get floor() {
      return rvs.length > size ? rvs[rvs.length - size] - 1 : 0;
    },
  };
}
