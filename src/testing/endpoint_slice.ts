/**
 * The slice builder: {@linkcode endpointSlice} writes an EndpointSlice the way
 * the EndpointSlice controller does, from a Service name and a list of pods.
 *
 * @module
 */

import type { AddressType, EndpointConditions, EndpointSliceInput } from "./types.ts";

/**
 * One endpoint for {@linkcode endpointSlice}.
 *
 * @example A terminating pod that still serves
 * ```ts
 * import type { EndpointParams } from "@kgr/resolver/testing";
 * const endpoint: EndpointParams = { ip: "10.0.0.3", pod: "echo-2", ready: false, serving: true, terminating: true };
 * console.log(endpoint.ip);
 * ```
 */
export interface EndpointParams {
  /** The address, or addresses (consumers use the first). */
  ip: string | string[];
  /** The Pod's name, written as `targetRef`. */
  pod?: string;
  /** Left unset when not given (unset means ready). */
  ready?: boolean;
  /** Left unset when not given (unset means serving). */
  serving?: boolean;
  /** Left unset when not given (unset means not terminating). */
  terminating?: boolean;
  /** The zone. */
  zone?: string;
  /** The node. */
  nodeName?: string;
  /** The hostname. */
  hostname?: string;
}

/**
 * Parameters of {@linkcode endpointSlice}.
 *
 * @example Two pods of the `echo` service
 * ```ts
 * import type { EndpointSliceParams } from "@kgr/resolver/testing";
 * const params: EndpointSliceParams = {
 *   namespace: "default",
 *   service: "echo",
 *   port: { name: "grpc", port: 50051 },
 *   endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }],
 * };
 * console.log(params.service);
 * ```
 */
export interface EndpointSliceParams {
  /** The namespace of the service. */
  namespace: string;
  /** The service's name, written as the `kubernetes.io/service-name` label. */
  service: string;
  /**
   * The slice's name. The default, `<service>-<addressType>` in lower case
   * (`echo-ipv4`), makes building again for the same service replace the
   * slice; give names to spread a service over several slices.
   */
  name?: string;
  /** The address type; guessed from the first address when omitted (`:` means IPv6). */
  addressType?: AddressType;
  /** The slice's one port (protocol TCP); none when omitted. */
  port?: { name: string; port: number; appProtocol?: string };
  /** The endpoints. */
  endpoints: EndpointParams[];
}

/**
 * Builds an EndpointSlice like the EndpointSlice controller writes them: the
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`
 * labels, one TCP port, and a Pod `targetRef` per endpoint that names a pod.
 *
 * @param params The service, its namespace, port and endpoints.
 * @returns A slice for {@linkcode FakeApiServer.applySlice}.
 *
 * @example Building a slice with a terminating pod
 * ```ts
 * import { endpointSlice } from "@kgr/resolver/testing";
 * const slice = endpointSlice({
 *   namespace: "default",
 *   service: "echo",
 *   port: { name: "grpc", port: 50051 },
 *   endpoints: [
 *     { ip: "10.0.0.1", pod: "echo-0" },
 *     { ip: "10.0.0.2", pod: "echo-1", ready: false, serving: true, terminating: true },
 *   ],
 * });
 * console.log(slice.metadata.labels?.["kubernetes.io/service-name"]); // "echo"
 * ```
 */
export function endpointSlice(params: EndpointSliceParams): EndpointSliceInput {
  const first = params.endpoints[0]?.ip;
  const firstIp = Array.isArray(first) ? first[0] : first;
  const addressType = params.addressType ??
    (firstIp?.includes(":") ? "IPv6" : "IPv4");
  return {
    metadata: {
      namespace: params.namespace,
      name: params.name ?? `${params.service}-${addressType.toLowerCase()}`,
      labels: {
        "kubernetes.io/service-name": params.service,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType,
    endpoints: params.endpoints.map((endpoint) => {
      const conditions: EndpointConditions = {};
      if (endpoint.ready !== undefined) conditions.ready = endpoint.ready;
      if (endpoint.serving !== undefined) conditions.serving = endpoint.serving;
      if (endpoint.terminating !== undefined) {
        conditions.terminating = endpoint.terminating;
      }
      return {
        addresses: Array.isArray(endpoint.ip) ? [...endpoint.ip] : [endpoint.ip],
        conditions,
        ...(endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname }),
        ...(endpoint.pod === undefined ? {} : {
          targetRef: {
            kind: "Pod",
            namespace: params.namespace,
            name: endpoint.pod,
          },
        }),
        ...(endpoint.nodeName === undefined ? {} : { nodeName: endpoint.nodeName }),
        ...(endpoint.zone === undefined ? {} : { zone: endpoint.zone }),
      };
    }),
    ports: params.port === undefined ? [] : [{
      name: params.port.name,
      protocol: "TCP",
      port: params.port.port,
      ...(params.port.appProtocol === undefined ? {} : { appProtocol: params.port.appProtocol }),
    }],
  };
}
