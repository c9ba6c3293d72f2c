/**
 * The shape of an endpoint that the resolver hands `kubernetes_round_robin`.
 *
 * @module
 */

/** An endpoint as the resolver hands it over: `preferred: false` marks a failover-only endpoint. */
export interface BalancedEndpoint {
  /** The endpoint's addresses. */
  addresses: { host: string; port: number }[];
  /** Whether calls should go here while a preferred endpoint is READY; absent means preferred. */
  preferred?: boolean | undefined;
  /** The Service, as calls that fail on every endpoint name it (`service echo in namespace prod`). */
  service?: string | undefined;
  /** The target's default authority (`echo.prod`): the channel's TLS name unless a channel option sets another. */
  authority?: string | undefined;
}
