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
  /**
   * EndpointSlices, Services, Nodes, Events (`v1` or `events.k8s.io/v1`), ResourceQuotas or LimitRanges: a list, a
   * watch or one object.
   */
  | { readonly kind: "resource"; readonly request: ResourceRequest }
  /** A discovery document, the version or a health check. */
  | { readonly kind: "info" }
  /**
   * One Namespace, which kubectl reads after a 404 for an object in it, or a list or watch of all of them (`name`
   * undefined; see `_namespaces.ts`).
   */
  | { readonly kind: "namespace"; readonly verb: ResourceRequest["verb"]; readonly name: string | undefined }
  /**
   * A path the server does not serve (404: a Status inside the API, Go's plain text outside it), or a method
   * it does not allow there (405).
   */
  | { readonly kind: "unknown"; readonly known: boolean; readonly inApi: boolean };

/** Paths that anyone may GET, even without credentials (RBAC's `system:public-info-viewer`). */
const PUBLIC_INFO = new Set(["/healthz", "/livez", "/readyz", "/version"]);
/**
 * Documents that kube-apiserver writes from plain handlers, which answer any method (a HEAD or POST of `/healthz`
 * too); its go-restful routes (`/version`, `/api`, `/api/v1`, `/apis/<group>/<version>`) answer only GET.
 */
const ANY_METHOD = new Set([
  "/",
  "/apis",
  "/apis/discovery.k8s.io",
  "/apis/events.k8s.io",
  "/healthz",
  "/livez",
  "/readyz",
]);
const INFO = new Set([
  ...PUBLIC_INFO,
  "/",
  "/api",
  "/api/v1",
  "/apis",
  "/apis/discovery.k8s.io",
  "/apis/discovery.k8s.io/v1",
  "/apis/events.k8s.io",
  "/apis/events.k8s.io/v1",
]);
/** The API groups of kube-apiserver v1.36.3 (its `/apis`, measured): under them, a 404 is a Status. */
const GROUPS = new Set([
  "apiregistration.k8s.io",
  "apps",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "networking.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "resource.k8s.io",
  "flowcontrol.apiserver.k8s.io",
]);

/** Whether a path is inside the API: the core group's, or a group's of a real server. */
function inApi(path: string): boolean {
  const [, root, group] = path.split("/");
  return root === "api" || (root === "apis" && GROUPS.has(group));
}

/**
 * The path a request names, as the real server routes it: an encoded slash (`a%2F1`) separates segments as a
 * slash does (Go routes the decoded path), and inside the API and for `/version`, a trailing slash names the
 * same thing.
 *
 * @param encodedPath The URL path, still percent-encoded.
 * @returns The path with its encoded slashes decoded and without the slash that changes nothing.
 */
export function canonicalPath(encodedPath: string): string {
  const path = encodedPath.replace(/%2f/gi, "/");
  return path.endsWith("/") && path !== "/" && (path.startsWith("/api") || path === "/version/")
    ? path.slice(0, -1)
    : path;
}
const ALL_SLICES = "/apis/discovery.k8s.io/v1/endpointslices";
// An empty namespace (`namespaces//endpointslices`) is every namespace to a list or watch, as on the real server.
const NAMESPACED_SLICES = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]*)\/endpointslices(?:\/([^/]+))?$/;
const ALL_SERVICES = "/api/v1/services";
const SERVICES = /^\/api\/v1\/namespaces\/([^/]*)\/services(?:\/([^/]+))?$/;
const NODES = /^\/api\/v1\/nodes(?:\/([^/]+))?$/;
const ALL_EVENTS = "/api/v1/events";
const ALL_GROUP_EVENTS = "/apis/events.k8s.io/v1/events";
const GROUP_EVENTS = /^\/apis\/events\.k8s\.io\/v1\/namespaces\/([^/]*)\/events(?:\/([^/]+))?$/;
const NAMESPACE = /^\/api\/v1\/namespaces(?:\/([^/]+))?$/;
const EVENTS = /^\/api\/v1\/namespaces\/([^/]*)\/events(?:\/([^/]+))?$/;
const ALL_POLICIES = /^\/api\/v1\/(resourcequotas|limitranges)$/;
const POLICIES = /^\/api\/v1\/namespaces\/([^/]*)\/(resourcequotas|limitranges)(?:\/([^/]+))?$/;

/** The verb of a request on a collection or on one object: `watch` means nothing on an object's path, as on the real server. */
function verbOf(name: string | undefined, query: Record<string, string>): ResourceRequest["verb"] {
  return name !== undefined ? "get" : queryBool(query.watch) === true ? "watch" : "list";
}

/**
 * Reads what a request asks for.
 *
 * @param method The HTTP method.
 * @param path The canonical URL path (see {@linkcode canonicalPath}), otherwise still percent-encoded.
 * @param query The query parameters.
 * @returns The route.
 */
export function routeOf(method: string, path: string, query: Record<string, string>): Route {
  const slices = path === ALL_SLICES ? [] : NAMESPACED_SLICES.exec(path);
  const services = path === ALL_SERVICES ? [] : SERVICES.exec(path);
  const nodes = NODES.exec(path);
  const events = path === ALL_EVENTS ? [] : EVENTS.exec(path);
  const groupEvents = path === ALL_GROUP_EVENTS ? [] : GROUP_EVENTS.exec(path);
  const namespaceObject = NAMESPACE.exec(path);
  const allPolicies = ALL_POLICIES.exec(path);
  const policies = allPolicies !== null ? ["", "", allPolicies[1]] : POLICIES.exec(path);
  const known = INFO.has(path) || slices !== null || services !== null || nodes !== null || events !== null ||
    groupEvents !== null || namespaceObject !== null || policies !== null;
  if (!known || (method !== "GET" && !ANY_METHOD.has(path))) return { kind: "unknown", known, inApi: inApi(path) };
  if (INFO.has(path)) return { kind: "info" };
  try {
    if (namespaceObject !== null) {
      const name = namespaceObject[1] && decodeURIComponent(namespaceObject[1]);
      return { kind: "namespace", verb: verbOf(name, query), name };
    }
    if (policies !== null) {
      const [namespace, name] = [policies[1] || undefined, policies[3]].map((part) => part && decodeURIComponent(part));
      const resource = policies[2] as "resourcequotas" | "limitranges";
      return { kind: "resource", request: { verb: verbOf(name, query), resource, namespace, name } };
    }
    if (nodes !== null) {
      const name = nodes[1] === undefined ? undefined : decodeURIComponent(nodes[1]);
      return { kind: "resource", request: { verb: verbOf(name, query), resource: "nodes", name } };
    }
    // An empty namespace (`namespaces//services`) is every namespace to a list or watch, as for slices.
    const [resource, match] = services !== null
      ? ["services", services] as const
      : events !== null
      ? ["events", events] as const
      : groupEvents !== null
      ? ["events", groupEvents] as const
      : ["endpointslices", slices!] as const;
    const [namespace, name] = [match[1] || undefined, match[2]].map((part) => part && decodeURIComponent(part));
    const request = { verb: verbOf(name, query), resource, namespace, name };
    return {
      kind: "resource",
      request: groupEvents === null ? request : { ...request, group: "events.k8s.io" },
    };
  } catch {
    // A malformed percent-encoding names nothing we serve.
    return { kind: "unknown", known: false, inApi: inApi(path) };
  }
}

/**
 * Whether anyone may make this request, without credentials.
 *
 * @param method The HTTP method: RBAC's verb for a path outside the resources, and only `get` is public.
 * @param path The URL path.
 * @returns Whether the request is public.
 */
export function isPublicInfo(method: string, path: string): boolean {
  return method === "GET" && PUBLIC_INFO.has(path);
}

/**
 * The resources the resolver and the CLI's `check` read, whose reads are recorded by their verb. Events,
 * ResourceQuotas and LimitRanges are served for kubectl (`describe`, `get events`) alone: a `failNext(n, { path:
 * "list" })` meant for the resolver's LIST would otherwise go to `kubectl describe`'s list of Events.
 */
const CLIENT_RESOURCES: readonly ResourceRequest["resource"][] = ["endpointslices", "services", "nodes"];

/**
 * The `kind` a request is recorded and matched by `failNext()` as: the verb of a read of EndpointSlices, Services or
 * Nodes, `other` for anything else (Namespaces, Events, ResourceQuotas, LimitRanges, discovery, ...).
 *
 * @param route The request's route.
 * @returns The kind.
 */
export function recordedKind(route: Route): RecordedRequest["kind"] {
  return route.kind === "resource" && CLIENT_RESOURCES.includes(route.request.resource) ? route.request.verb : "other";
}
