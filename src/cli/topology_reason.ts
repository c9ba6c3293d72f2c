/**
 * Why topology-aware routing does not apply (mode `none`), in the words of
 * kube-proxy's rule (see `src/selection/topology.ts`): the client's locality is
 * unknown, no pod is ready, not every ready pod has a hint, or no hint names
 * the client's node or zone.
 *
 * @module
 */

import type { PodExplanation } from "../selection/endpoint_explanation.ts";
import type { ServiceView } from "./service_observer.ts";
import type { Locality } from "../selection/topology.ts";

/**
 * Why a view's topology is `none`.
 *
 * @param view The view; its `snapshot` and `pods` tell the mode and the hints.
 * @returns The reason, or `undefined` when topology applies, nothing is listed yet, or no pod is usable (the
 *   snapshot's empty reason says why).
 *
 * @example A Service whose slices carry no hints
 * ```ts
 * import { topologyReason } from "./topology_reason.ts";
 * const reason = topologyReason({
 *   namespace: "prod", service: "echo", locality: { zone: "a" }, watch: { state: "watching" },
 *   snapshot: { endpoints: [], resourceVersion: "7", namespace: "prod", service: "echo", topology: "none" },
 *   pods: [{ addresses: [{ host: "10.0.0.1", port: 80 }], ready: true, serving: true, terminating: false, use: "used", message: "used" }],
 * });
 * console.log(reason); // "no pod has a topology hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; its topology-mode Auto annotation only while it can balance the zones)"
 * ```
 */
export function topologyReason({ snapshot, pods, locality, zoneNote }: ServiceView): string | undefined {
  if (snapshot?.topology !== "none" || !pods) return undefined;
  if (snapshot.internalTrafficPolicy === "Local") {
    return "internalTrafficPolicy: Local: only this node's pods, no hints";
  }
  const { zone, node } = locality;
  if (zone === undefined && node === undefined) return "client locality unknown";
  // The pods the mode was decided on: the usable ones (a subset draws from them too), of which only ready ones count.
  const usable = pods.filter((pod) => pod.use !== "unused" || pod.reason === "outside-subset");
  // No usable pod: the snapshot's empty reason says why, topology has nothing to add.
  if (usable.length === 0) return undefined;
  const ready = usable.filter((pod) => pod.ready);
  if (ready.length === 0) return "no pod is ready; the serving-terminating fallback has no topology";
  if (ready.every((pod) => pod.hints === undefined)) {
    // The controller drops the hints of topology-mode Auto when a zone would get too few endpoints, or a Node
    // lacks a zone or CPU: the annotation alone does not mean hints.
    // Before 1.31 a Service has no trafficDistribution: v1.30 drops it without a word, v1.29 refuses it as unknown.
    return "no pod has a topology hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; " +
      "its topology-mode Auto annotation only while it can balance the zones)";
  }
  // Node hints are rare (PreferSameNode): their rule is named only when some pod has one.
  const nodeHints = ready.some((pod) => (pod.hints?.forNodes.length ?? 0) > 0);
  return [
    ...(node !== undefined && nodeHints ? [hintReason(ready, "node", node)] : []),
    zone === undefined ? `client zone unknown${zoneNote ? ` (${zoneNote})` : ""}` : hintReason(ready, "zone", zone),
  ].join("; ");
}

/** Why the ready pods' hints of one kind do not name ours: not every one has such a hint, or none names ours. */
function hintReason(ready: readonly PodExplanation[], kind: "node" | "zone", ours: string): string {
  const names = (pod: PodExplanation) => (kind === "node" ? pod.hints?.forNodes : pod.hints?.forZones) ?? [];
  const unhinted = ready.filter((pod) => names(pod).length === 0);
  if (unhinted.length > 0) {
    const have = unhinted.length === 1 ? "has" : "have";
    return `${unhinted.length} of ${ready.length} ready pods ${have} no ${kind} hint (${podNames(unhinted)})`;
  }
  // Ready, as only ready pods count (and the controller drops the hints of the others).
  return `no ready pod is hinted for ${kind} ${ours}`;
}

/** The most pods a reason names: the rest are counted. */
const NAMED_PODS = 3;

/** Which pods, by name (their address when the slice names none): the first few, then how many more. */
function podNames(pods: readonly PodExplanation[]): string {
  const names = pods.slice(0, NAMED_PODS).map((pod) => pod.pod ?? pod.addresses[0].host);
  return pods.length > NAMED_PODS ? `${names.join(", ")} and ${pods.length - NAMED_PODS} more` : names.join(", ");
}

/**
 * Where the client says it is, as the table and `check` print it after the topology.
 *
 * @param locality The client's zone and node.
 * @returns `client in zone a, on node n1`, `client on node n1`, or `undefined` when neither is known.
 *
 * @example
 * ```ts
 * import { clientWhereabouts } from "./topology_reason.ts";
 * console.log(clientWhereabouts({ zone: "a", node: "n1" })); // "client in zone a, on node n1"
 * ```
 */
export function clientWhereabouts({ zone, node }: Locality): string | undefined {
  const where = [zone !== undefined && `in zone ${zone}`, node !== undefined && `on node ${node}`].filter(Boolean);
  return where.length > 0 ? `client ${where.join(", ")}` : undefined;
}
