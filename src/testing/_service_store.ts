/**
 * The fake API server's Services (`v1`): validation, the real server's
 * defaults and serialization; they are stored in their history (by
 * `namespace/name`), which this reads to keep a replaced Service's uid and
 * creation time. Only what a client reads of a Service is modelled: its
 * type, cluster IP (`_service_ip.ts`) and node ports (`_service_type.ts`),
 * allocated from the test control plane's ranges (`_service_ranges.ts`); no
 * EndpointSlice is derived from a Service. Private to the fake API server.
 *
 * @module
 */

import { describeValue, isRecord } from "../base/_util.ts";
import { decodedStringMap, sameJson, sortedMap } from "./_json_data.ts";
import { DNS_1123_LABEL_RULE, isDns1123Label } from "../base/dns_label.ts";
import { labelsProblem, qualifiedNameProblem } from "./_labels.ts";
import { checkExternalNameFamilies, clusterIpOf, ipFamiliesOf } from "./_service_ip.ts";
import type { Held } from "./_service_ranges.ts";
import { hasNodePorts, healthCheckPortOf, serviceTypeOf, typeFieldsOf, withNodePorts } from "./_service_type.ts";
import type { Service, ServiceInput, ServicePort } from "./types.ts";
import { jsonValue, quotedValue } from "./_go_quote.ts";
import { gatherRefusals, type Refusals, type Refuse, SERVICE_ORDER } from "./_refusals.ts";
import { PORT_PROTOCOLS } from "./_slice_input.ts";

/** The Services of the fake API server. */
export interface ServiceStore {
  /**
   * Validates `input` and makes the Service to store with resourceVersion `rv`, keeping the uid
   * and creation time of the Service it replaces; `changed` is false for a
   * replacement that changes nothing (which returns the stored object).
   */
  apply(input: ServiceInput, rv: number): { service: Service; changed: boolean };
}

/** kube-apiserver's default and maximum ClientIP affinity timeouts, in seconds. */
const DEFAULT_AFFINITY_SECONDS = 10800;
const MAX_AFFINITY_SECONDS = 86400;

/**
 * Creates the store over the stored Services.
 *
 * @param services The current Services by `namespace/name`, which the caller stores each result in.
 * @returns The store.
 */
export function createServiceStore(services: ReadonlyMap<string, Service>): ServiceStore {
  const owners: Owners = { ips: new Map(), ports: new Map() };
  return {
    apply(input, rv) {
      const { namespace, name, labels } = checkMetadata(input);
      const key = `${namespace}/${name}`;
      const existing = services.get(key);
      // Every check runs, as kube-apiserver's validation does: their problems come together, in its order.
      const refusals = gatherRefusals((problem) => invalid(key, problem), SERVICE_ORDER);
      refusals.attempt((refuse: Refuse) => {
        const problem = labels === undefined ? undefined : labelsProblem("metadata.labels", labels);
        if (problem !== undefined) refuse(problem);
      }, undefined);
      const spec = normalizeSpec(key, input.spec, { existing, held: heldBesides(services, key, owners), refusals });
      // The caller stores it (or has it already): its values are its own from now on. An ExternalName Service's node
      // ports are only words: a real server keeps them unchecked (80 too) and lets another Service take them (measured).
      if (spec.clusterIP !== undefined && spec.clusterIP !== "None") owners.ips.set(spec.clusterIP, key);
      const ports = hasNodePorts(spec.type) ? spec.ports ?? [] : [];
      for (const port of ports) if (port.nodePort !== undefined) owners.ports.set(port.nodePort, key);
      if (spec.healthCheckNodePort !== undefined) owners.ports.set(spec.healthCheckNodePort, key);
      // Key order aside, as the real server stores maps (labels, a selector) sorted: the same Service is no change.
      if (existing && sameJson([existing.metadata.labels, existing.spec], [labels, spec])) {
        return { service: existing, changed: false };
      }
      const metadata: Service["metadata"] = {
        name,
        namespace,
        uid: existing?.metadata.uid ?? crypto.randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      };
      if (labels) metadata.labels = labels;
      const service: Service = { kind: "Service", apiVersion: "v1", metadata, spec, status: { loadBalancer: {} } };
      return { service, changed: true };
    },
  };
}

/**
 * The Service that last took each cluster IP and node port, by key: it holds the value while the stored Service still
 * has it, which is read when asked (a Service deleted or changed since leaves its entries, which then hold nothing).
 * A scan of every Service at each apply made applying n Services cost n² (5,000 took 4 times as long).
 */
interface Owners {
  ips: Map<string, string>;
  ports: Map<number, string>;
}

/** The cluster IPs and node ports that the Services other than `key` hold. */
function heldBesides(services: ReadonlyMap<string, Service>, key: string, owners: Owners): HeldBesides {
  const holder = (owner: string | undefined) => owner === undefined || owner === key ? undefined : services.get(owner);
  return {
    ips: { has: (ip) => holder(owners.ips.get(ip))?.spec.clusterIP === ip },
    ports: {
      has(port) {
        const spec = holder(owners.ports.get(port))?.spec;
        return spec !== undefined && hasNodePorts(spec.type) &&
          (spec.healthCheckNodePort === port || (spec.ports ?? []).some((held) => held.nodePort === port));
      },
    },
  };
}

/** Addresses and node ports held. */
interface HeldBesides {
  ips: Held<string>;
  ports: Held<number>;
}

function invalid(key: string, problem: string): TypeError {
  return new TypeError(`Cannot apply Service ${quotedValue(key)}: ${problem}`);
}

function checkMetadata(input: ServiceInput) {
  const metadata = input?.metadata;
  if (typeof metadata?.namespace !== "string" || metadata.namespace === "") {
    throw new TypeError("Cannot apply Service: metadata.namespace is required");
  }
  if (!isDns1123Label(metadata.namespace)) {
    throw new TypeError(
      `Cannot apply Service: metadata.namespace must be a DNS-1123 label (${DNS_1123_LABEL_RULE}), as kube-apiserver ` +
        `requires: current value is ${quotedValue(metadata.namespace)}`,
    );
  }
  if (typeof metadata.name !== "string" || metadata.name === "") {
    throw new TypeError(
      `Cannot apply Service in namespace ${quotedValue(metadata.namespace)}: metadata.name is required`,
    );
  }
  if (!isDns1123Label(metadata.name)) {
    throw new TypeError(
      `Cannot apply Service in namespace ${quotedValue(metadata.namespace)}: metadata.name must be a DNS-1123 ` +
        `label (${DNS_1123_LABEL_RULE}), as kube-apiserver requires: current value is ${quotedValue(metadata.name)}`,
    );
  }
  // As kube-apiserver decodes them, null labels are none and a null value is "".
  const labels = decodedStringMap(metadata.labels);
  if (labels === false) {
    throw invalid(`${metadata.namespace}/${metadata.name}`, "metadata.labels must map strings to strings");
  }
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    // Keys sorted, as kube-apiserver writes a map.
    labels: labels && Object.keys(labels).length > 0 ? sortedMap(labels) : undefined,
  };
}

function normalizeSpec(
  key: string,
  spec: ServiceInput["spec"],
  { existing, held, refusals }: { existing: Service | undefined; held: HeldBesides; refusals: Refusals },
): Service["spec"] {
  if (!isRecord(spec)) {
    throw invalid(
      key,
      `spec must be an object such as { ports: [{ port: 80 }] }: current value is ${describeValue(spec)}`,
    );
  }
  const given = refusals.attempt((refuse) => serviceTypeOf(spec, refuse), undefined);
  // An unsupported type is checked as no ExternalName, NodePort or LoadBalancer one, as the real server checks it.
  const type = given ?? "ClusterIP";
  const name = key.slice(key.indexOf("/") + 1);
  const addresses = refusals.attempt(
    (refuse) => clusterIpOf(spec, { name, type, existing, used: held.ips }, refuse),
    {},
  );
  const headless = addresses.clusterIP === "None" || (given === undefined && spec.clusterIP === "None");
  const portless = headless || type === "ExternalName";
  // Read as given: a JavaScript caller can pass anything; null is a list left out, as kube-apiserver decodes it.
  const listed: unknown = spec.ports ?? [];
  if (!Array.isArray(listed)) throw invalid(key, "spec.ports must be a list");
  const fields = typeFieldsOf(spec, { type, existing }, refusals);
  const allocate = hasNodePorts(type) && fields.allocateLoadBalancerNodePorts !== false;
  const checked = portsOf(
    listed as ServiceInput["spec"]["ports"],
    portless ? undefined : given ?? "non-headless",
    refusals,
  );
  // Node ports are given to the ports by index: only once every port passed, and the type is known.
  const ports = given === undefined || checked.length !== listed.length ? checked : refusals.attempt(
    (refuse) =>
      withNodePorts(
        checked,
        (listed as { nodePort?: unknown }[]).map((port) => isRecord(port) ? port : {}),
        { type, allocate, existing, used: held.ports },
        refuse,
      ),
    checked,
  );
  const own = new Set(ports.flatMap((port) => port.nodePort ?? []));
  const used: Held<number> = { has: (port) => own.has(port) || held.ports.has(port) };
  const healthCheck = refusals.attempt(
    (refuse) => healthCheckPortOf(spec, fields, { type, existing, used }, refuse),
    {},
  );
  const selector = decodedStringMap(spec.selector);
  if (selector === false) throw invalid(key, "spec.selector must map strings to strings");
  refusals.attempt((refuse: Refuse) => {
    const problem = selector === undefined ? undefined : labelsProblem("spec.selector", selector);
    if (problem !== undefined) refuse(problem);
  }, undefined);
  // As kube-apiserver v1.36.3 defaults it (null too) and refuses another value (422 "Unsupported value").
  const policy = refusals.attempt((refuse: Refuse) => {
    const policy = spec.internalTrafficPolicy ?? "Cluster";
    if (policy !== "Cluster" && policy !== "Local") {
      refuse(
        `spec.internalTrafficPolicy: Unsupported value: ${jsonValue(policy)}: supported values: "Cluster", "Local"`,
      );
    }
    return policy;
  }, "Cluster");
  const affinity = refusals.attempt((refuse) => sessionAffinityOf(spec, refuse), { sessionAffinity: "None" });
  const selected = selector !== undefined && Object.keys(selector).length > 0;
  if (type === "ExternalName") checkExternalNameFamilies(spec, existing, refusals);
  const external = type === "ExternalName";
  const families = external
    ? {}
    : refusals.attempt((refuse) => ipFamiliesOf(spec, existing, headless && !selected, refuse), {});
  refusals.settle();
  // In kube-apiserver's order (its Go fields'), which its JSON keeps.
  const { externalName, externalTrafficPolicy, allocateLoadBalancerNodePorts } = fields;
  return {
    // As kube-apiserver stores them: no ports and an empty selector are left out (Go's `omitempty`).
    ...(ports.length === 0 ? {} : { ports }),
    ...(selected ? { selector: sortedMap(selector) } : {}),
    ...addresses,
    type,
    sessionAffinity: affinity.sessionAffinity,
    ...(externalName === undefined ? {} : { externalName }),
    ...(externalTrafficPolicy === undefined ? {} : { externalTrafficPolicy }),
    ...healthCheck,
    ...(affinity.sessionAffinityConfig === undefined ? {} : { sessionAffinityConfig: affinity.sessionAffinityConfig }),
    // An ExternalName Service has no address, so no IP families, and drops its internal traffic policy (measured).
    ...families,
    ...(allocateLoadBalancerNodePorts === undefined ? {} : { allocateLoadBalancerNodePorts }),
    ...(external ? {} : { internalTrafficPolicy: policy }),
  };
}

/**
 * A Service's session affinity as kube-apiserver v1.36.3 defaults and checks it: `None` unless given, which drops a
 * config given with it; `ClientIP` with its timeout given (1-86400 seconds) or 10800.
 */
function sessionAffinityOf(
  spec: ServiceInput["spec"],
  refuse: (problem: string) => never,
): Pick<Service["spec"], "sessionAffinity" | "sessionAffinityConfig"> {
  const affinity: unknown = spec.sessionAffinity || "None";
  if (affinity !== "None" && affinity !== "ClientIP") {
    refuse(
      `spec.sessionAffinity: Unsupported value: ${jsonValue(affinity)}: supported values: "ClientIP", "None"`,
    );
  }
  if (affinity === "None") return { sessionAffinity: affinity };
  const field = "spec.sessionAffinityConfig.clientIP.timeoutSeconds";
  const timeout: unknown = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS;
  if (!Number.isInteger(timeout)) refuse(`${field} must be an integer: current value is ${describeValue(timeout)}`);
  if ((timeout as number) <= 0 || (timeout as number) > MAX_AFFINITY_SECONDS) {
    refuse(`${field}: Invalid value: ${timeout}: must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`);
  }
  return { sessionAffinity: affinity, sessionAffinityConfig: { clientIP: { timeoutSeconds: timeout as number } } };
}

/**
 * The ports of a Service as kube-apiserver v1.36.3 validates and stores them, in the order given, without node ports;
 * a headless or ExternalName Service (`required` undefined) may have none.
 */
function portsOf(
  ports: ServiceInput["spec"]["ports"],
  required: string | undefined,
  refusals: Refusals,
): ServicePort[] {
  // kube-apiserver v1.36.3 refuses a Service without a port (measured: 422 Invalid, "Service \"x\" is invalid:
  // spec.ports: Required value"); only headless and ExternalName ones may have none.
  if (ports.length === 0 && required !== undefined) {
    refusals.attempt((refuse) =>
      refuse(
        `spec.ports: Required value (a ${required} Service needs at least one port, as kube-apiserver requires; a ` +
          'headless one (clusterIP: "None") or an ExternalName one may have none)',
      ), undefined);
  }
  const names = new Set<string>();
  /** `port/protocol` pairs already taken. */
  const served = new Set<string>();
  // Each field of each port is checked, as kube-apiserver lists their problems; a port that has one is left out.
  return ports.flatMap((given, index) => portOf(given, index) ?? []);

  function portOf(given: ServiceInput["spec"]["ports"][number], index: number): ServicePort | undefined {
    const field = `spec.ports[${index}]`;
    const part = refusals.part();
    if (!isRecord(given)) {
      part.check((refuse) =>
        refuse(
          `${field} must be an object such as { name: "grpc", port: 50051 }: current value is ${quotedValue(given)}`,
        )
      );
      return undefined;
    }
    // As kube-apiserver decodes it, a null field is one left out.
    const port = Object.fromEntries(
      Object.entries(given).filter(([, value]) => value !== null),
    ) as ServiceInput["spec"]["ports"][number];
    const name = port.name ?? "";
    part.check((refuse) => {
      if (ports.length > 1 && name === "") {
        refuse(`${field}.name: Required value (a Service with more than one port names each of them)`);
      }
      if (name !== "" && !isDns1123Label(name)) {
        refuse(
          `${field}.name must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters): ` +
            `current value is ${quotedValue(name)}`,
        );
      }
    });
    // A second problem of the name, listed after its form's as the real server does.
    part.check((refuse) => {
      if (name !== "" && names.has(name)) refuse(`${field}.name: Duplicate value: ${quotedValue(name)}`);
    });
    names.add(name);
    part.check((refuse) => {
      if (Number.isInteger(port.port) && !isPortNumber(port.port)) {
        refuse(`${field}.port: Invalid value: ${port.port}: must be between 1 and 65535, inclusive`);
      }
      if (!isPortNumber(port.port)) {
        refuse(`${field}.port must be 1-65535: current value is ${quotedValue(port.port)}`);
      }
    });
    const protocol = port.protocol ?? "TCP";
    part.check((refuse) => {
      if (!PORT_PROTOCOLS.has(protocol)) {
        refuse(`${field}.protocol: Unsupported value: ${jsonValue(protocol)}: supported values: "SCTP", "TCP", "UDP"`);
      }
    });
    part.check((refuse) => {
      if (served.has(`${port.port}/${protocol}`)) {
        refuse(`${field} must not repeat port ${port.port} with protocol ${protocol}, as kube-apiserver requires`);
      }
    });
    served.add(`${port.port}/${protocol}`);
    // As kube-apiserver defaults it: absent, 0 or "" mean the port itself.
    const defaulted = port.targetPort === undefined || port.targetPort === 0 || port.targetPort === "";
    const targetPort = defaulted ? port.port : port.targetPort!;
    part.check((refuse) => {
      // A port of the wrong JavaScript type is one problem, not its defaulted targetPort's too.
      if (defaulted && !Number.isInteger(port.port)) return;
      if (typeof targetPort === "string") {
        const problems = portNameProblems(targetPort);
        if (problems.length > 0) {
          refuse(
            `${field}.targetPort must be a port name (${problems.join(", ")}), as kube-apiserver requires: ` +
              `current value is ${quotedValue(targetPort)}`,
          );
        }
      } else if (Number.isInteger(targetPort) && !isPortNumber(targetPort)) {
        refuse(`${field}.targetPort: Invalid value: ${targetPort}: must be between 1 and 65535, inclusive`);
      } else if (!isPortNumber(targetPort)) {
        refuse(`${field}.targetPort must be 1-65535 or a port name: current value is ${targetPort}`);
      }
    });
    part.check((refuse) => {
      if (port.appProtocol !== undefined && typeof port.appProtocol !== "string") {
        refuse(`${field}.appProtocol must be a string: current value is ${describeValue(port.appProtocol)}`);
      }
      const appProtocol = port.appProtocol === undefined
        ? undefined
        : qualifiedNameProblem(`${field}.appProtocol`, port.appProtocol);
      if (appProtocol !== undefined) refuse(appProtocol);
    });
    if (part.failed) return undefined;
    return {
      ...(name === "" ? {} : { name }),
      protocol,
      ...(port.appProtocol === undefined ? {} : { appProtocol: port.appProtocol }),
      port: port.port,
      targetPort,
    };
  }
}

/** What makes a text no IANA service name (a container port's name), as kube-apiserver's `IsValidPortName` lists it. */
function portNameProblems(name: string): string[] {
  return [
    ...(name.length > 15 ? ["at most 15 characters"] : []),
    ...(/^[-a-z0-9]+$/.test(name) ? [] : ['only a-z, 0-9 and "-"']),
    ...(/[a-z]/.test(name) ? [] : ["at least one letter"]),
    ...(name.includes("--") ? ["no consecutive hyphens"] : []),
    ...(name.startsWith("-") || name.endsWith("-") ? ["no hyphen at either end"] : []),
  ];
}

function isPortNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}
