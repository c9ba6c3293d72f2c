/**
 * The paths the fake API server answers, read from a request's method, path
 * and query. Private to the fake API server.
 *
 * @module
 */

import { queryBool } from "./_request_options.ts";

/** What a request asks for. */
export type Route =
  /** A list or watch of EndpointSlices, in one namespace or all of them. */
  | { readonly kind: "list" | "watch"; readonly namespace?: string }
  /** A read of one Service. */
  | { readonly kind: "get"; readonly namespace: string; readonly name: string }
  /** A path the server does not serve (404), or a method it does not allow (405). */
  | { readonly kind: "other"; readonly known: boolean };

const ALL_SLICES = "/apis/discovery.k8s.io/v1/endpointslices";
const NAMESPACED_SLICES = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/;
const SERVICE = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)$/;

/**
 * Reads what a request asks for.
 *
 * @param method The HTTP method.
 * @param path The URL path, still percent-encoded.
 * @param query The query parameters.
 * @returns The route.
 */
export function routeOf(method: string, path: string, query: Record<string, string>): Route {
  const known = path === ALL_SLICES || NAMESPACED_SLICES.test(path) || SERVICE.test(path);
  if (!known || method !== "GET") return { kind: "other", known };
  try {
    const service = SERVICE.exec(path);
    if (service !== null) {
      return { kind: "get", namespace: decodeURIComponent(service[1]), name: decodeURIComponent(service[2]) };
    }
    const namespaced = NAMESPACED_SLICES.exec(path);
    const kind = queryBool(query.watch) === true ? "watch" : "list";
    return namespaced === null ? { kind } : { kind, namespace: decodeURIComponent(namespaced[1]) };
  } catch {
    // A malformed percent-encoding names nothing we serve.
    return { kind: "other", known: false };
  }
}
