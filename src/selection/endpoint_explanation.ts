/**
 * Why each pod of a Service is or is not used: one row per pod of the
 * EndpointSlices, by the rules of `selectEndpoints()` (ready pods, else the
 * serving-while-terminating fallback; one endpoint per pod across slices;
 * a host:port used once) and `preferEndpoints()` (topology hints). Written
 * for clarity, not speed: the CLI calls it once per change, and the tests
 * check that its used rows are exactly the selection.
 *
 * A pod that topology does not prefer stays usable: calls go to it when no
 * preferred pod is up. Its row says `failover`, not `unused`. Pods outside a
 * client's subset are `unused`, with the reason `outside-subset`.
 *
 * @module
 */

import type { EndpointSlice, SliceEndpoint } from "../base/endpoint_slice.ts";
import {
  hintsOfIpv4Copy,
  isPreferred,
  type Locality,
  readHints,
  type TopologyHints,
  type TopologyMode,
  topologyMode,
} from "./topology.ts";
import { createSubsetter } from "./subset.ts";
import { noPortWords, type PodWithoutPort, portWords, undialablePortWords } from "./topology_reason.ts";
import { podKey, slicePortNumber } from "./_slice_entries.ts";

/** Whether calls go to a pod: always, only when no preferred pod is up, or never. */
export type PodUse = "used" | "failover" | "unused";

/** Why a usable pod gets calls only when no preferred pod is up: topology prefers another node or zone. */
export type FailoverReason = "other-node" | "other-zone";

/**
 * Why a pod gets no calls: not ready (while others are, or not even serving);
 * serving but terminating while others are ready; no port of the target's
 * name in its slice; only in an FQDN slice; every address already another
 * pod's (for a terminating pod, also one that a pod not terminating has: its
 * IP was reused), or, for an endpoint without a pod, another slice's copy of it is the one used; outside the
 * client's subset (`subsetSize`); on another node than the client's, under `internalTrafficPolicy: Local`.
 */
export type UnusedReason =
  | "not-ready"
  | "terminating"
  | "no-port"
  | "fqdn"
  | "duplicate"
  | "outside-subset"
  | "other-node-local";

/** Options of {@linkcode explainEndpoints}. */
export interface ExplainOptions {
  /** The client's subsetting (`subsetSize` and `subsetSeed`), when it subsets. */
  subset?: { size: number; seed: number } | undefined;
  /**
   * The client's node when the Service's `internalTrafficPolicy` is `Local` and applies (see `traffic_policy.ts`):
   * only that node's pods are used, ready ones, else serving-terminating ones, without topology.
   */
  localNode?: string | undefined;
}

/** One address of a pod; `port` is absent when its slice has no port of the target's name (or is FQDN). */
export interface PodAddress {
  /** IP address (or a name, in an FQDN slice). */
  host: string;
  /** The port calls would use. */
  port?: number;
}

/** One pod of the Service and whether calls go to it. */
export interface PodExplanation {
  /** The pod's name (`targetRef.name`), when the slice names it. */
  pod?: string;
  /** Its addresses: for a used pod exactly those gRPC gets, IPv4 before IPv6. */
  addresses: PodAddress[];
  /** Its zone, when known. */
  zone?: string;
  /** Its node, when known. */
  nodeName?: string;
  /** `conditions.ready` (unset means true). */
  ready: boolean;
  /** `conditions.serving` (unset means true). */
  serving: boolean;
  /** `conditions.terminating` (unset means false). */
  terminating: boolean;
  /** Its topology hints, when it has any. */
  hints?: TopologyHints;
  /** Whether calls go to it. */
  use: PodUse;
  /** Why it is `failover` or `unused`. */
  reason?: FailoverReason | UnusedReason;
  /** A `no-port` pod whose slice names the target's port without a number a client can dial (1-65535). */
  undialable?: true;
  /**
   * A `failover` pod in the client's zone under node preference: calls fail over to these first (see
   * `ResolvedEndpoint.sameZone`).
   */
  sameZone?: true;
  /** The same in words, e.g. `terminating while others are ready`. */
  message: string;
}

/** Every pod of a Service, and the topology mode that decided `used` against `failover`. */
export interface EndpointExplanation {
  /** One row per pod, sorted as `selectEndpoints()` sorts (by `podKey()`). */
  pods: PodExplanation[];
  /** The topology mode, as `preferEndpoints()` decides it. */
  topology: TopologyMode;
}

/** A pod's entries merged so far, and the key `selectEndpoints()` sorts by. */
interface Group {
  key: string;
  row: PodExplanation;
  /** `no-port` and `fqdn` groups never merge with usable ones. */
  kind: "usable" | "no-port" | "fqdn";
  /** A `no-port` group's slice has no port at all (a headless Service without any, or pods without the targetPort). */
  portless?: boolean;
  /** A `no-port` group's slice has a port of the target's name, without a number a client can dial (1-65535). */
  undialable?: boolean;
}

/**
 * Explains every pod of a Service for one target port and client locality.
 *
 * @param slices Every slice of the Service.
 * @param port The target's port: a number, or a name looked up in each slice.
 * @param locality The client's node and zone (`{}` when unknown).
 * @param options The client's subsetting, and its node under `internalTrafficPolicy: Local`.
 * @returns One row per pod, and the topology mode.
 *
 * @example A ready pod and a terminating one
 * ```ts
 * import { explainEndpoints } from "./endpoint_explanation.ts";
 * const { pods } = explainEndpoints([{
 *   metadata: { name: "echo-abc" },
 *   addressType: "IPv4",
 *   ports: [{ name: "grpc", port: 50051 }],
 *   endpoints: [
 *     { addresses: ["10.1.0.7"], targetRef: { name: "echo-0" } },
 *     { addresses: ["10.1.0.8"], targetRef: { name: "echo-1" }, conditions: { ready: false, terminating: true } },
 *   ],
 * }], "grpc", {});
 * console.log(pods.map((pod) => `${pod.pod}: ${pod.message}`));
 * // ["echo-0: used", "echo-1: not used: terminating while others are ready"]
 * ```
 */
export function explainEndpoints(
  slices: Iterable<EndpointSlice>,
  port: number | string,
  locality: Locality,
  options: ExplainOptions = {},
): EndpointExplanation {
  const { subset, localNode } = options;
  // Under Local, only the client's node's pods count, for the fallback too; elsewhere every pod.
  const eligible = (row: PodExplanation) => localNode === undefined || row.nodeName === localNode;
  const groups = new Map<string, Group>();
  const ordered = [...slices].sort((a, b) => compare(a.metadata.name ?? "", b.metadata.name ?? ""));
  for (const slice of ordered) {
    const number = slice.addressType === "FQDN" ? undefined : slicePortNumber(slice, port);
    const kind = slice.addressType === "FQDN" ? "fqdn" : number === undefined ? "no-port" : "usable";
    for (const endpoint of slice.endpoints ?? []) {
      if (!endpoint.addresses?.length) continue;
      const key = podKey(slice, endpoint);
      const row = rowOf(endpoint, number);
      const known = groups.get(key);
      const portless = kind === "no-port" && (slice.ports ?? []).length === 0;
      const undialable = kind === "no-port" && (slice.ports ?? []).some(({ name }) => (name ?? "") === port);
      if (known === undefined || rank(kind) < rank(known.kind)) {
        groups.set(key, { key, row, kind, portless, undialable });
      } else if (known.kind === kind) known.row = combine(known.row, row);
    }
  }
  const sorted = [...groups.values()].sort((a, b) => compare(a.key, b.key));
  const usable = sorted.filter((group) => group.kind === "usable");
  // An address that a pod not terminating has is its own: a terminating pod showing it too lost its IP to it.
  const holders = new Map<string, string>();
  for (const { row } of usable) {
    if (row.terminating) continue;
    for (const address of row.addresses) {
      if (!holders.has(idOf(address))) holders.set(idOf(address), nameOf(row, address));
    }
  }
  // A ready pod counts when it keeps an address: one that lost all of them to such holders is no fallback's reason.
  const anyReady = usable.some(({ row }) =>
    eligible(row) && row.ready && (!row.terminating || row.addresses.some((address) => !holders.has(idOf(address))))
  );
  const others = localNode === undefined ? "others" : "others on this node";
  const owners = new Map<string, string>();
  const wanted: PodExplanation[] = [];
  for (const { kind, row, portless, undialable } of sorted) {
    if (kind !== "usable") {
      const why = kind === "fqdn"
        ? "in an FQDN EndpointSlice"
        : portless
        ? "in an EndpointSlice with no port"
        : undialable
        ? undialablePortWords(String(port))
        : `in an EndpointSlice with ${noPortWords(String(port))}`;
      unused(row, kind, why);
      if (undialable) row.undialable = true;
    } else if (!eligible(row)) {
      const where = row.nodeName === undefined ? "on no node" : `on node ${row.nodeName}`;
      unused(row, "other-node-local", `${where}, not this client's (internalTrafficPolicy: Local)`);
    } else if (anyReady ? !row.ready : !(row.serving && row.terminating)) {
      if (anyReady && row.serving && row.terminating) {
        unused(row, "terminating", `terminating while ${others} are ready`);
      } else if (row.terminating && !row.serving) unused(row, "not-ready", "terminating, no longer serving");
      else unused(row, "not-ready", "not ready");
    } else {
      const first = idOf(row.addresses[0]);
      const holder = row.terminating ? holders.get(first) : undefined;
      const owner = owners.get(first);
      const kept: PodAddress[] = [];
      for (const address of row.addresses) {
        if (owners.has(idOf(address)) || (row.terminating && holders.has(idOf(address)))) continue;
        owners.set(idOf(address), nameOf(row, address));
        kept.push(address);
      }
      if (kept.length === 0) {
        const why = holder === undefined
          ? `with every address already ${owner}'s`
          : `with an address reused by ${holder}, which is not terminating`;
        unused(row, "duplicate", why);
        continue;
      }
      row.addresses = kept;
      wanted.push(row);
    }
  }
  const topology = localNode === undefined ? topologyMode(wanted, locality) : "none";
  // Why the fallback, where it applies: a ready pod listed without the target's port makes it for want of a ready
  // pod with it, which says so.
  const where = localNode === undefined ? "" : " on this node";
  const portLacked = !anyReady && typeof port === "string" &&
    readyWithoutPort(sorted.map(({ row }) => row).filter(eligible)).length > 0;
  const noReady = anyReady ? undefined : `no pod${where}${portLacked ? ` with ${portWords(port)}` : ""} is ready`;
  // Under node preference, the pods kube-proxy would pick in zone mode are the first failover (`sameZone`).
  const zoneTier = topology === "node" && topologyMode(wanted, { zone: locality.zone }) === "zone";
  const candidates = wanted.map((row) => {
    const preferred = isPreferred(row, topology, locality);
    const sameZone = zoneTier && !preferred && isPreferred(row, "zone", locality);
    return { row, podName: row.pod, preferred, sameZone, addresses: row.addresses as { host: string; port: number }[] };
  });
  const kept = new Set(subset ? createSubsetter(subset.size, subset.seed).select(candidates) : candidates);
  for (const candidate of candidates) {
    const { row, preferred, sameZone } = candidate;
    if (!kept.has(candidate)) unused(row, "outside-subset", `outside this client's subset of ${subset!.size}`);
    else if (preferred) used(row, topology, noReady, localNode !== undefined);
    else failover(row, topology, sameZone ? locality.zone : undefined);
  }
  markCopies(sorted.map((group) => group.row), wanted);
  return { pods: sorted.map((group) => group.row), topology };
}

/**
 * The ready pods that a Service lists without the target's port (in a slice with no port of its name, or none a
 * client can dial): kubectl shows them ready, so a reason for the fallback or for an unused zone names them. One
 * test for the rows, the CLI and the client's selection.
 *
 * @param pods The rows of {@linkcode explainEndpoints}.
 * @returns Those that are ready and `no-port`, as the reasons name them.
 *
 * @example A ready pod in a slice without the admin port
 * ```ts
 * import { explainEndpoints, readyWithoutPort } from "./endpoint_explanation.ts";
 * const { pods } = explainEndpoints([{
 *   metadata: { name: "echo-abc" }, addressType: "IPv4", ports: [{ name: "grpc", port: 50051 }],
 *   endpoints: [{ addresses: ["10.1.0.7"], targetRef: { name: "echo-0" } }],
 * }], "admin", {});
 * console.log(readyWithoutPort(pods).map((pod) => pod.podName)); // ["echo-0"]
 * ```
 */
export function readyWithoutPort(pods: readonly PodExplanation[]): PodWithoutPort[] {
  return pods.filter((row) => row.reason === "no-port" && row.ready)
    .map(({ ready, hints, pod, addresses, undialable }) => ({ ready, hints, podName: pod, addresses, undialable }));
}

/**
 * Marks as duplicates the unused rows without a pod whose every address is a pod-less wanted row's: the same
 * address listed by another slice (hand-made slices, two managers'), used once from the copy that selection took,
 * whatever this copy's conditions or port (as a pod's copies are one row). A copy in a slice without the target's
 * port is matched by its host.
 */
function markCopies(rows: PodExplanation[], wanted: PodExplanation[]): void {
  const holders = new Map<string, PodExplanation>();
  for (const row of wanted) {
    if (row.pod !== undefined) continue;
    for (const address of row.addresses) {
      holders.set(idOf(address), row);
      if (!holders.has(address.host)) holders.set(address.host, row);
    }
  }
  for (const row of rows) {
    if (row.pod !== undefined || row.use !== "unused" || row.reason === "fqdn" || row.reason === "outside-subset") {
      continue;
    }
    const holder = holders.get(row.addresses[0].port === undefined ? row.addresses[0].host : idOf(row.addresses[0]));
    const copied = row.addresses.every((address) =>
      holders.get(address.port === undefined ? address.host : idOf(address)) === holder
    );
    if (holder === undefined || !copied) continue;
    const why = holder.use === "used"
      ? "used from another slice"
      : holder.use === "failover"
      ? "on failover from another slice"
      : "in another slice, outside this client's subset";
    unused(row, "duplicate", `duplicate of an address ${why}`);
  }
}

function rank(kind: Group["kind"]): number {
  return kind === "usable" ? 0 : kind === "no-port" ? 1 : 2;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rowOf(endpoint: SliceEndpoint, port: number | undefined): PodExplanation {
  const conditions = endpoint.conditions;
  const hints = readHints(endpoint.hints);
  const row: PodExplanation = {
    addresses: endpoint.addresses.map((host) => port === undefined ? { host } : { host, port }),
    ready: conditions?.ready !== false,
    serving: conditions?.serving !== false,
    terminating: conditions?.terminating === true,
    use: "unused",
    message: "",
  };
  if (endpoint.targetRef?.name) row.pod = endpoint.targetRef.name;
  if (endpoint.zone) row.zone = endpoint.zone;
  if (endpoint.nodeName) row.nodeName = endpoint.nodeName;
  if (hints !== undefined && hints !== "malformed") row.hints = hints;
  return row;
}

/**
 * The same pod seen again: the first one's pod, zone and node; the hints of the first copy with an IPv4 address, as
 * selection takes them; conditions combined; each address once, IPv4 before IPv6.
 */
function combine(first: PodExplanation, second: PodExplanation): PodExplanation {
  const addresses = [...first.addresses];
  for (const address of second.addresses) {
    if (addresses.some((known) => idOf(known) === idOf(address))) continue;
    if (address.host.includes(":")) addresses.push(address);
    else addresses.splice(addresses.filter((known) => !known.host.includes(":")).length, 0, address);
  }
  const combined: PodExplanation = {
    ...first,
    addresses,
    ready: first.ready && second.ready,
    serving: first.serving && second.serving,
    terminating: first.terminating || second.terminating,
  };
  if (hintsOfIpv4Copy(first.addresses, second.addresses)) {
    if (second.hints) combined.hints = second.hints;
    else delete combined.hints;
  }
  return combined;
}

/** How a message names the pod of a row: by name, or by the address when the slice names no pod. */
function nameOf(row: PodExplanation, address: PodAddress): string {
  return row.pod ?? `the endpoint at ${address.host}`;
}

function idOf(address: PodAddress): string {
  return `${address.host}|${address.port}`;
}

function unused(row: PodExplanation, reason: UnusedReason, why: string): void {
  Object.assign(row, { use: "unused", reason, message: `not used: ${why}` });
}

/**
 * A pod that gets calls; hinted for the client's node or zone, said so: the controller may hint a pod of another zone
 * for the client's (whose pods are down), and 'hinted for this zone' on its row read as its own. The header names the
 * client's zone, which would make the row's reason as long again (a narrow USED column wraps it). `noReady`, when the
 * pods used are the serving-terminating fallback: why (`no pod is ready`).
 */
function used(row: PodExplanation, topology: TopologyMode, noReady: string | undefined, local: boolean): void {
  row.use = "used";
  if (topology === "node") row.message = "used: hinted for the client's node";
  else if (topology === "zone") row.message = "used: hinted for the client's zone";
  else if (noReady === undefined) row.message = local ? "used: on this node (internalTrafficPolicy: Local)" : "used";
  else {
    row.message = `used: serving while terminating, as ${noReady}${local ? " (internalTrafficPolicy: Local)" : ""}`;
  }
}

/** A pod that gets calls only on failover; `sameZone`, the client's zone when it is among the first to get them. */
function failover(row: PodExplanation, topology: TopologyMode, sameZone: string | undefined): void {
  const node = topology === "node";
  // An empty name (valid for a zone) is quoted, so that it shows.
  const names = (node ? row.hints?.forNodes : row.hints?.forZones)?.map((name) => name === "" ? '""' : name);
  const hinted = names?.join(", ") ?? "none";
  row.use = "failover";
  row.reason = node ? "other-node" : "other-zone";
  if (sameZone !== undefined) row.sameZone = true;
  const first = sameZone === undefined ? "" : ` (first: the client's zone ${sameZone})`;
  row.message = `failover${first}: hinted for ${node ? "node" : "zone"} ${hinted}`;
}
