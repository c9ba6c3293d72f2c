/**
 * The kinds of objects the fake API server lists and watches (EndpointSlices,
 * Services, Nodes, Namespaces, and Events of `v1` and of `events.k8s.io/v1`, ResourceQuotas and LimitRanges, of
 * which it stores none): where each is stored, what its lists are called, how it
 * is printed as a Table, which fields select it, and what its BOOKMARK events
 * carry (measured on kube-apiserver v1.36.3: an empty object of the kind with
 * only a resourceVersion, with the fields its Go type always writes). Private
 * to the fake API server.
 *
 * @module
 */

import type { SelectableFields } from "./_field_selector.ts";
import type { ObjectHistory, StoredObject } from "./_object_history.ts";
import { SLICE_PRINTER, type TablePrinter } from "./_table.ts";
import {
  type Event,
  EVENT_PRINTER,
  GROUP_EVENT_PRINTER,
  type GroupEvent,
  NODE_PRINTER,
  SERVICE_PRINTER,
} from "./_core_tables.ts";
import type { EndpointSlice, Node, Service } from "./types.ts";
import { type Namespace, NAMESPACE_PRINTER } from "./_namespaces.ts";
import {
  LIMIT_RANGE_PRINTER,
  type LimitRange,
  RESOURCE_QUOTA_PRINTER,
  type ResourceQuota,
} from "./_namespace_policies.ts";

/** One kind of object that the fake lists and watches. */
export interface ServedResource<T extends StoredObject = StoredObject> {
  /** Its storage. */
  readonly history: ObjectHistory<T>;
  /** The `kind` of its lists (`ServiceList`). */
  readonly listKind: string;
  /** Its `apiVersion`. */
  readonly apiVersion: string;
  /** How it is printed as a Table. */
  readonly printer: TablePrinter<T>;
  /**
   * Whether kube-apiserver serves its watches from its watch cache, which sends periodic and pre-timeout BOOKMARKs:
   * not Events (measured on v1.36.3: a 75 s watch got only the BOOKMARK that ends its initial events).
   */
  readonly watchCached: boolean;
  /** The object a BOOKMARK event carries at `resourceVersion`, with `annotations` if given. */
  bookmark(resourceVersion: string, annotations?: Record<string, string>): T;
  /** The fields its field selectors may name. */
  readonly fields: SelectableFields;
  /** An object's value of each of those fields, as the real server reads them. */
  fieldValues(object: T): Record<string, string>;
}

/**
 * The fields of EndpointSlices, ResourceQuotas and LimitRanges, and the real server's words for another (measured on
 * v1.36.3).
 */
const NAME_FIELDS: SelectableFields = {
  names: new Set(["metadata.name", "metadata.namespace"]),
  unsupported: (field) => `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/** How kube-apiserver v1.36.3 refuses a field that Services and Nodes are not selected by (measured). */
const notSupported = (field: string) => `field label not supported: ${field}`;

/** A Service's fields, as kube-apiserver selects it by them. */
const SERVICE_FIELDS: SelectableFields = {
  names: new Set(["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"]),
  unsupported: notSupported,
};

/** A Node's fields: a cluster-scoped object has no `metadata.namespace` to select by. */
const NODE_FIELDS: SelectableFields = {
  names: new Set(["metadata.name", "spec.unschedulable"]),
  unsupported: notSupported,
};

/** An Event's fields, as kube-apiserver v1.36.3 selects it by them (measured: `kubectl describe` names four). */
const EVENT_FIELDS: SelectableFields = {
  names: new Set([
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ]),
  unsupported: notSupported,
};

/** An `events.k8s.io/v1` Event's fields, as kube-apiserver v1.36.3 selects it by them (measured). */
const GROUP_EVENT_FIELDS: SelectableFields = {
  names: new Set([
    "metadata.name",
    "metadata.namespace",
    "reason",
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reportingController",
    "type",
  ]),
  unsupported: notSupported,
};

/** A Namespace's fields, as kube-apiserver selects it by them (its field label conversion for Namespaces). */
const NAMESPACE_FIELDS: SelectableFields = {
  names: new Set(["metadata.name", "status.phase"]),
  unsupported: notSupported,
};

/** The served resources of one server, by their plural name. */
export interface ServedResources {
  /** `discovery.k8s.io/v1` EndpointSlices. */
  readonly endpointslices: ServedResource<EndpointSlice>;
  /** `v1` Services. */
  readonly services: ServedResource<Service>;
  /** `v1` Nodes. */
  readonly nodes: ServedResource<Node>;
  /** `v1` Events: always none, so that `kubectl get events` and `kubectl describe` read an empty list. */
  readonly events: ServedResource<Event>;
  /** `events.k8s.io/v1` Events: always none, for `kubectl get events.events.k8s.io`. */
  readonly groupEvents: ServedResource<GroupEvent>;
  /** `v1` Namespaces: the system ones and each that held an object (see `_namespaces.ts`). */
  readonly namespaces: ServedResource<Namespace>;
  /** `v1` ResourceQuotas: always none, so that `kubectl describe namespace` says so. */
  readonly resourcequotas: ServedResource<ResourceQuota>;
  /** `v1` LimitRanges: always none, so that `kubectl describe namespace` says so. */
  readonly limitranges: ServedResource<LimitRange>;
}

/**
 * The key an object is stored under: `namespace/name`, or the name of a cluster-scoped object.
 *
 * @param metadata The object's metadata.
 * @returns The key.
 */
export function storedKey(metadata: StoredObject["metadata"]): string {
  return metadata.namespace === undefined ? metadata.name : `${metadata.namespace}/${metadata.name}`;
}

/**
 * Orders objects by their stored key, as etcd reads them.
 *
 * @param a One object.
 * @param b Another.
 * @returns A negative number, zero or a positive number.
 */
export function byStoredKey(a: StoredObject, b: StoredObject): number {
  const left = storedKey(a.metadata);
  const right = storedKey(b.metadata);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The metadata of a bookmark: its resourceVersion, and its annotations if any. */
function bookmarkMetadata(resourceVersion: string, annotations?: Record<string, string>) {
  return annotations === undefined ? { resourceVersion } : { resourceVersion, annotations };
}

/**
 * Describes the served resources over their histories.
 *
 * @param histories Each resource's storage, sharing one resourceVersion clock.
 * @returns The resources.
 */
export function servedResources(histories: {
  endpointslices: ObjectHistory<EndpointSlice>;
  services: ObjectHistory<Service>;
  nodes: ObjectHistory<Node>;
  events: ObjectHistory<Event>;
  groupEvents: ObjectHistory<GroupEvent>;
  namespaces: ObjectHistory<Namespace>;
  resourcequotas: ObjectHistory<ResourceQuota>;
  limitranges: ObjectHistory<LimitRange>;
}): ServedResources {
  return {
    endpointslices: {
      history: histories.endpointslices,
      listKind: "EndpointSliceList",
      apiVersion: "discovery.k8s.io/v1",
      watchCached: true,
      printer: SLICE_PRINTER,
      fields: NAME_FIELDS,
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "metadata.namespace": metadata.namespace }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "EndpointSlice",
        apiVersion: "discovery.k8s.io/v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        addressType: "",
        endpoints: null,
        ports: null,
      } as unknown as EndpointSlice),
    },
    services: {
      history: histories.services,
      listKind: "ServiceList",
      apiVersion: "v1",
      watchCached: true,
      printer: SERVICE_PRINTER,
      fields: SERVICE_FIELDS,
      // An ExternalName Service has no cluster IP: its field is empty, as on a real server.
      fieldValues: ({ metadata, spec }) => ({
        "metadata.name": metadata.name,
        "metadata.namespace": metadata.namespace,
        "spec.clusterIP": spec.clusterIP ?? "",
        "spec.type": spec.type,
      }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "Service",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        spec: {},
        status: { loadBalancer: {} },
      } as unknown as Service),
    },
    nodes: {
      history: histories.nodes,
      listKind: "NodeList",
      apiVersion: "v1",
      watchCached: true,
      printer: NODE_PRINTER,
      fields: NODE_FIELDS,
      // No fake Node is cordoned: as Go prints the false of a Node without `spec.unschedulable`.
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "spec.unschedulable": "false" }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "Node",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        spec: {},
        status: {
          daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
          nodeInfo: {
            machineID: "",
            systemUUID: "",
            bootID: "",
            kernelVersion: "",
            osImage: "",
            containerRuntimeVersion: "",
            kubeletVersion: "",
            kubeProxyVersion: "",
            operatingSystem: "",
            architecture: "",
          },
        },
      } as unknown as Node),
    },
    events: {
      history: histories.events,
      listKind: "EventList",
      apiVersion: "v1",
      watchCached: false,
      printer: EVENT_PRINTER,
      fields: EVENT_FIELDS,
      // Only selectors are checked against EVENT_FIELDS: there is no stored Event to read the other fields of.
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "metadata.namespace": metadata.namespace }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "Event",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        involvedObject: {},
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        eventTime: null,
        reportingComponent: "",
        reportingInstance: "",
      } as unknown as Event),
    },
    groupEvents: {
      history: histories.groupEvents,
      listKind: "EventList",
      apiVersion: "events.k8s.io/v1",
      watchCached: false,
      printer: GROUP_EVENT_PRINTER,
      fields: GROUP_EVENT_FIELDS,
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "metadata.namespace": metadata.namespace }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "Event",
        apiVersion: "events.k8s.io/v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        eventTime: null,
        regarding: {},
        deprecatedSource: {},
        deprecatedFirstTimestamp: null,
        deprecatedLastTimestamp: null,
      } as unknown as GroupEvent),
    },
    namespaces: {
      history: histories.namespaces,
      listKind: "NamespaceList",
      apiVersion: "v1",
      watchCached: true,
      printer: NAMESPACE_PRINTER,
      fields: NAMESPACE_FIELDS,
      fieldValues: ({ metadata, status }) => ({ "metadata.name": metadata.name, "status.phase": status.phase }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "Namespace",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        spec: {},
        status: {},
      } as unknown as Namespace),
    },
    resourcequotas: {
      history: histories.resourcequotas,
      listKind: "ResourceQuotaList",
      apiVersion: "v1",
      watchCached: true,
      printer: RESOURCE_QUOTA_PRINTER,
      fields: NAME_FIELDS,
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "metadata.namespace": metadata.namespace }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "ResourceQuota",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        spec: {},
        status: {},
      } as unknown as ResourceQuota),
    },
    limitranges: {
      history: histories.limitranges,
      listKind: "LimitRangeList",
      apiVersion: "v1",
      watchCached: true,
      printer: LIMIT_RANGE_PRINTER,
      fields: NAME_FIELDS,
      fieldValues: ({ metadata }) => ({ "metadata.name": metadata.name, "metadata.namespace": metadata.namespace }),
      bookmark: (resourceVersion, annotations) => ({
        kind: "LimitRange",
        apiVersion: "v1",
        metadata: bookmarkMetadata(resourceVersion, annotations),
        spec: { limits: null },
      } as unknown as LimitRange),
    },
  };
}
