/**
 * Topology-aware routing the way kube-proxy decides it (`topologyModeFromHints`
 * in kubernetes `pkg/proxy/topology.go`): the EndpointSlice controller writes
 * `hints.forNodes`/`hints.forZones` for Services with `trafficDistribution`
 * (or `service.kubernetes.io/topology-mode: Auto`), and a client prefers the
 * endpoints hinted for its own node or zone, but only when every ready
 * endpoint carries such a hint and at least one names the client's node or
 * zone. Unlike kube-proxy, preference is not exclusion: the others stay in
 * the set, for failover. Under node preference (`PreferSameNode`, whose
 * endpoints the controller hints for their node and their zone), the
 * endpoints kube-proxy would pick in zone mode are marked `sameZone`: calls
 * fail over to them before the rest. A dual-stack pod takes the hints of its
 * IPv4 slice.
 *
 * @module
 */

/**
 * Where the client runs: its node and zone, when known.
 *
 * @example A zone given by hand, where no NODE_NAME or ZONE variable says it
 * ```ts
 * import type { Locality } from "@kgr/resolver";
 * const locality: Locality = { zone: "eu-west-1a" }; // pass as options.locality; {} turns topology off
 * ```
 */
export interface Locality {
  /** The zone (`topology.kubernetes.io/zone` of the client's node). */
  zone?: string | undefined;
  /** The node name (`spec.nodeName` of the client's pod). */
  node?: string | undefined;
}

/**
 * The EndpointSlice hints of one endpoint: the zones and nodes it is meant to serve.
 *
 * @example Whether an endpoint is meant for a zone
 * ```ts
 * import type { TopologyHints } from "@kgr/resolver";
 * function servesZone(hints: TopologyHints | undefined, zone: string): boolean {
 *   return hints?.forZones.includes(zone) ?? false;
 * }
 * // servesZone(endpoint.hints, "eu-west-1a") for an endpoint of a snapshot
 * ```
 */
export interface TopologyHints {
  /** `hints.forZones[].name`. */
  readonly forZones: readonly string[];
  /** `hints.forNodes[].name`. */
  readonly forNodes: readonly string[];
}

/**
 * Which preference applies: endpoints hinted for our node, for our zone, or
 * none (every usable endpoint is preferred).
 *
 * @example Saying which endpoints a snapshot prefers
 * ```ts
 * import type { TopologyMode } from "@kgr/resolver";
 * const PREFERRED: Record<TopologyMode, string> = {
 *   node: "the endpoints hinted for this node",
 *   zone: "the endpoints hinted for this zone",
 *   none: "every endpoint",
 * };
 * ```
 */
export type TopologyMode = "node" | "zone" | "none";

/** What the mode function needs of an endpoint. */
export interface HintedEndpoint {
  /** `conditions.ready`: only ready endpoints decide the mode. */
  ready: boolean;
  /** The endpoint's hints, when it has any. */
  hints?: TopologyHints;
}

/**
 * Decides the topology mode from the ready endpoints' hints, as kube-proxy
 * does: `node` when the node is known, every ready endpoint has a node hint
 * and one names our node; else `zone` when the zone is known, every ready
 * endpoint has a zone hint and one names our zone; else `none`. With no
 * ready endpoint the mode is `none` (the serving-terminating fallback has no
 * topology).
 *
 * @param endpoints The Service's endpoints.
 * @param locality The client's node and zone.
 * @returns The mode.
 *
 * @example A client in zone a
 * ```ts
 * import { topologyMode } from "./topology.ts";
 * const endpoints = [
 *   { ready: true, hints: { forZones: ["a"], forNodes: [] } },
 *   { ready: true, hints: { forZones: ["b"], forNodes: [] } },
 * ];
 * console.log(topologyMode(endpoints, { zone: "a" })); // "zone"
 * console.log(topologyMode(endpoints, { zone: "c" })); // "none"
 * ```
 */
export function topologyMode(endpoints: readonly HintedEndpoint[], locality: Locality): TopologyMode {
  const { node, zone } = hintCoverage(endpoints, locality);
  return node ? "node" : zone ? "zone" : "none";
}

/**
 * Which of kube-proxy's two modes the ready endpoints' hints allow: node (every ready endpoint has a node hint and
 * one names our node) and zone (the same with zone hints and our zone). Neither without a ready endpoint.
 */
function hintCoverage(endpoints: readonly HintedEndpoint[], locality: Locality): { node: boolean; zone: boolean } {
  // Without a node or a zone no hint can name ours: skip the scan of every endpoint.
  if (locality.node === undefined && locality.zone === undefined) return { node: false, zone: false };
  let anyReady = false;
  let allNodeHints = true;
  let forOurNode = false;
  let allZoneHints = true;
  let forOurZone = false;
  for (let i = 0; i < endpoints.length; i++) {
    const { ready, hints } = endpoints[i];
    if (!ready) continue;
    anyReady = true;
    if (!hints || hints.forNodes.length === 0) allNodeHints = false;
    else if (locality.node !== undefined && hints.forNodes.includes(locality.node)) forOurNode = true;
    if (!hints || hints.forZones.length === 0) allZoneHints = false;
    else if (locality.zone !== undefined && hints.forZones.includes(locality.zone)) forOurZone = true;
  }
  return { node: anyReady && allNodeHints && forOurNode, zone: anyReady && allZoneHints && forOurZone };
}

/**
 * Whether an endpoint is preferred under a mode: hinted for our node (node
 * mode) or our zone (zone mode); every endpoint under `none`.
 *
 * @param endpoint The endpoint's hints.
 * @param mode The mode from {@linkcode topologyMode}.
 * @param locality The client's node and zone.
 * @returns Whether calls should go to it while any preferred endpoint is up.
 *
 * @example
 * ```ts
 * import { isPreferred } from "./topology.ts";
 * console.log(isPreferred({ hints: { forZones: ["a"], forNodes: [] } }, "zone", { zone: "a" })); // true
 * ```
 */
export function isPreferred(endpoint: { hints?: TopologyHints }, mode: TopologyMode, locality: Locality): boolean {
  switch (mode) {
    case "none":
      return true;
    case "node":
      return locality.node !== undefined && endpoint.hints?.forNodes.includes(locality.node) === true;
    case "zone":
      return locality.zone !== undefined && endpoint.hints?.forZones.includes(locality.zone) === true;
  }
}

/**
 * Whether a pod seen again takes the hints of its `second` copy: when that copy has an IPv4 address and the
 * first has none. The EndpointSlice controller hints each address family's slices apart, and may hint one pod for
 * one zone in its IPv4 slice and another in its IPv6 one; gRPC dials the IPv4 address first, and kube-proxy's IPv4
 * rules follow the IPv4 slice's hints. Shared by selection and the CLI's explanation.
 *
 * @param first The addresses of the copy seen first (slice-name order).
 * @param second The addresses of the copy seen next.
 * @returns Whether the hints come from `second`.
 *
 * @example A pod's IPv6 slice sorts before its IPv4 one
 * ```ts
 * import { hintsOfIpv4Copy } from "./topology.ts";
 * console.log(hintsOfIpv4Copy([{ host: "fd00::1" }], [{ host: "10.0.0.1" }])); // true
 * ```
 */
export function hintsOfIpv4Copy(first: readonly { host: string }[], second: readonly { host: string }[]): boolean {
  return first.every((address) => address.host.includes(":")) && second.some((address) => !address.host.includes(":"));
}

/**
 * Reads `hints` of an EndpointSlice endpoint defensively: a malformed value
 * (not an object, names that are not strings) counts as no hints, so that a
 * broken or hostile server cannot break selection.
 *
 * @param value The endpoint's `hints` field as received.
 * @returns The hints, `undefined` when there are none, or `"malformed"`.
 *
 * @example
 * ```ts
 * import { readHints } from "./topology.ts";
 * console.log(readHints({ forZones: [{ name: "a" }] })); // { forZones: ["a"], forNodes: [] }
 * console.log(readHints({ forZones: "a" })); // "malformed"
 * ```
 */
export function readHints(value: unknown): TopologyHints | undefined | "malformed" {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) return "malformed";
  const { forZones, forNodes } = value as Record<string, unknown>;
  const zones = readNames(forZones);
  const nodes = readNames(forNodes);
  if (zones === undefined || nodes === undefined) return "malformed";
  if (zones.length === 0 && nodes.length === 0) return undefined;
  return { forZones: zones, forNodes: nodes };
}

function readNames(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const names: string[] = [];
  for (const entry of value) {
    const name = typeof entry === "object" && entry !== null ? (entry as { name?: unknown }).name : undefined;
    // "" is valid (an empty label value). A client whose zone is unknown does not match it, where kube-proxy on a
    // Node without a zone label does; the EndpointSlice controller never writes it.
    if (typeof name !== "string") return undefined;
    names.push(name);
  }
  return names;
}

/** The not-preferred twin of each shared endpoint object, so that repeated selections reuse it. */
const notPreferredTwins = new WeakMap<object, object>();
/** The not-preferred, same-zone twin of each shared endpoint object (see `ResolvedEndpoint.sameZone`). */
const sameZoneTwins = new WeakMap<object, object>();

/**
 * Marks which usable endpoints are preferred for a client at `locality`, and
 * says under which mode. Endpoints are returned as given (all preferred) when
 * the mode is `none`; otherwise the endpoints that are not preferred are
 * replaced by a copy with `preferred: false`, kept per endpoint object so that
 * an unchanged selection yields the same objects. Under `node`, when zone mode
 * would apply too (kube-proxy's choice for a client on another node of the
 * zone), the endpoints hinted for the client's zone among those copies also get
 * `sameZone: true`: calls fail over to them first.
 *
 * @param endpoints The usable endpoints (every one `preferred: true`).
 * @param locality The client's node and zone.
 * @returns The endpoints with `preferred` (and `sameZone`) set, and the mode.
 *
 * @example A client in zone a
 * ```ts
 * import { preferEndpoints } from "./topology.ts";
 * const { endpoints, mode } = preferEndpoints([
 *   { ready: true, preferred: true, hints: { forZones: ["a"], forNodes: [] } },
 *   { ready: true, preferred: true, hints: { forZones: ["b"], forNodes: [] } },
 * ], { zone: "a" });
 * console.log(mode, endpoints.map((endpoint) => endpoint.preferred)); // "zone" [true, false]
 * ```
 */
export function preferEndpoints<T extends HintedEndpoint & { preferred: boolean; sameZone?: boolean | undefined }>(
  endpoints: T[],
  locality: Locality,
): { endpoints: T[]; mode: TopologyMode } {
  const coverage = hintCoverage(endpoints, locality);
  const mode = coverage.node ? "node" : coverage.zone ? "zone" : "none";
  if (mode === "none") return { endpoints, mode };
  const zoneTier = mode === "node" && coverage.zone;
  const marked: T[] = [];
  for (let i = 0; i < endpoints.length; i++) {
    const endpoint = endpoints[i];
    if (isPreferred(endpoint, mode, locality)) {
      marked.push(endpoint);
      continue;
    }
    const sameZone = zoneTier && isPreferred(endpoint, "zone", locality);
    const twins = sameZone ? sameZoneTwins : notPreferredTwins;
    let twin = twins.get(endpoint) as T | undefined;
    if (twin === undefined) {
      twin = sameZone ? { ...endpoint, preferred: false, sameZone: true } : { ...endpoint, preferred: false };
      twins.set(endpoint, twin);
    }
    marked.push(twin);
  }
  return { endpoints: marked, mode };
}
