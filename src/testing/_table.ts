/**
 * Objects as a `meta.k8s.io` Table, what `kubectl get` asks for (`Accept:
 * application/json;as=Table;v=v1;g=meta.k8s.io,...`): the Table itself, the
 * row's object as `includeObject` asks (`Metadata` by default, `Object`,
 * `None`) and the AGE cell, for any printer; and the EndpointSlice printer:
 * the columns kube-apiserver v1.36.3 prints (NAME, ADDRESSTYPE, PORTS,
 * ENDPOINTS, AGE), each cell written by the same rules (measured, and read
 * from kubernetes' printers and apimachinery's duration formatting). Services
 * and Nodes have theirs in `_core_tables.ts`. The column descriptions are our
 * own words, where a real server quotes the API's field documentation.
 * Private to the fake API server.
 *
 * @module
 */

import { badRequest } from "./_api_status.ts";
import type { EndpointSlice } from "./types.ts";

/** The Table versions a client may ask for (`v=v1` or `v=v1beta1` with `g=meta.k8s.io`). */
export type TableVersion = "v1" | "v1beta1";

/** What each row carries besides its cells, as the `includeObject` option picks it. */
export type IncludeObject = "Metadata" | "Object" | "None";

/** Shown for an empty list of ports or addresses, as kubectl's server-side printer shows it. */
const UNSET = "<unset>";
/** How many ports or addresses a cell lists before it counts the rest. */
const LISTED = 3;

/** One column of a Table, as `columnDefinitions` lists it. */
export interface TableColumn {
  /** The name kubectl prints upper-cased. */
  readonly name: string;
  /** `string`, or `date` for a creation time that the client prints as an age. */
  readonly type: string;
  /** `name` for the NAME column, else empty. */
  readonly format: string;
  /** What the column shows, in our words. */
  readonly description: string;
  /** 0 for the columns kubectl always prints, 1 for those only `-o wide` prints. */
  readonly priority: number;
}

/**
 * Column definitions from names, descriptions and the `-o wide` flag.
 *
 * @param specs Each column's name, description and whether only `-o wide` prints it; the first is the NAME column.
 * @returns The definitions.
 */
export function tableColumns(
  specs: readonly { name: string; description: string; wide?: boolean }[],
): readonly TableColumn[] {
  return specs.map(({ name, description, wide }, index) => ({
    name,
    type: "string",
    format: index === 0 ? "name" : "",
    description,
    priority: wide ? 1 : 0,
  }));
}

/** How one kind of object is printed: its columns and each object's cells. */
export interface TablePrinter<T> {
  /** The columns, in order. */
  readonly columns: readonly TableColumn[];
  /** An object's cells, one per column, its age counted to `now`. */
  cells(object: T, now: number): (string | number)[];
  /** The object as a row carries it with `includeObject=Object`. */
  whole(object: T): Record<string, unknown>;
  /** A Table without rows writes `rows: null` when this is null, as the default Table convertor does; else `[]`. */
  readonly noRows?: null;
}

/**
 * Converts objects to one Table.
 *
 * @param objects The objects, one row each.
 * @param printer Their columns and cells.
 * @param metadata The Table's metadata: a list's, or the object's resourceVersion.
 * @param options The version, the rows' objects, the columns and the time.
 * @returns The Table.
 */
export function toTable<T extends { metadata: object }>(
  objects: readonly T[],
  printer: TablePrinter<T>,
  metadata: Record<string, unknown>,
  options: TableOptions,
): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata,
    columnDefinitions: options.columns ? printer.columns : null,
    rows: objects.length === 0 && printer.noRows === null ? null : objects.map((object) => ({
      cells: printer.cells(object, options.now),
      object: options.include === "None"
        ? null
        : options.include === "Object"
        ? printer.whole(object)
        : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata },
    })),
  };
}

/** The columns of an EndpointSlice Table, in order. */
const COLUMNS = tableColumns([
  { name: "Name", description: "The EndpointSlice's name, unique in its namespace." },
  { name: "AddressType", description: "The kind of every address in the slice: IPv4, IPv6 or FQDN." },
  {
    name: "Ports",
    description: "The slice's ports: each port's number, else its name, else * (the first three, then a count).",
  },
  {
    name: "Endpoints",
    description: "The addresses of the slice's endpoints, ready or not (the first three, then a count).",
  },
  { name: "Age", description: "How long ago the server created the slice." },
]);

/**
 * Reads the `includeObject` option as the real server does when it converts to a Table.
 *
 * @param query The request's query parameters.
 * @returns What each row carries.
 * @throws {HttpError} `400 BadRequest` for a value the real server refuses, in its words.
 */
export function includeObjectOf(query: Record<string, string>): IncludeObject {
  const value = query.includeObject ?? "";
  if (value === "") return "Metadata";
  if (value === "Metadata" || value === "Object" || value === "None") return value;
  throw badRequest(
    `Unable to convert to Table as requested: includeObject: Invalid value: ${JSON.stringify(value)}: ` +
      "must be 'Metadata', 'Object', 'None', or empty",
  );
}

/** What a Table is converted from and how. */
export interface TableOptions {
  /** The Table's version. */
  readonly version: TableVersion;
  /** What each row carries. */
  readonly include: IncludeObject;
  /** Whether the Table lists its columns (a watch's first event only, and every list or GET). */
  readonly columns: boolean;
  /** The time the ages are counted to, in milliseconds since the epoch. */
  readonly now: number;
}

/** How an EndpointSlice is printed. */
export const SLICE_PRINTER: TablePrinter<EndpointSlice> = {
  columns: COLUMNS,
  cells: (slice, now) => [
    slice.metadata.name ?? "",
    slice.addressType,
    listed((slice.ports ?? []).map((port) => port.port != null ? String(port.port) : port.name ?? "*")),
    listed((slice.endpoints ?? []).flatMap((endpoint) => endpoint.addresses)),
    age(slice.metadata.creationTimestamp, now),
  ],
  whole: (slice) => ({ ...slice, kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1" }),
};

/** The first few entries joined by commas, then how many more there are; {@linkcode UNSET} for none. */
function listed(entries: readonly string[]): string {
  if (entries.length === 0) return UNSET;
  const shown = entries.slice(0, LISTED).join(",");
  return entries.length > LISTED ? `${shown} + ${entries.length - LISTED} more...` : shown;
}

/**
 * The AGE cell: the time since `created` as kubectl shows it (`45s` up to two minutes, then `3m20s`, `25m`,
 * `4h10m`, `30h`, `3d4h`, `200d`, `3y20d`, `9y`); `<unknown>` without a timestamp, `<invalid>` for one more
 * than a second ahead.
 *
 * @param created The creation timestamp (RFC 3339), if any.
 * @param now The time to count to, in milliseconds since the epoch.
 * @returns The cell.
 */
export function age(created: string | undefined, now: number): string {
  if (created === undefined || created === "") return "<unknown>";
  const seconds = Math.trunc((now - Date.parse(created)) / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const withRest = (big: number, bigUnit: string, rest: number, restUnit: string) =>
    rest === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${rest}${restUnit}`;
  if (minutes < 10) return withRest(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRest(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRest(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return withRest(years, "y", days % 365, "d");
  return `${years}y`;
}
