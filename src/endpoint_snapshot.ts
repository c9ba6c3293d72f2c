/**
 * What subscribers and `watchEndpoints()` callers are handed: the usable
 * endpoints of a Service at one point, in one shape whoever builds it, and
 * whether two of them tell the same.
 *
 * @module
 */

import type { ResolvedEndpoint } from "./selection/resolved_endpoint.ts";
import { sameEndpoints } from "./selection/same_endpoints.ts";
import type { TopologyMode } from "./selection/topology.ts";

/**
 * The complete set of usable endpoints of a Service at one point. Snapshots
 * are shared between subscribers of the same Service: treat them as read-only.
 *
 * @example One line per snapshot
 * ```ts
 * import type { EndpointSnapshot } from "@kgr/resolver";
 * function describe(snapshot: EndpointSnapshot): string {
 *   const name = `${snapshot.service}.${snapshot.namespace}@${snapshot.resourceVersion}`;
 *   if (snapshot.endpoints.length === 0) return `${name}: no endpoints (${snapshot.emptyReason})`;
 *   return `${name}: ${snapshot.endpoints.length} endpoints, preferring ${snapshot.topology}`;
 * }
 * ```
 */
export interface EndpointSnapshot {
  /** Usable endpoints: ready ones, or serving-while-terminating ones when none is ready. */
  endpoints: ResolvedEndpoint[];
  /** The resourceVersion this set reflects. */
  resourceVersion: string;
  /** The Service's namespace (the default one when the target had none). */
  namespace: string;
  /**
   * Set when the target named no namespace: where `namespace` came from, e.g. `the target names no namespace, so it
   * comes from POD_NAMESPACE`.
   */
  namespaceNote?: string | undefined;
  /** The Service's name. */
  service: string;
  /**
   * Which endpoints are preferred: those hinted for the client's node, for its zone, or (`none`) every one.
   * See `ResolvedEndpoint.preferred`.
   */
  topology: TopologyMode;
  /**
   * Set when `endpoints` is empty: why, and what to check (no EndpointSlice: no such Service in the namespace;
   * only FQDN slices, which are not used; no port of the target's name; no pod; only pods terminating and no
   * longer serving; no ready pod).
   */
  emptyReason?: string | undefined;
  /**
   * Set when the target's port is a number that none of the slices has: the pods are dialed on it as given,
   * which reaches nothing when it is the Service's `port` rather than the pods' (`kubernetes:///echo.prod:80` for
   * port 80 → targetPort 50051); a number that the slices give a port name for some pods only (the others are
   * dialed on it too); or a port they give only as UDP or SCTP. gRPC calls that fail on every pod carry it as
   * their resolution note.
   */
  portNote?: string | undefined;
  /**
   * `Local` when the Service's `internalTrafficPolicy` is and the client's node is known: `endpoints` holds only
   * the pods on that node (ready ones, else those serving while terminating), as kube-proxy gives them, and is
   * empty when the node has none (`emptyReason` says so); no topology hint applies (`topology` is `none`).
   * Absent under `Cluster`, for a headless Service, while the Service cannot be read, and for a client whose node is
   * unknown (every pod is given then, with a warning).
   */
  internalTrafficPolicy?: "Local" | undefined;
}

/**
 * A snapshot of `endpoints` with the other fields of `fields`, in the shape every snapshot has: fields in one order,
 * the optional ones only when set. Code that reads snapshots then stays specialized to one shape: with a spread copy
 * (`{ ...snapshot }`), V8 threw out a consumer's optimized loop over `watchEndpoints()`' snapshots ("wrong map" on
 * `snapshot.endpoints`) early in 4 of 6 runs of the 5,000-endpoint bench client; with this one literal, in none.
 *
 * @param endpoints The usable endpoints, used as given (not copied).
 * @param fields Every other field of the snapshot; an optional one that is `undefined` is left out.
 * @returns A new snapshot.
 *
 * @example Copying a snapshot with a list of its own
 * ```ts
 * import { type EndpointSnapshot, snapshotOf } from "./endpoint_snapshot.ts";
 * const shared: EndpointSnapshot = { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" };
 * const copy = snapshotOf(shared.endpoints.slice(), shared);
 * console.log(copy.endpoints !== shared.endpoints);
 * ```
 */
export function snapshotOf(
  endpoints: ResolvedEndpoint[],
  fields: Omit<EndpointSnapshot, "endpoints">,
): EndpointSnapshot {
  const snapshot: EndpointSnapshot = {
    endpoints,
    resourceVersion: fields.resourceVersion,
    namespace: fields.namespace,
    service: fields.service,
    topology: fields.topology,
  };
  if (fields.namespaceNote !== undefined) snapshot.namespaceNote = fields.namespaceNote;
  if (fields.emptyReason !== undefined) snapshot.emptyReason = fields.emptyReason;
  if (fields.portNote !== undefined) snapshot.portNote = fields.portNote;
  if (fields.internalTrafficPolicy !== undefined) snapshot.internalTrafficPolicy = fields.internalTrafficPolicy;
  return snapshot;
}

/** What a snapshot tells its reader, but for its resourceVersion and Service. */
export type SnapshotContent = Pick<
  EndpointSnapshot,
  "endpoints" | "topology" | "emptyReason" | "portNote" | "internalTrafficPolicy"
>;

/**
 * Whether two snapshots tell the same (but for their resourceVersion): the same endpoints with the same fields, the
 * same topology, reason and port note.
 *
 * @param a A snapshot, or a selection with its fields.
 * @param b Another.
 * @returns True when a reader of `b` learns nothing new from it after `a`.
 *
 * @example A snapshot tells what its copy tells
 * ```ts
 * import { type EndpointSnapshot, sameSnapshot, snapshotOf } from "./endpoint_snapshot.ts";
 * const snapshot: EndpointSnapshot = { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" };
 * console.log(sameSnapshot(snapshot, snapshotOf([], { ...snapshot, resourceVersion: "9" }))); // true
 * ```
 */
export function sameSnapshot(a: SnapshotContent, b: SnapshotContent): boolean {
  return a.topology === b.topology && sameEndpoints(a.endpoints, b.endpoints) && a.emptyReason === b.emptyReason &&
    a.portNote === b.portNote && a.internalTrafficPolicy === b.internalTrafficPolicy;
}
