/**
 * One request to the fake API server, from its arrival to its answer:
 * recording, authentication (a bearer token; no credentials at all make the
 * request `system:anonymous`, as on a real server), injected failures,
 * access reviews and RBAC-like rules (`setAccess()`), routing, and the JSON,
 * protobuf or text answer. Private to the fake API server.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import {
  badRequest,
  forbiddenRequest,
  groupOf,
  HttpError,
  injectedFailure,
  internalError,
  methodNotAllowed,
  namespaceNotFound,
  noOpenApi,
  notFound,
  objectNotFound,
  type ResourceRequest,
  tooLarge,
  unauthorized,
} from "./_api_status.ts";
import { documentEndpoint, errorFormat, type Format, negotiate } from "./_accept.ts";
import { goDurationError } from "./_go_duration.ts";
import { goJson } from "./_go_json.ts";
import { type InfoDocument, infoDocument } from "./_discovery.ts";
import type { AccessControl } from "./_access_control.ts";
import type { FailureQueue } from "./_failures.ts";
import { listObjects } from "./_list.ts";
import { type Namespace, NAMESPACE_PRINTER, type Namespaces } from "./_namespaces.ts";
import { protobufObject } from "./_protobuf_writer.ts";
import { firstValues, watchResourceVersion } from "./_request_options.ts";
import { isLongRunning, type RequestAttributes, requestAttributes } from "./_request_info.ts";
import { canonicalPath, isPublicInfo, recordedKind, type Route, routeOf } from "./_routes.ts";
import type { RvWaiters } from "./_rv_waiters.ts";
import type { StoredObject } from "./_object_history.ts";
import { type ServedResources, storedKey } from "./_served_resources.ts";
import { includeObjectOf, type TablePrinter, toTable } from "./_table.ts";
import type { WatchHub } from "./_watch.ts";
import type { InjectedFailure, RecordedRequest } from "./server_types.ts";

/** What the handler reads and changes. */
export interface HandlerContext {
  /** The EndpointSlices, Services and Nodes. */
  readonly resources: ServedResources;
  /** Waits for a future resourceVersion. */
  readonly waiters: RvWaiters;
  /** The open watches. */
  readonly watches: WatchHub;
  /** Failures injected by `failNext()`. */
  readonly failures: FailureQueue;
  /** The Namespaces: the system ones and those that held an object. */
  readonly namespaces: Namespaces;
  /** Who the client is and what it may do (`setAccess()`), and the access reviews it creates. */
  readonly access: AccessControl;
  /** Every request received; the handler appends to it. */
  readonly requests: RecordedRequest[];
  /** The accepted bearer token; undefined when anyone may do anything. */
  token(): string | undefined;
  /** The `host:port` the server listens on, for `/api`. */
  serverAddress(): string;
}

const ANONYMOUS = "system:anonymous";

/** An answer's body: a document, or an object in protobuf (an EndpointSlice, a list of them, a Status). */
type Body = InfoDocument | { readonly protobuf: Record<string, unknown> };

/** The body of an object in the negotiated format (not a Table: see {@linkcode tableBody}). */
function objectBody(value: Record<string, unknown>, format: Format): Body {
  return format === "protobuf" ? { protobuf: value } : { json: value };
}

/**
 * The body of objects in the negotiated format: a Table of `objects` when one was asked for, with the given metadata
 * (a list's, or the one object's resourceVersion), else `value` as it is.
 */
function tableBody<T extends { metadata: object }>(
  value: Record<string, unknown>,
  objects: readonly T[],
  printer: TablePrinter<T>,
  metadata: Record<string, unknown>,
  format: Format,
  query: Record<string, string>,
): Body {
  if (typeof format === "string") return objectBody(value, format);
  const options = { version: format.table, include: includeObjectOf(query), columns: true, now: Date.now() };
  return { json: toTable(objects, printer, metadata, options) };
}

/** The Content-Type of each kind of body. */
function contentType(body: Body): string {
  if ("protobuf" in body) return "application/vnd.kubernetes.protobuf";
  return "json" in body ? "application/json" : "text/plain; charset=utf-8";
}

function send(
  res: ServerResponse,
  record: RecordedRequest,
  code: number,
  body: Body,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  record.status = code;
  const text = "protobuf" in body
    ? protobufObject(body.protobuf)
    : "text" in body
    ? body.text
    : jsonText(body.json, (body.indented ?? false) || prettyPrinted(res.req));
  // kube-apiserver compresses an answer of more than 128 KiB (never a watch) for a client that accepts gzip.
  const compressed = Buffer.byteLength(text) > GZIP_THRESHOLD_BYTES && acceptsGzip(res.req);
  const sent = compressed ? gzipSync(text) : text;
  res.writeHead(code, {
    "Content-Type": contentType(body),
    "Content-Length": String(Buffer.byteLength(sent)),
    "Cache-Control": "no-cache, private",
    "Audit-Id": crypto.randomUUID(),
    ...(compressed ? { "Content-Encoding": "gzip", Vary: "Accept-Encoding" } : {}),
    // Go's http.Error and kube-apiserver's health checks mark their plain text so; its timeout filter does not.
    ...("text" in body && body.nosniff !== false ? { "X-Content-Type-Options": "nosniff" } : {}),
    ...headers,
  });
  res.end(sent);
}

/**
 * A JSON answer as kube-apiserver writes it: Go's JSON encoder ends it with a newline; the documents and
 * Statuses it writes with `json.MarshalIndent` are indented with two spaces and end without one.
 */
function jsonText(value: unknown, indented: boolean): string {
  return indented ? goJson(value, true) : `${goJson(value)}\n`;
}

/**
 * A request's path as sent, still percent-encoded: as Go's server routes it, `.` and `..` segments and a
 * leading `//` are kept (a WHATWG URL would resolve them, and read `//apis` as a host).
 */
function rawPath(req: IncomingMessage): string {
  const url = req.url ?? "/";
  if (!url.startsWith("/")) return new URL(url, "http://fake.invalid").pathname;
  return url.includes("?") ? url.slice(0, url.indexOf("?")) : url;
}

/** A request's query as sent, still percent-encoded: what follows the first `?` (Go's `URL.RawQuery`). */
function rawQuery(req: IncomingMessage): string {
  const url = req.url ?? "/";
  return url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
}

/**
 * Whether kube-apiserver indents its JSON answer (not a watch's events) to a request: as `?pretty=` says (read
 * by Go's `strconv.ParseBool`), else for a terminal tool or a browser, by the start of its User-Agent.
 */
function prettyPrinted(req: IncomingMessage): boolean {
  const pretty = firstValues(rawQuery(req)).pretty ?? "";
  if (pretty !== "") return ["1", "t", "T", "TRUE", "true", "True"].includes(pretty);
  const agent = req.headers["user-agent"] ?? "";
  return ["curl", "Wget", "Mozilla/5.0"].some((prefix) => agent.startsWith(prefix));
}

/** The size above which kube-apiserver gzips an answer (its `defaultGzipThresholdBytes`). */
const GZIP_THRESHOLD_BYTES = 128 * 1024;

/**
 * Whether the request's `Accept-Encoding` names gzip as kube-apiserver reads it: one of its comma-separated
 * entries is exactly `gzip` (so not `GZIP`, and not `gzip;q=0` nor `gzip;q=1` either).
 */
function acceptsGzip(req: IncomingMessage): boolean {
  const accepted = req.headers["accept-encoding"] ?? "";
  return accepted.split(",").some((part) => part.trim() === "gzip");
}

/**
 * Who sends the request: anyone (no token configured), the token's holder,
 * `system:anonymous` (no credentials) or nobody we know (a 401). As
 * kube-apiserver's bearer token authenticator reads the header: anything but
 * `Bearer <token>` (basic auth, an empty token) is no credentials at all.
 */
function caller(req: IncomingMessage, token: string | undefined): "trusted" | "anonymous" | "unknown" {
  if (token === undefined) return "trusted";
  // Go's strings.SplitN(header, " ", 3): the token is what lies between the first and the second space.
  const [scheme, credential] = (req.headers.authorization ?? "").trim().split(" ");
  if (credential === undefined || scheme.toLowerCase() !== "bearer" || credential === "") return "anonymous";
  return credential === token ? "trusted" : "unknown";
}

/**
 * The warning kube-apiserver's bearer token authenticator adds to every answer when the token follows
 * `Bearer` after two spaces (which makes it no credentials at all).
 */
const EXTRA_SPACE_WARNING =
  '299 - "the provided Authorization header contains extra space before the bearer token, and is ignored"';

function hasExtraSpace(req: IncomingMessage): boolean {
  const [scheme, credential, rest] = (req.headers.authorization ?? "").trim().split(" ");
  return scheme.toLowerCase() === "bearer" && credential === "" && rest !== undefined;
}

/**
 * Creates the request handler of one server.
 *
 * @param context The stores and registries it serves from.
 * @returns The handler, for `node:http`'s `request` event.
 */
export function createRequestHandler(
  context: HandlerContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { resources, waiters, watches, failures, requests } = context;

  async function serveResource(
    res: ServerResponse,
    record: RecordedRequest,
    request: ResourceRequest,
    query: Record<string, string>,
    attributes: () => RequestAttributes,
    expiry?: InjectedFailure,
  ): Promise<void> {
    const { verb, namespace, name } = request;
    const resource = request.group === "events.k8s.io" ? resources.groupEvents : resources[request.resource];
    const { history } = resource;
    const deniedUser = context.access.deniedUser({ ...request, group: groupOf(request) });
    if (deniedUser !== undefined) throw forbiddenRequest(deniedUser, attributes());
    // A namespaced object read without its namespace (`namespaces//services/x`).
    if (verb === "get" && namespace === undefined && request.resource !== "nodes") {
      throw badRequest("Namespace parameter required.");
    }
    const slices = request.resource === "endpointslices";
    const format = negotiate(
      res.req.headers.accept,
      verb === "watch"
        ? (slices ? "watch" : "object watch")
        : verb === "list"
        ? (slices ? "collection" : "object collection")
        : slices
        ? "slice"
        : "object",
    );
    if (verb === "watch") {
      if (await watches.serve(res, resource, namespace, query, format, expiry)) record.status = 200;
    } else if (verb === "list") {
      const list = await listObjects(resource, waiters, namespace, query);
      if (format instanceof HttpError) throw format;
      const items = list.items as StoredObject[];
      const metadata = list.metadata as Record<string, unknown>;
      send(res, record, 200, tableBody(list, items, resource.printer, metadata, format, query));
    } else {
      // A GET reads a state not older than its resourceVersion: a future one is waited for, as by a list.
      const rv = query.resourceVersion ?? "";
      const wanted = rv === "" || rv === "0" ? 0 : watchResourceVersion(rv);
      if (wanted > history.rv && !(await waiters.wait(wanted))) throw tooLarge(wanted, history.rv);
      const found = (history.current as ReadonlyMap<string, StoredObject>).get(storedKey({ namespace, name: name! }));
      if (found === undefined) throw objectNotFound({ ...request, name: name! });
      if (format instanceof HttpError) throw format;
      const metadata = { resourceVersion: found.metadata.resourceVersion };
      const printer = resource.printer as TablePrinter<StoredObject>;
      send(
        res,
        record,
        200,
        tableBody(found as unknown as Record<string, unknown>, [found], printer, metadata, format, query),
      );
    }
  }

  /** One Namespace, the list of them, or a watch of them (as a Table for kubectl). */
  async function serveNamespaces(
    res: ServerResponse,
    record: RecordedRequest,
    { verb, name }: { verb: string; name: string | undefined },
    query: Record<string, string>,
  ): Promise<void> {
    const resource = resources.namespaces;
    const found = name === undefined ? undefined : context.namespaces.get(name);
    if (name !== undefined && found === undefined) throw namespaceNotFound(name);
    const watch = verb === "watch";
    const format = negotiate(
      res.req.headers.accept,
      watch ? "object watch" : name === undefined ? "object collection" : "object",
    );
    if (watch) {
      if (await watches.serve(res, resource, undefined, query, format)) record.status = 200;
      return;
    }
    if (format instanceof HttpError) throw format;
    if (found !== undefined) {
      const metadata = { resourceVersion: found.metadata.resourceVersion };
      return send(res, record, 200, tableBody({ ...found }, [found], NAMESPACE_PRINTER, metadata, format, query));
    }
    const list = await listObjects(resource, waiters, undefined, query);
    const metadata = list.metadata as Record<string, unknown>;
    send(res, record, 200, tableBody(list, list.items as Namespace[], NAMESPACE_PRINTER, metadata, format, query));
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    route: Route,
    query: Record<string, string>,
  ): Promise<void> {
    // What RBAC sees of the request, read only for a 403 or a timeout.
    const attributes = () => requestAttributes(record.method, record.path, query);
    // As kube-apiserver reads the request deadline, before it authenticates: for any request but a long-running one
    // (a watch, served here or not), which has none.
    const timeoutError = query.timeout && !isLongRunning(attributes()) ? goDurationError(query.timeout) : undefined;
    if (timeoutError !== undefined) throw badRequest(`invalid timeout specified in the request URL - ${timeoutError}`);
    const who = caller(req, context.token());
    if (who === "unknown") throw unauthorized();
    const path = canonicalPath(record.path);
    const review = context.access.reviewOf(record.method, path);
    if (who === "anonymous" && !isPublicInfo(record.method, path)) throw forbiddenRequest(ANONYMOUS, attributes());
    const deniedUser = route.kind !== "resource" && review === undefined
      ? context.access.deniedOutsideServedResources(attributes())
      : undefined;
    if (deniedUser !== undefined) throw forbiddenRequest(deniedUser, attributes());
    const failure = failures.take(record.kind);
    // A 410 on a watch comes as the real server sends it: 200, then an ERROR event (see WatchHub.serve).
    const expiry = failure?.status === 410 && route.kind === "resource" && route.request.verb === "watch"
      ? failure
      : undefined;
    if (failure !== undefined && expiry === undefined) {
      throw injectedFailure(failure, route.kind === "resource" ? route.request : undefined, context.access.username());
    }
    // Before any await: the review's body is already flowing.
    if (review !== undefined) {
      const format = negotiate(req.headers.accept, "review");
      const { code, body } = await context.access.answer(req, review);
      if (format instanceof HttpError && code < 300) throw format;
      return send(res, record, code, code < 300 ? { json: body } : objectBody(body, errorFormat(req.headers.accept)));
    }
    if (route.kind === "unknown" && !route.known && !route.inApi) {
      if (/^\/openapi\/v[23](\/|$)/.test(path)) throw noOpenApi();
      return send(res, record, 404, { text: "404 page not found\n" });
    }
    if (route.kind === "unknown") throw route.known ? methodNotAllowed() : notFound();
    if (route.kind === "namespace") await serveNamespaces(res, record, route, query);
    else if (route.kind === "info") {
      const endpoint = documentEndpoint(path);
      const format = endpoint === undefined ? "json" : negotiate(req.headers.accept, endpoint);
      if (format instanceof HttpError) throw format;
      send(res, record, 200, infoDocument(path, context.serverAddress()));
    } else await serveResource(res, record, route.request, query, attributes, expiry);
  }

  return async (req, res) => {
    const path = rawPath(req);
    const query = firstValues(rawQuery(req));
    const method = req.method ?? "GET";
    const route = routeOf(method, canonicalPath(path), query);
    const record: RecordedRequest = {
      method,
      path,
      query,
      kind: recordedKind(route),
      status: 0,
      at: Date.now(),
    };
    requests.push(record);
    // Set before any head is written: a watch's head carries it too.
    if (hasExtraSpace(req)) res.setHeader("Warning", EXTRA_SPACE_WARNING);
    try {
      await serve(req, res, record, route, query);
    } catch (error) {
      const answer = error instanceof HttpError ? error : internalError(error);
      // A 406 is written before any negotiation could succeed: kube-apiserver writes it indented, in JSON.
      const body: Body = answer.text !== undefined
        ? { text: answer.text, nosniff: answer.nosniff }
        : answer.code !== 406 && errorFormat(req.headers.accept) === "protobuf"
        ? { protobuf: answer.body }
        : { json: answer.body, indented: answer.code === 406 };
      send(res, record, answer.code, body, answer.headers);
    }
  };
}
