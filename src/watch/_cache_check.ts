/**
 * What a LIST from the API server's watch cache (`resourceVersion=0`) says of the reflector's state after a quiet
 * watch: the same slices, other ones (a change the watch may have missed), or older ones at an older
 * resourceVersion (that server's cache lags the state: on an HA control plane, an API server behind its etcd); and
 * whether a consistent LIST shows that the cluster's history went back behind the state (etcd restored from a
 * snapshot). Private to `watch/`.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";

/**
 * What the check found when it did not find the state's slices: other ones (`"missed"`), older ones at the cache's
 * older resourceVersion (`behind`, with the state's, `held`), or nothing, as its LIST failed (`failed`, its redacted
 * message).
 */
export type CacheDifference = "missed" | { behind: string; held: string } | { failed: string };

/**
 * Compares the state with a LIST from the watch cache: `"same"` for the same names, each at the same resourceVersion;
 * else `behind` when the list's resourceVersion is older than the state's (kube-apiserver's are etcd revisions, whole
 * numbers that only grow; any other form reads as `"missed"`), else `"missed"`.
 *
 * @param state The slices by name.
 * @param resourceVersion The state's resourceVersion.
 * @param listed The LIST's slices and resourceVersion.
 * @returns What the check found.
 *
 * @example A cache that lags
 * ```ts
 * import { compareWithWatchCache } from "./_cache_check.ts";
 * const slice = (version: string) => ({ metadata: { name: "a", resourceVersion: version } }) as never;
 * const found = compareWithWatchCache(new Map([["a", slice("12")]]), "12", { items: [slice("8")], resourceVersion: "10" });
 * console.log(found); // { behind: "10", held: "12" }
 * ```
 */
export function compareWithWatchCache(
  state: ReadonlyMap<string, EndpointSlice>,
  resourceVersion: string,
  listed: { items: EndpointSlice[]; resourceVersion: string },
): "same" | CacheDifference {
  const same = listed.items.length === state.size &&
    listed.items.every((slice) =>
      state.get(slice.metadata.name ?? "")?.metadata.resourceVersion === slice.metadata.resourceVersion
    );
  if (same) return "same";
  const behind = older(listed.resourceVersion, resourceVersion);
  return behind ? { behind: listed.resourceVersion, held: resourceVersion } : "missed";
}

/** Whether both are kube-apiserver's resourceVersions (etcd revisions: whole numbers that only grow) and `a` < `b`. */
function older(a: string | undefined, b: string): boolean {
  const whole = /^\d{1,15}$/;
  return a !== undefined && whole.test(a) && whole.test(b) && Number(a) < Number(b);
}

/**
 * Whether a consistent LIST (`resourceVersion=""`, read from etcd) shows a history of the cluster that went back behind
 * the state: etcd restored from a snapshot without `--bump-revision` (an API server on it accepts a watch from the
 * state's resourceVersion and sends nothing until its own passes it). So it is when the LIST's resourceVersion is
 * older than the state's (`"older"`), or when it has a slice at a resourceVersion up to the state's that the state has
 * at another or not at all, which one history cannot give, as the state saw every change up to its resourceVersion
 * (`"other"`: the restored etcd's own writes took it past the state's). Only whole-number resourceVersions compare.
 *
 * @param state The slices by name.
 * @param resourceVersion The state's resourceVersion.
 * @param listed The consistent LIST's slices and resourceVersion.
 * @returns How the history went back, or `undefined` when it did not.
 *
 * @example A restored etcd
 * ```ts
 * import { historyWentBack } from "./_cache_check.ts";
 * const slice = (version: string) => ({ metadata: { name: "a", resourceVersion: version } }) as never;
 * console.log(historyWentBack(new Map([["a", slice("12")]]), "12", { items: [slice("6")], resourceVersion: "7" })); // "older"
 * console.log(historyWentBack(new Map([["a", slice("12")]]), "12", { items: [slice("9")], resourceVersion: "12" })); // "other"
 * ```
 */
export function historyWentBack(
  state: ReadonlyMap<string, EndpointSlice>,
  resourceVersion: string,
  listed: { items: EndpointSlice[]; resourceVersion: string },
): "older" | "other" | undefined {
  if (older(listed.resourceVersion, resourceVersion)) return "older";
  const other = listed.items.some((slice) => {
    const version = slice.metadata.resourceVersion;
    const held = state.get(slice.metadata.name ?? "")?.metadata.resourceVersion;
    return version !== held && (version === resourceVersion || older(version, resourceVersion));
  });
  return other ? "other" : undefined;
}
