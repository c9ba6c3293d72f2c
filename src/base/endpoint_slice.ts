/**
 * The subset of the Kubernetes `discovery.k8s.io/v1` EndpointSlice API that
 * the resolver reads, and the watch event envelope.
 *
 * @module
 */

/** `metadata` of a Kubernetes object, as far as we read it. */
export interface ObjectMeta {
  /** Object name, unique in its namespace. */
  name?: string;
  /** Namespace of the object. */
  namespace?: string;
  /** Labels; EndpointSlices carry `kubernetes.io/service-name`. */
  labels?: Record<string, string>;
  /** Annotations; the BOOKMARK that ends a streaming list's initial events carries `k8s.io/initial-events-end`. */
  annotations?: Record<string, string>;
  /** Opaque version of the object, used to resume watches. */
  resourceVersion?: string;
  /** Server-assigned identifier. */
  uid?: string;
  /**
   * The owners as the server sent them (unchecked): the EndpointSlice controller names the Service, with its
   * `uid`, which changes when the Service is deleted and created again.
   */
  ownerReferences?: unknown;
}

/** A reference to the object (normally a Pod) behind an endpoint. */
export interface ObjectReference {
  /** Kind of the object, normally `Pod`. */
  kind?: string;
  /** Name of the object. */
  name?: string;
  /** Namespace of the object. */
  namespace?: string;
  /** UID of the object. */
  uid?: string;
}

/** Conditions of one endpoint. Unset `ready`/`serving` mean true, unset `terminating` means false. */
export interface EndpointConditions {
  /** Ready to receive traffic. */
  ready?: boolean | null;
  /** Serving, even while terminating. */
  serving?: boolean | null;
  /** Being deleted. */
  terminating?: boolean | null;
}

/** One endpoint (normally one pod) of an EndpointSlice. */
export interface SliceEndpoint {
  /** 1-100 addresses of the slice's `addressType`. */
  addresses: string[];
  /** Readiness conditions: read-only, as the protobuf decoder shares one frozen object among equal ones. */
  conditions?: Readonly<EndpointConditions>;
  /** Host name of the endpoint. */
  hostname?: string;
  /** The object behind the endpoint. */
  targetRef?: ObjectReference;
  /** Node that hosts the endpoint. */
  nodeName?: string;
  /** Zone of the endpoint. */
  zone?: string;
  /**
   * Topology hints as the server sent them (`forZones`/`forNodes`: lists of `{ name }`); read with `readHints()`.
   * Frozen and shared among equal ones when decoded from protobuf.
   */
  hints?: unknown;
}

/** One port of an EndpointSlice; ports belong to the slice. */
export interface SlicePort {
  /** Port name; empty or absent for a Service's single unnamed port. */
  name?: string | null;
  /** Port number; may be null. */
  port?: number | null;
  /** Protocol, `TCP` by default. */
  protocol?: string | null;
  /** Application protocol, e.g. `kubernetes.io/h2c`. */
  appProtocol?: string | null;
}

/** An EndpointSlice (`discovery.k8s.io/v1`). */
export interface EndpointSlice {
  /** `EndpointSlice`. */
  kind?: string;
  /** `discovery.k8s.io/v1`. */
  apiVersion?: string;
  /** Object metadata. */
  metadata: ObjectMeta;
  /** `IPv4`, `IPv6` or the deprecated `FQDN`. */
  addressType: string;
  /** Endpoints; null in a BOOKMARK. */
  endpoints?: SliceEndpoint[] | null;
  /** Ports; null or absent means no ports. */
  ports?: SlicePort[] | null;
}

/** A page of a LIST of EndpointSlices. */
export interface EndpointSliceList {
  /** `EndpointSliceList`. */
  kind?: string;
  /** `resourceVersion` of the list, and `continue` when more pages follow. */
  metadata: { resourceVersion?: string; continue?: string };
  /** The slices of this page. */
  items: EndpointSlice[];
}

/** A Kubernetes `Status`, the body of errors and of ERROR watch events. */
export interface Status {
  /** `Status`. */
  kind?: string;
  /** Human-readable description. */
  message?: string;
  /** Machine-readable reason, e.g. `Expired`, `Forbidden`. */
  reason?: string;
  /** HTTP status code. */
  code?: number;
  /**
   * Details: the `kind` and `name` of the object it is about (`namespaces` and `nosuch` for a Namespace that does not
   * exist); `causes[].reason` says more than `reason` (e.g. `ResourceVersionTooLarge` under `Timeout`).
   */
  details?: { kind?: string; name?: string; causes?: { reason?: string; message?: string }[] };
}

/** One event of a watch stream. */
export interface WatchEvent {
  /** `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`. */
  type: string;
  /** The slice, or a `Status` for ERROR. */
  object: EndpointSlice | Status;
}
