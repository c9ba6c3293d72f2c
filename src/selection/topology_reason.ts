/**
 * Why topology-aware routing does not apply (mode `none`) to a client, in the words of kube-proxy's rule (see
 * `topology.ts`): its locality is unknown, no pod (with the target's port) is ready, not every ready pod has a hint,
 * or no hint names its node or zone (or only a ready pod's that lacks the target's port), the zones hinted named then
 * (the first three, then how many more); and which hinted zone a client's zone that no hint names was likely meant to
 * be. One text for the CLI's table and reports and for the resolver's trace.
 *
 * @module
 */

import { nearestName } from "../base/_nearest_name.ts";
import { firstNames, wordList } from "../base/_word_list.ts";
import type { HintedEndpoint, Locality } from "./topology.ts";

/** What the reason needs of a usable pod: its readiness and hints, and its name (its address when it has none). */
export interface TopologyCandidate extends HintedEndpoint {
  /** The pod's name, when the slice names it. */
  readonly podName?: string | undefined;
  /** Its addresses: the first names a pod without a name. */
  readonly addresses: readonly { readonly host: string }[];
  /** Its zone, when its slice gives one: the controller gives none to a pod on a Node without a zone label. */
  readonly zone?: string | undefined;
  /** Its node, when its slice names it. */
  readonly nodeName?: string | undefined;
}

/** A ready pod listed in a slice without the target's port, as {@linkcode noTopologyReason} names it. */
export interface PodWithoutPort extends TopologyCandidate {
  /** Its slice names the port, but gives it no number a client can dial (1-65535). */
  readonly undialable?: boolean | undefined;
}

/** Options of {@linkcode noTopologyReason}: what the caller knows beyond the usable pods. */
export interface NoTopologyReasonOptions {
  /** Why the client's zone is unknown, when the caller knows (the CLI: its Node has no zone label). */
  zoneNote?: string | undefined;
  /**
   * The Service, when the caller knows it: a reason that no pod has a hint then names the command that shows the
   * EndpointSlice controller's `TopologyAwareHintsDisabled` events, which say why topology-mode Auto set none.
   */
  service?: { readonly name: string; readonly namespace: string } | undefined;
  /**
   * The target's port name and the ready pods listed without it (kubectl shows them ready): the serving-terminating
   * fallback is then for want of a ready pod with that port, and a zone or node hinted only on such pods gets none
   * for want of the port, and the reason says so. Called only where the reason comes to those cases, once at most:
   * finding the pods reads slices, which an update whose reason is another must not pay for.
   */
  withoutPort?: (() => PodsWithoutPort | undefined) | undefined;
}

/** The target's port name and the ready pods listed without it, for {@linkcode NoTopologyReasonOptions.withoutPort}. */
export interface PodsWithoutPort {
  /** The target's port name. */
  readonly port: string;
  /** The ready pods listed in slices without it. */
  readonly pods: readonly PodWithoutPort[];
}

/**
 * Why topology applies to none of a Service's usable pods for a client, when the mode they give is `none`.
 *
 * @param usable The pods the mode was decided on: the usable ones (a subset draws from them too).
 * @param locality The client's node and zone.
 * @param options Why the client's zone is unknown, and the port that ready pods lack, when the caller knows.
 * @returns The reason, or `undefined` when no pod is usable (the empty set's reason says why).
 *
 * @example A client in a zone that no hint names
 * ```ts
 * import { noTopologyReason } from "./topology_reason.ts";
 * const usable = [{ ready: true, hints: { forZones: ["zone-a"], forNodes: [] }, addresses: [{ host: "10.0.0.1" }] }];
 * console.log(noTopologyReason(usable, { zone: "zone-A" })); // "no ready pod is hinted for zone zone-A, only for zone zone-a"
 * ```
 */
export function noTopologyReason(
  usable: readonly TopologyCandidate[],
  locality: Locality,
  options: NoTopologyReasonOptions = {},
): string | undefined {
  const { zone, node } = locality;
  const { zoneNote, withoutPort, service } = options;
  let found: PodsWithoutPort | undefined | null = null;
  const lacking = () => {
    if (found === null) {
      const given = withoutPort?.();
      found = given !== undefined && given.pods.length > 0 ? given : undefined;
    }
    return found;
  };
  if (zone === undefined && node === undefined) return "client locality unknown";
  // No usable pod: the snapshot's empty reason says why, topology has nothing to add.
  if (usable.length === 0) return undefined;
  const ready = usable.filter((pod) => pod.ready);
  if (ready.length === 0) {
    const without = lacking();
    const pod = without === undefined ? "pod" : `pod with ${portWords(without.port)}`;
    return `no ${pod} is ready; the serving-terminating fallback has no topology`;
  }
  if (ready.every((pod) => pod.hints === undefined)) {
    // The controller drops the hints of topology-mode Auto when a zone would get too few endpoints, or a Node
    // lacks a zone or CPU: the annotation alone does not mean hints.
    // Before 1.31 a Service has no trafficDistribution: v1.30 drops it without a word, v1.29 refuses it as unknown.
    const why = service === undefined
      ? ""
      : `: kubectl get events -n ${service.namespace} --field-selector involvedObject.name=${service.name} shows why`;
    return "no pod has a topology hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; " +
      `its topology-mode Auto annotation only while it can balance the zones${why})`;
  }
  // Node hints are rare (PreferSameNode): their rule is named only when some pod has one.
  const nodeHints = ready.some((pod) => (pod.hints?.forNodes.length ?? 0) > 0);
  return [
    ...(node !== undefined && nodeHints ? [hintReason(ready, "node", node, lacking)] : []),
    zone === undefined
      ? `client zone unknown${zoneNote ? ` (${zoneNote})` : ""}`
      : hintReason(ready, "zone", zone, lacking),
  ].join("; ");
}

/**
 * The zones that a Service's ready pods are hinted for, sorted.
 *
 * @param endpoints The Service's pods.
 * @returns The zones their hints name; none when no ready pod has a zone hint.
 *
 * @example
 * ```ts
 * import { hintedZones } from "./topology_reason.ts";
 * const hints = (zone: string) => ({ forZones: [zone], forNodes: [] });
 * console.log(hintedZones([{ ready: true, hints: hints("b") }, { ready: true, hints: hints("a") }])); // ["a", "b"]
 * ```
 */
export function hintedZones(endpoints: readonly HintedEndpoint[]): string[] {
  const zones = new Set<string>();
  for (const { ready, hints } of endpoints) {
    if (!ready || !hints) continue;
    for (const zone of hints.forZones) zones.add(zone);
  }
  return [...zones].sort();
}

/**
 * The hinted zone that a client's zone, which no hint names, was likely meant to be: the same but for case, or the
 * one that `nearestName()` finds, unless the two differ only in their last character (`eu-west-1d` beside
 * `eu-west-1a` is a sibling zone without pods, where kube-proxy falls back without a word, not a typo).
 *
 * @param zone The client's zone.
 * @param hinted The zones the Service's hints name (see {@linkcode hintedZones}).
 * @returns The zone meant, or `undefined` when `zone` is hinted, or none is a near miss.
 *
 * @example
 * ```ts
 * import { zoneMeant } from "./topology_reason.ts";
 * console.log(zoneMeant("zone-A", ["zone-a", "zone-b"])); // "zone-a"
 * console.log(zoneMeant("zone-c", ["zone-a"])); // undefined: a zone without pods
 * ```
 */
export function zoneMeant(zone: string, hinted: readonly string[]): string | undefined {
  if (hinted.includes(zone)) return undefined;
  const meant = nearestName(zone, hinted);
  if (meant === undefined || meant.toLowerCase() === zone.toLowerCase()) return meant;
  const sibling = meant.length === zone.length && meant.slice(0, -1) === zone.slice(0, -1);
  return sibling ? undefined : meant;
}

/**
 * Where the client says it is, as the CLI prints it after the topology and the resolver's trace names it.
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

/**
 * Why the ready pods' hints of one kind do not name ours: not every one has such a hint, none names ours, or only
 * ready pods listed without the target's port (`lacking`) are hinted for ours.
 */
function hintReason(
  ready: readonly TopologyCandidate[],
  kind: "node" | "zone",
  ours: string,
  lacking: () => PodsWithoutPort | undefined,
): string {
  const names = (pod: TopologyCandidate) => (kind === "node" ? pod.hints?.forNodes : pod.hints?.forZones) ?? [];
  const unhinted = ready.filter((pod) => names(pod).length === 0);
  if (unhinted.length > 0) {
    const have = unhinted.length === 1 ? "has" : "have";
    const cause = kind === "zone" ? unlabelledNodes(unhinted) : "";
    return `${unhinted.length} of ${ready.length} ready pods ${have} no ${kind} hint (${podNames(unhinted)}${cause})`;
  }
  const without = lacking();
  const ourPods = without?.pods.filter((pod) => names(pod).includes(ours)) ?? [];
  if (without !== undefined && ourPods.length > 0) return withoutPortReason(ourPods, `${kind} ${ours}`, without.port);
  // Ready, as only ready pods count (and the controller drops the hints of the others).
  const reason = `no ready pod is hinted for ${kind} ${ours}`;
  if (kind === "node") return reason;
  // The zones there are, for a client in a zone without pods or one named differently (`a` for `zone-a`).
  const zones = hintedZones(ready);
  // Zones that only pods without the target's port are hinted for, which a "did you mean" may suggest: named apart.
  const elsewhere = hintedZones(without?.pods ?? []).filter((zone) => !zones.includes(zone));
  const lackingPort = elsewhere.length === 0
    ? ""
    : ` (${zonesNamed(elsewhere)} only on pods without the target's port)`;
  return `${reason}, only for ${zonesNamed(zones)}${lackingPort}`;
}

/**
 * Why pods lack a zone hint, when their slice tells: it gives them no zone, as the controller does for a pod on a Node
 * without a zone label (and then hints no pod of the Service). Empty when no pod is known to be on such a Node.
 */
function unlabelledNodes(unhinted: readonly TopologyCandidate[]): string {
  const zoneless = unhinted.filter((pod) => pod.zone === undefined && pod.nodeName !== undefined);
  if (zoneless.length === 0) return "";
  const nodes = [...new Set(zoneless.map((pod) => pod.nodeName!))];
  const named = firstNames(nodes, NAMED_PODS);
  const which = nodes.length === 1
    ? `node ${named}, which has no zone label: label the Node`
    : `nodes ${named}, which have no zone label: label the Nodes`;
  // Only some of the pods without a hint are on such a Node: they are named apart.
  return zoneless.length === unhinted.length ? `, on ${which}` : `; ${podNames(zoneless)} on ${which}`;
}

/** What is wrong with the ready pods hinted for the client's node or zone (`hintedFor`): they lack the target's port. */
function withoutPortReason(pods: readonly PodWithoutPort[], hintedFor: string, port: string): string {
  const said = (group: readonly PodWithoutPort[], what: string) =>
    group.length === 0 ? [] : [
      `the ready ${group.length === 1 ? "pod" : "pods"} hinted for ${hintedFor} (${podNames(group)}) ` +
      (group.length === 1 ? what : inPlural(what)),
    ];
  return [
    ...said(pods.filter((pod) => !pod.undialable), lacksPortWords(port)),
    ...said(pods.filter((pod) => pod.undialable), `is ${undialablePortWords(port)}`),
  ].join("; ");
}

/** The most pods (or zones) a reason names: the rest are counted. */
const NAMED_PODS = 3;

/** Names as a sentence lists them, `a, b and c`: the first few, then how many more (`a, b, c and 2 more`). */
function fewNames(names: readonly string[]): string {
  return names.length <= NAMED_PODS ? wordList(names) : firstNames(names, NAMED_PODS);
}

/** Zones as a reason names them: `zone a`, `zones a and b`, `zones a, b, c and 2 more`. */
function zonesNamed(zones: readonly string[]): string {
  return `zone${zones.length === 1 ? "" : "s"} ${fewNames(zones)}`;
}

/** Which pods, by name (their address when the slice names none): the first few, then how many more. */
function podNames(pods: readonly TopologyCandidate[]): string {
  return firstNames(pods.map((pod) => pod.podName ?? pod.addresses[0].host), NAMED_PODS);
}

/**
 * A port as a reason names it: `a port named "admin"`, or the Service's port for `""` (its single unnamed one).
 *
 * @param port The target's port name.
 * @returns The words.
 *
 * @example
 * ```ts
 * import { portWords } from "./topology_reason.ts";
 * console.log(portWords("admin")); // 'a port named "admin"'
 * ```
 */
export function portWords(port: string): string {
  return port === "" ? "the Service's port" : `a port named "${port}"`;
}

/**
 * What a pod listed without the target's port lacks, in the singular: one text for the reasons that name it.
 *
 * @param port The target's port name (`""` for a Service's single unnamed port).
 * @returns `has no port named "admin"`, or `has no port for the Service's port`.
 *
 * @example
 * ```ts
 * import { lacksPortWords } from "./topology_reason.ts";
 * console.log(lacksPortWords("admin")); // 'has no port named "admin"'
 * ```
 */
export function lacksPortWords(port: string): string {
  return `has ${noPortWords(port)}`;
}

/**
 * What an EndpointSlice listing a pod without the target's port lacks: one text for the pod's row and the reasons.
 *
 * @param port The target's port name (`""` for a Service's single unnamed port).
 * @returns `no port named "admin"`, or `no port for the Service's port`.
 *
 * @example
 * ```ts
 * import { noPortWords } from "./topology_reason.ts";
 * console.log(noPortWords("")); // "no port for the Service's port"
 * ```
 */
export function noPortWords(port: string): string {
  return port === "" ? "no port for the Service's port" : `no port named "${port}"`;
}

/**
 * Why a pod is not used whose slice names the target's port without a number a client can dial: one text for its
 * row and for the reasons that name it.
 *
 * @param port The target's port name.
 * @returns The words, after `not used: ` on a row, or `is ` in a reason.
 *
 * @example
 * ```ts
 * import { undialablePortWords } from "./topology_reason.ts";
 * console.log(undialablePortWords("grpc"));
 * // 'in an EndpointSlice that gives port "grpc" no number a client can dial (1-65535)'
 * ```
 */
export function undialablePortWords(port: string): string {
  const given = port === "" ? "the Service's port" : `port "${port}"`;
  return `in an EndpointSlice that gives ${given} no number a client can dial (1-65535)`;
}

/**
 * Words said of one pod, said of several: a leading `has` or `is` becomes `have` or `are`.
 *
 * @param what The words, in the singular.
 * @returns The same in the plural.
 *
 * @example
 * ```ts
 * import { inPlural } from "./topology_reason.ts";
 * console.log(inPlural("is not ready")); // "are not ready"
 * ```
 */
export function inPlural(what: string): string {
  return what.replace(/^has /, "have ").replace(/^is /, "are ");
}
