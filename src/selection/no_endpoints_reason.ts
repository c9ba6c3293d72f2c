/**
 * Why a Service gives no usable endpoint, in words that say what to check:
 * the user sees it on the calls that fail and in empty snapshots.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import { quote } from "../api/api_errors.ts";
import { slicePortNumber } from "./_slice_entries.ts";
import { wordList } from "../base/_word_list.ts";
import { printable } from "../base/printable.ts";
import type { ServiceShape } from "./service_shape.ts";
import { noPortWords, portWords } from "./topology_reason.ts";
import { portList, type SlicePortName, slicePortNames } from "./service_port.ts";

/**
 * Whether a slice lists a pod: an endpoint with an address, ready or not. A Service scaled to zero, or whose selector
 * matches no pod, keeps a slice that lists none.
 *
 * @param slice One of the Service's slices.
 * @returns Whether it lists a pod.
 *
 * @example A slice without endpoints
 * ```ts
 * import { listsPod } from "./no_endpoints_reason.ts";
 * console.log(listsPod({ metadata: { name: "echo-x1" }, addressType: "IPv4", endpoints: [] })); // false
 * ```
 */
export function listsPod(slice: EndpointSlice): boolean {
  return (slice.endpoints ?? []).some((endpoint) => (endpoint.addresses?.length ?? 0) > 0);
}

/** What else {@linkcode noEndpointsReason} may know of the Service than its slices. */
export interface NoEndpointsReasonOptions {
  /**
   * What a GET of the Service found missing (see `traffic_policy.ts`): the Service (a 404), or its namespace (a 404
   * of the Namespace too). Without a slice either, the reason then says which does not exist, rather than list what
   * could be missing.
   */
  missing?: "service" | "namespace" | undefined;
  /**
   * What the Service's spec says (see `service_shape.ts`), when a GET of it found it: the reason then names its type,
   * its selector or its ports where the slices alone leave the cause open. As of the last read: the Service is read
   * again when its first slices come or its last go, when they start or stop listing pods, 10 to 20 s after it
   * answered while they list no pod (then less often, up to every 5 minutes), and when its watch lists again or
   * resumes.
   */
  shape?: ServiceShape | undefined;
}

/**
 * Why the slices of a Service give no usable endpoint for a port: no EndpointSlice at all (no such Service in
 * the namespace, or one without a selector and without an Endpoints object that lists addresses), only FQDN ones
 * (not used), no pod (it selects none, is scaled to zero, or its namespace is being deleted), no port of that
 * name, ready pods only in slices without that port (a targetPort naming a container port the pods of a new version
 * lack), only pods that are terminating and no longer serving, or no ready pod. Slices that every one carry another
 * manager's `endpointslice.kubernetes.io/managed-by` (mirrored from an Endpoints object, or written by hand) have
 * their writer's port names, not necessarily the Service's: their reasons say so, and that kube-proxy matches them
 * to the Service's by name. With the Service's spec (`options.shape`), the reason names what the slices leave open:
 * a Service without a selector or of type ExternalName (no slice), the selector that matches no pod (and the
 * `kubectl get pods -l` to run), a port name the Service itself lacks, or a slice the controller left when the
 * selector was removed.
 *
 * @param slices Every slice of the Service.
 * @param port The port the endpoints were selected for (a name, or a number used as given).
 * @param service The Service's name, for the commands the reason suggests.
 * @param namespace Its namespace.
 * @param options What else is known of the Service: that a GET of it answered 404, or what its spec says.
 * @returns The reason, and what to check.
 *
 * @example A port name that no slice has
 * ```ts
 * import { noEndpointsReason } from "./no_endpoints_reason.ts";
 * const slice = {
 *   metadata: { name: "echo-x1" },
 *   addressType: "IPv4" as const,
 *   ports: [{ name: "grpc", port: 50051 }],
 *   endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
 * };
 * console.log(noEndpointsReason([slice], "http", "echo", "prod"));
 * // its EndpointSlices have no port named "http" (they have "grpc" (50051)): name one of those in the target, or
 * // check that the pods have the container port the Service's targetPort names
 * ```
 */
export function noEndpointsReason(
  slices: Iterable<EndpointSlice>,
  port: number | string,
  service: string,
  namespace: string,
  options: NoEndpointsReasonOptions = {},
): string {
  // The selector, port names, external name and managers come from the API server, the names from the target: a
  // control or bidi character in one must not move a terminal's cursor or reorder the words of a log line.
  return printable(unescapedReason(slices, port, service, namespace, options));
}

/**
 * The slices' ports as a reason lists them: those with numbers as {@linkcode slicePortNames} gives them, and those
 * without (a hand-written slice may leave it out) by their name alone, so that a list of names is never empty.
 */
function listedPorts(slices: readonly EndpointSlice[]): SlicePortName[] {
  const numbered = slicePortNames(slices);
  const names = new Set(slices.flatMap((slice) => (slice.ports ?? []).map(({ name }) => name ?? "")));
  for (const { name } of numbered) names.delete(name);
  const unnumbered = [...names].map((name) => ({ name, numbers: [] }));
  return [...numbered, ...unnumbered].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** {@linkcode noEndpointsReason}, its untrusted text not yet made printable. */
function unescapedReason(
  slices: Iterable<EndpointSlice>,
  port: number | string,
  service: string,
  namespace: string,
  options: NoEndpointsReasonOptions,
): string {
  const all = [...slices];
  const used = all.filter((slice) => slice.addressType !== "FQDN");
  const listSlices = `kubectl get endpointslices -n ${namespace} -l kubernetes.io/service-name=${service}`;
  if (used.length === 0 && all.length > 0) {
    // Slices written by hand (no controller writes FQDN ones), which kubectl lists: "no EndpointSlice" would send
    // the user looking for a Service that exists.
    return "its only EndpointSlices have addressType FQDN (deprecated), which the resolver does not use, as " +
      "kube-proxy does not: give the Service IPv4 or IPv6 EndpointSlices, or dial the names they list with dns:/// " +
      `(${listSlices})`;
  }
  if (all.length === 0 && options.missing === "namespace") return missingNamespaceReason(namespace);
  if (all.length === 0 && options.missing === "service") return missingServiceReason(service, namespace);
  const { shape } = options;
  if (all.length === 0 && shape) return unslicedReason(shape, port, service, namespace);
  if (used.length === 0) {
    // A selector that matches no pod still gets a slice; a Service without a selector gets the slices the
    // EndpointSliceMirroring controller mirrors from its Endpoints object, if it has one with addresses (it
    // writes no slice for one without).
    // A namespace that does not exist lists none either, and the API's answers say nothing of it: kubectl reads the
    // Namespace after the Service's 404, and names whichever is missing.
    return `it has no EndpointSlice: check that the Service exists in namespace ${namespace}, and that namespace ` +
      `${namespace} does (kubectl get service ${service} -n ${namespace} says which is missing); one without a selector needs an Endpoints object of its ` +
      "name that lists addresses (ready or not; not labeled endpointslice.kubernetes.io/skip-mirror, which the " +
      "EndpointSliceMirroring controller passes over) or EndpointSlices of its own labeled " +
      `kubernetes.io/service-name=${service} (the resolver, like kube-proxy, finds them by that label only), and an ` +
      "ExternalName one has no pods: dial its external name (dns:///)";
  }
  const source = sliceSource(used, service, namespace);
  // No pod first: a Service scaled to zero keeps one slice with neither endpoints nor ports, and its port
  // names are then no clue.
  // The Service's own port names are a clue even then: pods started later would still get no call on a name it lacks.
  const lacked = typeof port === "string" && port !== "" && !source && shape ? shapePortReason(shape, port) : undefined;
  if (!used.some(listsPod) && lacked) return `service ${service} ${lacked}`;
  if (!used.some(listsPod)) {
    if (source) return `its EndpointSlices list no address, as ${source.as("lists", "them")} (${listSlices})`;
    // Seen on v1.36.3: a Pending pod (no IP yet) is not listed either; a selector changed keeps the same slice.
    if (shape?.type !== "ExternalName" && shape?.selector === undefined && shape && controllerWrote(used)) {
      // Seen on v1.36.3: a selector removed leaves the controller's slice as it was, and it no longer updates it.
      return `service ${service} has no selector, and its EndpointSlices, which list no pod, are the EndpointSlice ` +
        "controller's, left from when it had one (it no longer updates them): give it a selector again, or delete " +
        `them and write its EndpointSlices by hand (${listSlices})`;
    }
    if (shape?.selector) {
      // Seen on v1.36.3: the controller leaves out a pod whose node does not exist, with a Warning event on the
      // Service (FailedToUpdateEndpointSlices), while kubectl shows the pod Running with its IP.
      return `its selector ${shape.selector} matches no pod that has an IP: none exists (scaled to zero?), none has ` +
        `started yet, or namespace ${namespace} is being deleted (kubectl get pods -n ${namespace} -l ` +
        `${shape.selector} lists them; if it lists running pods with IPs, the EndpointSlice controller left them out, ` +
        `and kubectl describe service ${service} -n ${namespace} shows why in its events)`;
    }
    // A namespace being deleted takes its pods first (v1.36.3: its Service stayed until they were gone).
    return "its EndpointSlices list no pod: the Service selects none, it is scaled to zero, or namespace " +
      `${namespace} is being deleted, which kubectl get namespace ${namespace} says (${listSlices})`;
  }
  let withPort = used;
  if (typeof port === "string") {
    const names = new Set(used.flatMap((slice) => (slice.ports ?? []).map(({ name }) => name ?? "")));
    const inFqdn = (slice: EndpointSlice) =>
      slice.addressType === "FQDN" && (slice.ports ?? []).some(({ name }) => (name ?? "") === port);
    if (port !== "" && !names.has(port) && all.some(inFqdn)) {
      // Hand-written FQDN slices beside IPv4 ones: "no port of that name" would contradict what kubectl lists.
      const others = names.size === 0 ? "the others have no port" : `the others have ${portList(listedPorts(used))}`;
      const instead = names.size === 0 ? "or dial" : "dial";
      return `its EndpointSlices have a port named ${quote(port)} only in those of addressType FQDN (deprecated), ` +
        `which the resolver does not use, as kube-proxy does not; ${others}: give the Service IPv4 or IPv6 ` +
        `EndpointSlices with that port, ${instead} the names the FQDN ones list with dns:///` +
        `${names.size === 0 ? "" : ", or name one of those in the target"} (${listSlices})`;
    }
    // A name they have goes on below: "" too, which a target without a port uses for a Service's one unnamed port.
    if (lacked && !names.has(port)) return `service ${service} ${lacked}`;
    if (!names.has(port) && source) {
      // Their port names are the Endpoints object's, or their writer's: kube-proxy gives a Service port only the
      // slice ports of its name (and protocol), and a name they lack tells nothing of the Service's own.
      const match = "kube-proxy matches them to the Service's ports by name";
      if (names.size === 0) {
        return `its EndpointSlices list addresses but no port, as ${source.as("names", "them")}; kube-proxy uses ` +
          `no endpoint without a port named as the Service's: give ${source.them} the Service's port names, or put ` +
          "the port number in the target";
      }
      if (names.size === 1 && names.has("")) {
        return `its EndpointSlices have no port named ${quote(port)}: their only port has no name, as ` +
          `${source.as("names", "it")}; ${match}, so if the Service's port is named ${quote(port)}, name ` +
          `${source.their} port ${quote(port)} too (its ClusterIP has no endpoint until then); if the Service's port ` +
          "has no name, leave the port out of the target";
      }
      const known = portList(listedPorts(used));
      return `its EndpointSlices have ${noPortWords(port)} (they have ${known}), ` +
        `as ${source.as("names", "them")}; ${match}: name ${source.their} ports as the Service names its own ` +
        "(its ClusterIP has no endpoint for a port until then), or name one of those in the target";
    }
    if (names.size === 0) {
      // The controller writes no port for a Service without any (headless), and leaves out a Service port that
      // a pod's containers do not have (a targetPort name): the slices look the same.
      return "its EndpointSlices list pods but no port: the Service has none (a headless Service without ports: " +
        "put the pods' port number in the target), or the pods lack the container port its targetPort names " +
        `(kubectl get service ${service} -n ${namespace} -o yaml)`;
    }
    if (names.size === 1 && port !== "" && names.has("")) {
      // A Service with one port need not name it, and a name in the target is easily taken for the container
      // port's (which the Service's targetPort may name): "" is no name that a target can give.
      return `its EndpointSlices have no port named ${quote(port)}: the Service's only port has no name (a name in ` +
        "the target is the Service port's, not the container port's): leave the port out of the target" +
        portNumbers(used);
    }
    if (!names.has(port)) {
      const known = portList(listedPorts(used));
      return `its EndpointSlices have ${noPortWords(port)} (they have ${known}): name one of those ` +
        "in the target, or check that the pods have the container port the Service's targetPort names";
    }
    withPort = used.filter((slice) => slice.ports?.some(({ name }) => (name ?? "") === port));
    const numbered = withPort.filter((slice) => slicePortNumber(slice, port) !== undefined);
    if (withPort.some(listsPod) && !numbered.some(listsPod)) {
      // A Service's one port may have no name: "the port named """ named nothing.
      const the = port === "" ? "the Service's port" : `the port named ${quote(port)}`;
      return `its EndpointSlices give ${the} no number a client can dial (1-65535): fix what writes them ` +
        `(${listSlices})`;
    }
    if (!withPort.some(listsPod)) {
      return `its EndpointSlices list no pod with ${portWords(port)}: check the pods' container ports (${listSlices})`;
    }
  }
  // Only pods on their way out, none serving any more: a scale to zero, old pods stopped before new ones, or the
  // namespace's deletion, which terminates every pod at once.
  const terminating = withPort.every((slice) =>
    (slice.endpoints ?? []).every((endpoint) =>
      !endpoint.addresses?.length || endpoint.conditions?.terminating === true
    )
  );
  if (typeof port === "string" && !source && readyWithoutPort(used, withPort)) {
    // A new version whose container port lost the name the Service's targetPort gives: the controller lists its
    // pods without the port, and waiting for them to be ready, or checking that they are, would not help.
    const named = port === "" ? "the Service's port" : `a port named ${quote(port)}`;
    const others = terminating ? "every pod with it is terminating, none still serving" : "no pod with it is ready";
    return `its ready pods are listed without ${named}, and ${others}: the ready pods lack the container port the ` +
      "Service's targetPort names (renamed or removed in a new version?): give them that container port, or change " +
      `the targetPort (kubectl get service ${service} -n ${namespace} -o yaml)`;
  }
  if (terminating) {
    return "every pod it lists is terminating, none still serving: calls resume once new pods are ready (it was " +
      "scaled to zero, a rollout stops old pods before new ones are ready, as strategy Recreate does, or namespace " +
      `${namespace} is being deleted, which kubectl get namespace ${namespace} says) (${listSlices})`;
  }
  // No count of the endpoints: a reason changes only when the cause does (a pod that crash-loops is no news).
  if (source?.mirrored) return `none of its endpoints is ready: ${source.as("lists", "them under notReadyAddresses")}`;
  if (source) return `none of its endpoints is ready, as ${source.as("writes", "them")} (${listSlices})`;
  if (shape?.selector) {
    // Each command followed by what it shows, never by ';' or ')': wrapped, one read as more of the other's words.
    return `none of its pods is ready: kubectl get pods -n ${namespace} -l ${shape.selector} lists them, and ` +
      `kubectl describe pod POD -n ${namespace} shows why one is not, such as a failing readiness probe`;
  }
  return `none of its endpoints is ready: check that the pods are ready (${listSlices})`;
}

/** Why a Service found has no EndpointSlice at all, from its spec: its type, or whether it has a selector. */
function unslicedReason(shape: ServiceShape, port: number | string, service: string, namespace: string): string {
  if (shape.type === "ExternalName") return externalNameReason(service, shape, port);
  if (shape.selector === undefined) {
    // v1.36.3: the EndpointSlice controller writes none for it, and leaves its slices when a selector is removed.
    return `service ${service} has no selector, so no controller writes its EndpointSlices from pods, and it has ` +
      `none: write EndpointSlices labeled kubernetes.io/service-name=${service}, or an Endpoints object of its name ` +
      "that lists addresses (not labeled endpointslice.kubernetes.io/skip-mirror), which the " +
      "EndpointSliceMirroring controller mirrors into EndpointSlices, or give the Service a selector " +
      `(kubectl get endpoints ${service} -n ${namespace})`;
  }
  // v1.36.3: the controller writes a slice within a second, one without endpoints for a selector that matches none;
  // a Service deleted since it was read takes its slices with it, and is read again then (its 404 follows). A
  // namespace being deleted loses its slices while its Service may stay (seen with content that a finalizer holds).
  return `it has no EndpointSlice, though its selector ${shape.selector} makes the EndpointSlice controller write ` +
    `one even without pods: the Service was deleted since it was read, namespace ${namespace} is being deleted, or ` +
    "the controller has not written it yet, or does not run (kube-controller-manager's endpointslice-controller): " +
    `kubectl get service ${service} -n ${namespace} says whether it exists, kubectl get namespace ${namespace} ` +
    `says whether it is Terminating, and kubectl get endpointslices -n ${namespace} -l kubernetes.io/service-name=` +
    `${service} lists its EndpointSlices`;
}

/** `has no port named "grpc" (it has "http"): ...` when the Service lacks the target's port name; else `undefined`. */
function shapePortReason(shape: ServiceShape, port: string): string | undefined {
  if (shape.type === "ExternalName" || shape.ports.some(({ name }) => name === port)) return undefined;
  if (shape.ports.length === 0) {
    return `has no port, so none named ${quote(port)} (headless): put the pods' port number in the target`;
  }
  const names = shape.ports.map(({ name }) => name);
  if (names.length === 1 && names[0] === "") {
    return `has no port named ${quote(port)}: its only port has no name: leave the port out of the target`;
  }
  return `has no port named ${quote(port)} (it has ${names.map(quote).join(", ")}): name one of those in the target`;
}

/** What {@linkcode externalNameReason} needs of an ExternalName Service: its DNS name and its ports. */
export interface ExternalNameSpec {
  /** `spec.externalName`. */
  externalName: string;
  /** Its ports' names (`""` for none) and numbers. */
  ports: readonly { name: string; port: number | undefined }[];
}

/**
 * Why an ExternalName Service has no endpoint: it is a DNS alias, which the resolver does not follow, and the
 * `dns:///` target to dial instead. The resolver's words and `kgr-resolver check`'s.
 *
 * @param service The Service's name.
 * @param shape What its spec says: its external name and ports.
 * @param port The target's port: a number used as given, a name of the Service's ports, or `undefined` (or `""`)
 * for its first port.
 * @returns The reason.
 *
 * @example An ExternalName Service
 * ```ts
 * import { externalNameReason } from "./no_endpoints_reason.ts";
 * const shape = { type: "ExternalName", externalName: "echo.example.com", selector: undefined, ports: [] };
 * console.log(externalNameReason("echo", shape, 50051));
 * // service echo is of type ExternalName (External Name: echo.example.com): it is only a DNS alias, ... dial
 * // dns:///echo.example.com:50051 instead
 * ```
 */
export function externalNameReason(
  service: string,
  shape: ExternalNameSpec,
  port: number | string | undefined,
): string {
  return printable(
    `service ${service} is of type ExternalName (External Name: ${shape.externalName}): it is only a DNS ` +
      "alias, with no pods and no EndpointSlices, and the resolver does not follow ExternalName: dial " +
      `${externalNameTarget(shape, port)} instead`,
  );
}

/**
 * The `dns:///` target of an ExternalName Service on the port a target means: a number as given, a name the Service
 * has, or its first port for a target without one (`undefined`, or `""`); no port for a name it lacks.
 *
 * @param shape Its external name and ports.
 * @param port The target's port.
 * @returns The target, such as `dns:///echo.example.com:50051`.
 *
 * @example A named port
 * ```ts
 * import { externalNameTarget } from "./no_endpoints_reason.ts";
 * const shape = { externalName: "echo.example.com", ports: [{ name: "grpc", port: 50051 }] };
 * console.log(externalNameTarget(shape, "grpc")); // dns:///echo.example.com:50051
 * ```
 */
export function externalNameTarget(
  shape: ExternalNameSpec,
  port: number | string | undefined,
): string {
  const number = typeof port === "number"
    ? port
    : shape.ports.find(({ name }, index) => port === undefined || port === "" ? index === 0 : name === port)?.port;
  return `dns:///${shape.externalName}${number === undefined ? "" : `:${number}`}`;
}

/**
 * Whether the slices without the target's port list a ready pod that those with it do not list (the controller may
 * list a pod in two slices for a moment while it moves it).
 */
function readyWithoutPort(used: EndpointSlice[], withPort: EndpointSlice[]): boolean {
  const listed = new Set(withPort.flatMap((slice) => (slice.endpoints ?? []).flatMap((e) => e.addresses ?? [])));
  return used.some((slice) =>
    !withPort.includes(slice) &&
    (slice.endpoints ?? []).some((endpoint) =>
      endpoint.addresses?.length > 0 && endpoint.conditions?.ready !== false &&
      !endpoint.addresses.some((address) => listed.has(address))
    )
  );
}

/** Whether every slice carries the EndpointSlice controller's managed-by label. */
function controllerWrote(slices: EndpointSlice[]): boolean {
  return slices.every((slice) =>
    slice.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] === SELECTOR_CONTROLLER
  );
}

/** What wrote slices that are not the EndpointSlice controller's, in the words of {@linkcode noEndpointsReason}. */
interface SliceSource {
  /** `as the Endpoints object they are mirrored from <verb> <what> (kubectl ...)`, or `as "ops" (...) writes <what>`. */
  as(verb: string, what: string): string;
  /** Whose ports to rename: `the Endpoints object's`, or `their`. */
  their: string;
  /** What to give ports: `the Endpoints object`, or `them`. */
  them: string;
  /** Whether they are mirrored from the Endpoints object (else written by another manager). */
  mirrored: boolean;
}

/** The slices' managed-by label of the EndpointSlice controller, which writes them from the Service's selector. */
const SELECTOR_CONTROLLER = "endpointslice-controller.k8s.io";
/** The slices' managed-by label of the EndpointSliceMirroring controller, which writes them from an Endpoints object. */
const MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";

/**
 * Where the slices' ports and addresses come from when every one is labeled with another manager than the
 * EndpointSlice controller (a Service without a selector): the Endpoints object they are mirrored from, or whoever
 * wrote them, whose port names need not be the Service's. `undefined` for the controller's slices, and for slices
 * without the label, which say nothing of their writer.
 */
function sliceSource(slices: EndpointSlice[], service: string, namespace: string): SliceSource | undefined {
  const managers = new Set<string>();
  for (const slice of slices) {
    const manager = slice.metadata.labels?.["endpointslice.kubernetes.io/managed-by"];
    if (typeof manager !== "string" || manager === SELECTOR_CONTROLLER) return undefined;
    managers.add(manager);
  }
  if (managers.size === 1 && managers.has(MIRRORING_CONTROLLER)) {
    const show = `kubectl get endpoints ${service} -n ${namespace} -o yaml`;
    return {
      as: (verb, what) => `the Endpoints object they are mirrored from ${verb} ${what} (${show})`,
      their: "the Endpoints object's",
      them: "the Endpoints object",
      mirrored: true,
    };
  }
  const names = [...managers].sort().map(quote).join(", ");
  const writes = managers.size === 1 ? "writes" : "write";
  return {
    as: (_verb, what) => `${names} (their endpointslice.kubernetes.io/managed-by) ${writes} ${what}`,
    their: "their",
    them: "them",
    mirrored: false,
  };
}

/** `", or give the pods' port number (50051)"` for the port numbers the slices give, or `""` when they give none. */
function portNumbers(slices: EndpointSlice[]): string {
  const numbers = new Set(slices.flatMap((slice) => (slice.ports ?? []).map(({ port }) => port)));
  numbers.delete(null);
  numbers.delete(undefined);
  return numbers.size === 0 ? "" : `, or give the pods' port number (${wordList([...numbers].map(String), "or")})`;
}

/**
 * Why a Service that the API server does not find has no endpoint, and where to look for the right name: the
 * resolver's words and `kgr-resolver check`'s, which also names the closest Service there is.
 *
 * @param service The Service's name.
 * @param namespace Its namespace.
 * @param options `nearest`: the name of a Service in that namespace that `service` is close to, when one is known;
 *   `namespaceNote`: where the namespace came from, for a target that names none (see `cluster/namespace_note.ts`).
 * @returns The reason.
 *
 * @example A misspelled Service
 * ```ts
 * import { missingServiceReason } from "./no_endpoints_reason.ts";
 * console.log(missingServiceReason("ech", "prod", { nearest: "echo" }));
 * // service ech does not exist in namespace prod (kubectl get services -n prod lists those there are): did you
 * // mean echo?
 * ```
 */
export function missingServiceReason(
  service: string,
  namespace: string,
  { nearest, namespaceNote }: { nearest?: string | undefined; namespaceNote?: string | undefined } = {},
): string {
  const meant = nearest === undefined ? "" : `: did you mean ${printable(nearest)}?`;
  const origin = namespaceNote === undefined ? "" : `${namespaceNote}; `;
  return `service ${service} does not exist in namespace ${namespace} (${origin}kubectl get services -n ${namespace} ` +
    `lists those there are)${meant}`;
}

/**
 * Why a target in a namespace that the API server does not find has no endpoint: the resolver's words and
 * `kgr-resolver check`'s.
 *
 * @param namespace The namespace.
 * @param fix What to do: by default both places the namespace may come from (the resolver does not know which),
 *   the target or, for a target that names none, the default namespace (the kubeconfig context's, or the pod's).
 * @returns The reason.
 *
 * @example A misspelled namespace
 * ```ts
 * import { missingNamespaceReason } from "./no_endpoints_reason.ts";
 * console.log(missingNamespaceReason("prd"));
 * // namespace prd does not exist (kubectl get namespaces lists those there are): fix the target's namespace, or the
 * // default namespace where the target names none
 * ```
 */
export function missingNamespaceReason(
  namespace: string,
  fix = "fix the target's namespace, or the default namespace where the target names none",
): string {
  return `namespace ${namespace} does not exist (kubectl get namespaces lists those there are): ${fix}`;
}
