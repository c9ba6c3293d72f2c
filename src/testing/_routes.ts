/**
 * The paths the fake API server answers, read from a request's method, path
 * and query. Private to the fake API server.
 *
 * @module
 */

import type { ResourceRequest } from "./_api_status.ts";
import { queryBool } from "./_request_options.ts";
import type { RecordedRequest } from "./server_types.ts";

/** What a request asks for. */
export type Route =
  /** EndpointSlices, a Service or a Node. */
  | { readonly kind: "resource"; readonly request: ResourceRequest }
  /** A discovery document, the version or a health check. */
  | { readonly kind: "info" }
  /** A path the server does not serve (404), or a method it does not allow there (405). */
  | { readonly kind: "unknown"; readonly known: boolean };

/** Paths that answer anyone, even without credentials (RBAC's `system:public-info-viewer`). */
const PUBLIC_INFO = new Set(["/healthz", "/livez", "/readyz", "/version"]);
const INFO = new Set([
  ...PUBLIC_INFO,
  "/",
  "/api",
  "/api/v1",
  "/apis",
  "/apis/discovery.k8s.io",
  "/apis/discovery.k8s.io/v1",
]);
const ALL_SLICES = "/apis/discovery.k8s.io/v1/endpointslices";
const NAMESPACED_SLICES = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices(?:\/([^/]+))?$/;
const SERVICE = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)$/;
const NODE = /^\/api\/v1\/nodes\/([^/]+)$/;

/**
 * Reads what a request asks for.
 *
 * @param method The HTTP method.
 * @param path The URL path, still percent-encoded.
 * @param query The query parameters.
 * @returns The route.
 */
export function routeOf(method: string, path: string, query: Record<string, string>): Route {
  const slices = path === ALL_SLICES ? [] : NAMESPACED_SLICES.exec(path);
  const service = SERVICE.exec(path);
  const node = NODE.exec(path);
  const known = INFO.has(path) || slices !== null || service !== null || node !== null;
  if (!known || method !== "GET") return { kind: "unknown", known };
  if (INFO.has(path)) return { kind: "info" };
  try {
    if (node !== null) {
      return { kind: "resource", request: { verb: "get", resource: "nodes", name: decodeURIComponent(node[1]) } };
    }
    if (service !== null) {
      const [namespace, name] = [service[1], service[2]].map(decodeURIComponent);
      return { kind: "resource", request: { verb: "get", resource: "services", namespace, name } };
    }
    const [namespace, name] = [slices![1], slices![2]].map((part) => part && decodeURIComponent(part));
    // As on the real server, `watch` means nothing on an object's path: that is always a GET.
    const verb = name !== undefined ? "get" : queryBool(query.watch) === true ? "watch" : "list";
    return { kind: "resource", request: { verb, resource: "endpointslices", namespace, name } };
  } catch {
    // A malformed percent-encoding names nothing we serve.
    return { kind: "unknown", known: false };
  }
}

/**
 * Whether anyone may read this route, without credentials.
 *
 * @param path The URL path.
 * @returns Whether the path is public.
 */
export function isPublicInfo(path: string): boolean {
  return PUBLIC_INFO.has(path);
}

/**
 * The `kind` a request is recorded and matched by `failNext()` as.
 *
 * @param route The request's route.
 * @returns The kind.
 */
export function recordedKind(route: Route): RecordedRequest["kind"] {
  return route.kind === "resource" ? route.request.verb : "other";
}
