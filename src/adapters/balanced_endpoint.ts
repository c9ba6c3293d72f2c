/**
 * The shape of an endpoint that the resolver hands `kubernetes_round_robin`.
 *
 * @module
 */

/**
 * An endpoint as the resolver hands it to the channel's load-balancing policy: grpc-js's `Endpoint` with fields of
 * ours added. A policy of your own, registered with grpc-js and named in `loadBalancing`, gets these; `preferred:
 * false` marks a failover-only endpoint, as `kubernetes_round_robin` uses it.
 *
 * @example The endpoints a policy of your own should call first
 * ```ts
 * import type { BalancedEndpoint } from "@kgr/resolver";
 * function preferredFirst(endpoints: BalancedEndpoint[]): BalancedEndpoint[] {
 *   const preferred = endpoints.filter((endpoint) => endpoint.preferred !== false);
 *   return preferred.length > 0 ? preferred : endpoints;
 * }
 * console.log(preferredFirst([{ addresses: [{ host: "10.0.0.1", port: 50051 }], preferred: false }]).length); // 1
 * ```
 */
export interface BalancedEndpoint {
  /** The endpoint's addresses. */
  addresses: { host: string; port: number }[];
  /** Whether calls should go here while a preferred endpoint is READY; absent means preferred. */
  preferred?: boolean | undefined;
  /**
   * On a failover-only endpoint: it is in the client's zone (node preference, `PreferSameNode`), so calls fail over
   * to it before the other failover-only endpoints; absent means not.
   */
  sameZone?: boolean | undefined;
  /** The endpoint's pod, when its slice names one: calls that fail on every endpoint name the pod of the last error. */
  pod?: string | undefined;
  /** The Service, as calls that fail on every endpoint name it (`service echo in namespace prod`). */
  service?: string | undefined;
  /** The target's default authority (`echo.prod`): the channel's TLS name unless a channel option sets another. */
  authority?: string | undefined;
}
