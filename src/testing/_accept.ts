/**
 * Content negotiation of the fake API server: the media type of each answer
 * (JSON, or protobuf for EndpointSlices), and the `406 NotAcceptable` for the
 * others, read as kube-apiserver v1.36.3 reads `Accept` (measured): first
 * go-restful's check of the route's media types (exact, case-sensitive
 * types; a wildcard only as `*\/*`), then the API server's own negotiation of
 * the clauses in goautoneg's order and their `as`, `g`, `v` and `stream`
 * options. The first match decides, as on the real server, where the fake
 * writes that format: JSON anywhere, protobuf for an EndpointSlice list,
 * watch or GET, and for every Status error, and a Table in JSON for an
 * EndpointSlice list, watch or GET and for a Service or a Node. Where a real server would answer
 * YAML, another Table, PartialObjectMetadata or aggregated discovery, or protobuf
 * for another object (a Service, a Node, a review, a discovery document),
 * the fake answers plain JSON when the header accepts it too, else plain
 * protobuf for an EndpointSlice when the header accepts that (a 200 the
 * client can read, where a real server writes YAML or a Table), and 406
 * otherwise, saying what it writes. A watch is negotiated once more, as the real server
 * picks its stream: a header whose first match is YAML, which has no stream
 * format, gets the real server's 406 even when it lists JSON too. Private to
 * the fake API server.
 *
 * @module
 */

import { HttpError, status } from "./_api_status.ts";
import { SERIALIZED } from "./_media_types.ts";
import type { TableVersion } from "./_table.ts";

/** A conversion the real server offers on an endpoint, named by the `as` option that asks for it. */
type Conversion = "Table" | "PartialObjectMetadata" | "APIGroupDiscoveryList";

/** How an endpoint negotiates on the real server. */
interface Negotiation {
  /** The media types of its go-restful route; undefined for a plain handler, which has no such check. */
  readonly produces?: readonly string[];
  /** Whether its handler negotiates the clauses' options (`/version` does not). */
  readonly negotiates: boolean;
  /** Whether its answer is a stream (a watch), which YAML cannot be. */
  readonly streams?: boolean;
  /** The conversions it offers. */
  readonly conversions: readonly Conversion[];
  /** Whether the fake writes its answer in protobuf (an EndpointSlice's, a list's or a watch's). */
  readonly protobuf?: boolean;
  /** Whether the fake writes a Table there, in JSON, as the real server does (EndpointSlices, a Service, a Node). */
  readonly tables?: boolean;
}

/**
 * The formats the fake writes: JSON, and for EndpointSlices and Status errors, protobuf; for EndpointSlices, a
 * Service or a Node, a `meta.k8s.io` Table in JSON of the version asked for.
 */
export type Format = "json" | "protobuf" | { readonly table: TableVersion };

/** The media types a real server streams a watch in, in its order. */
const STREAMED = ["application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];

const WATCHABLE = [...SERIALIZED, ...STREAMED];

/** The endpoints the fake serves, each as its real counterpart negotiates. */
const ENDPOINTS = {
  /** An EndpointSlice list. */
  collection: {
    produces: WATCHABLE,
    negotiates: true,
    conversions: ["Table", "PartialObjectMetadata"],
    protobuf: true,
    tables: true,
  },
  /** An EndpointSlice watch: the same route as a list, then the stream's own negotiation. */
  watch: {
    produces: WATCHABLE,
    negotiates: true,
    streams: true,
    conversions: ["Table", "PartialObjectMetadata"],
    protobuf: true,
    tables: true,
  },
  /** A GET of one EndpointSlice. */
  slice: {
    produces: SERIALIZED,
    negotiates: true,
    conversions: ["Table", "PartialObjectMetadata"],
    protobuf: true,
    tables: true,
  },
  /** A list of other objects (Services, Nodes): written in JSON only. */
  "object collection": {
    produces: WATCHABLE,
    negotiates: true,
    conversions: ["Table", "PartialObjectMetadata"],
    tables: true,
  },
  /** A watch of other objects (Services, Nodes): written in JSON only. */
  "object watch": {
    produces: WATCHABLE,
    negotiates: true,
    streams: true,
    conversions: ["Table", "PartialObjectMetadata"],
    tables: true,
  },
  /** A GET of another object (a Service, a Node). */
  object: { produces: SERIALIZED, negotiates: true, conversions: ["Table", "PartialObjectMetadata"], tables: true },
  /** An access review's POST (no Table: reviews have no table convertor). */
  review: { produces: SERIALIZED, negotiates: true, conversions: ["PartialObjectMetadata"] },
  /** `/api`: a go-restful route that also serves aggregated discovery. */
  "core discovery": { produces: SERIALIZED, negotiates: true, conversions: ["APIGroupDiscoveryList"] },
  /** `/apis`: a plain handler that also serves aggregated discovery. */
  "group list": { negotiates: true, conversions: ["APIGroupDiscoveryList"] },
  /** `/apis/<group>`: a plain handler. */
  group: { negotiates: true, conversions: [] },
  /** `/api/v1`, `/apis/<group>/<version>`: go-restful routes. */
  resources: { produces: SERIALIZED, negotiates: true, conversions: [] },
  /** `/version`: a go-restful route that writes JSON whatever the options. */
  version: { produces: ["application/json"], negotiates: false, conversions: [] },
} satisfies Record<string, Negotiation>;

/** An endpoint that negotiates its answer's media type. */
export type NegotiatingEndpoint = keyof typeof ENDPOINTS;

/** The discovery documents and `/version`, by path; the other documents (health checks, `/`) do not negotiate. */
const DOCUMENTS: Record<string, NegotiatingEndpoint> = {
  "/api": "core discovery",
  "/api/v1": "resources",
  "/apis": "group list",
  "/apis/discovery.k8s.io": "group",
  "/apis/discovery.k8s.io/v1": "resources",
  "/apis/events.k8s.io": "group",
  "/apis/events.k8s.io/v1": "resources",
  "/version": "version",
};

/**
 * The endpoint a document's path reaches, for {@linkcode negotiate}.
 *
 * @param path The canonical path.
 * @returns The endpoint; undefined for a document that is written whatever the client accepts.
 */
export function documentEndpoint(path: string): NegotiatingEndpoint | undefined {
  return DOCUMENTS[path];
}

/** The serializers of a real server, in its order (`*\/*` gets the first). */
const SERIALIZERS = [
  { type: "application", subType: "json", streams: true },
  { type: "application", subType: "yaml", streams: false },
  { type: "application", subType: "vnd.kubernetes.protobuf", streams: true },
] as const;

/** One clause of an `Accept` header, as goautoneg parses it. */
interface Clause {
  readonly type: string;
  readonly subType: string;
  readonly q: number;
  readonly params: ReadonlyMap<string, string>;
}

/**
 * Negotiates the media type of an answer. An `Accept` header the real server refuses too gets its 406 at
 * once; one whose answer the fake cannot write gets a 406 from the fake in place of its successful answer
 * only, since errors found before it (a 404, a 400) are still written (see {@linkcode errorFormat}). So does
 * a watch whose first match is YAML, with the real server's words: it refuses the stream only once the watch
 * is open.
 *
 * @param accept The request's `Accept` header.
 * @param endpoint The endpoint the request reaches.
 * @returns The format of the successful answer; else the 406 to give instead of it.
 * @throws {HttpError} `406 NotAcceptable` in the real server's words, for a header it refuses too.
 */
export function negotiate(accept: string | undefined, endpoint: NegotiatingEndpoint): Format | HttpError {
  const header = accept ?? "";
  const { produces, negotiates, streams, conversions, protobuf, tables }: Negotiation = ENDPOINTS[endpoint];
  if (produces !== undefined && !routeAccepts(header, produces)) {
    throw notAcceptable(`406: Not Acceptable\n\nAvailable representations: ${produces.join(", ")}`, {});
  }
  if (!negotiates || header === "") return "json";
  // What the real server could answer, its choice first.
  const matches: { answer: Format | "other"; subType: string; table?: TableVersion }[] = [];
  for (const clause of parseAccept(header)) {
    for (const serializer of SERIALIZERS) {
      if (!fits(clause, serializer)) continue;
      const answer = answerFor(clause.params, serializer, conversions);
      if (answer !== "refused") matches.push({ answer, subType: serializer.subType, table: tableAsked(clause) });
    }
  }
  if (matches.length === 0) {
    throw notAcceptable(`only the following media types are accepted: ${SERIALIZED.join(", ")}`);
  }
  if (streams === true && matches[0].subType === "yaml") {
    return notAcceptable(`only the following media types are accepted: ${STREAMED.join(", ")}`);
  }
  const { table, subType } = matches[0];
  if (tables === true && table !== undefined && subType === "json") return { table };
  const written = (answer: Format | "other") => answer === "json" || (answer === "protobuf" && protobuf === true);
  if (written(matches[0].answer)) return matches[0].answer as Format;
  if (matches.some(({ answer }) => answer === "json")) return "json";
  if (protobuf === true && matches.some(({ answer }) => answer === "protobuf")) return "protobuf";
  return notAcceptable(
    protobuf === true
      ? "only the following media types are accepted: application/json, application/vnd.kubernetes.protobuf " +
        "(the fake API server of @kgr/resolver/testing writes no other: accept one of them too)"
      : "only the following media types are accepted: application/json " +
        "(the fake API server of @kgr/resolver/testing writes JSON only: accept application/json too)",
  );
}

/**
 * The format of a Status error, as the real server negotiates it for any request (measured: a 400, 401, 404
 * or 405 of any path inside the API): the first clause that plain JSON, YAML or protobuf fits, without
 * conversions; JSON when none does. YAML is written as JSON by the fake. A 406 is always JSON.
 *
 * @param accept The request's `Accept` header.
 * @returns The format.
 */
export function errorFormat(accept: string | undefined): Format {
  for (const clause of parseAccept(accept ?? "")) {
    for (const serializer of SERIALIZERS) {
      if (!fits(clause, serializer) || answerFor(clause.params, serializer, []) === "refused") continue;
      return serializer.subType === "vnd.kubernetes.protobuf" ? "protobuf" : "json";
    }
  }
  return "json";
}

/** The Table version a clause asks for, if it asks for one (`as=Table;g=meta.k8s.io;v=v1`). */
function tableAsked(clause: Clause): TableVersion | undefined {
  const version = clause.params.get("v");
  if (clause.params.get("as") !== "Table" || clause.params.get("g") !== "meta.k8s.io") return undefined;
  return version === "v1" || version === "v1beta1" ? version : undefined;
}

/** Whether a clause's type fits a serializer's. */
function fits(clause: Clause, serializer: (typeof SERIALIZERS)[number]): boolean {
  return clause.type === "*" && clause.subType === "*" ||
    clause.type === serializer.type && (clause.subType === serializer.subType || clause.subType === "*");
}

function notAcceptable(message: string, details?: Record<string, unknown>): HttpError {
  return new HttpError(406, status(406, "NotAcceptable", message, { details }));
}

/**
 * go-restful's check: an empty header, or a clause whose type (options cut off, spaces trimmed) is `*\/*` or
 * one the route produces.
 */
function routeAccepts(header: string, produces: readonly string[]): boolean {
  if (header === "") return true;
  return header.split(",").some((part) => {
    const type = part.split(";")[0].replace(/^ +| +$/g, "");
    return type === "*/*" || produces.includes(type);
  });
}

/**
 * What the real server answers for one clause and serializer: plain JSON or protobuf (which the fake may write
 * too), another format or a conversion (which only the real server writes), or nothing.
 */
function answerFor(
  params: ReadonlyMap<string, string>,
  serializer: (typeof SERIALIZERS)[number],
  conversions: readonly Conversion[],
): Format | "other" | "refused" {
  const stream = params.get("stream") ?? "";
  if (stream !== "" && (!serializer.streams || stream !== "watch")) return "refused";
  const [as, group, version] = ["as", "g", "v"].map((key) => params.get(key));
  if (as === undefined && group === undefined && version === undefined) {
    return serializer.subType === "json" ? "json" : serializer.subType === "yaml" ? "other" : "protobuf";
  }
  const offered = conversions.some((conversion) => {
    if (conversion === "APIGroupDiscoveryList") {
      return as === conversion && group === "apidiscovery.k8s.io" && (version === "v2" || version === "v2beta1");
    }
    const meta = group === "meta.k8s.io" && (version === "v1" || version === "v1beta1");
    if (conversion === "Table") return meta && as === "Table" && serializer.subType !== "vnd.kubernetes.protobuf";
    return meta && (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList");
  });
  return offered ? "other" : "refused";
}

/**
 * The clauses of an `Accept` header as goautoneg reads them: clauses without a `/` dropped (but `*`), `q`
 * read as a float (0 when it is not one), then sorted by its comparison: a higher `q`, or a more specific
 * type, comes first.
 */
function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  for (const part of header.split(",")) {
    const [range, ...rest] = part.replace(/^ +| +$/g, "").split(";");
    const [type, subType, ...extra] = range.split("/").map((piece) => piece.replace(/^ +| +$/g, ""));
    if (extra.length > 0 || (subType === undefined && type !== "*")) continue;
    let q = 1;
    const params = new Map<string, string>();
    for (const param of rest) {
      const equals = param.indexOf("=");
      if (equals === -1) continue;
      const key = param.slice(0, equals).replace(/^ +| +$/g, "");
      const value = param.slice(equals + 1);
      if (key === "q") q = goParseFloat(value);
      else params.set(key, value.replace(/^ +| +$/g, ""));
    }
    clauses.push({ type, subType: subType ?? "*", q, params });
  }
  // Go's sort.Sort on so few clauses is an insertion sort with goautoneg's Less.
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && precedes(clauses[j], clauses[j - 1]); j--) {
      [clauses[j], clauses[j - 1]] = [clauses[j - 1], clauses[j]];
    }
  }
  return clauses;
}

/** goautoneg's Less: a higher q, else a type that is not `*`, else a subtype that is not `*`. */
function precedes(a: Clause, b: Clause): boolean {
  return a.q > b.q || (a.type !== "*" && b.type === "*") || (a.subType !== "*" && b.subType === "*");
}

/** Go's `strconv.ParseFloat`, as goautoneg uses it: a malformed number is 0. */
function goParseFloat(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : 0;
}
