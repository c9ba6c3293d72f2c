/**
 * The cluster access of the watches of a process, set up once for the same options: for the same options object
 * (or none, the default kubeconfig or in-cluster access) for good, and for equal options while a set-up of them
 * is still under way. Equal, not only the same: each `watchEndpoints()` loop and each channel copies its options,
 * and 500 of them started at once would read and parse the kubeconfig, the client key and certificate 500 times in
 * a row (0.5 s of Node's loop). One started once that set-up is done sets up its own, so that a kubeconfig changed
 * meanwhile is read again.
 *
 * @module
 */

import { resolveClusterAccess } from "./resolve_cluster_access.ts";
import type { ClusterAccess, ClusterOptions } from "./types.ts";

/** Set-ups by options object, kept for good (a failed one is dropped). */
const byObject = new WeakMap<object, Promise<ClusterAccess>>();
/** The key in `byObject` of the default access (no options). */
const DEFAULT_ACCESS = {};
/** Set-ups under way, by their options as JSON. */
const underWay = new Map<string, Promise<ClusterAccess>>();

/**
 * The cluster access for `options`, shared as the module says; a failed set-up is not kept.
 *
 * @param options The cluster options of a watch; absent for the default access.
 * @returns The access, as {@linkcode resolveClusterAccess} sets it up.
 * @throws {ConfigError} As {@linkcode resolveClusterAccess}, through the promise.
 *
 * @example Two watches started together
 * ```ts ignore
 * import { sharedClusterAccess } from "./shared_cluster_access.ts";
 * const [a, b] = [sharedClusterAccess({ context: "prod" }), sharedClusterAccess({ context: "prod" })];
 * console.log(a === b); // true: one set-up
 * ```
 */
export function sharedClusterAccess(options: ClusterOptions | undefined): Promise<ClusterAccess> {
  const objectKey = options ?? DEFAULT_ACCESS;
  let access = byObject.get(objectKey);
  if (!access) {
    access = setUpTogether(options);
    byObject.set(objectKey, access);
    access.catch(() => byObject.delete(objectKey));
  }
  return access;
}

/** The set-up of equal options under way, else a new one; options that hold functions (an `env`) share none. */
function setUpTogether(options: ClusterOptions | undefined): Promise<ClusterAccess> {
  const key = plainDataKey(options);
  const shared = key === undefined ? undefined : underWay.get(key);
  if (shared) return shared;
  const access = resolveClusterAccess(options);
  if (key !== undefined) {
    underWay.set(key, access);
    const settled = () => underWay.delete(key);
    access.then(settled, settled);
  }
  return access;
}

/** `value` as JSON, the same for equal plain data; `undefined` when it holds a function (not comparable). */
function plainDataKey(value: unknown): string | undefined {
  let comparable = true;
  const key = JSON.stringify(value ?? null, (_name, item) => {
    if (typeof item === "function") comparable = false;
    return item;
  });
  return comparable ? key : undefined;
}
