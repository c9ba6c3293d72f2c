/**
 * ResourceQuotas and LimitRanges, which the fake serves always empty (nothing writes them), as a cluster where nobody
 * set one answers: `kubectl describe namespace` lists both and prints `No resource quota.` and `No LimitRange
 * resource.`, which it left out against the fake while it got 404s for them. Their Table columns are kube-apiserver
 * v1.36.3's (measured): a ResourceQuota's NAME, REQUEST, LIMIT, AGE, and a LimitRange's NAME and CREATED AT from
 * the server's default Table convertor, which writes `rows: null` for an empty list. Private to the fake API server.
 *
 * @module
 */

import type { StoredObject } from "./_object_history.ts";
import { age, type TableColumn, tableColumns, type TablePrinter } from "./_table.ts";

/** A `v1` ResourceQuota, as far as its Table reads it; the fake never stores one. */
export interface ResourceQuota extends StoredObject {
  readonly metadata: StoredObject["metadata"] & { readonly namespace: string; readonly creationTimestamp?: string };
}

/** A `v1` LimitRange, as far as its Table reads it; the fake never stores one. */
export interface LimitRange extends StoredObject {
  readonly metadata: StoredObject["metadata"] & { readonly namespace: string; readonly creationTimestamp?: string };
}

/** How a ResourceQuota is printed: its name, what it caps of requests and of limits, and its age. */
export const RESOURCE_QUOTA_PRINTER: TablePrinter<ResourceQuota> = {
  columns: tableColumns([
    { name: "Name", description: "The ResourceQuota's name, unique in its namespace." },
    { name: "Request", description: "What the quota caps of the pods' requests, with what they use of it." },
    { name: "Limit", description: "What the quota caps of the pods' limits, with what they use of it." },
    { name: "Age", description: "How long ago the server created the ResourceQuota." },
  ]),
  // The fake stores no quota: only a BOOKMARK's empty one is ever printed.
  cells: (quota, now) => [quota.metadata.name ?? "", "", "", age(quota.metadata.creationTimestamp, now)],
  whole: (quota) => ({ ...quota, kind: "ResourceQuota", apiVersion: "v1" }),
};

/** The default Table convertor's columns: the name, and the creation time as a date. */
const LIMIT_RANGE_COLUMNS: readonly TableColumn[] = [
  ...tableColumns([{ name: "Name", description: "The LimitRange's name, unique in its namespace." }]),
  {
    name: "Created At",
    type: "date",
    format: "",
    description: "When the server created the LimitRange.",
    priority: 0,
  },
];

/** How a LimitRange is printed, by kube-apiserver's default Table convertor. */
export const LIMIT_RANGE_PRINTER: TablePrinter<LimitRange> = {
  columns: LIMIT_RANGE_COLUMNS,
  cells: (range) => [range.metadata.name ?? "", range.metadata.creationTimestamp ?? ""],
  whole: (range) => ({ ...range, kind: "LimitRange", apiVersion: "v1" }),
  noRows: null,
};
