/**
 * The Namespaces of the fake API server, as `GET /api/v1/namespaces[/<name>]` reads them. The fake stores objects
 * in any namespace without creating it first, so a namespace exists once it held an object, as a namespace must
 * exist on a real server before anything is written in it, and stays when emptied (nothing deletes it); besides the
 * four a kube-apiserver creates at its start (`default`, `kube-node-lease`, `kube-public`, `kube-system`). Any other
 * name is a 404: kubectl reads a namespace after a 404 for an object in it, and then says
 * `namespaces "nope" not found`, as against kube-apiserver v1.36.3 (measured), where `services "x" not found` would
 * send a user looking for the Service. They are listed and watched as the other resources are (`kubectl get ns -w`),
 * but a namespace takes no resourceVersion of its own: it is made at that of the write of the first object in it, so
 * that no write's resourceVersion moves; a watch sees it as it is made, and one resumed from an older
 * resourceVersion replays its ADDED, as a watch of kube-apiserver v1.36.3 does (measured). The fake writes no
 * Namespace itself. Private to the fake API server.
 *
 * @module
 */

import type { Change, ObjectHistory } from "./_object_history.ts";
import { age, tableColumns, type TablePrinter } from "./_table.ts";

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

/** The Namespaces kube-apiserver creates at its start (its system namespaces controller), in etcd's order. */
export const SYSTEM_NAMESPACES: readonly string[] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/** The Namespaces of one server. */
export interface Namespaces {
  /**
   * Records that an object is about to be stored in `name` (at the next resourceVersion): the namespace exists from
   * now on.
   *
   * @returns The ADDED change to send to the watches of Namespaces, when the namespace was made now.
   */
  hold(name: string): Change<Namespace> | undefined;
  /** The Namespace `name`; undefined when it does not exist. */
  get(name: string): Namespace | undefined;
}

/** How a Namespace is printed: kube-apiserver v1.36.3's columns (NAME, STATUS, AGE). */
export const NAMESPACE_PRINTER: TablePrinter<Namespace> = {
  columns: tableColumns([
    { name: "Name", description: "The Namespace's name, unique in the cluster." },
    { name: "Status", description: "Active, or Terminating while it is deleted." },
    { name: "Age", description: "How long ago the server created the Namespace." },
  ]),
  cells: (namespace, now) => [
    namespace.metadata.name,
    namespace.status.phase,
    age(namespace.metadata.creationTimestamp, now),
  ],
  whole: (namespace) => namespace as unknown as Record<string, unknown>,
};

/**
 * The Namespaces of one server: the system ones, made at its start, and each other one made when an object is
 * first stored in it, recorded in `history` at the resourceVersion of that write, without moving it.
 *
 * @param started The server's start, as an RFC 3339 time in seconds.
 * @param history Where the Namespaces are stored: the server's history of them, on its shared clock.
 * @returns The Namespaces.
 *
 * @example Reading a namespace
 * ```ts
 * import { createNamespaces } from "./_namespaces.ts";
 * import { createObjectHistory } from "./_object_history.ts";
 * const namespaces = createNamespaces("2026-12-05T19:17:34Z", createObjectHistory({ historyLimit: 100 }));
 * console.log(namespaces.get("default")?.status.phase); // Active
 * console.log(namespaces.get("demo")); // undefined
 * ```
 */
export function createNamespaces(started: string, history: ObjectHistory<Namespace>): Namespaces {
  const make = (name: string, created: string, rv: number, system: boolean): Change<Namespace> | undefined => {
    if (history.current.has(name)) return undefined;
    const namespace: Namespace = {
      kind: "Namespace",
      apiVersion: "v1",
      metadata: {
        name,
        uid: crypto.randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: created,
        labels: { "kubernetes.io/metadata.name": name },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    };
    // The system ones were there before any resourceVersion a client can hold; others are replayed to watches.
    if (system) {
      history.seed(name, namespace);
      return undefined;
    }
    return history.recordBeside(name, namespace);
  };
  for (const name of SYSTEM_NAMESPACES) make(name, started, history.rv, true);
  return {
    // At the resourceVersion of the write that stores the first object in it, which a watch from before sees.
    hold: (name) => make(name, new Date().toISOString().replace(/\.\d+Z$/, "Z"), history.nextRv(), false),
    get: (name) => history.current.get(name),
  };
}
