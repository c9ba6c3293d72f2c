/**
 * The API calls we make: LIST and WATCH of one Service's EndpointSlices, a
 * GET of the Service itself or of a Node, and any object's GET (or a review's
 * POST), over `fetch`, with every failure turned into a
 * {@linkcode KubeApiError} that says what to do. Each request goes out through
 * `_send_api_request.ts`; its answer is read here, with a size limit.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import type { EndpointSliceList } from "../base/endpoint_slice.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import type { HttpClient } from "../runtime/http_client.ts";
import type { ChunkSource } from "../runtime/pushed_body.ts";
import { isRecord } from "../base/_util.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";
import { brokenAnswerError, isProtobuf, NOT_THE_API_SERVER, type Subject } from "./api_errors.ts";
import { withoutCredentials } from "./without_credentials.ts";
import { decodeEndpointSliceList } from "./protobuf/messages.ts";
import { readBytes, utf8 } from "./_read_body.ts";
import { JSON_ONLY, sendApiRequest } from "./_send_api_request.ts";
import { ProtobufError } from "./protobuf/wire_reader.ts";

/** Largest LIST response body accepted, in bytes (128 MiB); a larger one is an error, not an out-of-memory crash. */
const MAX_LIST_BYTES = 128 * 1024 * 1024;
/** Largest single object (a Service) accepted, in bytes. */
const MAX_OBJECT_BYTES = 1024 * 1024;
/**
 * The Accept header of EndpointSlice LISTs and watches, as client-go's protobuf clients send it (`rest.Request`'s
 * `UseProtobufAsDefault()`, and clients that set these `AcceptContentTypes`): protobuf, else JSON. The answer's
 * Content-Type says which one came.
 */
const PROTOBUF_OR_JSON = "application/vnd.kubernetes.protobuf,application/json";

/**
 * The form of a LIST or watch answer, by its Content-Type: `protobuf` (`application/vnd.kubernetes.protobuf`, with
 * `;stream=watch` for a watch) or `json`.
 */
export type WatchEncoding = "json" | "protobuf";

/** A watch's body, and the form it comes in. */
export interface WatchBody {
  /** The body, as the watch decoder reads it. */
  chunks: ChunkSource;
  /** The form, by the answer's Content-Type: JSON lines, or length-prefixed protobuf frames. */
  encoding: WatchEncoding;
}

/** Parameters of one LIST page. */
export interface ListParams {
  /** `resourceVersion` to read at: `"0"` (any, from the cache) or `""` (latest, consistent). */
  resourceVersion?: string;
  /** Page size. */
  limit?: number;
  /** Continue token of the previous page. */
  continueToken?: string;
  /** Aborts the request. */
  signal: AbortSignal;
  /** Called as each chunk of the body comes, with its size: the caller times the pauses between them. */
  onBytes?: (count: number) => void;
  /**
   * Pauses the caller's timing of the request while it waits for an exec plugin's credentials, which may take up to
   * the plugin's own 60 s limit (one waiting for a login); returns what resumes it.
   */
  pauseTiming?: () => () => void;
}

/** Parameters of one WATCH request. */
export interface WatchParams {
  /**
   * Resume after this `resourceVersion`; with `sendInitialEvents`, the state to stream is at least this recent
   * (`""`: the latest, a consistent read).
   */
  resourceVersion: string;
  /** Server-side timeout of the watch. */
  timeoutSeconds: number;
  /**
   * A streaming list (WatchList, KEP-3157): the watch starts with the current state as ADDED events, then a BOOKMARK
   * annotated `k8s.io/initial-events-end: "true"` (`sendInitialEvents=true&resourceVersionMatch=NotOlderThan`).
   */
  sendInitialEvents?: boolean;
  /** Aborts the request and its body. */
  signal: AbortSignal;
  /**
   * Pauses the caller's timing of the request while it waits for an exec plugin's credentials, which may take up to
   * the plugin's own 60 s limit (one waiting for a login); returns what resumes it.
   */
  pauseTiming?: () => () => void;
}

/** A port of a Service (`spec.ports[]`), as far as we read it. */
export interface ServicePort {
  /** The port's name; empty or absent for a Service's single unnamed port. EndpointSlice ports carry it. */
  name?: string | null;
  /** The Service's port (EndpointSlice ports carry the target port's number instead). */
  port?: number | null;
  /** `TCP` (the default when absent), `UDP` or `SCTP`. */
  protocol?: string | null;
  /** The pods' port: a number, or the name of a container port. */
  targetPort?: number | string | null;
}

/** A `v1` Service, as far as we read it. */
export interface Service {
  /**
   * The spec; only the ports, the cluster IP (`None`: headless), the internal traffic policy, and what an empty set's
   * reason tells (the type, the external name, the selector) are read.
   */
  spec?: {
    ports?: ServicePort[] | null;
    clusterIP?: string | null;
    /** `Cluster` (the API server's default for a Service with a cluster IP) or `Local`. */
    internalTrafficPolicy?: string | null;
    /** `ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`. */
    type?: string | null;
    /** The DNS name of an `ExternalName` Service. */
    externalName?: string | null;
    /** The labels of the pods the EndpointSlice controller lists; none (or empty): it lists none. */
    selector?: Record<string, string> | null;
  } | null;
}

/** The two calls the reflector makes for one Service. */
export interface EndpointSliceApi {
  /** The API server's URL, for messages. */
  readonly server?: string;
  /** The proxy on the way, for messages: `through the proxy ... from HTTPS_PROXY`. */
  readonly via?: string;
  /** Lists one page of the Service's slices. */
  list(params: ListParams): Promise<EndpointSliceList>;
  /** Opens a watch; resolves to the body and its form once the server answered 200. */
  watch(params: WatchParams): Promise<WatchBody>;
  /**
   * `text` (a watch's ERROR event, say) without the credentials of the last watch request: a server or proxy that
   * echoes them must not make us print them. Required, so that no wrapper of these calls can drop it.
   */
  redact(text: string): string;
}

/**
 * What a 403 on EndpointSlices asks a Role for: the verb the server refused (its message names it, as kubectl
 * shows), with the two a resolver needs.
 */
function sliceGrant(verb: "list" | "watch"): string {
  return `"${verb}" on "endpointslices" in API group "discovery.k8s.io" (a resolver needs "list" and "watch")`;
}

/**
 * Creates the LIST/WATCH calls for the EndpointSlices of one Service.
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Service's namespace.
 * @param service The Service's name.
 * @param ask `protobuf` asks for protobuf, else JSON (as client-go's protobuf clients do); `json` asks for JSON
 *   only. Either way, the answer is read in the form its Content-Type names.
 * @returns The calls.
 *
 * @example Listing a Service's slices
 * ```ts ignore
 * import { createEndpointSliceApi } from "./kube_api.ts";
 * const api = createEndpointSliceApi(access, client, "prod", "echo");
 * const page = await api.list({ resourceVersion: "0", limit: 500, signal: AbortSignal.timeout(10_000) });
 * ```
 */
export function createEndpointSliceApi(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  service: string,
  ask: WatchEncoding = "protobuf",
): EndpointSliceApi {
  const base = `${access.server}/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices` +
    `?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`;
  const where = `endpointslices of service "${service}" in namespace "${namespace}"`;
  const subject: Omit<Subject, "verb" | "grant"> = {
    where,
    namespace,
    missing: `the API server at ${access.server} has no EndpointSlice API discovery.k8s.io/v1 (404): ` +
      "Kubernetes 1.21 or newer is required",
  };
  const accept = ask === "protobuf" ? PROTOBUF_OR_JSON : JSON_ONLY;
  const request = (verb: "list" | "watch", url: string, signal: AbortSignal, pauseTiming?: () => () => void) =>
    sendApiRequest(
      access,
      client,
      { ...subject, verb, grant: sliceGrant(verb), listed: verb === "watch" && listed },
      url,
      signal,
      undefined,
      pauseTiming,
      accept,
    );
  // The Authorization header of the last watch: its ERROR events are quoted without it.
  let watchAuthorization: string | undefined;
  // Whether the last LIST answered and no watch was served since: a watch's 403 then comes from a missing grant, not
  // a missing namespace (one deleted after a served watch takes its Role with it).
  let listed = false;

  return {
    server: access.server,
    ...(access.proxyUrl === undefined
      ? {}
      : { via: `through the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}` }),
    async list({ resourceVersion, limit, continueToken, signal, pauseTiming, onBytes }) {
      let url = base;
      if (resourceVersion !== undefined) url += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      if (limit !== undefined) url += `&limit=${limit}`;
      if (continueToken) url += `&continue=${encodeURIComponent(continueToken)}`;
      listed = false;
      const { response, authorization } = await request("list", url, signal, pauseTiming);
      listed = true;
      let bytes: Uint8Array | undefined;
      try {
        bytes = await readBytes(response, MAX_LIST_BYTES, signal, onBytes);
      } catch (cause) {
        if (signal.aborted || cause instanceof ResolverError) throw cause;
        throw brokenAnswerError("list", where, access, cause);
      }
      if (bytes === undefined) {
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} exceeds ${MAX_LIST_BYTES} bytes: if this repeats, ` +
            NOT_THE_API_SERVER,
        );
      }
      if (isProtobuf(response.headers.get("content-type"))) {
        try {
          return decodeEndpointSliceList(bytes);
        } catch (error) {
          if (!(error instanceof ProtobufError)) throw error;
          throw new KubeApiError(
            `Cannot list ${where}: the protobuf response from ${access.server} is not an EndpointSliceList ` +
              `(${withoutCredentials(error.detail, authorization, access.proxyUrl)}): if this repeats, ` +
              NOT_THE_API_SERVER,
          );
        }
      }
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        // Not the parse error as cause: its message quotes the body (V8 a few characters, JavaScriptCore a whole
        // word), which may be credentials that a server or proxy echoed.
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} is not valid JSON: if this repeats, ` +
            NOT_THE_API_SERVER,
        );
      }
      // kube-apiserver always writes `items`, `[]` when empty: a list without it (`{}` from something else on the
      // way) must not pass for a Service without pods, and take the last good endpoints with it.
      if (!isRecord(value) || !Array.isArray(value.items)) {
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} is not an EndpointSliceList (it has no items ` +
            `list): if this repeats, ${NOT_THE_API_SERVER}`,
        );
      }
      return value as unknown as EndpointSliceList;
    },
    async watch({ resourceVersion, timeoutSeconds, sendInitialEvents, signal, pauseTiming }) {
      let url = `${base}&watch=true&allowWatchBookmarks=true`;
      if (sendInitialEvents) url += "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan";
      // An empty resourceVersion is left out, as client-go does.
      if (resourceVersion !== "") url += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      url += `&timeoutSeconds=${timeoutSeconds}`;
      const { response, chunks, authorization } = await request("watch", url, signal, pauseTiming);
      listed = false;
      watchAuthorization = authorization;
      if (!chunks) {
        throw new KubeApiError(
          `Cannot watch ${where}: the response from ${access.server} has no body: if this repeats, ` +
            NOT_THE_API_SERVER,
        );
      }
      return { chunks, encoding: isProtobuf(response.headers.get("content-type")) ? "protobuf" : "json" };
    },
    redact: (text) => withoutCredentials(text, watchAuthorization, access.proxyUrl),
  };
}

/** The GET of one Service, for its ports. */
export interface ServiceApi {
  /**
   * Reads the Service, from the API server's watch cache unless `latest`; `pauseTiming` pauses the caller's timing
   * while the request waits for its credentials (see {@linkcode ListParams}).
   */
  get(signal: AbortSignal, pauseTiming?: () => () => void, latest?: boolean): Promise<Service>;
  /**
   * Whether the Service's namespace does not exist, asked after a 404 of the Service (which the API server answers
   * alike in a namespace that does not exist): `true` only when a GET of the Namespace answers 404 naming it, `false`
   * when it answers otherwise or fails (credentials without `get` on `namespaces`, which the resolver does not ask
   * for). Never throws.
   */
  namespaceMissing?(signal: AbortSignal): Promise<boolean>;
}

/**
 * Creates the GET of one Service (`/api/v1/namespaces/NS/services/NAME?resourceVersion=0`),
 * which needs `get` on `services` in the core API group. `resourceVersion=0` lets the API server answer from its
 * watch cache, as kube-proxy's informer sees Services, where a GET without one is a quorum read of etcd each time
 * (kube-apiserver v1.36.3: `CacheDelegator.Get`); the cache may lag etcd by a moment, which a read made as a watch
 * lists or resumes can afford. A read asked with `latest` goes to etcd: one that follows the slices must not get an
 * older Service than they are (an API server of an HA pair whose watch cache is behind answered a port renamed a
 * moment before with its old name).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Service's namespace.
 * @param service The Service's name.
 * @returns The call.
 *
 * @example Reading a Service's first port
 * ```ts ignore
 * import { createServiceApi } from "./kube_api.ts";
 * const found = await createServiceApi(access, client, "prod", "echo").get(AbortSignal.timeout(10_000));
 * console.log(found.spec?.ports?.[0]?.name);
 * ```
 */
export function createServiceApi(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  service: string,
): ServiceApi {
  const url = `${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/` +
    encodeURIComponent(service);
  const subject: Subject = {
    verb: "get",
    where: `service "${service}" in namespace "${namespace}"`,
    namespace,
    grant: `"get" on "services" in the core API group ("")`,
    missing: `service "${service}" does not exist in namespace "${namespace}" (404)`,
  };
  return {
    get(signal, pauseTiming, latest = false) {
      const read = latest ? url : `${url}?resourceVersion=0`;
      return requestObject(access, client, subject, read, signal, undefined, pauseTiming) as Promise<Service>;
    },
    async namespaceMissing(signal) {
      try {
        await readNamespace(access, client, namespace, signal);
        return false;
      } catch (error) {
        // As kubectl tells it: the API server's own 404, naming the Namespace (a proxy's names nothing).
        return notFoundByServer(error, "namespaces", namespace);
      }
    },
  };
}

/**
 * GETs a Namespace (`get` on `namespaces`, which the resolver does not ask for: a caller must take a 403).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Namespace's name.
 * @param signal Aborts the request.
 * @returns The Namespace object; rejects with a `KubeApiError` as any read does (see `notFoundByServer()`).
 */
export function readNamespace(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const subject: Subject = {
    verb: "get",
    where: `namespace "${namespace}"`,
    grant: `"get" on "namespaces" in the core API group ("")`,
    missing: `namespace "${namespace}" does not exist (404)`,
  };
  const url = `${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  return requestObject(access, client, subject, url, signal);
}

/**
 * Whether a read failed with the API server's own 404 for the object asked for: its Status names that resource and
 * name (a proxy's or a wrong path's 404 names nothing), as kubectl tells a missing object.
 *
 * @param error What the read threw.
 * @param kind The resource, e.g. `"services"`.
 * @param name The object's name.
 * @returns `true` for that 404.
 */
export function notFoundByServer(error: unknown, kind: string, name: string): boolean {
  return error instanceof KubeApiError && error.status === 404 && error.details?.kind === kind &&
    error.details.name === name;
}

/** The label that holds a Node's zone. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

/**
 * Reads the zone of a Node (its `topology.kubernetes.io/zone` label), which
 * needs `get` on `nodes` (a ClusterRole).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param node The Node's name.
 * @param signal Aborts the request.
 * @returns The zone, or `undefined` when the Node has no zone label.
 * @throws {KubeApiError} When the Node cannot be read (403, 404, network).
 *
 * @example The zone of the client's own node
 * ```ts ignore
 * import { readNodeZone } from "./kube_api.ts";
 * console.log(await readNodeZone(access, client, "node-1", AbortSignal.timeout(10_000)));
 * ```
 */
export async function readNodeZone(
  access: ClusterAccess,
  client: HttpClient,
  node: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const subject: Subject = {
    verb: "get",
    where: `node "${node}"`,
    grant: `"get" on "nodes" in the core API group ("")`,
    missing: `node "${node}" does not exist (404): check NODE_NAME`,
  };
  const url = `${access.server}/api/v1/nodes/${encodeURIComponent(node)}`;
  const object = await requestObject(access, client, subject, url, signal);
  const labels = isRecord(object.metadata) ? object.metadata.labels : undefined;
  const zone = isRecord(labels) ? labels[ZONE_LABEL] : undefined;
  return typeof zone === "string" && zone !== "" ? zone : undefined;
}

/**
 * GETs one object, or POSTs `body` as JSON (a review) and reads what the
 * server answers: at most 1 MiB of JSON with an object `spec`.
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param subject What the request is about, for the messages of its errors.
 * @param url The object's URL.
 * @param signal Aborts the request.
 * @param body When given, sent as JSON with POST.
 * @param pauseTiming Pauses the caller's timing while the request waits for its credentials.
 * @returns The object.
 * @throws {KubeApiError} When the request fails or the answer is not such an object; the message says what to do.
 *
 * @example Creating a SelfSubjectReview
 * ```ts ignore
 * import { requestObject } from "./kube_api.ts";
 * const review = await requestObject(access, client, subject, `${access.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
 *   AbortSignal.timeout(10_000), { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
 * ```
 */
export async function requestObject(
  access: ClusterAccess,
  client: HttpClient,
  subject: Subject,
  url: string,
  signal: AbortSignal,
  body?: unknown,
  pauseTiming?: () => () => void,
): Promise<Record<string, unknown>> {
  const { response } = await sendApiRequest(access, client, subject, url, signal, body, pauseTiming);
  let text: string | undefined;
  try {
    text = utf8(await readBytes(response, MAX_OBJECT_BYTES, signal));
  } catch (cause) {
    if (signal.aborted || cause instanceof ResolverError) throw cause;
    throw brokenAnswerError(subject.verb, subject.where, access, cause);
  }
  let value: unknown;
  try {
    value = text === undefined ? undefined : JSON.parse(text);
  } catch {
    value = undefined;
  }
  const spec = isRecord(value) ? value.spec : undefined;
  if (!isRecord(value) || (spec !== undefined && spec !== null && !isRecord(spec))) {
    throw new KubeApiError(
      `Cannot ${subject.verb} ${subject.where}: the response from ${access.server} is not a Kubernetes object of at most ` +
        `${MAX_OBJECT_BYTES} bytes of JSON`,
    );
  }
  return value;
}
