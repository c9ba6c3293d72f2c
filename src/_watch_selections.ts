/**
 * The selections of one shared watch: what a port selects at a client locality, computed once per version of the
 * watch from the one before (whose memo makes it cheaper) and shared by the subscribers that use that port there.
 *
 * The watch, its subscribers and what each was sent stay with `endpoint_subscription.ts`; this module only computes,
 * keeps and forgets selections.
 *
 * @module
 */

import type { EndpointCount } from "./metrics.ts";
import { sameSnapshot } from "./endpoint_snapshot.ts";
import { portKey, selectionKey } from "./_selection_key.ts";
import { type ClientSelectionMemo, createClientSelectionMemo, selectForClient } from "./selection/client_selection.ts";
import type { ResolvedEndpoint } from "./selection/resolved_endpoint.ts";
import type { Locality, TopologyMode } from "./selection/topology.ts";
import type { TrafficPolicyReader } from "./selection/traffic_policy.ts";
import type { SliceState } from "./watch/reflector.ts";

/** What a port selects at a client locality, at one version of the watch. */
export interface Selection {
  /** The watch version it was computed for. */
  version: number;
  /** The usable endpoints, preferred ones marked. */
  endpoints: ResolvedEndpoint[];
  /** How topology applied. */
  topology: TopologyMode;
  /** Why `topology` is `none`, when it is for a reason (see `ClientSelection.topologyReason`). */
  topologyReason: string | undefined;
  /** Changes only when the usable set or a field of its endpoints changes (a state that selects the same keeps it). */
  generation: number;
  /** Makes the next selection for this port cheaper. */
  memo: ClientSelectionMemo;
  /** Whether a subscriber was given it: its metrics are recorded then, once (a held empty set is never recorded). */
  sent: boolean;
  /** Why `endpoints` is empty, when it is. */
  emptyReason?: string;
  /** See `EndpointSnapshot.portNote` (`endpoint_snapshot.ts`). */
  portNote?: string;
  /** See `EndpointSnapshot.internalTrafficPolicy`. */
  internalTrafficPolicy?: "Local";
  /** What the Service's read found when it was computed (its `emptyReason` says what is missing, or names its spec). */
  read: ReturnType<TrafficPolicyReader["current"]>;
  /** Why the client's zone was unknown when it was computed, for `topologyReason` (see `ClientLocality.zoneNote`). */
  zoneNote: string | undefined;
}

/** The parts of a shared watch that its selections are computed from and kept in. */
export interface SelectionSource {
  /** The Service's namespace. */
  namespace: string;
  /** The Service's name. */
  service: string;
  /** The watch's latest state: there is one before any selection is computed. */
  state?: SliceState;
  /** Counts the states: a selection is computed once per version. */
  version: number;
  /** The selections, by {@linkcode selectionKey}. */
  selections: Map<string, Selection>;
  /** The Service's `internalTrafficPolicy`: nothing goes to a client on a known node before its first read ends. */
  trafficPolicy: TrafficPolicyReader;
}

/** Source of selection generations, unique in the process. */
let generations = 0;

/**
 * The selection for a port at a locality at the watch's current version: computed once per version, from
 * the last one, and shared by the subscribers that use that port there (a name that the port lookup chose
 * shares it with subscribers that named it). `zoneNote` says why the zone of a known node is unknown (the
 * subscribers at one locality share its Node's read).
 */
export function selectionFor(
  watch: SelectionSource,
  port: number | string,
  locality: Locality,
  zoneNote?: string,
): Selection {
  const key = selectionKey(port, locality);
  const last = watch.selections.get(key);
  const policy = watch.trafficPolicy.policyFor(locality.node);
  const read = watch.trafficPolicy.current();
  if (
    last?.version === watch.version && last.internalTrafficPolicy === policy && last.read === read &&
    last.zoneNote === zoneNote
  ) return last;
  const memo = last?.memo ?? createClientSelectionMemo();
  const { service, namespace } = watch;
  const options = { locality, zoneNote, memo, service, namespace, internalTrafficPolicy: policy, read };
  const chosen = selectForClient(watch.state!.slices, port, options);
  const { endpoints, topology, topologyReason, emptyReason, portNote, internalTrafficPolicy } = chosen;
  // A new reason for an empty set is news too: the Service appeared, but without the target's port, say.
  const same = last !== undefined && sameSnapshot(last, chosen);
  const generation = same ? last!.generation : ++generations;
  const sent = same && last!.sent;
  const { version } = watch;
  const selection: Selection = { version, endpoints, topology, topologyReason, generation, memo, sent, read, zoneNote };
  if (emptyReason !== undefined) selection.emptyReason = emptyReason;
  if (portNote !== undefined) selection.portNote = portNote;
  if (internalTrafficPolicy !== undefined) selection.internalTrafficPolicy = internalTrafficPolicy;
  watch.selections.set(key, selection);
  return selection;
}

/** Forgets the selections (and their memos) that none of `subscribers` was last given, after one left or moved. */
export function pruneSelections(
  selections: Map<string, Selection>,
  subscribers: Iterable<{ locality: Locality; delivered?: { port: number | string } }>,
): void {
  const used = new Set<string>();
  for (const { delivered, locality } of subscribers) {
    if (delivered) used.add(selectionKey(delivered.port, locality));
  }
  for (const key of selections.keys()) if (!used.has(key)) selections.delete(key);
}

/**
 * Marks the selections of `port` as never sent, once its endpoints gauge is at 0: they are kept for their memo, and
 * recorded again when a subscriber comes back to them (a port renamed back, pods again after a scale to 0), though
 * they select what they did.
 */
export function markUnsent(selections: Map<string, Selection>, port: number | string): void {
  const prefix = portKey(port);
  for (const [key, selection] of selections) if (key.startsWith(prefix)) selection.sent = false;
}

/** How many endpoints a selection holds, and how many of them are preferred when topology applies. */
export function endpointCount({ endpoints, topology }: Selection): EndpointCount {
  const preferred = topology === "none" ? undefined : endpoints.filter((endpoint) => endpoint.preferred).length;
  return { total: endpoints.length, preferred };
}
