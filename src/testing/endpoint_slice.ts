/**
 * The slice builder: {@linkcode endpointSlice} writes an EndpointSlice the way
 * the EndpointSlice controller does, from a Service name and a list of pods.
 *
 * @module
 */

import { describeValue, isOptionsObject, typeName, unknownField } from "../base/_util.ts";
import type { AddressType, EndpointConditions, EndpointSliceInput } from "./types.ts";
import { PORT_PROTOCOLS } from "./_slice_input.ts";

/**
 * One endpoint for {@linkcode endpointSlice}.
 *
 * @example A terminating pod that still serves
 * ```ts
 * import type { EndpointParams } from "@kgr/resolver/testing";
 * const endpoint: EndpointParams = { ip: "10.0.0.3", pod: "echo-2", ready: false, serving: true, terminating: true };
 * console.log(endpoint.ip);
 * ```
 */
export interface EndpointParams {
  /** The address, or addresses (consumers use the first). */
  ip: string | string[];
  /** The Pod's name, written as `targetRef`. */
  pod?: string | undefined;
  /**
   * Whether the pod takes traffic; by default, as the controller sets it, when it serves and is not terminating.
   * `true` beside `serving: false` or `terminating: true` is what the controller writes for a Service with
   * `publishNotReadyAddresses`.
   */
  ready?: boolean | undefined;
  /** Whether the pod's readiness probe passes (the pod is Ready); by default `ready`, or true. */
  serving?: boolean | undefined;
  /** Whether the pod is being deleted; by default false. */
  terminating?: boolean | undefined;
  /** The zone. */
  zone?: string | undefined;
  /** The node. */
  nodeName?: string | undefined;
  /** The hostname. */
  hostname?: string | undefined;
}

/**
 * Parameters of {@linkcode endpointSlice}.
 *
 * @example Two pods of the `echo` service
 * ```ts
 * import type { EndpointSliceParams } from "@kgr/resolver/testing";
 * const params: EndpointSliceParams = {
 *   namespace: "default",
 *   service: "echo",
 *   port: { name: "grpc", port: 50051 },
 *   endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }],
 * };
 * console.log(params.service);
 * ```
 */
export interface EndpointSliceParams {
  /** The namespace of the service. */
  namespace: string;
  /** The service's name, written as the `kubernetes.io/service-name` label. */
  service: string;
  /**
   * The Service's `metadata.uid` (`applyService(...).metadata.uid`): the slice then names the Service as its
   * controlling owner, as the EndpointSlice controller writes it (`ownerReferences: [{ apiVersion: "v1", kind:
   * "Service", name, uid, controller: true, blockOwnerDeletion: true }]`). No owner when omitted. Against a real
   * cluster, give the uid of the Service there: its garbage collector deletes a slice whose owner does not exist.
   */
  serviceUid?: string | undefined;
  /**
   * The slice's name. The default, `<service>-<addressType>` in lower case
   * (`echo-ipv4`), makes building again for the same service replace the
   * slice; give names to spread a service over several slices.
   */
  name?: string | undefined;
  /** The address type; guessed from the first address when omitted (`:` means IPv6). */
  addressType?: AddressType | undefined;
  /**
   * The slice's one port; none when omitted. Its `protocol` is TCP when omitted, as kube-apiserver defaults it (a port
   * copied from a stored slice keeps its own; the resolver dials TCP ports only).
   */
  port?: {
    name: string;
    port: number;
    protocol?: "TCP" | "UDP" | "SCTP" | undefined;
    appProtocol?: string | undefined;
  } | undefined;
  /**
   * The Service's `spec.trafficDistribution`: the controller then hints every ready endpoint for its own zone
   * (`PreferClose`, `PreferSameZone`), and for its own node too (`PreferSameNode`). No hints when omitted.
   */
  trafficDistribution?: "PreferClose" | "PreferSameZone" | "PreferSameNode" | undefined;
  /** The endpoints. */
  endpoints: EndpointParams[];
}

/**
 * Builds an EndpointSlice like the EndpointSlice controller writes them: the
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`
 * labels, one port (TCP unless its `protocol` says otherwise), all three conditions of every endpoint, a Pod
 * `targetRef` per endpoint that names a pod, and the hints of a
 * `trafficDistribution`. With its `apiVersion` and `kind`, written as JSON,
 * it is a manifest that `kubectl apply -f` takes too.
 *
 * @param params The service, its namespace, port and endpoints.
 * @returns A slice for {@linkcode FakeApiServer.applySlice}.
 * @throws {TypeError} When the params are no object, or a field is unknown or of the wrong kind, `null` included (a `port`
 * that is not an object, an `addressType` or `trafficDistribution` kube-apiserver refuses, an endpoint that is not an
 * object, a condition that is not a boolean, a name that is not a string), or a name is empty (`pod: ""`, `zone: ""`).
 *
 * @example Building a slice with a terminating pod
 * ```ts
 * import { endpointSlice } from "@kgr/resolver/testing";
 * const slice = endpointSlice({
 *   namespace: "default",
 *   service: "echo",
 *   port: { name: "grpc", port: 50051 },
 *   endpoints: [
 *     { ip: "10.0.0.1", pod: "echo-0" },
 *     { ip: "10.0.0.2", pod: "echo-1", ready: false, serving: true, terminating: true },
 *   ],
 * });
 * console.log(slice.metadata.labels?.["kubernetes.io/service-name"]); // "echo"
 * ```
 */
export function endpointSlice(params: EndpointSliceParams): EndpointSliceInput {
  if (!isOptionsObject(params)) {
    // null failed with the runtime's "Cannot convert undefined or null to object", a string with `has no field "0"`.
    throw new TypeError(
      `Cannot build an EndpointSlice: endpointSlice() takes an object such as { namespace, service, port, ` +
        `endpoints }: current ${params === null ? "value is null" : `type is ${typeName(params)}`}`,
    );
  }
  // From JavaScript, a field of the real object (`ports`) or a misspelt one would be dropped without a word.
  checkFields("endpointSlice()", params, SLICE_FIELDS);
  checkShapes(params);
  params.endpoints.forEach((endpoint, i) => checkFields(`endpointSlice() endpoints[${i}]`, endpoint, ENDPOINT_FIELDS));
  const first = params.endpoints[0]?.ip;
  const firstIp = Array.isArray(first) ? first[0] : first;
  const addressType = params.addressType ??
    (firstIp?.includes(":") ? "IPv6" : "IPv4");
  return {
    // applySlice() ignores them; kubectl apply, which takes the same slice to a real cluster, needs them.
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      namespace: params.namespace,
      name: params.name ?? `${params.service}-${addressType.toLowerCase()}`,
      labels: {
        "kubernetes.io/service-name": params.service,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
      ...(params.serviceUid === undefined
        ? {}
        : { ownerReferences: [serviceOwner(params.service, params.serviceUid)] }),
    },
    addressType,
    endpoints: params.endpoints.map((endpoint) => {
      const serving = endpoint.serving ?? endpoint.ready ?? true;
      const terminating = endpoint.terminating ?? false;
      const conditions: EndpointConditions = {
        ready: endpoint.ready ?? (serving && !terminating),
        serving,
        terminating,
      };
      const hints = conditions.ready ? hintsOf(params.trafficDistribution, endpoint) : undefined;
      return {
        addresses: Array.isArray(endpoint.ip) ? [...endpoint.ip] : [endpoint.ip],
        conditions,
        ...(endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname }),
        ...(endpoint.pod === undefined ? {} : {
          targetRef: {
            kind: "Pod",
            namespace: params.namespace,
            name: endpoint.pod,
          },
        }),
        ...(endpoint.nodeName === undefined ? {} : { nodeName: endpoint.nodeName }),
        ...(endpoint.zone === undefined ? {} : { zone: endpoint.zone }),
        ...(hints === undefined ? {} : { hints }),
      };
    }),
    ports: params.port === undefined ? [] : [{
      name: params.port.name,
      protocol: params.port.protocol ?? "TCP",
      port: params.port.port,
      ...(params.port.appProtocol === undefined ? {} : { appProtocol: params.port.appProtocol }),
    }],
  };
}

/** The owner reference the EndpointSlice controller writes on a Service's slices (measured on v1.36.3). */
function serviceOwner(service: string, uid: string) {
  return { apiVersion: "v1", kind: "Service", name: service, uid, controller: true, blockOwnerDeletion: true };
}

const SLICE_FIELDS: readonly (keyof EndpointSliceParams)[] = [
  "namespace",
  "service",
  "serviceUid",
  "name",
  "addressType",
  "port",
  "trafficDistribution",
  "endpoints",
];
const PORT_FIELDS: readonly (keyof NonNullable<EndpointSliceParams["port"]>)[] = [
  "name",
  "port",
  "protocol",
  "appProtocol",
];
const ENDPOINT_FIELDS: readonly (keyof EndpointParams)[] = [
  "ip",
  "pod",
  "ready",
  "serving",
  "terminating",
  "zone",
  "nodeName",
  "hostname",
];

const ADDRESS_TYPES: readonly string[] = ["IPv4", "IPv6", "FQDN"];
/** The endpoint fields that name something, each with an example for messages. */
const ENDPOINT_NAMES = [
  ["pod", '"echo-0" (the Pod\'s name)'],
  ["zone", '"zone-a"'],
  ["nodeName", '"node-1"'],
  ["hostname", '"echo-0"'],
] as const;
const TRAFFIC_DISTRIBUTIONS: readonly string[] = ["PreferClose", "PreferSameZone", "PreferSameNode"];
const CONDITIONS = ["ready", "serving", "terminating"] as const;

/** Fails with the builder's wording: what is wrong, what to pass, and the value given. */
function refuse(what: string, must: string, value: unknown): never {
  throw new TypeError(
    `Cannot build an EndpointSlice: endpointSlice() ${what} must be ${must}: current value is ${describeValue(value)}`,
  );
}

/**
 * Refuses a name that is not a non-empty string, or, when `optional`, is neither that nor `undefined` (absent): a
 * `null` or a number went into the slice as given (`pod: null` a `targetRef` without a name, `zone: null` a zone
 * hint named `""`). An empty one is refused too: kube-apiserver refuses an empty `nodeName` or `hostname`, and takes an
 * empty zone or pod name, which name nothing (v1.36.3 stores the zone `""` and drops the pod's name).
 */
function checkName(what: string, value: unknown, must: string, optional: boolean): void {
  if (optional && value === undefined) return;
  if (typeof value !== "string" || value === "") refuse(what, optional ? `${must}, or absent` : must, value);
}

/**
 * Throws a TypeError for values of the wrong kind that would otherwise build a slice unlike the one meant: `port:
 * 50051` or `port: { name: "grpc", targetPort: 50051 }` gave a port without a number, `trafficDistribution:
 * "PreferZone"` zone hints kube-apiserver never allows, `ready: "false"` a ready pod, `service: 5` a label
 * kube-apiserver refuses, and an endpoint that is a bare address a message about its field "0".
 */
function checkShapes(params: EndpointSliceParams): void {
  const { port, trafficDistribution, endpoints, serviceUid, addressType } = params;
  checkName("namespace", params.namespace, 'the Service\'s namespace, a non-empty string such as "default"', false);
  checkName("service", params.service, 'the Service\'s name, a non-empty string such as "echo"', false);
  // A uid of another kind would be stored as one the real server refuses ("uid: Invalid value: \"\"").
  checkName("serviceUid", serviceUid, "the Service's metadata.uid, a non-empty string", true);
  checkName("name", params.name, 'the slice\'s name, a non-empty string such as "echo-0"', true);
  if (addressType !== undefined && !ADDRESS_TYPES.includes(addressType)) {
    refuse("addressType", `${quoted(ADDRESS_TYPES)} or absent (guessed from the first address)`, addressType);
  }
  if (port !== undefined) checkPort(port);
  if (trafficDistribution !== undefined && !TRAFFIC_DISTRIBUTIONS.includes(trafficDistribution)) {
    refuse("trafficDistribution", `${quoted(TRAFFIC_DISTRIBUTIONS)} or absent`, trafficDistribution);
  }
  if (!Array.isArray(endpoints)) refuse("endpoints", 'a list such as [{ ip: "10.0.0.1", pod: "echo-0" }]', endpoints);
  endpoints.forEach(checkEndpoint);
}

/** Throws a TypeError for a port that is no object, has a field it does not know, or a field of the wrong kind. */
function checkPort(port: NonNullable<EndpointSliceParams["port"]>): void {
  if (typeof port !== "object" || port === null || Array.isArray(port)) {
    refuse("port", 'an object such as { name: "grpc", port: 50051 }', port);
  }
  checkFields("endpointSlice() port", port, PORT_FIELDS);
  // A null name was stored as "", an unnamed port; a number as a name kube-apiserver refuses.
  if (typeof port.name !== "string") {
    refuse("port.name", 'the port\'s name, a string such as "grpc" ("" for an unnamed port)', port.name);
  }
  // Without a number, the slice's port was null, and the resolver said that its ready pods were not ready.
  if (typeof port.port !== "number") refuse("port.port", "the pods' port number, such as 50051", port.port);
  if (port.protocol !== undefined && !PORT_PROTOCOLS.has(port.protocol)) {
    refuse("port.protocol", `${quoted([...PORT_PROTOCOLS])} or absent (TCP)`, port.protocol);
  }
  checkName("port.appProtocol", port.appProtocol, 'a protocol name such as "kubernetes.io/h2c"', true);
}

/** Throws a TypeError for an endpoint that is no object, or has a field of the wrong kind. */
function checkEndpoint(endpoint: EndpointParams, i: number): void {
  if (typeof endpoint !== "object" || endpoint === null || Array.isArray(endpoint)) {
    refuse(`endpoints[${i}]`, 'an object such as { ip: "10.0.0.1", pod: "echo-0" }', endpoint);
  }
  const ips = [endpoint.ip].flat();
  if (ips.some((ip) => typeof ip !== "string")) {
    refuse(`endpoints[${i}].ip`, 'an address or a list of them, such as "10.0.0.1"', endpoint.ip);
  }
  // An address written with its port would otherwise be guessed IPv6 (it has a ":") and refused as such.
  for (const ip of ips) {
    if (/^(\d{1,3}(\.\d{1,3}){3}|\[[^\]]*\]):\d+$/.test(ip)) {
      refuse(`endpoints[${i}].ip`, "an address without a port (the port goes in port: { name, port })", ip);
    }
  }
  for (const condition of CONDITIONS) {
    const value = endpoint[condition];
    if (value !== undefined && typeof value !== "boolean") {
      refuse(`endpoints[${i}].${condition}`, "true or false", value);
    }
  }
  for (const [field, example] of ENDPOINT_NAMES) {
    checkName(`endpoints[${i}].${field}`, endpoint[field], `a non-empty string such as ${example}`, true);
  }
}

/** The list of values a message allows: `"TCP", "UDP", "SCTP"`. */
function quoted(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(", ");
}

/** Throws a TypeError naming a field of `value` that is not one of `known`. */
function checkFields(what: string, value: object, known: readonly string[]): void {
  const unknown = unknownField(value, known);
  if (unknown === undefined) return;
  const hint = unknown === "ports" ? ` (one port: port: { name, port })` : "";
  throw new TypeError(
    `Cannot build an EndpointSlice: ${what} has no field ${JSON.stringify(unknown)}${hint}; its fields are ` +
      known.join(", "),
  );
}

/** The hints the controller writes on a ready endpoint for a Service's traffic distribution. */
function hintsOf(trafficDistribution: EndpointSliceParams["trafficDistribution"], endpoint: EndpointParams) {
  if (trafficDistribution === undefined) return undefined;
  const forZones = endpoint.zone === undefined ? undefined : [{ name: endpoint.zone }];
  const forNodes = trafficDistribution === "PreferSameNode" && endpoint.nodeName !== undefined
    ? [{ name: endpoint.nodeName }]
    : undefined;
  if (forZones === undefined && forNodes === undefined) return undefined;
  return { ...(forZones ? { forZones } : {}), ...(forNodes ? { forNodes } : {}) };
}
