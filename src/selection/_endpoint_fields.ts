/**
 * Field comparisons shared by selection and snapshot comparison: an endpoint's addresses, and a hint's names.
 *
 * @module
 */

import type { EndpointAddress } from "./resolved_endpoint.ts";

/** Whether two address lists hold the same host:port pairs in the same order. */
export function sameAddresses(a: readonly EndpointAddress[], b: readonly EndpointAddress[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].host !== b[i].host || a[i].port !== b[i].port) return false;
  return true;
}

/** Whether two lists of names (a hint's zones or nodes) are equal; `undefined` equals only itself. */
export function sameNames(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
