/**
 * What a Service's spec says of where its endpoints come from, as read by the GET the resolver makes anyway (see
 * `traffic_policy.ts`): its type, the external name of an ExternalName one, its selector and its port names. Its
 * slices cannot tell these apart (a Service without a selector and one of type ExternalName both have none), and an
 * empty set's reason names them (see `no_endpoints_reason.ts`).
 *
 * @module
 */

import type { Service } from "../api/kube_api.ts";

/** What {@linkcode serviceShape} keeps of a Service's spec. */
export interface ServiceShape {
  /** `spec.type`: `ClusterIP` when the Service gives none. */
  type: string;
  /** The DNS name of an `ExternalName` Service; `""` for one without (or another type). */
  externalName: string;
  /**
   * The selector in `kubectl -l` form (`app=echo,tier=api`), or `undefined` for a Service without one (or with an
   * empty one, which the EndpointSlice controller also passes over).
   */
  selector: string | undefined;
  /** The Service's ports in order: each one's name (`""` for a single unnamed one), number and target port. */
  ports: { name: string; port: number | undefined; targetPort: number | string | undefined }[];
}

/**
 * The shape of a Service's spec that an empty set's reason needs.
 *
 * @param service The Service as the API server answered it.
 * @returns Its type, external name, selector and ports.
 *
 * @example A Service with a selector
 * ```ts
 * import { serviceShape } from "./service_shape.ts";
 * const shape = serviceShape({ spec: { selector: { app: "echo" }, ports: [{ name: "grpc", port: 80 }] } });
 * console.log(shape.selector, shape.ports[0].name); // app=echo grpc
 * ```
 */
export function serviceShape(service: Service): ServiceShape {
  const spec = service.spec ?? {};
  const labels = spec.selector && typeof spec.selector === "object" ? Object.entries(spec.selector) : [];
  return {
    type: typeof spec.type === "string" && spec.type !== "" ? spec.type : "ClusterIP",
    externalName: typeof spec.externalName === "string" ? spec.externalName : "",
    selector: labels.length === 0 ? undefined : labels.map(([key, value]) => `${key}=${value}`).join(","),
    ports: (Array.isArray(spec.ports) ? spec.ports : []).map((port) => ({
      name: typeof port?.name === "string" ? port.name : "",
      port: typeof port?.port === "number" ? port.port : undefined,
      targetPort: typeof port?.targetPort === "number" || typeof port?.targetPort === "string"
        ? port.targetPort
        : undefined,
    })),
  };
}

/**
 * Whether two shapes say the same (both `undefined` too): a reader keeps the one it has when a read finds the same,
 * so that what depends on it is computed again only when it changed.
 *
 * @param a One shape.
 * @param b The other.
 * @returns Whether they are equal.
 *
 * @example The same Service read twice
 * ```ts
 * import { sameShape, serviceShape } from "./service_shape.ts";
 * const read = () => serviceShape({ spec: { selector: { app: "echo" } } });
 * console.log(sameShape(read(), read())); // true
 * ```
 */
export function sameShape(a: ServiceShape | undefined, b: ServiceShape | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.type === b.type && a.externalName === b.externalName && a.selector === b.selector &&
    a.ports.length === b.ports.length &&
    a.ports.every(({ name, port, targetPort }, index) => {
      const other = b.ports[index];
      return name === other.name && port === other.port && targetPort === other.targetPort;
    });
}
