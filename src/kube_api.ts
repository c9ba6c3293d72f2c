/**
 * LIST and WATCH of one Service's EndpointSlices over `fetch`, with every
 * failure turned into a {@linkcode KubeApiError} that says what to do.
 *
 * @module
 */

import type { ClusterAccess } from "./cluster_access.ts";
import type { EndpointSliceList, Status } from "./endpoint_slice.ts";
import { KubeApiError, ResolverError } from "./errors.ts";
import type { HttpClient } from "./runtime/http_client.ts";

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
  /** Resume after this `resourceVersion`. */
  resourceVersion: string;
  /** Server-side timeout of the watch. */
  timeoutSeconds: number;
  /** Aborts the request and its body. */
  signal: AbortSignal;
}

/** The two calls the reflector makes for one Service. */
export interface EndpointSliceApi {
  /** Lists one page of the Service's slices. */
  list(params: ListParams): Promise<EndpointSliceList>;
  /** Opens a watch; resolves to the body once the server answered 200. */
  watch(params: WatchParams): Promise<ReadableStream<Uint8Array>>;
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

  async function request(verb: "list" | "watch", url: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    const authorization = await access.credentials.authorization();
    if (authorization) headers.authorization = authorization;
    let response: Response;
    try {
      response = await client.fetch(url, { headers, signal, redirect: "manual" });
    } catch (cause) {
      if (signal.aborted || cause instanceof ResolverError) throw cause;
      throw networkError(verb, where, access, cause);
    }
    if (response.ok) return response;
    const body = await readStatus(response);
    if (response.status === 401) access.credentials.invalidate();
    throw statusError(verb, where, namespace, access, response, body);
  }

  return {
    async list({ resourceVersion, limit, continueToken, signal }) {
      let url = base;
      if (resourceVersion !== undefined) url += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      if (limit !== undefined) url += `&limit=${limit}`;
      if (continueToken) url += `&continue=${encodeURIComponent(continueToken)}`;
      const response = await request("list", url, signal);
      try {
        return await response.json() as EndpointSliceList;
      } catch (cause) {
        if (signal.aborted) throw cause;
        throw new KubeApiError(`Cannot list ${where}: the response is not valid JSON`, { cause });
      }
    },
    async watch({ resourceVersion, timeoutSeconds, signal }) {
      const url = `${base}&watch=true&allowWatchBookmarks=true` +
        `&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${timeoutSeconds}`;
      const response = await request("watch", url, signal);
      if (!response.body) throw new KubeApiError(`Cannot watch ${where}: the response has no body`);
      return response.body;
    },
  };
}

async function readStatus(response: Response): Promise<Status> {
  try {
    const text = await response.text();
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    return {};
  }
}

/**
 * Whether an error means the resume point fell out of the server's history
 * (410 Gone / `Expired`), so the only way forward is a new LIST.
 *
 * @param error Any error.
 * @returns True for an expired resourceVersion.
 *
 * @example
 * ```ts
 * import { KubeApiError, ResolverError } from "./errors.ts";
 * import { isExpired } from "./kube_api.ts";
 * console.log(isExpired(new KubeApiError("gone", { status: 410 }))); // true
 * ```
 */
export function isExpired(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  return error.status === 410 || error.reason === "Expired" || error.reason === "Gone";
}

function statusError(
  verb: string,
  where: string,
  namespace: string,
  access: ClusterAccess,
  response: Response,
  status: Status,
): KubeApiError {
  const code = response.status;
  const said = status.message ? ` (server said: ${status.message})` : "";
  const retryAfter = Number(response.headers.get("retry-after"));
  const options = {
    status: code,
    reason: status.reason,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
  let advice: string;
  if (code === 401) {
    advice = `the API server at ${access.server} rejected the credentials from ${access.source} (401 Unauthorized): ` +
      "renew the token or the kubeconfig user; token files and exec plugins are re-read automatically";
  } else if (code === 403) {
    advice = `forbidden (403) for the credentials from ${access.source}: grant "list" and "watch" on ` +
      `"endpointslices" in API group "discovery.k8s.io" in namespace "${namespace}" with a Role and RoleBinding${said}`;
  } else if (code === 404) {
    advice = `the API server at ${access.server} has no EndpointSlice API discovery.k8s.io/v1 (404): ` +
      `Kubernetes 1.21 or newer is required${said}`;
  } else if (code === 410) {
    advice = `the resourceVersion expired (410 Gone): relisting${said}`;
  } else if (code === 429 || code >= 500) {
    advice = `the API server at ${access.server} answered ${code}: retrying with backoff${said}`;
  } else if (code >= 300 && code < 400) {
    advice = `the API server at ${access.server} redirected (${code}), which is not followed ` +
      "so that credentials never go to another host: point the kubeconfig at the API server itself";
  } else {
    advice = `the API server at ${access.server} answered ${code}${said}`;
  }
  return new KubeApiError(`Cannot ${verb} ${where}: ${advice}`, options);
}

function networkError(verb: string, where: string, access: ClusterAccess, cause: unknown): KubeApiError {
  const detail = describeCause(cause);
  const withoutUrls = detail.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "");
  if (/cert|tls|ssl|UnknownIssuer|self.signed|altname|handshake/i.test(withoutUrls)) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: TLS verification of ${access.server} failed with ${access.tls.caSource} (${detail}); ` +
        `check certificate-authority and tls-server-name in ${access.source}`,
      { cause },
    );
  }
  return new KubeApiError(
    `Cannot ${verb} ${where}: cannot reach the API server at ${access.server} from ${access.source} (${detail}); ` +
      "check that the address is right and the server is up",
    { cause },
  );
}

function describeCause(cause: unknown): string {
  const parts: string[] = [];
  for (let error = cause, depth = 0; error && depth < 4; depth++) {
    if (typeof error !== "object") {
      parts.push(String(error));
      break;
    }
    const { message, code } = error as { message?: unknown; code?: unknown };
    if (typeof message === "string" && message) parts.push(message);
    if (typeof code === "string") parts.push(code);
    error = (error as { cause?: unknown }).cause;
  }
  return parts.join(": ") || "unknown error";
}
