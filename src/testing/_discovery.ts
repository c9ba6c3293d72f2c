/**
 * The documents a client reads before it lists anything: the path list, the
 * version, the legacy discovery documents (`/api`, `/apis` and below) and the
 * health checks, shaped like kube-apiserver v1.36's but listing only what the
 * fake serves. Private to the fake API server.
 *
 * @module
 */

/**
 * A document: JSON (indented for `/` and `/version`, which kube-apiserver writes with `json.MarshalIndent`),
 * or plain text (the `ok` of a health check, an error as Go writes it), which goes with `nosniff` unless it is
 * `false`.
 */
export type InfoDocument =
  | { readonly json: unknown; readonly indented?: boolean }
  | { readonly text: string; readonly nosniff?: boolean };

const SLICES_VERSION = { groupVersion: "discovery.k8s.io/v1", version: "v1" };
const SLICES_GROUP = { name: "discovery.k8s.io", versions: [SLICES_VERSION], preferredVersion: SLICES_VERSION };
const EVENTS_VERSION = { groupVersion: "events.k8s.io/v1", version: "v1" };
const EVENTS_GROUP = { name: "events.k8s.io", versions: [EVENTS_VERSION], preferredVersion: EVENTS_VERSION };
/** Events as both `v1` and `events.k8s.io/v1` list them (the same entry in each, as on kube-apiserver v1.36.3). */
const EVENTS_RESOURCE = {
  name: "events",
  singularName: "event",
  namespaced: true,
  kind: "Event",
  verbs: ["get", "list", "watch"],
  shortNames: ["ev"],
};

/** The Kubernetes version whose behaviour the fake follows. */
const VERSION = {
  major: "1",
  minor: "36",
  emulationMajor: "1",
  emulationMinor: "36",
  minCompatibilityMajor: "1",
  minCompatibilityMinor: "35",
  gitVersion: "v1.36.3",
  gitCommit: "",
  gitTreeState: "clean",
  buildDate: "1970-01-01T00:00:00Z",
  goVersion: "",
  compiler: "fake",
  platform: "js",
};

const PATHS = [
  "/api",
  "/api/v1",
  "/apis",
  "/apis/discovery.k8s.io",
  "/apis/discovery.k8s.io/v1",
  "/apis/events.k8s.io",
  "/apis/events.k8s.io/v1",
  "/healthz",
  "/livez",
  "/readyz",
  "/version",
];

/**
 * The document at `path`.
 *
 * @param path A path of the `info` route.
 * @param serverAddress The `host:port` clients reach the server at.
 * @returns The document.
 */
export function infoDocument(path: string, serverAddress: string): InfoDocument {
  switch (path) {
    case "/":
      return { json: { paths: PATHS }, indented: true };
    case "/version":
      return { json: VERSION, indented: true };
    case "/api":
      return {
        json: {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
        },
      };
    case "/api/v1":
      return {
        json: resourceList("v1", EVENTS_RESOURCE, {
          name: "limitranges",
          singularName: "limitrange",
          namespaced: true,
          kind: "LimitRange",
          verbs: ["get", "list", "watch"],
          shortNames: ["limits"],
        }, {
          name: "namespaces",
          singularName: "namespace",
          namespaced: false,
          kind: "Namespace",
          verbs: ["get", "list", "watch"],
          shortNames: ["ns"],
        }, {
          name: "nodes",
          singularName: "node",
          namespaced: false,
          kind: "Node",
          verbs: ["get", "list", "watch"],
          shortNames: ["no"],
        }, {
          name: "resourcequotas",
          singularName: "resourcequota",
          namespaced: true,
          kind: "ResourceQuota",
          verbs: ["get", "list", "watch"],
          shortNames: ["quota"],
        }, {
          name: "services",
          singularName: "service",
          namespaced: true,
          kind: "Service",
          verbs: ["get", "list", "watch"],
          shortNames: ["svc"],
          // `kubectl get all` lists the resources of this category: here Services alone.
          categories: ["all"],
        }),
      };
    case "/apis":
      // In the real server's order: events.k8s.io comes before discovery.k8s.io (measured on v1.36.3).
      return { json: { kind: "APIGroupList", apiVersion: "v1", groups: [EVENTS_GROUP, SLICES_GROUP] } };
    case "/apis/discovery.k8s.io":
      return { json: { kind: "APIGroup", apiVersion: "v1", ...SLICES_GROUP } };
    case "/apis/events.k8s.io":
      return { json: { kind: "APIGroup", apiVersion: "v1", ...EVENTS_GROUP } };
    case "/apis/events.k8s.io/v1":
      return {
        json: resourceList("events.k8s.io/v1", EVENTS_RESOURCE),
      };
    case "/apis/discovery.k8s.io/v1":
      return {
        json: resourceList("discovery.k8s.io/v1", {
          name: "endpointslices",
          singularName: "endpointslice",
          namespaced: true,
          kind: "EndpointSlice",
          verbs: ["get", "list", "watch"],
        }),
      };
    default:
      return { text: "ok" };
  }
}

/**
 * An APIResourceList as kube-apiserver v1.36.3 writes it: with `apiVersion` under `/apis`, without it for the
 * legacy core group (`/api/v1`, measured).
 */
function resourceList(groupVersion: string, ...resources: Record<string, unknown>[]) {
  const typeMeta = groupVersion === "v1" ? { kind: "APIResourceList" } : { kind: "APIResourceList", apiVersion: "v1" };
  return { ...typeMeta, groupVersion, resources };
}
