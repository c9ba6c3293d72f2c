/**
 * An embedded, in-process fake of the part of the Kubernetes API that the
 * resolver uses: listing and watching `discovery.k8s.io/v1` EndpointSlices,
 * and reading one `v1` Service (for its first port).
 * Test a service that resolves through `@kgr/resolver` without a cluster.
 *
 * It behaves like a real kube-apiserver where a client can tell: a global,
 * decimal resourceVersion that every change advances (so a filtered watch
 * sees gaps); consistent `limit`/`continue` pages; watches that replay
 * history from a resourceVersion, send BOOKMARKs, end cleanly on
 * `timeoutSeconds`, and answer a compacted resourceVersion with `200` and a
 * `410 Expired` ERROR event; `Status` bodies for every error; bearer tokens;
 * HTTPS. Built on `node:http`/`node:https`, so it runs unchanged on Deno, Bun
 * and Node, and `close()` leaves nothing running.
 *
 * Differences from a real server, all on purpose: loopback and other
 * addresses the real validation rejects are accepted (tests point slices at
 * local servers); a list for a resourceVersion newer than the current one
 * waits 1 s (not 3 s) before its `504`; watches without `timeoutSeconds` never
 * time out; field selectors are rejected with `400`; Services are only read
 * one at a time (a GET by name), get no cluster IP and derive no slices.
 *
 * @example Listing a slice with fetch
 * ```ts
 * import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     port: { name: "grpc", port: 50051 },
 *     endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
 *   }));
 *   const response = await fetch(
 *     `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices` +
 *       "?labelSelector=kubernetes.io%2Fservice-name%3Decho",
 *   );
 *   const list = await response.json();
 *   console.log(list.items.length); // 1
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import {
  badRequest,
  expiredContinue,
  HttpError,
  injectedFailure,
  internalError,
  invalidListOptions,
  methodNotAllowed,
  notFound,
  serviceNotFound,
  tooLarge,
  tooOldStatus,
  unauthorized,
} from "./_api_status.ts";
import type { LabelSelector } from "./_label_selector.ts";
import {
  decodeContinue,
  encodeContinue,
  firstValues,
  parseResourceVersion,
  parseSelector,
  queryBool,
  queryInt,
} from "./_request_options.ts";
import { byKey, keyOf, prepareSlice } from "./_slice_input.ts";
import { type Change, createSliceHistory } from "./_slice_history.ts";
import { createServiceStore, type Service, type ServiceInput } from "./_service_store.ts";
import { createAccessControl, type FakeAccess } from "./_access_control.ts";

export type { Service, ServiceInput, ServicePort } from "./_service_store.ts";
export type { AccessRule, FakeAccess } from "./_access_control.ts";

// ---------------------------------------------------------------------------
// EndpointSlice types (discovery.k8s.io/v1, as the API server serializes them)
// ---------------------------------------------------------------------------

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
  ready?: boolean;
  /** Passing its readiness probe, even while terminating; unset means serving. */
  serving?: boolean;
  /** Being deleted; unset means not terminating. */
  terminating?: boolean;
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
  kind?: string;
  /** The object's namespace. */
  namespace?: string;
  /** The object's name. */
  name?: string;
  /** The object's uid. */
  uid?: string;
  /** The object's API version. */
  apiVersion?: string;
  /** The object's resourceVersion. */
  resourceVersion?: string;
  /** A field inside the object. */
  fieldPath?: string;
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
  hostname?: string;
  /** The object behind the endpoint, usually a Pod. */
  targetRef?: ObjectReference;
  /** The node that hosts the endpoint. */
  nodeName?: string;
  /** The zone of the endpoint. */
  zone?: string;
  /** Topology hints. */
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
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
  name?: string;
  /** `TCP`, `UDP` or `SCTP`. */
  protocol?: string;
  /** The port number; `null` or missing means all ports. */
  port?: number | null;
  /** The application protocol, e.g. `kubernetes.io/h2c`. */
  appProtocol?: string;
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
    generateName?: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
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
  kind?: string;
  /** Ignored; always `discovery.k8s.io/v1`. */
  apiVersion?: string;
  /** The metadata a client may set. */
  metadata: {
    namespace: string;
    name?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
  };
  /** The kind of every address; cannot change once the slice exists. */
  addressType: AddressType;
  /** The endpoints; `conditions` may be left out. */
  endpoints?:
    | (Omit<Endpoint, "conditions"> & { conditions?: EndpointConditions })[]
    | null;
  /** The ports. */
  ports?: EndpointPort[] | null;
}

// ---------------------------------------------------------------------------
// Server API types
// ---------------------------------------------------------------------------

/**
 * Options of {@linkcode startFakeApiServer}.
 *
 * @example An HTTPS server that wants a token and sends bookmarks every 100 ms
 * ```ts
 * import type { FakeApiServerOptions } from "@kgr/resolver/testing";
 * const options: FakeApiServerOptions = {
 *   token: "secret",
 *   tls: { cert: "-----BEGIN CERTIFICATE-----…", key: "-----BEGIN PRIVATE KEY-----…" },
 *   bookmarkIntervalMs: 100,
 * };
 * console.log(options.bookmarkIntervalMs);
 * ```
 */
export interface FakeApiServerOptions {
  /**
   * When set, every request must carry `Authorization: Bearer <token>`;
   * others get a `401` Status. Change it later with `setToken()`.
   *
   * @default {undefined} (no authentication)
   */
  token?: string;
  /** A PEM certificate chain and key: serve HTTPS. Without it, plain HTTP. */
  tls?: { cert: string; key: string };
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; `0` picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
   *
   * @default {60000}
   */
  bookmarkIntervalMs?: number;
  /**
   * When set, every write of a watch response is cut into pieces of at most
   * this many bytes, sent one event-loop turn apart, so clients see events
   * split anywhere, even inside a UTF-8 character.
   *
   * @default {undefined} (one write per event)
   */
  maxChunkBytes?: number;
}

/**
 * An HTTP error that {@linkcode FakeApiServer.failNext} injects.
 *
 * @example Throttling the next watch
 * ```ts
 * import type { InjectedFailure } from "@kgr/resolver/testing";
 * const failure: InjectedFailure = { status: 429, retryAfterSeconds: 2, path: "watch" };
 * console.log(failure.status);
 * ```
 */
export interface InjectedFailure {
  /** The HTTP status, e.g. `429`, `500`, `503`, `403`. */
  status: number;
  /** The Status `reason`; defaults to the usual one for `status` (`TooManyRequests` for 429). */
  reason?: string;
  /** The Status `message`; defaults to the real server's wording for `status`. */
  message?: string;
  /** Sets a `Retry-After` header and `details.retryAfterSeconds`. */
  retryAfterSeconds?: number;
  /**
   * Which requests fail: EndpointSlice lists, watches, reads of a Service
   * (`get`), or any request.
   *
   * @default {"any"}
   */
  path?: "list" | "watch" | "get" | "any";
}

/**
 * Options of {@linkcode FakeApiServer.kubeconfig}.
 *
 * @example A kubeconfig for the `shop` namespace
 * ```ts
 * import type { KubeconfigOptions } from "@kgr/resolver/testing";
 * const options: KubeconfigOptions = { namespace: "shop" };
 * console.log(options.namespace);
 * ```
 */
export interface KubeconfigOptions {
  /** The context's namespace. */
  namespace?: string;
  /** A PEM CA certificate, written as `certificate-authority-data`. */
  ca?: string;
}

/**
 * One request the fake server received. The `Authorization` header is never
 * recorded.
 *
 * @example Counting the watches a client opened
 * ```ts
 * import type { RecordedRequest } from "@kgr/resolver/testing";
 * function watches(requests: RecordedRequest[]): number {
 *   return requests.filter((request) => request.kind === "watch").length;
 * }
 * console.log(watches([]));
 * ```
 */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** The URL path, without the query. */
  path: string;
  /** The decoded query parameters (the first value of each). */
  query: Record<string, string>;
  /** `list` or `watch` for the EndpointSlice routes, `get` for a read of a Service, `other` for anything else. */
  kind: "list" | "watch" | "get" | "other";
  /** The HTTP status sent; `0` while a list waits for its answer. */
  status: number;
  /** When the request arrived, in milliseconds since the epoch. */
  at: number;
}

/**
 * A running fake API server; see {@linkcode startFakeApiServer}.
 *
 * @example Changing a slice while a client watches
 * ```ts
 * import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   const first = server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     endpoints: [{ ip: "10.0.0.1" }],
 *   }));
 *   const watch = await fetch(
 *     `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices` +
 *       `?watch=true&resourceVersion=${first.metadata.resourceVersion}`,
 *   );
 *   server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }],
 *   }));
 *   const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
 *   const { value } = await reader.read();
 *   console.log(JSON.parse(value!.split("\n")[0]).type); // "MODIFIED"
 *   await reader.cancel();
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface FakeApiServer {
  /** The base URL, e.g. `http://127.0.0.1:43567`. */
  readonly url: string;
  /**
   * A kubeconfig object (`apiVersion: v1`, `kind: Config`) whose current
   * context points at this server with the current token, ready for a
   * kubeconfig loader (write it as JSON, which is valid YAML).
   *
   * @param options The namespace and the CA certificate to write.
   * @returns The kubeconfig.
   */
  kubeconfig(options?: KubeconfigOptions): Record<string, unknown>;
  /** The current global resourceVersion, a decimal counter like etcd's. */
  readonly resourceVersion: string;
  /**
   * Creates a slice (ADDED) or replaces the one with the same namespace and
   * name (MODIFIED); a replacement that changes nothing is a no-op, like on
   * a real server. Assigns `resourceVersion`, `uid`, `creationTimestamp` and
   * `generation`.
   *
   * @param slice The slice to store.
   * @returns A copy of the stored slice.
   * @throws {TypeError} When the slice is invalid (no namespace, no name,
   * bad address type, an address of the wrong kind, a changed address type).
   */
  applySlice(slice: EndpointSliceInput): EndpointSlice;
  /**
   * Deletes a slice; watchers get a DELETED event carrying its last state
   * with a new resourceVersion.
   *
   * @param namespace The slice's namespace.
   * @param name The slice's name.
   * @returns Whether the slice existed.
   */
  deleteSlice(namespace: string, name: string): boolean;
  /**
   * Creates or replaces a Service, served at
   * `GET /api/v1/namespaces/<namespace>/services/<name>` (the only Service
   * route). A write advances the global resourceVersion, as on a real server;
   * a replacement that changes nothing is a no-op.
   *
   * @param service The Service to store.
   * @returns A copy of the stored Service.
   * @throws {TypeError} When the Service is invalid (no namespace or name,
   * a port out of range, unnamed or repeated names among several ports).
   */
  applyService(service: ServiceInput): Service;
  /**
   * Deletes a Service; a read of it then gets a `404 NotFound` Status.
   *
   * @param namespace The Service's namespace.
   * @param name The Service's name.
   * @returns Whether the Service existed.
   */
  deleteService(namespace: string, name: string): boolean;
  /**
   * The current slices, sorted by namespace and name.
   *
   * @param namespace Only this namespace; all when omitted.
   * @returns Copies of the stored slices.
   */
  slices(namespace?: string): EndpointSlice[];
  /**
   * Forgets the history up to the current resourceVersion, like an etcd
   * compaction: later watches from an older resourceVersion get a `410
   * Expired` ERROR event, and older continue tokens a `410`.
   */
  compact(): void;
  /** Ends every open watch abruptly, by destroying its connection. */
  dropWatches(): void;
  /** Ends every open watch cleanly, like a server-side timeout. */
  endWatches(): void;
  /**
   * Makes the next `count` matching requests fail with this HTTP error and
   * a Kubernetes Status body. Checked after authentication, before routing.
   *
   * @param count How many requests fail.
   * @param failure The error and which requests it hits.
   */
  failNext(count: number, failure: InjectedFailure): void;
  /**
   * Changes the accepted token; `undefined` turns authentication off.
   *
   * @param token The new token.
   */
  setToken(token: string | undefined): void;
  /**
   * Sets who the client is and what it may do, as RBAC would: lists, watches
   * and Service reads no rule allows get a `403 Forbidden` Status, and
   * SelfSubjectAccessReviews and SelfSubjectReviews answer from the same
   * rules. `undefined` (the default) allows everything, as for an admin.
   *
   * @param access The user name, groups and rules.
   */
  setAccess(access: FakeAccess | undefined): void;
  /** A copy of every request received so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** How many watch responses are open. */
  readonly openWatches: number;
  /**
   * Ends every watch and connection, clears every timer and stops
   * listening. Safe to call twice.
   *
   * @returns A promise that settles once the server has stopped.
   */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

const GROUP_VERSION = "discovery.k8s.io/v1";
const ALL_PATH = "/apis/discovery.k8s.io/v1/endpointslices";
const NAMESPACED_PATH = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/;
const SERVICE_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)$/;
/** How long a request for a future resourceVersion waits (the real cacher: 3 s). */
const TOO_LARGE_WAIT_MS = 1000;
/** The pre-timeout BOOKMARK goes this long before a watch's deadline. */
const PRE_TIMEOUT_BOOKMARK_MS = 2000;
type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

interface OpenWatch {
  readonly res: ServerResponse;
  readonly namespace: string | undefined;
  readonly selector: LabelSelector;
  /** Only changes above this resourceVersion are sent. */
  readonly startRv: number;
  readonly cancels: Set<() => void>;
  pending: Uint8Array[];
  pumping: boolean;
  ending: boolean;
  done: boolean;
}

interface Waiter {
  readonly rv: number;
  readonly settle: (reached: boolean) => void;
}

function validateOptions(options: FakeApiServerOptions): void {
  const { port, bookmarkIntervalMs, maxChunkBytes } = options;
  if (
    port !== undefined &&
    !(Number.isInteger(port) && port >= 0 && port <= 65535)
  ) {
    throw new RangeError(
      `Cannot start the fake API server as 'port' must be 0-65535: current value is ${port}`,
    );
  }
  if (
    bookmarkIntervalMs !== undefined &&
    !(Number.isFinite(bookmarkIntervalMs) && bookmarkIntervalMs > 0)
  ) {
    throw new RangeError(
      `Cannot start the fake API server as 'bookmarkIntervalMs' must be a positive number: current value is ${bookmarkIntervalMs}`,
    );
  }
  if (
    maxChunkBytes !== undefined &&
    !(Number.isInteger(maxChunkBytes) && maxChunkBytes >= 1)
  ) {
    throw new RangeError(
      `Cannot start the fake API server as 'maxChunkBytes' must be a positive integer: current value is ${maxChunkBytes}`,
    );
  }
}

/**
 * Starts a fake Kubernetes API server that serves EndpointSlice lists and
 * watches on loopback. Stop it with `close()`.
 *
 * @param options Authentication, TLS, address, bookmark cadence and chunking.
 * @returns The running server.
 * @throws {RangeError} When an option is out of range.
 *
 * @example Serving HTTPS with a token
 * ```ts ignore
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer({
 *   token: "secret",
 *   tls: {
 *     cert: await Deno.readTextFile("tests/fixtures/server.pem"),
 *     key: await Deno.readTextFile("tests/fixtures/server-key.pem"),
 *   },
 * });
 * const kubeconfig = server.kubeconfig({ ca: await Deno.readTextFile("tests/fixtures/ca.pem") });
 * await Deno.writeTextFile("kubeconfig.json", JSON.stringify(kubeconfig));
 * await server.close();
 * ```
 *
 * @example Making the next list fail with a 429
 * ```ts
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   server.failNext(1, { status: 429, retryAfterSeconds: 1, path: "list" });
 *   const response = await fetch(`${server.url}/apis/discovery.k8s.io/v1/endpointslices`);
 *   console.log(response.status, response.headers.get("retry-after")); // 429 "1"
 *   await response.body?.cancel();
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startFakeApiServer(
  options: FakeApiServerOptions = {},
): Promise<FakeApiServer> {
  validateOptions(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
  const maxChunkBytes = options.maxChunkBytes;
  const encoder = new TextEncoder();

  const history = createSliceHistory();
  const services = createServiceStore();
  const accessControl = createAccessControl();
  const watches = new Set<OpenWatch>();
  const waiters = new Set<Waiter>();
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const failures: { remaining: number; failure: InjectedFailure }[] = [];
  let token = options.token;
  let closed = false;
  let closing: Promise<void> | undefined;

  // --- timers and waits ----------------------------------------------------

  function later(watch: OpenWatch, ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      watch.cancels.delete(cancel);
      run();
    }, ms);
    const cancel = () => clearTimeout(timer);
    watch.cancels.add(cancel);
  }

  function every(watch: OpenWatch, ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    watch.cancels.add(() => clearInterval(timer));
  }

  /** Resolves true once the resourceVersion reaches `rv`, false after a while. */
  function waitForRv(rv: number): Promise<boolean> {
    if (history.rv >= rv) return Promise.resolve(true);
    if (closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.settle(false), TOO_LARGE_WAIT_MS);
      const waiter: Waiter = {
        rv,
        settle: (reached) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(reached);
        },
      };
      waiters.add(waiter);
    });
  }

  // --- watch output ----------------------------------------------------------

  function finishWatch(watch: OpenWatch): void {
    if (watch.done) return;
    watch.done = true;
    watches.delete(watch);
    for (const cancel of watch.cancels) cancel();
    watch.cancels.clear();
    watch.pending = [];
  }

  function endWatch(watch: OpenWatch): void {
    if (watch.done) return;
    if (watch.pumping) {
      watch.ending = true;
      return;
    }
    finishWatch(watch);
    watch.res.end();
  }

  function dropWatch(watch: OpenWatch): void {
    finishWatch(watch);
    const socket = watch.res.socket;
    if (socket) socket.destroy();
    else watch.res.destroy();
  }

  function pump(watch: OpenWatch): void {
    if (watch.done) return;
    const piece = watch.pending.shift();
    if (piece === undefined) {
      watch.pumping = false;
      if (watch.ending) endWatch(watch);
      return;
    }
    watch.res.write(piece);
    later(watch, 0, () => pump(watch));
  }

  function send(watch: OpenWatch, type: WatchEventType, object: unknown): void {
    if (watch.done) return;
    if (watch.res.destroyed) {
      finishWatch(watch);
      return;
    }
    const bytes = encoder.encode(JSON.stringify({ type, object }) + "\n");
    if (maxChunkBytes === undefined) {
      watch.res.write(bytes);
      return;
    }
    // Bounded: bytes.length / maxChunkBytes pieces.
    for (let offset = 0; offset < bytes.length; offset += maxChunkBytes) {
      watch.pending.push(bytes.subarray(offset, offset + maxChunkBytes));
    }
    if (!watch.pumping) {
      watch.pumping = true;
      pump(watch);
    }
  }

  function sendBookmark(
    watch: OpenWatch,
    annotations?: Record<string, string>,
  ): void {
    if (history.rv < watch.startRv) return;
    send(watch, "BOOKMARK", {
      kind: "EndpointSlice",
      apiVersion: GROUP_VERSION,
      metadata: annotations === undefined
        ? { resourceVersion: String(history.rv) }
        : { resourceVersion: String(history.rv), annotations },
      addressType: "",
      endpoints: null,
      ports: null,
    });
  }

  function inScope(watch: OpenWatch, slice: EndpointSlice): boolean {
    return (watch.namespace === undefined ||
      slice.metadata.namespace === watch.namespace) &&
      watch.selector.matches(slice.metadata.labels);
  }

  /** What a watcher sees of a change, as the watch cache decides it. */
  function deliver(watch: OpenWatch, change: Change): void {
    if (change.rv <= watch.startRv) return;
    const now = change.type !== "DELETED" && inScope(watch, change.object);
    const before = change.prev !== undefined && inScope(watch, change.prev);
    if (now && !before) send(watch, "ADDED", change.object);
    else if (now && before) send(watch, "MODIFIED", change.object);
    else if (before) {
      const gone = change.type === "DELETED" ? change.object : {
        ...change.prev!,
        metadata: {
          ...change.prev!.metadata,
          resourceVersion: String(change.rv),
        },
      };
      send(watch, "DELETED", gone);
    }
  }

  function publish(change: Change): void {
    for (const watch of watches) deliver(watch, change);
    wakeWaiters();
  }

  /** Answers the requests waiting for a resourceVersion that has now been reached. */
  function wakeWaiters(): void {
    for (const waiter of waiters) {
      if (history.rv >= waiter.rv) waiter.settle(true);
    }
  }

  // --- HTTP ------------------------------------------------------------------

  function sendJson(
    res: ServerResponse,
    record: RecordedRequest,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    record.status = code;
    const text = JSON.stringify(body);
    res.writeHead(code, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
      "Cache-Control": "no-cache, private",
      "Audit-Id": crypto.randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  function takeFailure(
    kind: RecordedRequest["kind"],
  ): InjectedFailure | undefined {
    const index = failures.findIndex(({ failure }) => {
      const path = failure.path ?? "any";
      return path === "any" || path === kind;
    });
    if (index === -1) return undefined;
    const entry = failures[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) failures.splice(index, 1);
    return entry.failure;
  }

  function authorized(req: IncomingMessage): boolean {
    if (token === undefined) return true;
    const header = req.headers.authorization ?? "";
    const match = /^bearer\s+(\S+)\s*$/i.exec(header);
    return match !== null && match[1] === token;
  }

  async function serveList(
    res: ServerResponse,
    record: RecordedRequest,
    namespace: string | undefined,
    query: Record<string, string>,
  ): Promise<void> {
    const selector = parseSelector(query);
    const limit = queryInt("limit", query.limit);
    const continueToken = query.continue ?? "";
    const rvParam = query.resourceVersion ?? "";
    const match = query.resourceVersionMatch ?? "";
    if (match !== "") {
      if (rvParam === "") {
        throw invalidListOptions(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden unless resourceVersion is provided",
        );
      }
      if (continueToken !== "") {
        throw invalidListOptions(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden when continue is provided",
        );
      }
      if (match !== "Exact" && match !== "NotOlderThan") {
        throw invalidListOptions(
          "resourceVersionMatch",
          `Unsupported value: ${JSON.stringify(match)}`,
        );
      }
      if (match === "Exact" && rvParam === "0") {
        throw invalidListOptions(
          "resourceVersionMatch",
          'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        );
      }
    }

    let snapshotRv = history.rv;
    let after = "";
    if (continueToken !== "") {
      if (rvParam !== "" && rvParam !== "0") {
        throw badRequest(
          "specifying resource version is not allowed when using continue",
        );
      }
      const position = decodeContinue(continueToken);
      if (position.rv > history.rv) {
        throw badRequest(
          "continue key is not valid: resource version is in the future",
        );
      }
      if (position.rv !== -1 && position.rv < history.compactedRv) {
        throw expiredContinue(
          encodeContinue({ rv: -1, start: position.start }),
        );
      }
      snapshotRv = position.rv === -1 ? history.rv : position.rv;
      after = position.start;
    } else if (rvParam !== "" && rvParam !== "0") {
      const wanted = parseResourceVersion(rvParam);
      if (wanted > history.rv && !(await waitForRv(wanted))) {
        throw tooLarge(wanted, history.rv);
      }
      if (match === "Exact") {
        if (wanted < history.compactedRv) {
          const body = tooOldStatus(wanted, history.compactedRv);
          throw new HttpError(410, body);
        }
        snapshotRv = wanted;
      } else {
        snapshotRv = history.rv;
      }
    }

    const matching = [...history.stateAt(snapshotRv).values()]
      .filter((slice) =>
        (namespace === undefined || slice.metadata.namespace === namespace) &&
        keyOf(slice.metadata.namespace, slice.metadata.name) > after &&
        selector.matches(slice.metadata.labels)
      )
      .sort(byKey);
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const metadata: Record<string, unknown> = {
      resourceVersion: String(snapshotRv),
    };
    if (page.length < matching.length) {
      const last = page[page.length - 1];
      metadata.continue = encodeContinue({
        rv: snapshotRv,
        start: keyOf(last.metadata.namespace, last.metadata.name),
      });
      if (selector.empty) {
        metadata.remainingItemCount = matching.length - page.length;
      }
    }
    sendJson(res, record, 200, {
      kind: "EndpointSliceList",
      apiVersion: GROUP_VERSION,
      metadata,
      // Like the real server's, list items carry no kind or apiVersion.
      items: page.map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item),
    });
  }

  async function serveWatch(
    res: ServerResponse,
    record: RecordedRequest,
    namespace: string | undefined,
    query: Record<string, string>,
  ): Promise<void> {
    const selector = parseSelector(query);
    const timeoutSeconds = queryInt("timeoutSeconds", query.timeoutSeconds);
    const bookmarks = queryBool(query.allowWatchBookmarks) ?? false;
    const sendInitialEvents = queryBool(query.sendInitialEvents);
    const match = query.resourceVersionMatch ?? "";
    const rvParam = query.resourceVersion ?? "";
    if (sendInitialEvents !== undefined && match !== "NotOlderThan") {
      throw invalidListOptions(
        "resourceVersionMatch",
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
      );
    }
    if (match !== "") {
      if (sendInitialEvents === undefined) {
        throw invalidListOptions(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        );
      }
      if (match !== "NotOlderThan") {
        throw invalidListOptions(
          "resourceVersionMatch",
          `Unsupported value: ${JSON.stringify(match)}`,
        );
      }
      if (sendInitialEvents && !bookmarks) {
        throw invalidListOptions(
          "allowWatchBookmarks",
          "allowWatchBookmarks must be set to true when sendInitialEvents is true",
        );
      }
    }
    const requested = rvParam === "" || rvParam === "0" ? undefined : parseResourceVersion(rvParam);

    // initial: "state" sends the current state as ADDED events; "replay" sends history.
    let initial: "state" | "replay" | "none";
    let startRv: number;
    if (sendInitialEvents === true) {
      if (
        requested !== undefined && requested > history.rv &&
        !(await waitForRv(requested))
      ) {
        throw tooLarge(requested, history.rv);
      }
      initial = "state";
      startRv = history.rv;
    } else if (requested === undefined) {
      initial = sendInitialEvents === false ? "none" : "state";
      startRv = history.rv;
    } else {
      initial = "replay";
      startRv = requested;
    }
    if (closed || res.destroyed) return;

    record.status = 200;
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
    });
    res.flushHeaders();
    const watch: OpenWatch = {
      res,
      namespace,
      selector,
      startRv,
      cancels: new Set(),
      pending: [],
      pumping: false,
      ending: false,
      done: false,
    };
    res.on("close", () => finishWatch(watch));
    // A client that goes away mid-write is not the server's problem.
    res.on("error", () => finishWatch(watch));

    if (initial === "replay" && startRv < history.compactedRv) {
      watches.add(watch);
      send(watch, "ERROR", tooOldStatus(startRv, history.compactedRv));
      endWatch(watch);
      return;
    }
    watches.add(watch);
    if (initial === "state") {
      const current = [...history.current.values()].filter((slice) => inScope(watch, slice)).sort(byKey);
      for (const slice of current) send(watch, "ADDED", slice);
      if (sendInitialEvents === true) {
        sendBookmark(watch, { "k8s.io/initial-events-end": "true" });
      }
    } else if (initial === "replay") {
      for (const change of history.changesAfter(startRv)) {
        deliver(watch, change);
      }
    }

    if (bookmarks) every(watch, bookmarkIntervalMs, () => sendBookmark(watch));
    if (timeoutSeconds > 0) {
      const timeoutMs = timeoutSeconds * 1000;
      if (bookmarks && timeoutMs > PRE_TIMEOUT_BOOKMARK_MS) {
        later(
          watch,
          timeoutMs - PRE_TIMEOUT_BOOKMARK_MS,
          () => sendBookmark(watch),
        );
      }
      later(watch, timeoutMs, () => endWatch(watch));
    }
  }

  function serveService(res: ServerResponse, record: RecordedRequest, namespace: string, name: string): void {
    const service = services.get(namespace, name);
    if (service === undefined) throw serviceNotFound(name);
    sendJson(res, record, 200, service);
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const query = firstValues(url.searchParams);
    const method = req.method ?? "GET";
    let namespace: string | undefined;
    let serviceName: string | undefined;
    let routed = url.pathname === ALL_PATH;
    const namespaced = NAMESPACED_PATH.exec(url.pathname) ?? SERVICE_PATH.exec(url.pathname);
    if (namespaced !== null) {
      try {
        namespace = decodeURIComponent(namespaced[1]);
        if (namespaced[2] !== undefined) serviceName = decodeURIComponent(namespaced[2]);
        routed = true;
      } catch {
        routed = false;
      }
    }
    const kind: RecordedRequest["kind"] = !routed || method !== "GET"
      ? "other"
      : serviceName !== undefined
      ? "get"
      : queryBool(query.watch) === true
      ? "watch"
      : "list";
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      kind,
      status: 0,
      at: Date.now(),
    };
    requests.push(record);

    try {
      if (!authorized(req)) {
        throw unauthorized();
      }
      const failure = takeFailure(kind);
      if (failure !== undefined) {
        throw injectedFailure(
          failure,
          kind === "watch" || kind === "get" ? kind : "list",
          namespace,
          serviceName,
        );
      }
      if (accessControl.isReview(method, url.pathname)) {
        const { code, body } = await accessControl.answer(req, url.pathname);
        return sendJson(res, record, code, body);
      }
      if (!routed) throw notFound();
      if (method !== "GET") throw methodNotAllowed();
      const denied = accessControl.authorize(kind as "list" | "watch" | "get", namespace, serviceName);
      if (denied) throw new HttpError(denied.code, denied.body);
      if (kind === "get") serveService(res, record, namespace!, serviceName!);
      else if (kind === "watch") await serveWatch(res, record, namespace, query);
      else await serveList(res, record, namespace, query);
    } catch (error) {
      const answer = error instanceof HttpError ? error : internalError(error);
      sendJson(res, record, answer.code, answer.body, answer.headers);
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    void handle(req, res);
  };
  const server: Server = options.tls === undefined ? createHttpServer(onRequest) : createHttpsServer(
    { cert: options.tls.cert, key: options.tls.key },
    onRequest,
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(options.port ?? 0, hostname, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port ?? 0;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `${options.tls === undefined ? "http" : "https"}://${host}:${port}`;

  // --- the public object -----------------------------------------------------

  function applySlice(input: EndpointSliceInput): EndpointSlice {
    const prepared = prepareSlice(input, history.current, history.nextRv());
    if ("unchanged" in prepared) return structuredClone(prepared.unchanged);
    const { key, existing, stored } = prepared;
    const type = existing === undefined ? "ADDED" : "MODIFIED";
    publish(history.record(type, key, stored, existing));
    return structuredClone(stored);
  }

  function applyService(input: ServiceInput): Service {
    const { service, changed } = services.apply(input, history.nextRv());
    if (changed) {
      history.advance();
      wakeWaiters();
    }
    return structuredClone(service);
  }

  function deleteSlice(namespace: string, name: string): boolean {
    const key = keyOf(namespace, name);
    const existing = history.current.get(key);
    if (existing === undefined) return false;
    const gone: EndpointSlice = {
      ...existing,
      metadata: {
        ...existing.metadata,
        resourceVersion: String(history.nextRv()),
      },
    };
    publish(history.record("DELETED", key, gone, existing));
    return true;
  }

  function close(): Promise<void> {
    if (closing !== undefined) return closing;
    closed = true;
    for (const waiter of waiters) waiter.settle(false);
    for (const watch of [...watches]) {
      finishWatch(watch);
      watch.res.end();
    }
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as Server & { closeAllConnections?: () => void })
        .closeAllConnections?.();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    return closing;
  }

  return {
    url,
    kubeconfig(kubeconfigOptions = {}) {
      const cluster: Record<string, unknown> = { server: url };
      if (kubeconfigOptions.ca !== undefined) {
        cluster["certificate-authority-data"] = Buffer.from(
          kubeconfigOptions.ca,
        ).toString("base64");
      }
      const context: Record<string, unknown> = {
        cluster: "fake-api-server",
        user: "fake-api-server",
      };
      if (kubeconfigOptions.namespace !== undefined) {
        context.namespace = kubeconfigOptions.namespace;
      }
      return {
        apiVersion: "v1",
        kind: "Config",
        preferences: {},
        clusters: [{ name: "fake-api-server", cluster }],
        users: [{
          name: "fake-api-server",
          user: token === undefined ? {} : { token },
        }],
        contexts: [{ name: "fake-api-server", context }],
        "current-context": "fake-api-server",
      };
    },
    get resourceVersion() {
      return String(history.rv);
    },
    applySlice,
    deleteSlice,
    applyService,
    deleteService(namespace, name) {
      if (!services.delete(namespace, name)) return false;
      history.advance();
      wakeWaiters();
      return true;
    },
    slices(namespace) {
      return [...history.current.values()]
        .filter((slice) => namespace === undefined || slice.metadata.namespace === namespace)
        .sort(byKey)
        .map((slice) => structuredClone(slice));
    },
    compact() {
      history.compact();
    },
    dropWatches() {
      for (const watch of [...watches]) dropWatch(watch);
    },
    endWatches() {
      for (const watch of [...watches]) endWatch(watch);
    },
    failNext(count, failure) {
      if (!Number.isInteger(count) || count < 0) {
        throw new RangeError(
          `Cannot inject failures as 'count' must be a non-negative integer: current value is ${count}`,
        );
      }
      if (
        !Number.isInteger(failure.status) || failure.status < 400 ||
        failure.status > 599
      ) {
        throw new RangeError(
          `Cannot inject failures as 'status' must be an HTTP error status (400-599): current value is ${failure.status}`,
        );
      }
      if (count > 0) {
        failures.push({ remaining: count, failure: { ...failure } });
      }
    },
    setToken(next) {
      token = next;
    },
    setAccess: accessControl.set,
    get requests() {
      return requests.map((request) => ({
        ...request,
        query: { ...request.query },
      }));
    },
    get openWatches() {
      return watches.size;
    },
    close,
  };
}
