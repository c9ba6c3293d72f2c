/**
 * The endpoints that selection hands to gRPC clients and to `watchEndpoints()`
 * callers.
 *
 * @module
 */

import type { TopologyHints } from "./topology.ts";

/** One address of an endpoint. */
export interface EndpointAddress {
  /** IPv4 or IPv6 address, without brackets. */
  host: string;
  /** TCP port. */
  port: number;
}

/** One endpoint (normally one pod) with all of its addresses. */
export interface ResolvedEndpoint {
  /** Addresses of the pod, IPv4 before IPv6; never empty. */
  addresses: EndpointAddress[];
  /** `conditions.ready` (unset means true). */
  ready: boolean;
  /** `conditions.serving` (unset means true). */
  serving: boolean;
  /** `conditions.terminating` (unset means false). */
  terminating: boolean;
  /** Zone of the endpoint, when known. */
  zone?: string;
  /** Node of the endpoint, when known. */
  nodeName?: string;
  /** Pod of the endpoint, when the slice names it. */
  podName?: string;
  /** The EndpointSlice controller's topology hints, when the endpoint has any. */
  hints?: TopologyHints;
  /**
   * Whether calls should go here while any preferred endpoint is up: hinted for the client's node or
   * zone under topology-aware routing, else true for every endpoint.
   */
  preferred: boolean;
}
