/**
 * Whether two selections show the same endpoints, field by field.
 *
 * @module
 */

import type { ResolvedEndpoint } from "./resolved_endpoint.ts";
import { sameAddresses, sameNames } from "./_endpoint_fields.ts";

/**
 * Whether two endpoint lists show the same endpoints in every field a snapshot
 * has (same pods in the same order, same conditions, preference, addresses,
 * zone, node and hints): a `watchEndpoints()` caller sees a zone or hints
 * that changed even when a gRPC client would route the same. The same test
 * as comparing the lists field by field, without building strings.
 *
 * @param a One list, as returned by `selectEndpoints()`.
 * @param b The other list.
 * @returns Whether they are equivalent.
 *
 * @example Comparing two selections
 * ```ts
 * import { sameEndpoints } from "./same_endpoints.ts";
 * console.log(sameEndpoints([], [])); // true
 * ```
 */
export function sameEndpoints(a: readonly ResolvedEndpoint[], b: readonly ResolvedEndpoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x === y) continue;
    if (
      (x.podName ?? "") !== (y.podName ?? "") || x.ready !== y.ready || x.serving !== y.serving ||
      x.terminating !== y.terminating || x.preferred !== y.preferred || x.sameZone !== y.sameZone ||
      !sameAddresses(x.addresses, y.addresses) ||
      x.zone !== y.zone || x.nodeName !== y.nodeName || !sameNames(x.hints?.forZones, y.hints?.forZones) ||
      !sameNames(x.hints?.forNodes, y.hints?.forNodes)
    ) return false;
  }
  return true;
}
