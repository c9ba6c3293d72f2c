/**
 * The Namespaces of the fake API server, as `GET /api/v1/namespaces/<name>` reads them: every namespace exists, since
 * the fake stores objects in any namespace without creating one first (any DNS-1123 label: the server answers 404
 * for another name). kubectl reads a namespace after a 404 for
 * an object in it (`kubectl get service nope`), to say which is missing; without this, it printed the fake's
 * 404 for an unknown path, "the server could not find the requested resource", where a real server's answer makes
 * it print `services "nope" not found`. The fake neither lists nor watches Namespaces. Private to the fake API
 * server.
 *
 * @module
 */

/** A `v1` Namespace, shaped as kube-apiserver v1.36.3 writes an active one (measured), without `managedFields`. */
export interface Namespace {
  readonly kind: "Namespace";
  readonly apiVersion: "v1";
  readonly metadata: {
    readonly name: string;
    readonly uid: string;
    readonly resourceVersion: string;
    readonly creationTimestamp: string;
    readonly labels: Record<string, string>;
  };
  readonly spec: { readonly finalizers: string[] };
  readonly status: { readonly phase: "Active" };
}

/**
 * The Namespaces of one server: each made when first read, with the server's start as its creation time.
 *
 * @param started The server's start, as an RFC 3339 time in seconds.
 * @returns The reader of a Namespace by name.
 *
 * @example Reading a namespace
 * ```ts
 * import { createNamespaces } from "./_namespaces.ts";
 * const namespaces = createNamespaces("2026-12-05T19:17:34Z");
 * console.log(namespaces("demo").status.phase); // Active
 * ```
 */
export function createNamespaces(started: string): (name: string) => Namespace {
  const made = new Map<string, Namespace>();
  return (name) => {
    let namespace = made.get(name);
    if (namespace === undefined) {
      namespace = {
        kind: "Namespace",
        apiVersion: "v1",
        metadata: {
          name,
          uid: crypto.randomUUID(),
          // Made before any write of the server's own, as a cluster's namespaces are made before what is in them.
          resourceVersion: "1",
          creationTimestamp: started,
          labels: { "kubernetes.io/metadata.name": name },
        },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      };
      made.set(name, namespace);
    }
    return namespace;
  };
}
