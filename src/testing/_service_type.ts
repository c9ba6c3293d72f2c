/**
 * What a fake Service's type decides, as kube-apiserver v1.36.3 stores and
 * refuses it (measured): the type itself, an ExternalName Service's DNS name,
 * the node ports of a NodePort or LoadBalancer Service (given, kept from the
 * replaced Service's port of the same name, or allocated from
 * `_service_ranges.ts`), its external traffic policy, health check port and
 * `allocateLoadBalancerNodePorts`. A change of type drops the replaced
 * Service's fields the new type forbids when they are given back unchanged, as
 * a real update does. Private to the fake API server.
 *
 * @module
 */

import { describeValue } from "../base/_util.ts";
import { allocateNodePort, FIRST_NODE_PORT, type Held, LAST_NODE_PORT, nodePortProblem } from "./_service_ranges.ts";
import type { Refusals, Refuse } from "./_refusals.ts";
import type { Service, ServiceInput, ServicePort } from "./types.ts";
import { jsonValue, quotedValue } from "./_go_quote.ts";

/** A Service's type. */
export type ServiceType = Service["spec"]["type"];

/** The fields of a Service's spec that its type decides, in kube-apiserver's order, absent when it has none. */
export type TypeFields = Pick<
  Service["spec"],
  "externalName" | "externalTrafficPolicy" | "healthCheckNodePort" | "allocateLoadBalancerNodePorts"
>;

const TYPES: readonly ServiceType[] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const NODE_PORTS_HINT = `(the fake API server's node ports are ${FIRST_NODE_PORT}-${LAST_NODE_PORT}: give a free ` +
  "one, or leave nodePort out to have one allocated)";
/** The reason, after kube-apiserver's words, that no node port is left. */
const FULL_HINT =
  `(every node port of ${FIRST_NODE_PORT}-${LAST_NODE_PORT} is held: delete a NodePort or LoadBalancer ` +
  "Service, or make this one a ClusterIP Service)";
/** A lower-case RFC 1123 subdomain, as kube-apiserver checks an ExternalName (after a trailing dot is cut). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The type of a Service: `ClusterIP` unless given; refuses another value in kube-apiserver's words.
 *
 * @param spec The given spec, read as given.
 * @param refuse Throws the refusal.
 * @returns The type.
 */
export function serviceTypeOf(spec: ServiceInput["spec"], refuse: Refuse): ServiceType {
  const type: unknown = spec.type ?? "ClusterIP";
  if (!TYPES.includes(type as ServiceType)) {
    const supported = TYPES.map((name) => JSON.stringify(name)).join(", ");
    refuse(`spec.type: Unsupported value: ${jsonValue(type)}: supported values: ${supported}`);
  }
  return type as ServiceType;
}

/**
 * Whether a Service of `type` may have node ports: a NodePort or a LoadBalancer one.
 *
 * @param type The type.
 * @returns Whether its ports have node ports.
 */
export function hasNodePorts(type: ServiceType): boolean {
  return type === "NodePort" || type === "LoadBalancer";
}

/**
 * The fields of a Service's spec its type decides, node ports aside: the DNS name (required for ExternalName, kept
 * as given on the other types, as kube-apiserver keeps it), the external traffic policy (`Cluster` unless given, for
 * NodePort and LoadBalancer only) and `allocateLoadBalancerNodePorts` (`true` unless given, LoadBalancer only).
 *
 * @param spec The given spec, read as given.
 * @param context The type and the Service replaced.
 * @param refusals Keeps each field's refusal: every field is checked.
 * @returns The fields.
 */
export function typeFieldsOf(
  spec: ServiceInput["spec"],
  context: { type: ServiceType; existing: Service | undefined },
  refusals: Refusals,
): Omit<TypeFields, "healthCheckNodePort"> {
  const { type, existing } = context;
  const old = existing?.spec;
  // Given back unchanged across a change of type, a field the new type forbids is dropped (measured).
  const changed = old !== undefined && old.type !== type;
  const name = refusals.attempt((refuse: Refuse) => {
    const name: unknown = spec.externalName ?? "";
    if (typeof name !== "string") {
      refuse(`spec.externalName must be a DNS name such as "db.example.com": current value is ${describeValue(name)}`);
    }
    if (type === "ExternalName" && name === "") {
      refuse('spec.externalName: Required value (an ExternalName Service names a DNS name, such as "db.example.com")');
    }
    const bare = name.endsWith(".") ? name.slice(0, -1) : name;
    if (type === "ExternalName" && (bare.length > 253 || !SUBDOMAIN.test(bare))) {
      refuse(
        `spec.externalName: Invalid value: ${quotedValue(name)}: a lowercase RFC 1123 subdomain must consist of ` +
          "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
          "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*" +
          "[a-z0-9])?)*')",
      );
    }
    return name;
  }, "");
  const external = hasNodePorts(type);
  const allocate = refusals.attempt((refuse: Refuse) => {
    let allocate: unknown = spec.allocateLoadBalancerNodePorts ?? undefined;
    if (changed && type !== "LoadBalancer" && allocate === old.allocateLoadBalancerNodePorts) allocate = undefined;
    if (type !== "LoadBalancer" && allocate !== undefined) {
      refuse("spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'");
    }
    if (allocate !== undefined && typeof allocate !== "boolean") {
      refuse(`spec.allocateLoadBalancerNodePorts must be true or false: current value is ${describeValue(allocate)}`);
    }
    return allocate as boolean | undefined;
  }, undefined);
  const policy = refusals.attempt((refuse: Refuse) => {
    let policy: unknown = spec.externalTrafficPolicy ?? "";
    if (changed && !external && policy === old.externalTrafficPolicy) policy = "";
    if (!external && policy !== "") {
      refuse(
        `spec.externalTrafficPolicy: Invalid value: ${jsonValue(policy)}: may only be set for ` +
          "externally-accessible services (of type NodePort or LoadBalancer)",
      );
    }
    if (external && policy !== "" && policy !== "Cluster" && policy !== "Local") {
      refuse(
        `spec.externalTrafficPolicy: Unsupported value: ${jsonValue(policy)}: supported values: "Cluster", "Local"`,
      );
    }
    return policy;
  }, "");
  const trafficPolicy = external ? (policy || "Cluster") as "Cluster" | "Local" : undefined;
  return {
    ...(name === "" ? {} : { externalName: name }),
    ...(trafficPolicy === undefined ? {} : { externalTrafficPolicy: trafficPolicy }),
    ...(type === "LoadBalancer" ? { allocateLoadBalancerNodePorts: allocate ?? true } : {}),
  };
}

/**
 * The health check port of a LoadBalancer Service whose external traffic policy is `Local`: the one given (a free
 * node port), else the replaced Service's, else a free node port; none for another, which refuses one.
 *
 * @param spec The given spec, read as given.
 * @param fields The Service's type fields.
 * @param context The type, the Service replaced, and the node ports held (this Service's included).
 * @param refuse Throws the refusal.
 * @returns `{ healthCheckNodePort }`, or `{}`.
 */
export function healthCheckPortOf(
  spec: ServiceInput["spec"],
  fields: Pick<TypeFields, "externalTrafficPolicy">,
  context: { type: ServiceType; existing: Service | undefined; used: Held<number> },
  refuse: Refuse,
): Pick<TypeFields, "healthCheckNodePort"> {
  let given: unknown = spec.healthCheckNodePort ?? 0;
  if (!Number.isInteger(given)) {
    refuse(`spec.healthCheckNodePort must be an integer: current value is ${describeValue(given)}`);
  }
  const checked = context.type === "LoadBalancer" && fields.externalTrafficPolicy === "Local";
  // Given back unchanged to a Service that no longer needs it, it is dropped (measured).
  if (!checked && given === context.existing?.spec.healthCheckNodePort) given = 0;
  if (!checked && given !== 0) {
    refuse(
      `spec.healthCheckNodePort: Invalid value: ${given}: may only be set when \`type\` is 'LoadBalancer' and ` +
        "`externalTrafficPolicy` is 'Local'",
    );
  }
  if (!checked) return {};
  // As kube-apiserver v1.36.3 refuses it (measured: a 500, not a 422).
  const problem = given === 0 ? undefined : nodePortProblem(given as number, context.used);
  if (problem !== undefined) {
    refuse(
      `Internal error occurred: failed to allocate requested HealthCheck NodePort ${given}: ${problem} ` +
        NODE_PORTS_HINT,
    );
  }
  const old = context.existing?.spec;
  const healthCheckNodePort = (given as number || undefined) ??
    (old?.type === "LoadBalancer" ? old.healthCheckNodePort : undefined) ?? allocateNodePort(context.used);
  // As kube-apiserver v1.36.3's allocator words it (read in its source), with the port it failed to allocate, 0.
  if (healthCheckNodePort === undefined) {
    refuse(`Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full ${FULL_HINT}`);
  }
  return { healthCheckNodePort };
}

/**
 * The node ports of a Service's ports, as kube-apiserver v1.36.3 allocates them: a given one must be in range and
 * free (one port number may serve TCP and UDP); one left out gets the replaced Service's port of the same name's, or
 * the one of a port of this Service with the same number, or a free one (none for a LoadBalancer Service that
 * allocates none). A ClusterIP Service refuses them; an ExternalName one keeps them as given (measured).
 *
 * @param ports The validated ports, without node ports.
 * @param given The given ports, in the same order, read for their `nodePort`.
 * @param context The type, whether a LoadBalancer allocates node ports, the Service replaced, the node ports held.
 * @param refuse Throws the refusal.
 * @returns The ports with their node ports.
 */
export function withNodePorts(
  ports: ServicePort[],
  given: readonly { nodePort?: unknown }[],
  context: { type: ServiceType; allocate: boolean; existing: Service | undefined; used: Held<number> },
  refuse: Refuse,
): ServicePort[] {
  const { type, existing } = context;
  const old = existing?.spec.ports ?? [];
  let asked = given.map(({ nodePort }, index) => {
    const port: unknown = nodePort ?? 0;
    if (!Number.isInteger(port)) {
      refuse(`spec.ports[${index}].nodePort must be an integer: current value is ${describeValue(port)}`);
    }
    return port as number;
  });
  // Across a change from a type with node ports to one without, they are dropped when none given is new (in any
  // order, any subset), as kube-apiserver v1.36.3's sameNodePorts decides; an ExternalName Service's were never
  // allocated, so they are not dropped for ClusterIP.
  const had = new Set(old.map((port) => port.nodePort ?? 0));
  if (
    hasNodePorts(existing?.spec.type ?? "ClusterIP") && !hasNodePorts(type) &&
    asked.every((port) => port === 0 || had.has(port))
  ) asked = asked.map(() => 0);
  if (type === "ClusterIP") {
    const index = asked.findIndex((port) => port !== 0);
    if (index !== -1) {
      refuse(
        `spec.ports[${index}].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP' (give type ` +
          "NodePort or LoadBalancer, or leave nodePort out)",
      );
    }
  }
  if (!hasNodePorts(type)) return ports.map((port, index) => withPort(port, asked[index]));
  /** Node ports this Service took so far. */
  const mine = new Set<number>();
  const held: Held<number> = { has: (port) => mine.has(port) || context.used.has(port) };
  /** Node ports taken by this Service, by `nodePort/protocol`. */
  const taken = new Map<number, Set<string>>();
  const take = (port: number, protocol: string) => {
    mine.add(port);
    taken.set(port, (taken.get(port) ?? new Set()).add(protocol));
  };
  asked.forEach((port, index) => {
    if (port === 0) return;
    const own = taken.get(port);
    const problem = own === undefined
      ? nodePortProblem(port, context.used)
      : own.has(ports[index].protocol)
      ? "provided port is already allocated"
      : undefined;
    if (problem !== undefined) {
      refuse(`spec.ports[${index}].nodePort: Invalid value: ${port}: ${problem} ${NODE_PORTS_HINT}`);
    }
    take(port, ports[index].protocol);
  });
  // The replaced Service's node ports by port name, unless a given one took it (as kube-apiserver patches them in).
  const byName = new Map(
    hasNodePorts(existing?.spec.type ?? "ClusterIP") ? old.map((port) => [port.name ?? "", port.nodePort]) : [],
  );
  const chosen = asked.slice();
  ports.forEach((port, index) => {
    if (chosen[index] !== 0) return;
    const kept = byName.get(port.name ?? "");
    const sibling = ports.findIndex((other, at) => at !== index && chosen[at] !== 0 && other.port === port.port);
    let nodePort: number | undefined;
    if (kept !== undefined && !asked.includes(kept)) nodePort = kept;
    else if (sibling !== -1 && !taken.get(chosen[sibling])?.has(port.protocol)) nodePort = chosen[sibling];
    else if (context.allocate) {
      nodePort = allocateNodePort(held);
      if (nodePort === undefined) {
        refuse(`Internal error occurred: failed to allocate a nodePort: range is full ${FULL_HINT}`);
      }
    }
    if (nodePort === undefined) return;
    chosen[index] = nodePort;
    take(nodePort, port.protocol);
  });
  return ports.map((port, index) => withPort(port, chosen[index]));
}

function withPort(port: ServicePort, nodePort: number): ServicePort {
  return nodePort === 0 ? port : { ...port, nodePort };
}
