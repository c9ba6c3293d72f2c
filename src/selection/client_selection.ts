/**
 * What a client of a Service is given for its port and its locality: the usable endpoints, the preferred ones
 * marked, and the notes that explain an empty set or a port number the pods may not listen on. One function,
 * used by the shared subscription (what channels and `watchEndpoints()` get) and by the CLI's observer, so that
 * the CLI shows what channels get.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import {
  createSelectionMemo,
  selectEndpoints,
  type SelectionMemo,
  selectLocalEndpoints,
} from "./endpoint_selection.ts";
import { noEndpointsReason } from "./no_endpoints_reason.ts";
import type { TrafficPolicyState } from "./traffic_policy.ts";
import type { ResolvedEndpoint } from "./resolved_endpoint.ts";
import { createPortNoteMemo, memoizedPortNote, type PortNoteMemo } from "./_port_note_memo.ts";
import { type Locality, preferEndpoints, type TopologyMode } from "./topology.ts";
import { noTopologyReason, type PodsWithoutPort } from "./topology_reason.ts";
import { noLocalPodReason } from "./_local_pod_reason.ts";
import { slicePortNumber } from "./_slice_entries.ts";
import { explainEndpoints, readyWithoutPort } from "./endpoint_explanation.ts";

/** Options of {@linkcode selectForClient}. */
export interface ClientSelectionOptions {
  /** The client's node and zone, for topology-aware routing (`{}`: none known). */
  locality: Locality;
  /** Why the client's zone is unknown though its node is, when known (its Node has no zone label, say). */
  zoneNote?: string | undefined;
  /** Kept between calls for the same Service and port: makes the next selection cheaper. */
  memo: ClientSelectionMemo;
  /** The Service's name, for `emptyReason`. */
  service: string;
  /** The Service's namespace, for `emptyReason`. */
  namespace: string;
  /**
   * `Local` when the Service's `internalTrafficPolicy` is (see `traffic_policy.ts`): a client whose node is known
   * gets only that node's pods, as kube-proxy gives them, and none when it has none.
   */
  internalTrafficPolicy?: "Local" | undefined;
  /**
   * What a GET of the Service found (see `traffic_policy.ts`): what is missing, the Service or its namespace (without
   * slices, `emptyReason` then says which does not exist), or what its spec says (`emptyReason` names its selector,
   * type or ports where the slices leave the cause open).
   */
  read?: Pick<TrafficPolicyState, "missing" | "shape"> | undefined;
}

/** State kept between {@linkcode selectForClient} calls for one Service and port (see {@linkcode createClientSelectionMemo}). */
export interface ClientSelectionMemo {
  /** The endpoint selection's own memo. */
  endpoints: SelectionMemo;
  /** The last port note, read again only when a slice's ports change. */
  portNote: PortNoteMemo;
}

/**
 * Creates the state that makes repeated {@linkcode selectForClient} calls for one Service and port cheaper.
 *
 * @returns An empty memo.
 *
 * @example
 * ```ts
 * import { createClientSelectionMemo } from "./client_selection.ts";
 * const memo = createClientSelectionMemo();
 * console.log(memo.portNote.slices.length); // 0
 * ```
 */
export function createClientSelectionMemo(): ClientSelectionMemo {
  return { endpoints: createSelectionMemo(), portNote: createPortNoteMemo() };
}

/** What {@linkcode selectForClient} gives a client: the fields of its snapshot that come from the slices. */
export interface ClientSelection {
  /** The usable endpoints, each `preferred` or not for the client's locality. */
  endpoints: ResolvedEndpoint[];
  /** Which endpoints are preferred: those hinted for the client's node, for its zone, or (`none`) every one. */
  topology: TopologyMode;
  /**
   * Why `topology` is `none` (see `topology_reason.ts`): the client's locality is unknown, no pod has a hint, none
   * is hinted for its zone...; `undefined` when topology applies, under `internalTrafficPolicy: Local`, or when no
   * pod is usable.
   */
  topologyReason: string | undefined;
  /** Why `endpoints` is empty, and what to check; `undefined` when it is not. */
  emptyReason: string | undefined;
  /** Set when the port may not reach the pods: a number none of the slices has, say (see `EndpointSnapshot.portNote`). */
  portNote: string | undefined;
  /** `Local` when only the pods on the client's node were selected (the Service's `internalTrafficPolicy`). */
  internalTrafficPolicy: "Local" | undefined;
}

/**
 * Selects a Service's endpoints for a client: the usable ones for `port`, the preferred ones marked for its
 * locality, why the set is empty when it is, and a note when the port is a number none of the slices has.
 *
 * @param slices The Service's slices by name, as the watch holds them.
 * @param port The port: a number as given, or a name looked up in each slice.
 * @param options The client's locality, the memo for this port, and the Service's name and namespace.
 * @returns The endpoints, their topology, and the notes.
 *
 * @example A Service without slices
 * ```ts
 * import { createClientSelectionMemo, selectForClient } from "./client_selection.ts";
 * const memo = createClientSelectionMemo();
 * const { emptyReason } = selectForClient(new Map(), "grpc", { locality: {}, memo, service: "echo", namespace: "prod" });
 * console.log(emptyReason); // it has no EndpointSlice: check that the Service exists in namespace prod (...)
 * ```
 */
export function selectForClient(
  slices: ReadonlyMap<string, EndpointSlice>,
  port: number | string,
  options: ClientSelectionOptions,
): ClientSelection {
  const { locality, memo, service, namespace } = options;
  const known = { missing: options.read?.missing, shape: options.read?.shape };
  const usable = selectEndpoints(slices.values(), port, { memo: memo.endpoints });
  const portNote = memoizedPortNote(port, slices.values(), memo.portNote);
  const { node } = locality;
  if (options.internalTrafficPolicy === "Local" && node !== undefined) {
    // kube-proxy ignores topology hints under Local: every pod of the node is as good as another.
    const endpoints = selectLocalEndpoints(memo.endpoints, node);
    const emptyReason = endpoints.length > 0
      ? undefined
      : usable.length > 0
      ? noLocalPodReason(slices.values(), port, { node, service, namespace, usable })
      : `${noEndpointsReason(slices.values(), port, service, namespace, known)} (internalTrafficPolicy: Local: only ` +
        `pods on node ${node} are used)`;
    const topologyReason = undefined;
    return { endpoints, topology: "none", topologyReason, emptyReason, portNote, internalTrafficPolicy: "Local" };
  }
  const { endpoints, mode: topology } = preferEndpoints(usable, locality);
  const emptyReason = endpoints.length > 0
    ? undefined
    : noEndpointsReason(slices.values(), port, service, namespace, known);
  const topologyReason = topology === "none"
    ? noTopologyReason(usable, locality, {
      zoneNote: options.zoneNote,
      service: { name: service, namespace },
      withoutPort: () => readyPodsWithoutPort(slices.values(), port),
    })
    : undefined;
  return { endpoints, topology, topologyReason, emptyReason, portNote, internalTrafficPolicy: undefined };
}

/**
 * The target's port name and the ready pods listed in slices without it, for the reason why topology is `none`, when
 * it comes to that (see `NoTopologyReasonOptions.withoutPort`): only the slices without a port a client can dial are
 * explained (FQDN ones are never used); also the pods whose zone hints make a zone set by hand no typo.
 *
 * @param slices The Service's slices.
 * @param port The target's port: a name (a number is every pod's).
 * @returns The port's name and those pods, or `undefined` for a port number or when every slice has the port.
 */
export function readyPodsWithoutPort(
  slices: Iterable<EndpointSlice>,
  port: number | string,
): PodsWithoutPort | undefined {
  if (typeof port === "number") return undefined;
  const lacking = [...slices].filter((slice) =>
    slice.addressType !== "FQDN" && slicePortNumber(slice, port) === undefined
  );
  return lacking.length === 0 ? undefined : { port, pods: readyWithoutPort(explainEndpoints(lacking, port, {}).pods) };
}
