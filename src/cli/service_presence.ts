/**
 * What the Service itself says of why its target resolves to no pod, for
 * `kgr-resolver check`: its slices alone cannot tell a Service that does not
 * exist from an ExternalName one or one without a selector and without an
 * Endpoints object (none of them has an EndpointSlice), nor say which label
 * selector matches no pod. `kubectl describe service` shows the same facts
 * (`Selector: <none>`, `External Name: ...`, `Endpoints: <none>`).
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { KubeApiError } from "../base/errors.ts";
import { requestObject } from "../api/kube_api.ts";
import type { HttpClient } from "../runtime/http_client.ts";
import { isRecord } from "../base/_util.ts";
import { nearestName } from "../base/_nearest_name.ts";
import { externalNameReason, externalNameTarget, missingServiceReason } from "../selection/no_endpoints_reason.ts";

/** The label that keeps the EndpointSliceMirroring controller from mirroring an Endpoints object. */
const SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror";

/**
 * What the Endpoints object of a Service without a selector holds: none of its name, no address, the label that
 * keeps it from being mirrored, or addresses; `undefined` when it cannot be read.
 */
export type EndpointsObjectState = "missing" | "empty" | "skipMirror" | "addresses" | undefined;

/**
 * What the API server says of a Service: not found (with the name of one in its namespace that the target's is
 * close to), of type ExternalName (its DNS name and ports), without a selector (and what its Endpoints object
 * holds, when it can be read), or with a selector (and whether any pod matches it, when pods can be listed).
 */
export type ServicePresence =
  | { state: "missing"; nearest: string | undefined }
  | { state: "externalName"; externalName: string; ports: { name: string; port: number }[] }
  | { state: "withoutSelector"; endpoints: EndpointsObjectState }
  | { state: "withSelector"; selector: string; podsMatch: boolean | undefined };

/**
 * GETs the Service (`get` on `services`, which the resolver asks for too) and, as its state calls for, its Endpoints
 * object, the Services of its namespace or one pod its selector matches. `undefined` when the Service cannot be
 * read (forbidden, no answer); a later request that fails leaves its field `undefined`.
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Service's namespace.
 * @param service The Service's name.
 * @param signal Aborts the requests.
 * @param known `"missing"` when the resolver's own GET of the Service just answered the API server's 404: the
 * namespace's Services are then listed without a GET of it first.
 * @returns What the server says of the Service, when it says.
 *
 * @example Reading a Service that resolves to no pod
 * ```ts ignore
 * import { servicePresence } from "./service_presence.ts";
 * const presence = await servicePresence(access, client, "prod", "echo", AbortSignal.timeout(10_000));
 * if (presence?.state === "externalName") console.log(`dial dns:///${presence.externalName}`);
 * ```
 */
export async function servicePresence(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  service: string,
  signal: AbortSignal,
  known?: "missing",
): Promise<ServicePresence | undefined> {
  const get = reader(access, client, namespace, signal);
  const notFound = (error: unknown) => error instanceof KubeApiError && error.status === 404;
  // The name meant, among the namespace's Services.
  const missing = async (): Promise<ServicePresence> => {
    const list = await get("services", "services?limit=500").catch(() => undefined);
    const names = (Array.isArray(list?.items) ? list.items : [])
      .map((item) => isRecord(item) && isRecord(item.metadata) ? item.metadata.name : undefined)
      .filter((name): name is string => typeof name === "string");
    return { state: "missing", nearest: nearestName(service, names) };
  };
  if (known === "missing") return missing();
  let object: Record<string, unknown>;
  try {
    object = await get("services", `services/${encodeURIComponent(service)}`);
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    if (!(notFound(error) && error.details?.kind === "services" && error.details.name === service)) return undefined;
    return missing();
  }
  const spec = isRecord(object.spec) ? object.spec : {};
  const external = externalNameOf(spec);
  if (external) return external;
  const labels = isRecord(spec.selector) ? Object.entries(spec.selector) : [];
  if (labels.length === 0) {
    let endpoints: EndpointsObjectState;
    try {
      const found = await get("endpoints", `endpoints/${encodeURIComponent(service)}`);
      const metadata = isRecord(found.metadata) ? found.metadata : {};
      const subsets = (Array.isArray(found.subsets) ? found.subsets : []).filter(isRecord);
      const listed = subsets.some((subset) =>
        (Array.isArray(subset.addresses) && subset.addresses.length > 0) ||
        (Array.isArray(subset.notReadyAddresses) && subset.notReadyAddresses.length > 0)
      );
      const skipped = isRecord(metadata.labels) && metadata.labels[SKIP_MIRROR] === "true";
      endpoints = skipped ? "skipMirror" : listed ? "addresses" : "empty";
    } catch (error) {
      if (!(error instanceof KubeApiError)) throw error;
      endpoints = notFound(error) ? "missing" : undefined;
    }
    return { state: "withoutSelector", endpoints };
  }
  const selector = labels.map(([key, value]) => `${key}=${value}`).join(",");
  const pods = await get("pods", `pods?limit=1&labelSelector=${encodeURIComponent(selector)}`).catch(() => undefined);
  const podsMatch = Array.isArray(pods?.items) ? pods.items.length > 0 : undefined;
  return { state: "withSelector", selector, podsMatch };
}

/**
 * GETs the Service alone (`get` on `services`), for a target that resolves: whether it is of type ExternalName, which
 * is all {@linkcode externalNameDoubt} needs, without {@linkcode servicePresence}'s further requests (pods, the
 * Endpoints object, the namespace's Services).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param namespace The Service's namespace.
 * @param service The Service's name.
 * @param signal Aborts the request.
 * @param known The Service's spec as the resolver's own read of it answered (`null`: refused or not found): no
 * request then.
 * @returns The Service's ExternalName state; `undefined` for another type, or when it cannot be read.
 *
 * @example Reading whether a Service that resolves is an ExternalName one
 * ```ts ignore
 * import { externalNamePresence } from "./service_presence.ts";
 * const presence = await externalNamePresence(access, client, "prod", "echo", AbortSignal.timeout(10_000));
 * if (presence) console.log(`dial dns:///${presence.externalName}`);
 * ```
 */
export async function externalNamePresence(
  access: ClusterAccess,
  client: HttpClient,
  namespace: string,
  service: string,
  signal: AbortSignal,
  known?: Record<string, unknown> | null,
): Promise<Extract<ServicePresence, { state: "externalName" }> | undefined> {
  if (known !== undefined) return known === null ? undefined : externalNameOf(known);
  const get = reader(access, client, namespace, signal);
  const object = await get("services", `services/${encodeURIComponent(service)}`).catch(() => undefined);
  return object && externalNameOf(isRecord(object.spec) ? object.spec : {});
}

/** A GET of `query` under the namespace, refused with what the `resource` needs. */
function reader(access: ClusterAccess, client: HttpClient, namespace: string, signal: AbortSignal) {
  const base = `${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  return (resource: string, query: string) =>
    requestObject(
      access,
      client,
      {
        verb: "get",
        where: `${resource} in namespace "${namespace}"`,
        namespace,
        grant: `"get" on "${resource}" in the core API group ("")`,
        missing: `${resource} not found (404)`,
      },
      `${base}/${query}`,
      signal,
    );
}

/** The ExternalName state of a Service's spec, or `undefined` for a Service of another type. */
function externalNameOf(
  spec: Record<string, unknown>,
): Extract<ServicePresence, { state: "externalName" }> | undefined {
  if (spec.type !== "ExternalName") return undefined;
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord)
    .map(({ name, port }) => ({ name: typeof name === "string" ? name : "", port: Number(port) }));
  return { state: "externalName", externalName: String(spec.externalName ?? ""), ports };
}

/**
 * Why a Service resolves to no pod, from what the API server says of it; `undefined` when that says no more than
 * its slices did: a Service without a selector's Endpoints object lists addresses, its selector matches pods (that
 * the slices list as not ready, or not yet), or slices exist for a Service without pods of its own (not found,
 * without a selector: slices written by hand, whose own reason is more to the point). Slices of an ExternalName
 * Service get its reason, the slices' being no clue: the controller stopped updating them.
 *
 * @param presence What the server says of the Service.
 * @param target The target's Service, namespace and port; for a target that names no namespace, where it came from
 *   (`namespaceNote`, said where the Service does not exist).
 * @param sliced Whether the Service has at least one EndpointSlice.
 * @returns The reason, and what to do.
 *
 * @example An ExternalName Service
 * ```ts
 * import { serviceReason } from "./service_presence.ts";
 * const ports = [{ name: "grpc", port: 50051 }];
 * const presence = { state: "externalName" as const, externalName: "echo.example.com", ports };
 * console.log(serviceReason(presence, { service: "echo", namespace: "prod", port: "grpc" }, false));
 * // service echo is of type ExternalName (External Name: echo.example.com) ... dial dns:///echo.example.com:50051
 * ```
 */
export function serviceReason(
  presence: ServicePresence,
  target: { service: string; namespace: string; port: number | string | undefined; namespaceNote?: string },
  sliced: boolean,
): string | undefined {
  const { service, namespace, port, namespaceNote } = target;
  // Slices of its name beside a Service that has no pods of its own (written by hand, or left behind) say more, but
  // for an ExternalName one: the controller no longer updates them, so their reason ("scaled to zero") misleads.
  if (sliced && presence.state !== "withSelector" && presence.state !== "externalName") return undefined;
  const describe = `kubectl describe service ${service} -n ${namespace}`;
  const ownSlices = `EndpointSlices of its own labeled kubernetes.io/service-name=${service}`;
  switch (presence.state) {
    case "missing":
      return missingServiceReason(service, namespace, { nearest: presence.nearest, namespaceNote });
    case "externalName": {
      if (sliced) {
        return `service ${service} is of type ExternalName (External Name: ${presence.externalName}): DNS answers ` +
          "with that name and kube-proxy ignores the Service; the EndpointSlices labeled with its name, which the " +
          "resolver follows and the EndpointSlice controller no longer updates, list no usable pod: dial " +
          `${externalNameTarget(presence, port)} instead, ${deleteSlices(service, namespace)}`;
      }
      return externalNameReason(service, presence, port);
    }
    case "withoutSelector": {
      if (presence.endpoints === "addresses") return undefined;
      const instead = `give the Service a selector, or write ${ownSlices} (the resolver, like kube-proxy, reads ` +
        "EndpointSlices only)";
      const mirrored = "the EndpointSliceMirroring controller mirrors it into EndpointSlices";
      const endpoints = `kubectl get endpoints ${service} -n ${namespace}`;
      switch (presence.endpoints) {
        case "missing":
          return `service ${service} has no selector and no Endpoints object of its name (${describe} shows ` +
            `Selector: <none>, Endpoints: <none>): create one that lists the backends' addresses (${mirrored}), ` +
            instead;
        case "empty":
          return `service ${service} has no selector, and its Endpoints object lists no address (${endpoints}), so ` +
            `the EndpointSliceMirroring controller writes no EndpointSlice for it: add the backends' addresses to ` +
            `it, ${instead}`;
        case "skipMirror":
          return `service ${service} has no selector, and its Endpoints object is labeled ${SKIP_MIRROR}=true ` +
            `(${endpoints} --show-labels), so the EndpointSliceMirroring controller does not mirror it into ` +
            `EndpointSlices: remove that label, ${instead}`;
        default:
          return `service ${service} has no selector, and no EndpointSlice: give it an Endpoints object of its name ` +
            `that lists addresses (${mirrored}), ${instead}`;
      }
    }
    case "withSelector": {
      if (!sliced || presence.podsMatch !== false) return undefined;
      return `service ${service}'s selector ${presence.selector} matches no pod (kubectl get pods -n ${namespace} ` +
        `-l ${presence.selector} says "No resources found"): check the pods' labels, or scale its workload up`;
    }
  }
}

/**
 * The doubt about a Service of type ExternalName whose EndpointSlices still list pods: the EndpointSlice controller
 * leaves the slices of a Service turned ExternalName as they were (and the mirroring controller mirrors an Endpoints
 * object of its name), so the resolver follows them where DNS and kube-proxy do not.
 *
 * @param presence What the server says of the Service.
 * @param target The target's Service and port.
 * @returns The doubt and what to do, or `undefined` for a Service of another type.
 *
 * @example Slices left behind
 * ```ts
 * import { externalNameDoubt } from "./service_presence.ts";
 * const presence = { state: "externalName" as const, externalName: "echo.example.com", ports: [] };
 * console.log(externalNameDoubt(presence, { service: "echo", namespace: "prod", port: 50051 }));
 * // service echo is of type ExternalName (...): ... dial dns:///echo.example.com:50051 instead, or delete those slices
 * // and, if they are mirrored from an Endpoints object of its name, that object, ...
 * ```
 */
export function externalNameDoubt(
  presence: ServicePresence,
  target: { service: string; namespace: string; port: number | string | undefined },
): string | undefined {
  if (presence.state !== "externalName") return undefined;
  return `service ${target.service} is of type ExternalName (External Name: ${presence.externalName}): DNS answers ` +
    "with that name and kube-proxy ignores the Service, but EndpointSlices labeled with its name still list pods, " +
    `which the resolver follows: dial ${externalNameTarget(presence, target.port)} instead, ` +
    deleteSlices(target.service, target.namespace);
}

/**
 * How to be rid of the EndpointSlices of an ExternalName Service: the EndpointSliceMirroring controller mirrors an
 * Endpoints object of its name again into a slice deleted (v1.36.3), so that object goes too.
 */
function deleteSlices(service: string, namespace: string): string {
  return "or delete those slices and, if they are mirrored from an Endpoints object of its name, that object, which " +
    `the EndpointSliceMirroring controller would mirror again (kubectl get endpoints ${service} -n ${namespace})`;
}
