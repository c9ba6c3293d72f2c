/**
 * The endpoints that selection hands to gRPC clients and to `watchEndpoints()`
 * callers.
 *
 * @module
 */

import type { TopologyHints } from "./topology.ts";

/**
 * One address of an endpoint.
 *
 * @example As `host:port`, IPv6 in brackets
 * ```ts
 * import type { EndpointAddress } from "@kgr/resolver";
 * function dialString({ host, port }: EndpointAddress): string {
 *   return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
 * }
 * console.log(dialString({ host: "fd00::7", port: 50051 })); // [fd00::7]:50051
 * ```
 */
export interface EndpointAddress {
  /** IPv4 or IPv6 address, without brackets. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * One endpoint (normally one pod) with all of its addresses. Shared with the Service's other callers and its
 * channels (a channel dials its addresses in their order), so read-only, as are its addresses and hints.
 *
 * @example The pods to call first
 * ```ts
 * import type { ResolvedEndpoint } from "@kgr/resolver";
 * function firstChoice(endpoints: ResolvedEndpoint[]): string[] {
 *   return endpoints.filter((endpoint) => endpoint.preferred).map((endpoint) => endpoint.podName ?? "?");
 * }
 * ```
 */
export interface ResolvedEndpoint {
  /** Addresses of the pod, IPv4 before IPv6; never empty. */
  readonly addresses: readonly EndpointAddress[];
  /** `conditions.ready` (unset means true). */
  readonly ready: boolean;
  /** `conditions.serving` (unset means true). */
  readonly serving: boolean;
  /** `conditions.terminating` (unset means false). */
  readonly terminating: boolean;
  /** Zone of the endpoint, when known. */
  readonly zone?: string | undefined;
  /** Node of the endpoint, when known. */
  readonly nodeName?: string | undefined;
  /** Pod of the endpoint, when the slice names it. */
  readonly podName?: string | undefined;
  /** The EndpointSlice controller's topology hints, when the endpoint has any. */
  readonly hints?: TopologyHints | undefined;
  /**
   * Whether calls should go here while any preferred endpoint is up: hinted for the client's node or
   * zone under topology-aware routing, else true for every endpoint.
   */
  readonly preferred: boolean;
  /**
   * Set on an endpoint that is not preferred under node preference (`topology: "node"`) but is hinted for the
   * client's zone, as kube-proxy would pick it for a client on another node of that zone: calls fail over to these
   * before the rest (only when every ready endpoint has a zone hint, as kube-proxy's zone mode needs). Absent
   * otherwise.
   */
  readonly sameZone?: true | undefined;
}
