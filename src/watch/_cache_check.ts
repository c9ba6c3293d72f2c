/**
 * What a LIST from the API server's watch cache (`resourceVersion=0`) says of the reflector's state after a quiet
 * watch: the same slices, other ones (a change the watch may have missed), or older ones at an older
 * resourceVersion (that server's cache lags the state: on an HA control plane, an API server behind its etcd). Private
 * to `watch/`.
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
  const whole = /^\d{1,15}$/;
  const behind = whole.test(listed.resourceVersion) && whole.test(resourceVersion) &&
    Number(listed.resourceVersion) < Number(resourceVersion);
  return behind ? { behind: listed.resourceVersion, held: resourceVersion } : "missed";
}
