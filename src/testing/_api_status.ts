/**
 * Kubernetes `Status` bodies for the fake API server's error answers, with
 * the real server's reasons and wording. Private to the fake API server.
 *
 * @module
 */

import type { RefusedRequest } from "./_access_control.ts";
import { goJson } from "./_go_json.ts";
import type { InjectedFailure } from "./server_types.ts";

/** The API group of each resource a Status names; `""` is the core group. */
const GROUPS = {
  endpointslices: "discovery.k8s.io",
  services: "",
  nodes: "",
  events: "",
  resourcequotas: "",
  limitranges: "",
  selfsubjectaccessreviews: "authorization.k8s.io",
  selfsubjectreviews: "authentication.k8s.io",
} as const;

/** What RBAC checks, and what a 403 or 404 names: a verb on a resource. */
export interface Authorized {
  /** The RBAC verb. */
  readonly verb: string;
  /** The resource. */
  readonly resource: keyof typeof GROUPS;
  /** The namespace; undefined for all of them, or for a cluster-wide resource. */
  readonly namespace?: string;
  /** The object's name, for a request of one object. */
  readonly name?: string;
  /** The API group, where the resource's own is not meant: `events.k8s.io` for its Events. */
  readonly group?: "events.k8s.io";
}

/**
 * The API group of what a request names.
 *
 * @param request The resource, and its group where it is not the resource's own.
 * @returns The group; `""` is the core group.
 */
export function groupOf(request: Pick<Authorized, "resource" | "group">): string {
  return request.group ?? GROUPS[request.resource];
}

/** A request for a resource the fake serves. */
export interface ResourceRequest extends Authorized {
  /** The RBAC verb. */
  readonly verb: "list" | "watch" | "get";
  /** The resource. */
  readonly resource: "endpointslices" | "services" | "nodes" | "events" | "resourcequotas" | "limitranges";
}

/** An error answer: the HTTP status, a Status body and extra headers. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly code: number;
  /** The Status body. */
  readonly body: Record<string, unknown>;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;
  /** The plain text sent in place of the Status, as a Go `http.Error` writes it; undefined to send the Status. */
  readonly text: string | undefined;
  /** Whether plain text goes with `X-Content-Type-Options: nosniff`, as Go's `http.Error` sends it. */
  readonly nosniff: boolean;

  /**
   * Makes the error; its message is the Status body's.
   *
   * @param code The HTTP status.
   * @param body The Status body.
   * @param headers Extra response headers.
   * @param text Plain text to send in place of the Status.
   * @param nosniff Whether the plain text goes with `X-Content-Type-Options: nosniff`.
   */
  constructor(
    code: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    text?: string,
    nosniff = true,
  ) {
    super(String(body.message));
    this.name = "HttpError";
    this.code = code;
    this.body = body;
    this.headers = headers;
    this.text = text;
    this.nosniff = nosniff;
  }
}

/**
 * A `Status` object with `status: "Failure"`, keys in the real server's order.
 *
 * @param code The HTTP status, repeated as `code`.
 * @param reason The machine-readable reason, e.g. `Expired`.
 * @param message The human-readable message.
 * @param extra `metadata` (e.g. a `continue` token) and `details`.
 * @returns The Status object.
 */
export function status(
  code: number,
  reason: string,
  message: string,
  extra: {
    metadata?: Record<string, unknown>;
    details?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: extra.metadata ?? {},
    status: "Failure",
    message,
    reason,
    ...(extra.details === undefined ? {} : { details: extra.details }),
    code,
  };
}

/** `400 BadRequest`. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, status(400, "BadRequest", message));
}

/** `401 Unauthorized`, as the real server words it. */
export function unauthorized(): HttpError {
  return new HttpError(401, status(401, "Unauthorized", "Unauthorized"));
}

/** `404 NotFound` for a path the server does not serve. */
export function notFound(): HttpError {
  return new HttpError(
    404,
    status(
      404,
      "NotFound",
      "the server could not find the requested resource",
      {
        details: {},
      },
    ),
  );
}

/**
 * `404` for the OpenAPI documents (`/openapi/v2`, `/openapi/v3/...`), which the fake does not serve: their schemas
 * quote kube-apiserver's field documentation, which a fake would have to copy and follow release by release, and
 * no client of EndpointSlices reads them. Plain text, as a real server writes a 404 outside the API, but saying why
 * and what to do: kubectl explain still prints only "the server could not find the requested resource" (client-go
 * keeps no server message for a 404), and shows this text as the cause with `-v=6`; curl and other clients show it.
 */
export function noOpenApi(): HttpError {
  const message = "the fake API server of @kgr/resolver/testing serves no OpenAPI documents, so kubectl explain " +
    "cannot read a schema here: run kubectl explain against a real cluster (kube-apiserver v1.36 has the same " +
    "EndpointSlice, Service and Node schemas)";
  return new HttpError(404, status(404, "NotFound", message), {}, `404 page not found: ${message}\n`);
}

/** `404 NotFound` for an object that does not exist, as the real server words it. */
export function objectNotFound(request: ResourceRequest & { name: string }): HttpError {
  const { qualified, details } = describe(request);
  return new HttpError(
    404,
    status(404, "NotFound", `${qualified} ${JSON.stringify(request.name)} not found`, { details }),
  );
}

/**
 * The 404 for a Namespace that does not exist, as kube-apiserver v1.36.3 writes it (measured).
 *
 * @param name The namespace.
 * @returns The error to answer with.
 */
export function namespaceNotFound(name: string): HttpError {
  return new HttpError(
    404,
    status(404, "NotFound", `namespaces ${JSON.stringify(name)} not found`, { details: { name, kind: "namespaces" } }),
  );
}

/** How the real server names a resource in its messages, and the Status `details` for it. */
function describe(request: Authorized) {
  const group = groupOf(request);
  const qualified = group === "" ? request.resource : `${request.resource}.${group}`;
  const details: Record<string, string> = request.name === undefined ? {} : { name: request.name };
  if (group !== "") details.group = group;
  details.kind = request.resource;
  return { group, qualified, details };
}

/**
 * `403 Forbidden` as RBAC words it for a user without the grant.
 *
 * @param user The user, e.g. `system:anonymous`.
 * @param request What was asked for.
 * @param extraDetails More `details`, e.g. `retryAfterSeconds`.
 * @returns The error answer.
 */
function forbidden(
  user: string,
  request: Authorized,
  extraDetails: Record<string, unknown> = {},
): HttpError {
  return forbiddenRequest(user, { kind: "resource", ...request, group: groupOf(request) }, extraDetails);
}

/** Go's replacer in the API server's 403: its message is HTML-safe. */
const sanitize = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * `403 Forbidden` as kube-apiserver writes it for a request no RBAC rule allows: the message and details name
 * the verb and the resource (with its subresource, namespace and object) or the path, and the answer carries
 * `X-Content-Type-Options: nosniff`.
 *
 * @param user The user, e.g. `system:anonymous`.
 * @param request What RBAC saw.
 * @param extraDetails More `details`, e.g. `retryAfterSeconds`.
 * @returns The error answer.
 */
export function forbiddenRequest(
  user: string,
  request: RefusedRequest,
  extraDetails: Record<string, unknown> = {},
): HttpError {
  let message: string;
  const details: Record<string, unknown> = {};
  if (request.kind === "path") {
    message = `forbidden: ${
      sanitize(`User ${JSON.stringify(user)} cannot ${request.verb} path ${JSON.stringify(request.path)}`)
    }`;
  } else {
    const { verb, group, resource, subresource, namespace, name } = request;
    const scope = namespace === undefined ? "at the cluster scope" : `in the namespace ${JSON.stringify(namespace)}`;
    const named = subresource === undefined ? resource : `${resource}/${subresource}`;
    const reason = sanitize(
      `User ${JSON.stringify(user)} cannot ${verb} resource ${JSON.stringify(named)} in API group ` +
        `${JSON.stringify(group)} ${scope}`,
    );
    const qualified = group === "" ? resource : `${resource}.${group}`;
    message = qualified === ""
      ? `forbidden: ${reason}`
      : `${qualified}${name === undefined ? "" : ` ${JSON.stringify(name)}`} is forbidden: ${reason}`;
    // Go leaves the empty ones out.
    if (name !== undefined) details.name = name;
    if (group !== "") details.group = group;
    if (resource !== "") details.kind = resource;
  }
  return new HttpError(
    403,
    status(403, "Forbidden", message, { details: { ...details, ...extraDetails } }),
    { "X-Content-Type-Options": "nosniff" },
  );
}

/** `405 MethodNotAllowed`. */
export function methodNotAllowed(): HttpError {
  return new HttpError(
    405,
    status(
      405,
      "MethodNotAllowed",
      "the server does not allow this method on the requested resource",
      { details: {} },
    ),
  );
}

/** One cause of a `422 Invalid`: the field and what is wrong with it, in the real server's wording. */
export interface FieldError {
  /** The option, e.g. `resourceVersionMatch`. */
  readonly field: string;
  /** The cause's reason. */
  readonly reason: "FieldValueForbidden" | "FieldValueNotSupported";
  /** What is wrong, starting with `Forbidden:` or `Unsupported value:`. */
  readonly message: string;
}

/** A field that must not be set (or not to this value) given the other options. */
export function forbiddenField(field: string, detail: string): FieldError {
  return { field, reason: "FieldValueForbidden", message: `Forbidden: ${detail}` };
}

/**
 * A field set to a value the server does not support. The value is of a named string type
 * (`resourceVersionMatch`), which Go's field errors quote with `json.Marshal` (`"\u003cx\u003e"` for `<x>`);
 * the supported values with `strconv.Quote`.
 */
export function unsupportedValue(field: string, value: string, supported: readonly string[]): FieldError {
  const values = supported.map((entry) => JSON.stringify(entry)).join(", ");
  return {
    field,
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${goJson(value)}: supported values: ${values}`,
  };
}

/** `422 Invalid` for list or watch options that do not go together. */
export function invalidListOptions(...errors: FieldError[]): HttpError {
  const each = errors.map(({ field, message }) => `${field}: ${message}`);
  return new HttpError(
    422,
    status(
      422,
      "Invalid",
      `ListOptions.meta.k8s.io "" is invalid: ${each.length === 1 ? each[0] : `[${each.join(", ")}]`}`,
      {
        details: {
          group: "meta.k8s.io",
          kind: "ListOptions",
          causes: errors.map(({ field, reason, message }) => ({ reason, message, field })),
        },
      },
    ),
  );
}

/** `410 Expired` for a list at a resourceVersion older than the compaction point. */
export function listTooOld(): HttpError {
  return new HttpError(410, status(410, "Expired", "The resourceVersion for the provided list is too old."));
}

/**
 * `500` for a watch whose resourceVersion is not a number: the real server
 * fails it in storage, with a Status that has no `reason`.
 */
export function watchResourceVersionInvalid(detail: string): HttpError {
  const { reason: _reason, ...body } = status(500, "", detail);
  return new HttpError(500, body);
}

/** The `too old resource version: X (Y)` Status, for lists and watch ERROR events. */
export function tooOldStatus(
  requested: number,
  compacted: number,
): Record<string, unknown> {
  return status(
    410,
    "Expired",
    `too old resource version: ${requested} (${compacted})`,
  );
}

/**
 * The Status of the ERROR event that a watch hit by an injected `410` gets: as kube-apiserver's watch cache sends it
 * for a resourceVersion it no longer holds (`200`, then this event; measured on v1.36.3: `too old resource version:
 * 202 (206)`), or with the failure's own reason and message.
 *
 * @param failure The injected failure.
 * @param requested The watch's resourceVersion; undefined for none or `0`, which reads as the current one.
 * @param current The current resourceVersion.
 * @returns The Status.
 */
export function injectedWatchExpiry(
  failure: InjectedFailure,
  requested: number | undefined,
  current: number,
): Record<string, unknown> {
  const from = requested ?? current;
  // The real server names the oldest resourceVersion it still holds, always past the one asked for.
  const { message, reason } = tooOldStatus(from, Math.max(current, from + 1));
  return status(410, failure.reason ?? String(reason), failure.message ?? String(message));
}

/**
 * `410 Expired` for a continue token older than the compaction point, with
 * a token that continues from the same key at the current state.
 */
export function expiredContinue(inconsistentContinue: string): HttpError {
  return new HttpError(
    410,
    status(
      410,
      "Expired",
      "The provided continue parameter is too old to display a consistent list result. " +
        "You can start a new list without the continue parameter, or use the continue token in this " +
        "response to retrieve the remainder of the results. Continuing with the provided token results " +
        "in an inconsistent list - objects that were created, modified, or deleted between the time the " +
        "first chunk was returned and now may show up in the list.",
      { metadata: { continue: inconsistentContinue } },
    ),
  );
}

/** `504 Timeout` with the `ResourceVersionTooLarge` cause and `Retry-After: 1`. */
export function tooLarge(wanted: number, current: number): HttpError {
  return new HttpError(
    504,
    status(
      504,
      "Timeout",
      `Timeout: Too large resource version: ${wanted}, current: ${current}`,
      {
        details: {
          causes: [{
            reason: "ResourceVersionTooLarge",
            message: "Too large resource version",
          }],
          retryAfterSeconds: 1,
        },
      },
    ),
    { "Retry-After": "1" },
  );
}

/** `500 InternalError` for a bug in the fake itself. */
export function internalError(error: unknown): HttpError {
  return new HttpError(
    500,
    status(500, "InternalError", `Internal error occurred: ${String(error)}`),
  );
}

/**
 * The reason and message of an injected failure left without them: the real server's for the usual cause of each
 * status on a request like the resolver's (measured on v1.36.3 where marked). A 400 always quotes the parameter the
 * server could not read (`unable to parse requirement: ...` for a bad label selector), which an injected failure has
 * none of: its message says so, in client-go's words for a 400 without a Status.
 */
const DEFAULT_FAILURES: Record<number, [reason: string, message: string]> = {
  400: ["BadRequest", "the server rejected our request for an unknown reason"],
  401: ["Unauthorized", "Unauthorized"],
  404: ["NotFound", "the server could not find the requested resource"],
  // An exact list at a resourceVersion the server no longer holds (measured); a watch gets an ERROR event instead.
  410: ["Expired", "The resourceVersion for the provided list is too old."],
  429: ["TooManyRequests", "Too many requests, please try again later."],
  500: ["InternalError", "Internal error occurred: injected failure"],
  503: [
    "ServiceUnavailable",
    "the server is currently unable to handle the request",
  ],
  // The request deadline (measured with ?timeout=1ns; by default 60 s): see timedOut().
  504: ["Timeout", "Timeout: request did not complete within the allotted timeout"],
};

/** The streaming list's 422 on a server whose `WatchList` feature gate is off (measured). */
function watchListRefused(): HttpError {
  return invalidListOptions(
    forbiddenField(
      "sendInitialEvents",
      "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
    ),
  );
}

/** The 409 of a write from a stale resourceVersion (measured), naming what was asked for. */
function conflict(request: ResourceRequest | undefined): HttpError {
  const asked = request ?? { verb: "list", resource: "endpointslices" };
  const { qualified, details } = describe(asked);
  const message = `Operation cannot be fulfilled on ${qualified} ${JSON.stringify(asked.name ?? "")}: the object ` +
    "has been modified; please apply your changes to the latest version and try again";
  return new HttpError(409, status(409, "Conflict", message, { details }));
}

/**
 * The 504 of kube-apiserver's request deadline, as its timeout filter writes it (measured): Go's JSON encoding
 * of the Status without `kind` and `apiVersion`, sent as `text/plain; charset=utf-8` without `nosniff`.
 */
function timedOut(body: Record<string, unknown>, headers: Record<string, string>): HttpError {
  const { kind: _kind, apiVersion: _apiVersion, ...bare } = body;
  return new HttpError(504, body, headers, `${goJson(bare)}\n`, false);
}

/**
 * The answer to a request hit by `failNext()`: the given status, reason and
 * message, or the real server's usual ones for that status (for a 429, its
 * plain-text throttling answer).
 *
 * @param failure What to inject.
 * @param request What was asked for, for a 403's wording; undefined for other paths.
 * @param user Who the client is, for a 403's wording.
 * @returns The error answer.
 */
export function injectedFailure(
  failure: InjectedFailure,
  request: ResourceRequest | undefined,
  user: string,
): HttpError {
  const retry = failure.retryAfterSeconds;
  const retryDetails = retry === undefined ? {} : { retryAfterSeconds: retry };
  const headers: Record<string, string> = retry === undefined ? {} : { "Retry-After": String(retry) };
  if (failure.status === 403) {
    const denied = forbidden(user, request ?? { verb: "list", resource: "endpointslices" }, retryDetails);
    const { body } = denied;
    const reworded = { ...body, message: failure.message ?? body.message, reason: failure.reason ?? body.reason };
    return new HttpError(403, reworded, { ...denied.headers, ...headers });
  }
  const worded = failure.reason !== undefined || failure.message !== undefined;
  if (failure.status === 409 || failure.status === 422) {
    const { body } = failure.status === 409 ? conflict(request) : watchListRefused();
    const details = { ...(body.details as Record<string, unknown>), ...retryDetails };
    const reworded = { ...body, message: failure.message ?? body.message, reason: failure.reason ?? body.reason };
    return new HttpError(failure.status, { ...reworded, details }, headers);
  }
  const [defaultReason, defaultMessage] = DEFAULT_FAILURES[failure.status] ??
    [failure.status >= 500 ? "InternalError" : "BadRequest", "injected failure"];
  const body = status(failure.status, failure.reason ?? defaultReason, failure.message ?? defaultMessage, {
    details: retry === undefined ? (failure.status === 504 && !worded ? {} : undefined) : retryDetails,
  });
  if (failure.status === 504 && !worded) return timedOut(body, headers);
  // A 429 is API Priority and Fairness throttling, which kube-apiserver answers in Go's plain text, not a Status
  // (measured on v1.36.3); one with a reason or message of its own is a Status, as the watch cache's while it starts.
  if (failure.status === 429 && failure.reason === undefined && failure.message === undefined) {
    return new HttpError(429, body, headers, `${defaultMessage}\n`);
  }
  return new HttpError(failure.status, body, headers);
}
