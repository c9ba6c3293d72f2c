/**
 * One of the twelve slices of 100 ready pods each that the tests of a large first list (see copyEndpoints in
 * `src/selection/_pod_endpoint.ts`) select from.
 *
 * @module
 */

import type { EndpointSlice } from "../src/base/endpoint_slice.ts";

/**
 * Slice `s` of the large Service: pods `p<s>-0` to `p<s>-99` at `10.<s>.0.1` to `10.<s>.0.100`, on port `grpc`.
 *
 * @param s The slice's number.
 * @param first Another address for its first pod: an update that changes one endpoint.
 * @returns The slice.
 */
export function largeServiceSlice(s: number, first?: string): EndpointSlice {
  return {
    metadata: { name: `s${s}`, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: Array.from({ length: 100 }, (_, e) => ({
      addresses: [e === 0 && first ? first : `10.${s}.0.${e + 1}`],
      conditions: { ready: true },
      targetRef: { kind: "Pod", name: `p${s}-${e}`, namespace: "prod" },
    })),
  };
}
