/**
 * Why a client under `internalTrafficPolicy: Local` gets no endpoint while other nodes have usable pods: what is
 * wrong on its node (no pod of the Service runs there, or each one there lacks the target's port, is in a slice that
 * gives it no number a client can dial, is not ready, or is terminating and no longer serving), that kube-proxy
 * drops the node's calls too, where the usable pods run, and what to change. Private to `client_selection.ts`.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import { firstNames } from "../base/_word_list.ts";
import { explainEndpoints, type PodExplanation } from "./endpoint_explanation.ts";
import { inPlural, lacksPortWords, undialablePortWords } from "./topology_reason.ts";

/** The client and Service a reason is for, and the usable pods (all on other nodes). */
export interface LocalPodContext {
  /** The client's node. */
  node: string;
  /** The Service's name. */
  service: string;
  /** The Service's namespace. */
  namespace: string;
  /** The nodes of the Service's usable pods (none is `node`), one entry per pod. */
  usable: readonly { readonly nodeName?: string | undefined }[];
}

/** The most nodes or pods a reason names: the rest are counted. */
const NAMED = 3;

/**
 * Why the client's node has no usable pod of a Service that has some on other nodes, under `internalTrafficPolicy:
 * Local`, reading every endpoint on the node (not only the usable ones).
 *
 * @param slices Every slice of the Service.
 * @param port The target's port: a number, or a name looked up in each slice.
 * @param context The client's node, the Service, and its usable pods.
 * @returns The reason, with what to check.
 *
 * @example A node whose pod lacks the target's port
 * ```ts
 * import { noLocalPodReason } from "./_local_pod_reason.ts";
 * const slice = (name: string, ports: { name: string; port: number }[], pod: string, nodeName: string) => ({
 *   metadata: { name }, addressType: "IPv4" as const, ports,
 *   endpoints: [{ addresses: [`10.0.0.${name.length}`], targetRef: { name: pod }, nodeName }],
 * });
 * const slices = [slice("a", [{ name: "admin", port: 9000 }], "f-a1", "n1"), slice("bb", [], "f-b1", "n2")];
 * const usable = [{ nodeName: "n1" }];
 * console.log(noLocalPodReason(slices, "admin", { node: "n2", service: "fb", namespace: "prod", usable }));
 * // no usable pod of Service fb on node n2 (internalTrafficPolicy: Local), where kube-proxy drops the calls too:
 * // its pod f-b1 has no port named "admin" (...)
 * ```
 */
export function noLocalPodReason(slices: Iterable<EndpointSlice>, port: number | string, context: LocalPodContext) {
  const { node, service, namespace, usable } = context;
  const nodes = [...new Set(usable.map((endpoint) => endpoint.nodeName ?? "(no node)"))].sort();
  const pods = usable.length === 1 ? "1 pod runs" : `${usable.length} pods run`;
  const elsewhere = `${pods} on other nodes (${firstNames(nodes, NAMED)})`;
  const podsHere = `kubectl get pods -n ${namespace} -o wide --field-selector spec.nodeName=${node}`;
  const stuck = podsOnNode(slices, port, node);
  if (stuck.length === 0) {
    return `no ready pod of Service ${service} on node ${node} (internalTrafficPolicy: Local), where kube-proxy ` +
      `drops the calls too; ${elsewhere}: check that a pod of it runs and is ready on this node (${podsHere}), or ` +
      "set the Service's internalTrafficPolicy to Cluster";
  }
  const groups = new Map<string, string[]>();
  for (const row of stuck) {
    const what = problemOf(row, port, { service, namespace, podsHere });
    groups.set(what, [...groups.get(what) ?? [], row.pod ?? row.addresses[0].host]);
  }
  const problems = [...groups].map(([what, names]) => {
    const one = names.length === 1;
    return `its ${one ? "pod" : "pods"} ${firstNames(names, NAMED)} ${one ? what : inPlural(what)}`;
  });
  return `no usable pod of Service ${service} on node ${node} (internalTrafficPolicy: Local), where kube-proxy ` +
    `drops the calls too: ${problems.join("; ")}; ${elsewhere}: fix the pods on this node, or set the Service's ` +
    "internalTrafficPolicy to Cluster";
}

/** The node's pods that get no calls, each once (a pod's copies across slices are one row). */
function podsOnNode(slices: Iterable<EndpointSlice>, port: number | string, node: string): PodExplanation[] {
  const onNode = [...slices].map((slice) => ({
    ...slice,
    endpoints: (slice.endpoints ?? []).filter((endpoint) => endpoint.nodeName === node),
  }));
  const { pods } = explainEndpoints(onNode, port, {}, { localNode: node });
  return pods.filter((row) => row.use === "unused" && row.reason !== "fqdn");
}

/** What is wrong with one pod of the node, and what to check, in the singular ("has", "is"). */
function problemOf(
  row: PodExplanation,
  port: number | string,
  { service, namespace, podsHere }: { service: string; namespace: string; podsHere: string },
): string {
  if (row.undialable) {
    return `is ${undialablePortWords(String(port))} (kubectl get endpointslices -n ${namespace} -l ` +
      `kubernetes.io/service-name=${service} -o yaml shows its ports)`;
  }
  if (row.reason === "no-port") {
    const lacks = lacksPortWords(String(port));
    return `${lacks} (give the pods the container port the Service's targetPort names, or change the targetPort: ` +
      `kubectl get service ${service} -n ${namespace} -o yaml)`;
  }
  if (row.terminating && !row.serving) {
    return `is terminating, no longer serving (calls resume once a new pod of it is ready on this node: ${podsHere})`;
  }
  if (row.reason === "not-ready") {
    return `is not ready (kubectl describe pod POD -n ${namespace} shows why, such as a failing readiness probe)`;
  }
  return `is ${row.message}`;
}
