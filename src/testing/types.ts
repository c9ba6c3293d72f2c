/**
 * The API objects of the fake API server, as it stores and serves them:
 * `discovery.k8s.io/v1` EndpointSlices and `v1` Services, and what
 * `applySlice()` and `applyService()` take. The bottom of `src/testing/`:
 * imports nothing.
 *
 * @module
 */

/**
 * The kind of address an EndpointSlice holds. `FQDN` is deprecated.
 *
 * @example Picking the address type of an IPv6 slice
 * ```ts
 * import type { AddressType } from "@kgr/resolver/testing";
 * const addressType: AddressType = "IPv6";
 * console.log(addressType);
 * ```
 */
export type AddressType = "IPv4" | "IPv6" | "FQDN";

/**
 * The state of one endpoint. Unset `ready` and `serving` mean `true`; unset
 * `terminating` means `false`.
 *
 * @example A pod that is shutting down but still serving
 * ```ts
 * import type { EndpointConditions } from "@kgr/resolver/testing";
 * const conditions: EndpointConditions = { ready: false, serving: true, terminating: true };
 * console.log(conditions.serving);
 * ```
 */
export interface EndpointConditions {
  /** Ready for traffic (`serving && !terminating`); unset means ready. */
  ready?: boolean | undefined;
  /** Passing its readiness probe, even while terminating; unset means serving. */
  serving?: boolean | undefined;
  /** Being deleted; unset means not terminating. */
  terminating?: boolean | undefined;
}

/**
 * A reference to the object behind an endpoint, usually a Pod.
 *
 * @example Pointing at a pod
 * ```ts
 * import type { ObjectReference } from "@kgr/resolver/testing";
 * const ref: ObjectReference = { kind: "Pod", namespace: "default", name: "echo-0" };
 * console.log(ref.name);
 * ```
 */
export interface ObjectReference {
  /** The object's kind, e.g. `Pod`. */
  kind?: string | undefined;
  /** The object's namespace. */
  namespace?: string | undefined;
  /** The object's name. */
  name?: string | undefined;
  /** The object's uid. */
  uid?: string | undefined;
  /** The object's API version. */
  apiVersion?: string | undefined;
  /** The object's resourceVersion. */
  resourceVersion?: string | undefined;
  /** A field inside the object. */
  fieldPath?: string | undefined;
}

/**
 * One endpoint of a slice, as stored and served.
 *
 * @example Reading the first address of an endpoint
 * ```ts
 * import type { Endpoint } from "@kgr/resolver/testing";
 * const endpoint: Endpoint = { addresses: ["10.0.0.1"], conditions: {} };
 * console.log(endpoint.addresses[0]);
 * ```
 */
export interface Endpoint {
  /** 1-100 addresses of the same kind as the slice; consumers use the first. */
  addresses: string[];
  /** The endpoint's state; always present, possibly `{}`. */
  conditions: EndpointConditions;
  /** The endpoint's hostname, for DNS. */
  hostname?: string | undefined;
  /** The object behind the endpoint, usually a Pod. */
  targetRef?: ObjectReference | undefined;
  /** The node that hosts the endpoint. */
  nodeName?: string | undefined;
  /** The zone of the endpoint. */
  zone?: string | undefined;
  /** Topology hints. */
  hints?: { forZones?: { name: string }[] | undefined; forNodes?: { name: string }[] | undefined } | undefined;
}

/**
 * A port of a slice. Every field may be missing; a missing `port` means
 * "all ports".
 *
 * @example A named gRPC port
 * ```ts
 * import type { EndpointPort } from "@kgr/resolver/testing";
 * const port: EndpointPort = { name: "grpc", protocol: "TCP", port: 50051 };
 * console.log(port.port);
 * ```
 */
export interface EndpointPort {
  /** The port's name; may be empty or missing. */
  name?: string | undefined;
  /** `TCP`, `UDP` or `SCTP`. */
  protocol?: string | undefined;
  /** The port number; `null` or missing means all ports. */
  port?: number | null | undefined;
  /** The application protocol, e.g. `kubernetes.io/h2c`. */
  appProtocol?: string | undefined;
}

/**
 * A `discovery.k8s.io/v1` EndpointSlice as the fake server stores and serves
 * it. Like the real server, an empty or missing `endpoints` or `ports` list is
 * served as `null`. Items of a list response carry no `kind`/`apiVersion`,
 * like the real server's; watch event objects do.
 *
 * @example Collecting the ready addresses of a slice
 * ```ts
 * import type { EndpointSlice } from "@kgr/resolver/testing";
 * function readyAddresses(slice: EndpointSlice): string[] {
 *   return (slice.endpoints ?? [])
 *     .filter((endpoint) => endpoint.conditions.ready !== false)
 *     .map((endpoint) => endpoint.addresses[0]);
 * }
 * console.log(readyAddresses);
 * ```
 */
export interface EndpointSlice {
  /** Always `EndpointSlice`. */
  kind: "EndpointSlice";
  /** Always `discovery.k8s.io/v1`. */
  apiVersion: "discovery.k8s.io/v1";
  /** The object metadata, with the server-assigned fields filled in. */
  metadata: {
    name: string;
    generateName?: string | undefined;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string> | undefined;
    annotations?: Record<string, string> | undefined;
    ownerReferences?: Record<string, unknown>[] | undefined;
  };
  /** The kind of every address in the slice. */
  addressType: AddressType;
  /** The endpoints; `null` when there are none. */
  endpoints: Endpoint[] | null;
  /** The ports; `null` when there are none. */
  ports: EndpointPort[] | null;
}

/**
 * What {@linkcode FakeApiServer.applySlice} takes: an EndpointSlice without
 * the server-assigned fields (`uid`, `resourceVersion`, `generation`,
 * `creationTimestamp`; ignored when present). Give `metadata.name`, or
 * `metadata.generateName` to create a slice with a random suffix. The
 * resolver finds slices by the label `kubernetes.io/service-name`.
 *
 * @example A slice written by hand
 * ```ts
 * import type { EndpointSliceInput } from "@kgr/resolver/testing";
 * const input: EndpointSliceInput = {
 *   metadata: {
 *     namespace: "default",
 *     name: "echo-abc12",
 *     labels: { "kubernetes.io/service-name": "echo" },
 *   },
 *   addressType: "IPv4",
 *   endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
 *   ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
 * };
 * console.log(input.metadata.name);
 * ```
 */
export interface EndpointSliceInput {
  /** Ignored; always `EndpointSlice`. */
  kind?: string | undefined;
  /** Ignored; always `discovery.k8s.io/v1`. */
  apiVersion?: string | undefined;
  /** The metadata a client may set. */
  metadata: {
    namespace: string;
    name?: string | undefined;
    generateName?: string | undefined;
    labels?: Record<string, string> | undefined;
    annotations?: Record<string, string> | undefined;
    ownerReferences?: Record<string, unknown>[] | undefined;
  };
  /** The kind of every address; cannot change once the slice exists. */
  addressType: AddressType;
  /** The endpoints; `conditions` may be left out. */
  endpoints?:
    | (Omit<Endpoint, "conditions"> & { conditions?: EndpointConditions | undefined })[]
    | null
    | undefined;
  /** The ports. */
  ports?: EndpointPort[] | null | undefined;
}

/**
 * A port of a Service, as the API server serializes it: an empty `name` is
 * left out, `protocol` defaults to `TCP` and `targetPort` to `port`.
 *
 * @example The port of a gRPC Service whose pods listen on 8080
 * ```ts
 * import type { ServicePort } from "@kgr/resolver/testing";
 * const port: ServicePort = { name: "grpc", protocol: "TCP", port: 80, targetPort: 8080 };
 * console.log(port.targetPort);
 * ```
 */
export interface ServicePort {
  /** The port's name; required and unique when the Service has more than one port. */
  name?: string | undefined;
  /** `TCP`, `UDP` or `SCTP`. */
  protocol: string;
  /** The application protocol, e.g. `kubernetes.io/h2c`. */
  appProtocol?: string | undefined;
  /** The Service's port. */
  port: number;
  /** The pods' port: a number, or the name of a container port. EndpointSlices carry its number. */
  targetPort: number | string;
  /** The port on every node (30000-32767) of a NodePort or LoadBalancer Service; absent for the others. */
  nodePort?: number | undefined;
}

/**
 * A `v1` Service as the fake server stores and serves it.
 *
 * @example Reading the first port of a Service
 * ```ts
 * import type { Service } from "@kgr/resolver/testing";
 * const firstPortName = (service: Service) => service.spec.ports?.[0]?.name ?? "";
 * console.log(firstPortName);
 * ```
 */
export interface Service {
  /** Always `Service`. */
  kind: "Service";
  /** Always `v1`. */
  apiVersion: "v1";
  /** The object metadata, with the server-assigned fields filled in. */
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string> | undefined;
  };
  /**
   * The fields in kube-apiserver's order: the ports, in the order given, the pod selector when there is one, the
   * cluster IP (allocated from 10.96.0.0/16, or `"None"`), the type, the DNS name of an ExternalName Service, the
   * external traffic policy and health check port of a NodePort or LoadBalancer one, the IP families and policy, and
   * the internal traffic policy. An ExternalName Service has no cluster IP, IP families or traffic policies.
   */
  spec: {
    /** Absent only for a headless or ExternalName Service given none, as kube-apiserver stores it. */
    ports?: ServicePort[] | undefined;
    selector?: Record<string, string> | undefined;
    /** The address allocated from 10.96.0.0/16 (or given), `"None"` for a headless Service; absent for ExternalName. */
    clusterIP?: string | undefined;
    /** `[clusterIP]`; absent for ExternalName. */
    clusterIPs?: string[] | undefined;
    /** `ClusterIP` unless given. */
    type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
    /** `None` unless given. */
    sessionAffinity: "None" | "ClientIP";
    /** The DNS name an ExternalName Service stands for (kept as given on the other types, as kube-apiserver does). */
    externalName?: string | undefined;
    /** `Cluster` (the default) or `Local`, for a NodePort or LoadBalancer Service only. */
    externalTrafficPolicy?: "Cluster" | "Local" | undefined;
    /** Allocated for a LoadBalancer Service whose external traffic policy is `Local`. */
    healthCheckNodePort?: number | undefined;
    /** For `ClientIP` affinity only: how long a client sticks to a pod, 10800 seconds unless given. */
    sessionAffinityConfig?: { clientIP: { timeoutSeconds: number } } | undefined;
    /**
     * `["IPv4"]`, except for a headless Service without a selector, which kube-apiserver v1.36.3 gives both families
     * (the given one first) unless its policy is `SingleStack`, even on an IPv4 cluster; absent for ExternalName.
     */
    ipFamilies?: ("IPv4" | "IPv6")[] | undefined;
    /** `RequireDualStack` only for a headless Service without a selector (its default there); absent for ExternalName. */
    ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack" | undefined;
    /** `true` unless given: whether a LoadBalancer Service gets node ports; absent for the other types. */
    allocateLoadBalancerNodePorts?: boolean | undefined;
    /**
     * `Local`: kube-proxy sends a client only to the pods on its own node; `Cluster` (the default): to every pod.
     * Absent for ExternalName.
     */
    internalTrafficPolicy?: "Cluster" | "Local" | undefined;
  };
  /** Always empty: no load balancer is provisioned (`kubectl get` prints a LoadBalancer's EXTERNAL-IP `<pending>`). */
  status: { loadBalancer: Record<string, never> };
}

/**
 * What the fake API server's `applyService()` takes: a Service without the
 * server-assigned fields.
 *
 * @example A Service with two ports, gRPC first
 * ```ts
 * import type { ServiceInput } from "@kgr/resolver/testing";
 * const input: ServiceInput = {
 *   metadata: { namespace: "default", name: "two" },
 *   spec: { ports: [{ name: "grpc", port: 8080 }, { name: "http", port: 8081 }] },
 * };
 * console.log(input.spec.ports.length);
 * ```
 */
export interface ServiceInput {
  /** The metadata a client may set. */
  metadata: { namespace: string; name: string; labels?: Record<string, string> | undefined };
  /**
   * The ports, at least one unless the Service is headless or ExternalName (kube-apiserver refuses the others
   * without a port), the pod selector, the type, the cluster IP (an address of 10.96.0.0/16, `"None"` or left out),
   * the IP families and policy, and the traffic policies (defaults as kube-apiserver sets them).
   */
  spec: {
    /** `[]` for a headless or ExternalName Service without ports (left out or `null` are taken too). */
    ports: {
      name?: string | undefined;
      protocol?: string | undefined;
      appProtocol?: string | undefined;
      port: number;
      targetPort?: number | string | undefined;
      /**
       * For a NodePort or LoadBalancer Service: a free port of 30000-32767, or left out to have one allocated (or the
       * one the replaced Service's port of the same name has).
       */
      nodePort?: number | undefined;
    }[];
    selector?: Record<string, string> | undefined;
    /** `ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`. */
    type?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" | undefined;
    /** The DNS name (a lower-case RFC 1123 subdomain) an ExternalName Service stands for; required there. */
    externalName?: string | undefined;
    /**
     * A free address of the service range 10.96.0.0/16, as kube-apiserver allocates a given one; `"None"` for a
     * headless Service; left out (or `""`) to have one allocated, or the replaced Service's kept. It cannot change
     * afterwards, as kube-apiserver requires.
     */
    clusterIP?: string | undefined;
    /** Left out, or `[clusterIP]`, as kube-apiserver requires. */
    clusterIPs?: string[] | undefined;
    /** `Cluster` (the default) or `Local`; only for a NodePort or LoadBalancer Service. */
    externalTrafficPolicy?: "Cluster" | "Local" | undefined;
    /** Only for a LoadBalancer Service: `false` allocates no node port (given ones are kept). */
    allocateLoadBalancerNodePorts?: boolean | undefined;
    /** Only for a LoadBalancer Service whose external traffic policy is `Local`: a free node port, else allocated. */
    healthCheckNodePort?: number | undefined;
    /**
     * The fake's is an IPv4 cluster: `["IPv4"]` (the default), as kube-apiserver refuses IPv6 there, except for a
     * headless Service without a selector, which may have `"IPv6"` or both.
     */
    ipFamilies?: ("IPv4" | "IPv6")[] | undefined;
    /**
     * `SingleStack` (the default) or `PreferDualStack`, as an IPv4 cluster refuses `RequireDualStack`, except for a
     * headless Service without a selector (its default there).
     */
    ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack" | undefined;
    internalTrafficPolicy?: "Cluster" | "Local" | undefined;
    /** `None` (the default) or `ClientIP`. */
    sessionAffinity?: "None" | "ClientIP" | undefined;
    /** For `ClientIP` affinity: `{ clientIP: { timeoutSeconds } }`, 1-86400 (10800 when left out). */
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number | undefined } | undefined } | undefined;
  };
}

/**
 * A Node as the fake API server serves it (`GET /api/v1/nodes/NAME`): only its
 * metadata, which is what a client reads (the zone label).
 *
 * @example The zone of a Node
 * ```ts
 * import type { Node } from "@kgr/resolver/testing";
 * const zoneOf = (node: Node) => node.metadata.labels?.["topology.kubernetes.io/zone"];
 * console.log(typeof zoneOf);
 * ```
 */
export interface Node {
  /** Always `Node`. */
  kind: "Node";
  /** Always `v1`. */
  apiVersion: "v1";
  /** The object metadata, with the server-assigned fields filled in. */
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string> | undefined;
  };
}

/**
 * What the fake API server's `applyNode()` takes: a Node's name and labels.
 *
 * @example A Node in zone-a
 * ```ts
 * import type { NodeInput } from "@kgr/resolver/testing";
 * const node: NodeInput = { metadata: { name: "node-1", labels: { "topology.kubernetes.io/zone": "zone-a" } } };
 * console.log(node.metadata.name);
 * ```
 */
export interface NodeInput {
  /** The name (a DNS-1123 subdomain) and labels. */
  metadata: { name: string; labels?: Record<string, string> | undefined };
}
