/**
 * What a subscriber is told of topology-aware routing: a trace line whenever the mode it gets, or the reason for
 * `none`, changes (in the words the CLI uses, see `selection/topology_reason.ts`), and a warning on standard error
 * where topology is off by what looks like a mistake: a zone set by hand that no hint names but one nearly does
 * (`ZONE=zone-A` beside hints for `zone-a`), or no locality at all for a Service whose pods are hinted for zones,
 * to a subscriber that routes calls (a watch that only shows endpoints, such as a dashboard, routes none). A zone
 * that no hint names and none nearly does is a client in a zone without pods: kube-proxy falls back without a word
 * there too, so it is only traced; so is a zone hinted only on ready pods that lack the target's port, whose reason
 * says so. A zone set by hand that nearly names such a zone is warned about with what its pods lack: naming it exactly
 * would not bring topology back.
 *
 * @module
 */

import type { Selection } from "./_watch_selections.ts";
import type { HintedEndpoint, Locality } from "./selection/topology.ts";
import { clientWhereabouts, hintedZones, noPortWords, zoneMeant } from "./selection/topology_reason.ts";
import { TOPOLOGY_OFF_ADVICE } from "./selection/locality.ts";
import { trace, warnOnce } from "./runtime/trace.ts";
import { wordList } from "./base/_word_list.ts";
import { refusedToRead } from "./runtime/files.ts";

/** Where a subscriber's locality came from (see `ClientLocality`). */
export interface LocalitySource {
  /** `ZONE`, `locality.zone`, or the label of the node; `undefined` while the zone is unknown. */
  zoneFrom: string | undefined;
  /** Whether `options.locality` was given (`{}` turns topology off on purpose). */
  explicit: boolean;
  /** Why the zone is unknown though the node is, when it is: its Node has no zone label, say. */
  zoneNote?: string | undefined;
}

/** What {@linkcode noteTopology} needs of a subscriber and what it is given. */
export interface TopologyNote {
  /** The port it selects. */
  port: number | string;
  /** What it is given. */
  selection: Pick<Selection, "topology" | "topologyReason" | "endpoints">;
  /** Its locality. */
  locality: Locality;
  /** Where its locality came from. */
  source: LocalitySource;
  /** What was traced last for it ({@linkcode noteTopology}'s last result), `undefined` at first. */
  traced: string | undefined;
  /** Whether it routes calls (a channel's resolver): only then is a missing locality warned about. */
  routesCalls: boolean;
  /**
   * The ready pods listed without its port, read only for a zone set by hand that no usable pod is hinted for: a zone
   * hinted on one of them is no typo, the trace's reason says what their pods lack.
   */
  podsWithoutPort: () => readonly HintedEndpoint[];
}

/**
 * Traces the topology a subscriber is given when it differs from the one traced last for it, and warns, once per
 * Service and zone (or Service, for a client without locality) in the process, when it is off by what looks like a
 * mistake (see the module's doc).
 *
 * @param name The Service, as messages name it (`service echo in namespace prod`).
 * @param note The subscriber's port, selection, locality, and what was traced last for it.
 * @returns What is traced now, to pass as `traced` next time.
 *
 * @example A client whose ZONE is mistyped
 * ```ts
 * import { noteTopology } from "./_topology_notes.ts";
 * const hints = { forZones: ["zone-a"], forNodes: [] };
 * const endpoints = [{ addresses: [{ host: "10.0.0.1", port: 80 }], ready: true, serving: true, terminating: false, hints, preferred: true }];
 * const selection = { topology: "none" as const, topologyReason: "no ready pod is hinted for zone zone-A, only for zone zone-a", endpoints };
 * const source = { zoneFrom: "ZONE", explicit: false };
 * const locality = { zone: "zone-A" };
 * const note = {
 *   port: "grpc", selection, locality, source, traced: undefined, routesCalls: true, podsWithoutPort: () => [],
 * };
 * noteTopology("service echo in namespace prod", note);
 * // @kgr/resolver: no pod of service echo in namespace prod is hinted for this client's zone zone-A (from ZONE), ...
 * ```
 */
export function noteTopology(name: string, note: TopologyNote): string {
  const { port, selection, locality, source, traced, routesCalls, podsWithoutPort } = note;
  const { topology, topologyReason } = selection;
  const now = topologyReason === undefined ? topology : `${topology} (${topologyReason})`;
  if (now === traced) return now;
  const where = clientWhereabouts(locality) ?? "client locality unknown";
  // A Service's single port may have no name: "port , client in ..." named nothing.
  const which = port === "" ? "the Service's port" : `port ${port}`;
  trace(`${name}, ${which}, ${where}: topology ${now}`);
  if (topologyReason !== undefined) {
    warnIfMistaken(name, selection.endpoints, locality, source, { port, routesCalls, podsWithoutPort });
  }
  return now;
}

/**
 * Warns when topology is off for what looks like a mistake: a zone set by hand nearly hinted, or no locality (for a
 * subscriber that routes calls).
 */
function warnIfMistaken(
  name: string,
  endpoints: readonly HintedEndpoint[],
  { zone, node }: Locality,
  { zoneFrom, explicit }: LocalitySource,
  { port, routesCalls, podsWithoutPort }: Pick<TopologyNote, "port" | "routesCalls" | "podsWithoutPort">,
): void {
  const hinted = hintedZones(endpoints);
  if (hinted.length === 0) return;
  const zones = `its pods are hinted for zone${hinted.length > 1 ? "s" : ""} ${wordList(hinted)}`;
  // A Deno process refused NODE_NAME or ZONE was warned about that already (see `selection/locality.ts`).
  if (zone === undefined && node === undefined && !explicit) {
    // A dashboard or a tool on a laptop routes no call: the trace says its topology is off.
    if (!routesCalls || ["NODE_NAME", "ZONE"].some(refusedToRead)) return;
    return warnOnce(
      [`no locality for ${name}`],
      `${name} prefers each client's own zone (${zones}), but this client's locality is unknown, so its calls go to ` +
        "every zone: set NODE_NAME from the Downward API (env: [{ name: NODE_NAME, valueFrom: { fieldRef: " +
        `{ fieldPath: spec.nodeName } } }]), or ZONE, or the locality option (${TOPOLOGY_OFF_ADVICE})`,
    );
  }
  if (zone === undefined || (zoneFrom !== "ZONE" && zoneFrom !== "locality.zone")) return;
  // As the CLI's reason: a zone hinted only on pods without the port is not mistaken, and may be the one meant.
  const meant = zoneMeant(zone, hintedZones([...endpoints, ...podsWithoutPort()]));
  if (meant === undefined) return;
  // Naming a zone whose hinted pods all lack the port would still send the calls to every zone. Only a port name
  // is missing from a slice (a number is dialed as given), so `port` is one here; the reasons' words for it.
  const [also, outcome] = hinted.includes(meant)
    ? ["", `Until ${zoneFrom} names a hinted zone exactly, its calls go to every zone`]
    : [
      ` (and ${meant}, on pods with ${noPortWords(String(port))})`,
      `Its calls go to every zone even when ${zoneFrom} names it, until those pods have the port`,
    ];
  warnOnce(
    [`zone ${zone} for ${name}`],
    `no pod of ${name} is hinted for this client's zone ${zone} (from ${zoneFrom}), but ${zones}${also}: did you ` +
      `mean ${meant}? ${outcome} (${TOPOLOGY_OFF_ADVICE})`,
  );
}
