/**
 * LIST and WATCH of one Service's EndpointSlices, and a GET of the Service
 * itself, over `fetch`, with every failure turned into a
 * {@linkcode KubeApiError} that says what to do.
 *
 * @module
 */

import type { ClusterAccess } from "./cluster/types.ts";
import type { EndpointSliceList, Status } from "./endpoint_slice.ts";
import { ConfigError, KubeApiError, ResolverError } from "./errors.ts";
import { type HttpClient, type HttpResponse, lookupRefusedByDeno } from "./runtime/http_client.ts";
import type { ChunkSource } from "./runtime/pushed_body.ts";
import { settledOnAbort } from "./runtime/abortable.ts";
import { cancelOnAbort, describeCause, isRecord } from "./_util.ts";
import { refusedByRuntime } from "./runtime/files.ts";
import { proxyForDisplay } from "./cluster/proxy.ts";

/** Largest LIST response body accepted, in bytes (128 MiB); a larger one is an error, not an out-of-memory crash. */
export const MAX_LIST_BYTES = 128 * 1024 * 1024;
/** Largest single object (a Service) accepted, in bytes. */
const MAX_OBJECT_BYTES = 1024 * 1024;
/** Largest error response body read for its Kubernetes Status, in bytes; the rest is discarded. */
const MAX_STATUS_BYTES = 64 * 1024;
/** What fetch refuses in a header value: control characters (tab aside) and anything beyond Latin-1. */
// deno-lint-ignore no-control-regex
const INVALID_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;
/** Longest server-provided text (a Status message, a content type) quoted in our messages. */
const MAX_QUOTED_CHARS = 300;

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
}

/** A port of a Service (`spec.ports[]`), as far as we read it. */
export interface ServicePort {
  /** The port's name; empty or absent for a Service's single unnamed port. EndpointSlice ports carry it. */
  name?: string | null;
  /** The Service's port (EndpointSlice ports carry the target port's number instead). */
  port?: number | null;
}

/** A `v1` Service, as far as we read it. */
export interface Service {
  /** The spec; only the ports are read. */
  spec?: { ports?: ServicePort[] | null } | null;
}

/** The two calls the reflector makes for one Service. */
export interface EndpointSliceApi {
  /** The API server's URL, for messages. */
  readonly server?: string;
  /** Lists one page of the Service's slices. */
  list(params: ListParams): Promise<EndpointSliceList>;
  /** Opens a watch; resolves to the body, as the watch decoder reads it, once the server answered 200. */
  watch(params: WatchParams): Promise<ChunkSource>;
}

/**
 * Creates the LIST/WATCH calls for the EndpointSlices of one Service.
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Service's namespace.
 * @param service The Service's name.
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
): EndpointSliceApi {
  const base = `${access.server}/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices` +
    `?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`;
  const where = `endpointslices of service "${service}" in namespace "${namespace}"`;
  const subject: Omit<Subject, "verb"> = {
    where,
    namespace,
    grant: `"list" and "watch" on "endpointslices" in API group "discovery.k8s.io"`,
    missing: `the API server at ${access.server} has no EndpointSlice API discovery.k8s.io/v1 (404): ` +
      "Kubernetes 1.21 or newer is required",
  };
  const request = (verb: "list" | "watch", url: string, signal: AbortSignal) =>
    send(access, client, { ...subject, verb }, url, signal);

  return {
    server: access.server,
    async list({ resourceVersion, limit, continueToken, signal }) {
      let url = base;
      if (resourceVersion !== undefined) url += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      if (limit !== undefined) url += `&limit=${limit}`;
      if (continueToken) url += `&continue=${encodeURIComponent(continueToken)}`;
      const { response } = await request("list", url, signal);
      let text: string | undefined;
      try {
        text = await readText(response, MAX_LIST_BYTES, signal);
      } catch (cause) {
        if (signal.aborted || cause instanceof ResolverError) throw cause;
        throw networkError("list", where, access, cause);
      }
      if (text === undefined) {
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} exceeds ${MAX_LIST_BYTES} bytes; retrying`,
        );
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (cause) {
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} is not valid JSON; retrying: ${NOT_THE_API_SERVER}`,
          { cause },
        );
      }
      // kube-apiserver always writes `items`, `[]` when empty: a list without it (`{}` from something else on the
      // way) must not pass for a Service without pods, and take the last good endpoints with it.
      if (!isRecord(value) || !Array.isArray(value.items)) {
        throw new KubeApiError(
          `Cannot list ${where}: the response from ${access.server} is not an EndpointSliceList (it has no items ` +
            `list); retrying: ${NOT_THE_API_SERVER}`,
        );
      }
      return value as unknown as EndpointSliceList;
    },
    async watch({ resourceVersion, timeoutSeconds, sendInitialEvents, signal }) {
      let url = `${base}&watch=true&allowWatchBookmarks=true`;
      if (sendInitialEvents) url += "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan";
      // An empty resourceVersion is left out, as client-go does.
      if (resourceVersion !== "") url += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      url += `&timeoutSeconds=${timeoutSeconds}`;
      const { chunks } = await request("watch", url, signal);
      if (!chunks) {
        throw new KubeApiError(
          `Cannot watch ${where}: the response from ${access.server} has no body; retrying: ${NOT_THE_API_SERVER}`,
        );
      }
      return chunks;
    },
  };
}

/** The GET of one Service, for its ports. */
export interface ServiceApi {
  /** Reads the Service. */
  get(signal: AbortSignal): Promise<Service>;
}

/**
 * Creates the GET of one Service (`/api/v1/namespaces/NS/services/NAME`),
 * which needs `get` on `services` in the core API group.
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
  return { get: (signal) => requestObject(access, client, subject, url, signal) as Promise<Service> };
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
 * What a request is about, for its messages: what to grant on a 403, what a 404 means.
 *
 * @example The subject of a Service read
 * ```ts
 * import type { Subject } from "./kube_api.ts";
 * const subject: Subject = {
 *   verb: "get",
 *   where: 'service "echo" in namespace "prod"',
 *   namespace: "prod",
 *   grant: '"get" on "services" in the core API group ("")',
 *   missing: 'service "echo" does not exist in namespace "prod" (404)',
 * };
 * ```
 */
export interface Subject {
  /** `list`, `watch` or `get`. */
  verb: string;
  /** The objects, e.g. `endpointslices of service "echo" in namespace "prod"`. */
  where: string;
  /** Their namespace; absent for cluster-wide objects (a ClusterRole grants those). */
  namespace?: string;
  /** The verbs and resource a Role must grant. */
  grant: string;
  /** What a 404 means, and what to do. */
  missing: string;
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
): Promise<Record<string, unknown>> {
  const { response } = await send(access, client, subject, url, signal, body);
  let text: string | undefined;
  try {
    text = await readText(response, MAX_OBJECT_BYTES, signal);
  } catch (cause) {
    if (signal.aborted || cause instanceof ResolverError) throw cause;
    throw networkError(subject.verb, subject.where, access, cause);
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

/**
 * Sends one GET (a POST of `body` as JSON, when given) with the credentials; resolves to a 2xx JSON
 * answer, else throws a {@linkcode KubeApiError} that says what to do.
 */
async function send(
  access: ClusterAccess,
  client: HttpClient,
  { verb, where, namespace, grant, missing }: Subject,
  url: string,
  signal: AbortSignal,
  body?: unknown,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  // An exec plugin that hangs must not outlast the caller's abort.
  const authorization = await settledOnAbort(access.credentials.authorization(), signal);
  if (authorization) {
    // fetch's own error for a bad header value quotes the value: check first, and never show it.
    if (INVALID_HEADER_VALUE.test(authorization)) {
      throw new ConfigError(
        `Cannot ${verb} ${where}: the credentials from ${access.source} make an invalid Authorization header ` +
          "(the token or password holds a line break, a control character or a character beyond Latin-1; " +
          "it is not shown): fix the token",
      );
    }
    headers.authorization = authorization;
  }
  let answer: HttpResponse;
  try {
    const post = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    answer = await client.fetch(url, { ...post, headers, signal, redirect: "manual" });
  } catch (cause) {
    if (signal.aborted || cause instanceof ResolverError) throw cause;
    throw networkError(verb, where, access, cause, authorization);
  }
  const { response } = answer;
  if (response.ok) {
    checkContentType(verb, where, access, response);
    return answer;
  }
  const status = await readStatus(response, signal);
  if (response.status === 401) access.credentials.invalidate();
  // No header, no client certificate, no exec plugin (which may return one): the server, or a proxy in
  // front of it, gets a request without credentials.
  const anonymous = !authorization && access.tls.cert === undefined &&
    access.credentials.clientCertificate === undefined;
  throw statusError({ verb, where, namespace, grant, missing }, access, response, status, anonymous);
}

/**
 * Reads a body as UTF-8 text, at most `maxBytes` of it: resolves to
 * `undefined` (and cancels the rest) when the body is longer, so that a
 * hostile or broken server cannot make us buffer without bound. Rejects
 * once `signal` aborted (see `cancelOnAbort()`).
 */
async function readText(response: Response, maxBytes: number, signal: AbortSignal): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const release = cancelOnAbort(reader, signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        signal.throwIfAborted();
        break;
      }
      total += value.length;
      if (total > maxBytes) return undefined;
      chunks.push(value);
    }
  } finally {
    release();
    reader.cancel().catch(() => {});
  }
  const decoder = new TextDecoder();
  let text = "";
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

async function readStatus(response: Response, signal: AbortSignal): Promise<Status> {
  try {
    const text = await readText(response, MAX_STATUS_BYTES, signal);
    if (text === undefined) return {};
    const value = JSON.parse(text);
    return isRecord(value) ? value as Status : {};
  } catch {
    return {};
  }
}

/** What to check when a successful answer is not what kube-apiserver writes. */
const NOT_THE_API_SERVER = "if this repeats, check that nothing on the way (a proxy, a load balancer) answers in the " +
  "API server's place";

/** Rejects a successful answer that says it is not JSON (an HTML login page, a proxy's error page). */
function checkContentType(verb: string, where: string, access: ClusterAccess, response: Response): void {
  const type = response.headers.get("content-type");
  if (type === null || /json/i.test(type)) return;
  response.body?.cancel().catch(() => {});
  throw new KubeApiError(
    `Cannot ${verb} ${where}: the server at ${access.server} answered ${response.status} with content type ` +
      `${quote(type)}, not JSON: point the kubeconfig at the Kubernetes API server itself, ` +
      "not at a web page, a login page or a proxy",
    { status: response.status },
  );
}

/**
 * Quotes text that came from the server, cut to a few hundred characters,
 * so that a hostile server cannot flood messages and traces.
 *
 * @param text Any text from the server.
 * @returns The text as a JSON string, cut with `...` when long.
 *
 * @example Quoting a Status message
 * ```ts
 * import { quote } from "./kube_api.ts";
 * console.log(quote("too old resource version: 5 (9)")); // "too old resource version: 5 (9)"
 * console.log(quote("x".repeat(1000)).length); // 305
 * ```
 */
export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}...` : text);
}

/**
 * The fields of a {@linkcode KubeApiError} that a Kubernetes `Status` carries, cut to a sane size.
 *
 * @param status A Status from an error response or an ERROR watch event.
 * @param code The HTTP status, when the Status has none of its own.
 * @returns `status`, `reason` and `causes` for the error's options.
 *
 * @example
 * ```ts
 * import { statusFields } from "./kube_api.ts";
 * console.log(statusFields({ code: 410, reason: "Expired" })); // { status: 410, reason: "Expired", causes: undefined }
 * ```
 */
export function statusFields(
  status: Status,
  code?: number,
): { status?: number; reason?: string; causes?: string[] } {
  const causes = Array.isArray(status.details?.causes)
    ? status.details.causes.slice(0, 10).flatMap((cause) =>
      isRecord(cause) && typeof cause.reason === "string" ? [cause.reason.slice(0, 100)] : []
    )
    : [];
  return {
    status: typeof status.code === "number" ? status.code : code,
    reason: typeof status.reason === "string" ? status.reason.slice(0, 100) : undefined,
    causes: causes.length > 0 ? causes : undefined,
  };
}

function statusError(
  { verb, where, namespace, grant, missing }: Subject,
  access: ClusterAccess,
  response: Response,
  status: Status,
  anonymous: boolean,
): KubeApiError {
  const code = response.status;
  const said = typeof status.message === "string" && status.message ? ` (server said: ${quote(status.message)})` : "";
  const retryAfter = Number(response.headers.get("retry-after"));
  const options = {
    ...statusFields(status),
    status: code,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
  let advice: string;
  // Behind `kubectl proxy` a request without credentials is the proxy's user's: a 403 is anonymous only
  // when the server says so.
  const saysAnonymous = typeof status.message === "string" && status.message.includes("system:anonymous");
  if (anonymous && (code === 401 || (code === 403 && saysAnonymous))) {
    const proxy = code === 401 ? " (behind kubectl proxy: the proxy's own credentials were refused)" : "";
    advice = `the API server at ${access.server} refused a request without credentials (${code}): ` +
      `${access.source} gives none; give its user a token, a client certificate or an exec plugin${proxy}${said}`;
  } else if (code === 401) {
    // What to do, as the credentials' source allows (an inline token or a certificate is read once).
    const renew = access.credentials.renewal ??
      (access.tls.cert === undefined
        ? "renew the credentials of the kubeconfig user"
        : "renew the client certificate (it may have expired, or the server not trust its CA), then restart");
    advice = `the API server at ${access.server} rejected the credentials from ${access.source} (401 Unauthorized): ` +
      renew;
  } else if (code === 403) {
    const scope = namespace === undefined
      ? "with a ClusterRole and ClusterRoleBinding"
      : `in namespace "${namespace}" with a Role and RoleBinding`;
    advice = `forbidden (403) for the credentials from ${access.source}: grant ${grant} ${scope}${said}`;
  } else if (code === 404) {
    advice = `${missing}${said}`;
  } else if (code === 410) {
    advice = `the resourceVersion expired (410 Gone): relisting${said}`;
  } else if (code === 429 || code >= 500) {
    advice = `the API server at ${access.server} answered ${code}: retrying with backoff${said}`;
  } else if (code >= 300 && code < 400) {
    const location = response.headers.get("location");
    const to = location ? ` to ${quote(location)}` : "";
    advice = `the API server at ${access.server} redirected (${code})${to}, which is not followed ` +
      "so that credentials never go to another host: point the kubeconfig at the API server itself";
  } else {
    advice = `the API server at ${access.server} answered ${code}${said}`;
  }
  return new KubeApiError(`Cannot ${verb} ${where}: ${advice}`, options);
}

function networkError(
  verb: string,
  where: string,
  access: ClusterAccess,
  cause: unknown,
  authorization?: string,
): KubeApiError {
  let detail = describeCause(cause);
  // A runtime error that quotes the credentials (the header value, or the
  // secret alone when it is long enough to be told apart from ordinary text):
  // neither it nor its message may travel on.
  const secret = authorization?.replace(/^\S+\s+/, "");
  for (const quoted of [authorization, secret && secret.length >= 8 ? secret : undefined]) {
    if (quoted && detail.includes(quoted)) {
      detail = detail.replaceAll(quoted, "[redacted]");
      cause = undefined;
    }
  }
  const options = cause === undefined ? {} : { cause };
  const withoutUrls = detail.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "");
  const lookupRefused = lookupRefusedByDeno(cause);
  if (refusedByRuntime(cause) || lookupRefused) {
    // Deno refused the HTTP client (undici, which reads variables of its own) a permission: the server is not at fault.
    // Only Deno's own words say which: a host name may hold "env" too.
    const [flag, what] = !lookupRefused && /\benv access\b/.test(detail)
      ? ["env", "the variable"]
      : ["net", "the API server"];
    return new KubeApiError(
      `Cannot ${verb} ${where}: this Deno process may not reach ${access.server} (${detail}): run it with ` +
        `--allow-${flag}, or add ${what} to its list`,
      options,
    );
  }
  // What OpenSSL (Node), rustls (Deno) and Bun say when the answer to a TLS hello is not TLS.
  if (/wrong.version.number|InvalidContentType|Does the server speak TLS/i.test(withoutUrls)) {
    // Through a proxy, the proxy may be the one that does not (an https:// proxy URL for a plain HTTP proxy).
    const via = access.proxyUrl === undefined ? "" : `, or the proxy ${proxyForDisplay(access.proxyUrl)} from ` +
      `${access.proxySource},`;
    return new KubeApiError(
      `Cannot ${verb} ${where}: the server at ${access.server}${via} does not answer in TLS (${detail}): if it ` +
        `serves plain HTTP on this port, its URL in ${access.source} must start with http://; else check the port`,
      options,
    );
  }
  if (/cert|tls|ssl|UnknownIssuer|self.signed|altname|handshake/i.test(withoutUrls)) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: TLS verification of ${access.server} failed with ${access.tls.caSource} (${detail}); ` +
        // A CA rotated under a running process is the other cause: nothing reads the file again.
        `check certificate-authority and tls-server-name in ${access.source}; they are read once, at start, so ` +
        "restart the process after changing them (a rotated cluster CA, say)",
      options,
    );
  }
  if (access.proxyUrl !== undefined) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: cannot reach the API server at ${access.server} from ${access.source} through ` +
        `the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource} (${detail}); check that the ` +
        "proxy is up and lets this server through, and that the server is up",
      options,
    );
  }
  return new KubeApiError(
    `Cannot ${verb} ${where}: cannot reach the API server at ${access.server} from ${access.source} (${detail}); ` +
      "check that the address is right and the server is up",
    options,
  );
}
