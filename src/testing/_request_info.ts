/**
 * What RBAC authorizes for a request, read from its method, path and query
 * as kube-apiserver's RequestInfoFactory reads them, for any path (not only
 * those the fake serves): under `/api` and `/apis`, a verb on a resource of a
 * group, maybe in a namespace, maybe of one object; elsewhere, a verb on a
 * path. The 403 of a user without the grant names these. Private to the fake
 * API server.
 *
 * @module
 */

import type { RefusedRequest } from "./_access_control.ts";
import { queryBool, readListOptions } from "./_request_options.ts";

/**
 * What RBAC authorizes for one request: a verb on a resource (its group, subresource, namespace and object: the
 * path's name, or a list's `metadata.name=` field selector's), or, outside the resources, the lower-cased method
 * on a path.
 */
export type RequestAttributes = RefusedRequest;

/** The verb of each method on a resource; a method not here has none. */
const VERBS: Record<string, string> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

/** The verbs kube-apiserver serves without a request deadline (the `LongRunningFunc` it builds). */
const LONG_RUNNING_VERBS = new Set(["watch", "proxy"]);

/** The subresources it serves so. */
const LONG_RUNNING_SUBRESOURCES = new Set(["attach", "exec", "proxy", "log", "portforward"]);

/**
 * Whether kube-apiserver serves a request as long-running, as its `BasicLongRunningRequestCheck` with the verbs and
 * subresources above decides: such a request has no deadline, so its `timeout` parameter is never read.
 *
 * @param request The request's attributes, from {@linkcode requestAttributes}.
 * @returns Whether it is long-running.
 *
 * @example A watch of Nodes, and a LIST
 * ```ts
 * import { isLongRunning, requestAttributes } from "./_request_info.ts";
 * console.log(isLongRunning(requestAttributes("GET", "/api/v1/nodes", { watch: "1" }))); // true
 * console.log(isLongRunning(requestAttributes("GET", "/api/v1/nodes", {}))); // false
 * ```
 */
export function isLongRunning(request: RequestAttributes): boolean {
  if (LONG_RUNNING_VERBS.has(request.verb)) return true;
  if (request.kind === "path") return request.path.startsWith("/debug/pprof/");
  return request.subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(request.subresource);
}

/**
 * Reads what RBAC authorizes for a request.
 *
 * @param method The HTTP method.
 * @param encodedPath The URL path, still percent-encoded.
 * @param query The query parameters.
 * @returns The request's attributes.
 */
export function requestAttributes(
  method: string,
  encodedPath: string,
  query: Record<string, string>,
): RequestAttributes {
  const path = decodePath(encodedPath);
  const asPath: RequestAttributes = { kind: "path", verb: method.toLowerCase(), path };
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  let parts = trimmed === "" ? [] : trimmed.split("/");
  const [prefix] = parts;
  if (parts.length < 3 || (prefix !== "api" && prefix !== "apis")) return asPath;
  parts = parts.slice(1);
  let group = "";
  if (prefix === "apis") {
    if (parts.length < 3) return asPath;
    [group, ...parts] = parts;
  }
  parts = parts.slice(1); // The version.
  let verb = VERBS[method] ?? "";
  // The deprecated `/watch/` paths, and `/proxy/` ones, name their verb.
  const special = (parts[0] === "watch" || parts[0] === "proxy") && parts.length > 1;
  if (special) [verb, ...parts] = parts;
  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1] || undefined;
    if (parts.length > 2 && parts[2] !== "status" && parts[2] !== "finalize") parts = parts.slice(2);
  }
  const [resource = "", pathName = "", pathSubresource = ""] = parts;
  const subresource = verb === "proxy" ? "" : pathSubresource;
  let name = pathName;
  if (name === "" && verb === "get") {
    verb = queryBool(query.watch) === true ? "watch" : "list";
    name = nameSelected(query) ?? "";
  }
  if (name === "" && verb === "delete") verb = "deletecollection";
  return {
    kind: "resource",
    verb,
    group,
    resource,
    ...(subresource === "" ? {} : { subresource }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === "" ? {} : { name }),
  };
}

/**
 * The object a list or watch names by its field selector (`metadata.name=x`), as RBAC sees it: only when
 * every list option can be read, and the name could be a path segment.
 */
function nameSelected(query: Record<string, string>): string | undefined {
  let name: string | undefined;
  try {
    // Any field: kube-apiserver v1.36.3 names `services "echo"` for `spec.type=ClusterIP,metadata.name=echo`, and
    // for a field the resource is not selected by (measured).
    name = readListOptions(query, undefined).selector.name;
  } catch {
    return undefined;
  }
  if (name === undefined || name === "." || name === ".." || /[/%]/.test(name)) return undefined;
  return name;
}

/** The path decoded as Go's server decodes it (`%2F` too); one with a malformed escape stays as it is. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
