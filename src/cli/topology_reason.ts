/**
 * Why topology-aware routing does not apply (mode `none`) to a view: the words
 * of `src/selection/topology_reason.ts`, which the resolver's trace uses too,
 * and `internalTrafficPolicy: Local`; and the zone a client likely meant.
 *
 * @module
 */

import type { ServiceView } from "./service_observer.ts";
import { hintedZones, noTopologyReason, zoneMeant } from "../selection/topology_reason.ts";
import { readyWithoutPort } from "../selection/endpoint_explanation.ts";

/**
 * Why a view's topology is `none`, with the hinted zone that the client's zone was likely meant to be, as the
 * resolver's warning names it (`no ready pod is hinted for zone zone-A, only for zone zone-a; did you mean zone-a?`).
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
 * console.log(reason); // "no pod has a topology hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; its topology-mode Auto annotation only while it can balance the zones: kubectl get events -n prod --field-selector involvedObject.name=echo shows why)"
 * ```
 */
export function topologyReason(
  { snapshot, pods, locality, zoneNote, port, service, namespace }: ServiceView,
): string | undefined {
  if (snapshot?.topology !== "none" || !pods) return undefined;
  if (snapshot.internalTrafficPolicy === "Local") {
    return "internalTrafficPolicy: Local: only this node's pods, no hints";
  }
  // The pods the mode was decided on: the usable ones (a subset draws from them too).
  const usable = pods.filter((pod) => pod.use !== "unused" || pod.reason === "outside-subset")
    .map(({ ready, hints, pod, addresses, zone, nodeName }) => ({
      ready,
      hints,
      podName: pod,
      addresses,
      zone,
      nodeName,
    }));
  // The ready pods listed without the target's port (their rows say why they are not used).
  const lacking = readyWithoutPort(pods);
  const withoutPort = typeof port === "string" ? () => ({ port, pods: lacking }) : undefined;
  const reason = noTopologyReason(usable, locality, { zoneNote, withoutPort, service: { name: service, namespace } });
  // A zone hinted only on such pods is not mistaken: the reason says what they lack.
  const hinted = hintedZones([...usable, ...lacking]);
  const meant = locality.zone === undefined ? undefined : zoneMeant(locality.zone, hinted);
  return meant === undefined ? reason : `${reason}; did you mean ${meant}?`;
}
