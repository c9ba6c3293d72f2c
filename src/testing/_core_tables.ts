/**
 * Services, Nodes and Events as `meta.k8s.io` Tables, what `kubectl get service NAME`,
 * `kubectl get node NAME` and `kubectl get events` ask for: the columns kube-apiserver v1.36.3
 * prints for them (measured), and the cells it would write for the objects the
 * fake stores (it stores no Events: their Table has the real columns and no rows). A fake Service has no external
 * IPs and no load balancer, so its EXTERNAL-IP cell says `<none>`, `<pending>` for a LoadBalancer one and the DNS
 * name for an ExternalName one, as a real server writes them; its CLUSTER-IP is `<none>` for an ExternalName one; a fake
 * Node has only a name and labels, no status (no kubelet), so it is
 * `Unknown`, with an empty VERSION and `<none>`/`<unknown>` in the `-o wide`
 * columns, as a real server prints such a Node. Private to the fake API
 * server.
 *
 * @module
 */

import { age, type TableColumn, tableColumns, type TablePrinter } from "./_table.ts";
import type { StoredObject } from "./_object_history.ts";
import type { Node, Service } from "./types.ts";

/** A `v1` Event, as far as its Table reads it; the fake never stores one (nothing writes them). */
export interface Event extends StoredObject {
  readonly metadata: StoredObject["metadata"] & { readonly namespace: string };
  readonly involvedObject?: { readonly kind?: string; readonly name?: string; readonly fieldPath?: string };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly count?: number;
  readonly firstTimestamp?: string | null;
  readonly lastTimestamp?: string | null;
  readonly source?: { readonly component?: string; readonly host?: string };
}

/** Shown for a missing address or selector, as kubectl's server-side printers show it. */
const NONE = "<none>";
/** Shown for what only a kubelet reports (the OS image, kernel and container runtime). */
const UNKNOWN = "<unknown>";
/** The label prefix that gives a Node a role (`node-role.kubernetes.io/control-plane`). */
const ROLE_PREFIX = "node-role.kubernetes.io/";
/** The older label whose value is a Node's role. */
const ROLE_LABEL = "kubernetes.io/role";

/** How a Service is printed. */
export const SERVICE_PRINTER: TablePrinter<Service> = {
  columns: tableColumns([
    { name: "Name", description: "The Service's name, unique in its namespace." },
    { name: "Type", description: "How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName." },
    { name: "Cluster-IP", description: "The Service's virtual IP, None for a headless one." },
    { name: "External-IP", description: "The addresses outside the cluster that reach the Service." },
    { name: "Port(s)", description: "Each port of the Service with its protocol." },
    { name: "Age", description: "How long ago the server created the Service." },
    { name: "Selector", description: "The labels of the pods the Service selects.", wide: true },
  ]),
  cells: (service, now) => [
    service.metadata.name ?? "",
    service.spec.type ?? "",
    // As the real printer: a headless Service's "None"; an ExternalName one has no address.
    service.spec.clusterIP ?? NONE,
    externalAddress(service.spec),
    (service.spec.ports ?? []).map((port) =>
      port.nodePort === undefined ? `${port.port}/${port.protocol}` : `${port.port}:${port.nodePort}/${port.protocol}`
    ).join(",") || NONE,
    age(service.metadata.creationTimestamp, now),
    Object.entries(service.spec.selector ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([key, value]) => `${key}=${value}`).join(",") || NONE,
  ],
  // A list's items carry no kind or apiVersion; a row's object does, as on the real server.
  whole: (service) => ({ ...service, kind: "Service", apiVersion: "v1" }),
};

/**
 * A Service's EXTERNAL-IP cell, as the real printer writes it for a Service without external IPs or a provisioned
 * load balancer: `<pending>` for a LoadBalancer one, the DNS name of an ExternalName one, `<none>` for the others, and
 * `<unknown>` for a BOOKMARK's empty one, which has no type to tell.
 */
function externalAddress(spec: Partial<Service["spec"]>): string {
  if (spec.type === "LoadBalancer") return "<pending>";
  if (spec.type === "ExternalName") return spec.externalName ?? "";
  return spec.type === undefined ? UNKNOWN : NONE;
}

/** How a Node is printed. */
export const NODE_PRINTER: TablePrinter<Node> = {
  columns: tableColumns([
    { name: "Name", description: "The Node's name, unique in the cluster." },
    { name: "Status", description: "Whether the Node is Ready, as its kubelet reports it: Unknown without one." },
    { name: "Roles", description: "The Node's roles, from its node-role.kubernetes.io/<role> labels." },
    { name: "Age", description: "How long ago the server created the Node." },
    { name: "Version", description: "The version of the Node's kubelet, which the fake has none of." },
    { name: "Internal-IP", description: "The Node's address inside the cluster.", wide: true },
    { name: "External-IP", description: "The Node's address outside the cluster.", wide: true },
    { name: "OS-Image", description: "The operating system the kubelet reports.", wide: true },
    { name: "Kernel-Version", description: "The kernel the kubelet reports.", wide: true },
    { name: "Container-Runtime", description: "The container runtime the kubelet reports.", wide: true },
  ]),
  cells: (node, now) => [
    node.metadata.name ?? "",
    "Unknown",
    roles(node.metadata.labels ?? {}).join(",") || NONE,
    age(node.metadata.creationTimestamp, now),
    "",
    NONE,
    NONE,
    UNKNOWN,
    UNKNOWN,
    UNKNOWN,
  ],
  whole: (node) => ({ ...node, kind: "Node", apiVersion: "v1" }),
};

/** An Event's column: the NAME column comes last, and only `-o wide` prints it, as on the real server. */
function eventColumn(name: string, description: string, wide = false): TableColumn {
  return { name, type: "string", format: name === "Name" ? "name" : "", description, priority: wide ? 1 : 0 };
}

/** How an Event is printed: kube-apiserver v1.36.3's columns (measured); cells from its fields (a BOOKMARK's empty ones). */
export const EVENT_PRINTER: TablePrinter<Event> = {
  columns: [
    eventColumn("Last Seen", "How long ago the event last happened."),
    eventColumn("Type", "Normal or Warning."),
    eventColumn("Reason", "Why the event happened, in one word."),
    eventColumn("Object", "The object the event is about, as kind/name."),
    eventColumn("Subobject", "The part of the object the event is about.", true),
    eventColumn("Source", "The component that reported the event.", true),
    eventColumn("Message", "What happened, for people."),
    eventColumn("First Seen", "How long ago the event first happened.", true),
    eventColumn("Count", "How many times the event happened.", true),
    eventColumn("Name", "The Event's name, unique in its namespace.", true),
  ],
  cells: (event, now) => [
    // Not its creation time: <unknown> without these (null in a BOOKMARK), as kube-apiserver v1.36.3 writes it.
    age(event.lastTimestamp ?? event.firstTimestamp ?? undefined, now),
    event.type ?? "",
    event.reason ?? "",
    eventObject(event.involvedObject ?? {}),
    event.involvedObject?.fieldPath ?? "",
    [event.source?.component, event.source?.host].filter((part) => part).join(", "),
    event.message ?? "",
    age(event.firstTimestamp ?? undefined, now),
    // A number, though its column says string; an event without a count happened once.
    event.count || 1,
    event.metadata.name ?? "",
  ],
  whole: (event) => ({ ...event, kind: "Event", apiVersion: "v1" }),
};

/** An `events.k8s.io/v1` Event, as far as its Table reads it; the fake never stores one either. */
export interface GroupEvent extends StoredObject {
  readonly metadata: StoredObject["metadata"] & { readonly namespace: string };
  readonly regarding?: Event["involvedObject"];
  readonly reason?: string;
  readonly note?: string;
  readonly type?: string;
  readonly deprecatedCount?: number;
  readonly deprecatedFirstTimestamp?: string | null;
  readonly deprecatedLastTimestamp?: string | null;
  readonly deprecatedSource?: Event["source"];
}

/**
 * How an `events.k8s.io/v1` Event is printed: as kube-apiserver v1.36.3 prints it (measured: the `v1` Event's
 * columns), from the fields the `v1` ones are converted from.
 */
export const GROUP_EVENT_PRINTER: TablePrinter<GroupEvent> = {
  columns: EVENT_PRINTER.columns,
  cells: (event, now) =>
    EVENT_PRINTER.cells({
      metadata: event.metadata,
      involvedObject: event.regarding,
      reason: event.reason,
      message: event.note,
      type: event.type,
      count: event.deprecatedCount,
      firstTimestamp: event.deprecatedFirstTimestamp,
      lastTimestamp: event.deprecatedLastTimestamp,
      source: event.deprecatedSource,
    }, now),
  whole: (event) => ({ ...event, kind: "Event", apiVersion: "events.k8s.io/v1" }),
};

/** An Event's OBJECT cell: `kind/name`, or only the kind when the event names no object. */
function eventObject({ kind = "", name = "" }: NonNullable<Event["involvedObject"]>): string {
  return name === "" ? kind.toLowerCase() : `${kind.toLowerCase()}/${name}`;
}

/** A Node's roles, sorted and each once, as kubectl's printer reads them from its labels. */
function roles(labels: Record<string, string>): string[] {
  const found = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length) found.add(key.slice(ROLE_PREFIX.length));
    else if (key === ROLE_LABEL && value !== "") found.add(value);
  }
  return [...found].sort();
}
