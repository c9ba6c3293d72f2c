/**
 * RBAC for the fake API server: who the client is and what it may do. By
 * default everything is allowed, as for a cluster admin. With
 * `setAccess()`, requests that no rule allows (EndpointSlice, Service and
 * Node lists, watches and reads, and requests for what the fake does not
 * serve) get the real server's `403 Forbidden` Status, and access
 * reviews (`SelfSubjectAccessReview`, `SelfSubjectReview`), which every
 * user may create, answer from the same rules, in JSON, YAML or protobuf
 * (kubectl's `auth can-i` and `auth whoami`); a review of a path allows the
 * admin everything and a user of the rules the discovery and health paths.
 * Private to the fake API server.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { concatBytes, describeValue, isRecord, unknownField } from "../base/_util.ts";
import { goJson } from "./_go_json.ts";
import { SERIALIZED } from "./_media_types.ts";
import { wrongKind } from "./_review_kind.ts";
import type { FakeAccess } from "./server_types.ts";
import { NON_RESOURCE_ATTRIBUTES, readReviewBody, RESOURCE_ATTRIBUTES } from "./_review_body.ts";

/** Who the client is while no access was set: an admin that may do everything. */
const ADMIN: FakeAccess = {
  username: "kubernetes-admin",
  groups: ["system:masters", "system:authenticated"],
  rules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
};

/** The access reviews, by the path that creates them. */
const REVIEWS = {
  "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews": "selfsubjectaccessreviews",
  "/apis/authentication.k8s.io/v1/selfsubjectreviews": "selfsubjectreviews",
} as const;

/** The apiVersion and kind of each access review. */
const REVIEW_KINDS = {
  selfsubjectaccessreviews: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview" },
  selfsubjectreviews: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
} as const;

/** The resource of an access review. */
export type ReviewResource = (typeof REVIEWS)[keyof typeof REVIEWS];

/** The attributes of one request that rules match, as a SelfSubjectAccessReview spells them. */
interface Attributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

/** An answer of the fake server: the HTTP status and the JSON body (a review, or a Status). */
export interface Answer {
  /** The HTTP status. */
  code: number;
  /** The JSON body: the review with its status filled in, or a Status. */
  body: Record<string, unknown>;
}

/** The fake server's access control: see {@linkcode createAccessControl}. */
export type AccessControl = {
  set(access: FakeAccess | undefined): void;
  username(): string;
  reviewOf(method: string, path: string): ReviewResource | undefined;
  answer(req: IncomingMessage, review: ReviewResource): Promise<Answer>;
  deniedOutsideServedResources(request: RefusedRequest): string | undefined;
  deniedUser(request: { verb: string; resource: string; namespace?: string; group: string }): string | undefined;
};

/**
 * What RBAC sees of a request (and names when it refuses it): a verb on a resource (any the real server may
 * route), or on a path.
 */
export type RefusedRequest =
  | {
    readonly kind: "resource";
    readonly verb: string;
    readonly group: string;
    readonly resource: string;
    readonly subresource?: string;
    readonly namespace?: string;
    readonly name?: string;
  }
  | { readonly kind: "path"; readonly verb: string; readonly path: string };

/** The paths of kube-apiserver's `system:discovery` ClusterRole, bound to every authenticated user (`get` only). */
const DISCOVERY_PATHS = new Set([
  "/livez",
  "/readyz",
  "/healthz",
  "/version",
  "/version/",
  "/openapi",
  "/api",
  "/apis",
]);
const DISCOVERY_PREFIXES = ["/openapi/", "/api/", "/apis/"];

function isDiscovery({ verb, path }: { verb: string; path: string }): boolean {
  return verb === "get" && (DISCOVERY_PATHS.has(path) || DISCOVERY_PREFIXES.some((prefix) => path.startsWith(prefix)));
}

/**
 * Why RBAC allows a user of `setAccess()` to GET a discovery or health path. The real server names the first
 * binding it finds that allows it; it visits them in no fixed order, so for the health checks and `/version`,
 * which `system:public-info-viewer` allows too, it names either (measured on v1.36.3: each about half the time).
 * `system:discovery` allows every one of these paths.
 */
const DISCOVERY_REASON =
  'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"';

/**
 * Creates the fake server's access control.
 *
 * @returns Its state and the checks the server makes.
 */
export function createAccessControl(): AccessControl {
  let current = ADMIN;

  /** The index of the first rule that allows a request, or -1. */
  function allowingRule({ verb, group, resource, namespace }: Attributes): number {
    const matches = (list: string[], value: string) => list.includes("*") || list.includes(value);
    return current.rules.findIndex((rule) =>
      matches(rule.verbs, verb) && matches(rule.apiGroups, group) && matches(rule.resources, resource) &&
      (rule.namespace === undefined || rule.namespace === namespace)
    );
  }

  /**
   * The answer to a review of a resource: the attributes the real server keeps, and whether a rule allows them.
   * RBAC names the binding that allowed it; a system:masters user (no access set) is allowed without a reason.
   */
  function reviewResource(attributes: Map<string, string>): ReviewAnswer {
    const field = (key: string) => attributes.get(key) ?? "";
    const rule = allowingRule({
      verb: field("verb"),
      group: field("group"),
      resource: field("resource"),
      namespace: field("namespace") || undefined,
    });
    const status = rule === -1
      ? { allowed: false }
      : current === ADMIN
      ? { allowed: true }
      : { allowed: true, reason: `RBAC: allowed by rule ${rule + 1} of setAccess()` };
    return { spec: { resourceAttributes: Object.fromEntries(attributes) }, status };
  }

  /**
   * The answer to a review of a path (`kubectl auth can-i get /healthz`): an admin may do anything; the rules
   * of `setAccess()` name resources only, so a user of them may only GET the discovery and health paths, as
   * the `system:discovery` and `system:public-info-viewer` ClusterRoles allow every authenticated user.
   */
  function reviewPath(attributes: Map<string, string>): ReviewAnswer {
    const request = { verb: attributes.get("verb") ?? "", path: attributes.get("path") ?? "" };
    const status = current === ADMIN
      ? { allowed: true }
      : isDiscovery(request)
      ? { allowed: true, reason: DISCOVERY_REASON }
      : { allowed: false };
    return { spec: { nonResourceAttributes: Object.fromEntries(attributes) }, status };
  }

  return {
    /** Replaces who the client is and what it may do; `undefined` allows everything again. */
    set(access: FakeAccess | undefined): void {
      if (access !== undefined) checkAccess(access);
      current = access === undefined ? ADMIN : structuredClone(access);
    },

    /** Who the client is: the user of `setAccess()`, or the admin while none was set. */
    username(): string {
      return current.username;
    },

    /** The access review a request creates, which `answer()` serves, or `undefined`. */
    reviewOf(method: string, path: string): ReviewResource | undefined {
      return method === "POST" && Object.hasOwn(REVIEWS, path) ? REVIEWS[path as keyof typeof REVIEWS] : undefined;
    },

    /**
     * Reads a review from the request (call it before the first `await` of the request's
     * handler: the body is already flowing) and answers it from the rules.
     */
    async answer(req: IncomingMessage, review: ReviewResource): Promise<Answer> {
      const body = await readBody(req);
      const mediaType = bodyMediaType(req.headers["content-type"]);
      if (!SERIALIZED.includes(mediaType ?? "")) {
        return failure(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: ${SERIALIZED.join(", ")}`,
        );
      }
      const input = await readReviewBody(body, mediaType!, REVIEW_KINDS[review]);
      if (typeof input === "string") return failure(400, "BadRequest", input);
      const refused = wrongKind(input, REVIEW_KINDS[review]);
      if (refused !== undefined) return failure(400, "BadRequest", refused);
      if (review === "selfsubjectreviews") {
        return {
          code: 201,
          body: {
            kind: "SelfSubjectReview",
            apiVersion: "authentication.k8s.io/v1",
            metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
            status: { userInfo: { username: current.username, groups: authenticatedGroups(current) } },
          },
        };
      }
      const spec = isRecord(input.spec) ? input.spec : {};
      const resource = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
      const nonResource = isRecord(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
      if ((resource === undefined) === (nonResource === undefined)) return invalidSpec(nonResource);
      const answered = resource === undefined
        ? reviewPath(attributeFields(nonResource!, NON_RESOURCE_ATTRIBUTES))
        : reviewResource(attributeFields(resource, RESOURCE_ATTRIBUTES));
      return {
        code: 201,
        body: {
          kind: "SelfSubjectAccessReview",
          apiVersion: "authorization.k8s.io/v1",
          metadata: {},
          spec: answered.spec,
          status: answered.status,
        },
      };
    },

    /**
     * The user a 403 names when the rules of `setAccess()` do not allow a request for anything but the slices,
     * Services and Nodes the server serves (another resource, a method other than GET, any other path), else
     * `undefined`: RBAC authorizes a request before any handler reads it, so such a user gets 403 where an admin
     * gets an answer, a 404 or a 405. Every authenticated user may GET the discovery and health paths (the
     * `system:discovery` ClusterRole); a HEAD of them is RBAC's verb `head`, which it does not grant.
     *
     * @param request What RBAC sees of the request.
     */
    deniedOutsideServedResources(request: RefusedRequest): string | undefined {
      if (current === ADMIN) return undefined;
      if (request.kind === "path") return isDiscovery(request) ? undefined : current.username;
      const resource = request.subresource === undefined
        ? request.resource
        : `${request.resource}/${request.subresource}`;
      return allowingRule({ ...request, resource }) === -1 ? current.username : undefined;
    },

    /**
     * The user a 403 names when no rule allows a request the server routes, else `undefined`.
     *
     * @param request The verb, resource, namespace and API group of a request for what the server serves.
     */
    deniedUser(request: { verb: string; resource: string; namespace?: string; group: string }): string | undefined {
      return allowingRule(request) === -1 ? current.username : undefined;
    },
  };
}

/**
 * The groups kube-apiserver gives a user its token authenticated (apiserver's `AuthenticatedGroupAdder`): the
 * user's own, then `system:authenticated`, unless the user is `system:anonymous` or already holds
 * `system:authenticated` or `system:unauthenticated`. Was: the given groups alone, `[]` without any.
 */
function authenticatedGroups({ username, groups = [] }: FakeAccess): string[] {
  const unchanged = username === "system:anonymous" ||
    groups.some((group) => group === "system:authenticated" || group === "system:unauthenticated");
  return unchanged ? [...groups] : [...groups, "system:authenticated"];
}

/** What a SelfSubjectAccessReview comes back with: the attributes kept and the decision. */
interface ReviewAnswer {
  spec: Record<string, Record<string, string>>;
  status: { allowed: boolean; reason?: string };
}

/**
 * The attributes the real server keeps of a review's resourceAttributes or nonResourceAttributes: the ones it
 * knows, in its order, without the empty ones (a value that is not a string reads as empty).
 */
function attributeFields(attributes: Record<string, unknown>, known: readonly string[]): Map<string, string> {
  const kept = new Map<string, string>();
  for (const key of known) {
    const value = attributes[key];
    if (typeof value === "string" && value !== "") kept.set(key, value);
  }
  return kept;
}

/**
 * The real server's 422 for a review with both kinds of attributes, or neither; it quotes the nonResourceAttributes
 * as Go writes its internal struct in JSON (field names capitalised, every field there).
 */
function invalidSpec(nonResource: Record<string, unknown> | undefined): Answer {
  const text = (value: unknown) => typeof value === "string" ? value : "";
  const quoted = nonResource && goJson({ Path: text(nonResource.path), Verb: text(nonResource.verb) });
  const detail = nonResource === undefined
    ? "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified"
    : `Invalid value: ${quoted}: cannot be specified in combination with resourceAttributes`;
  const field = nonResource === undefined ? "spec.resourceAttributes" : "spec.nonResourceAttributes";
  return failure(422, "Invalid", `.authorization.k8s.io "" is invalid: ${field}: ${detail}`, {
    group: "authorization.k8s.io",
    causes: [{ reason: "FieldValueInvalid", message: detail, field }],
  });
}

const ACCESS_FIELDS = ["username", "groups", "rules"];
const RULE_FIELDS = ["verbs", "apiGroups", "resources", "namespace"];

/**
 * Throws a TypeError naming what makes `access` unlike a user with RBAC rules: without `username`, every request
 * was allowed; a rule without `apiGroups` failed every request with a 500; a misspelled field (`namespaces`) was
 * ignored, so that a Role's rule allowed every namespace.
 */
function checkAccess(access: FakeAccess): void {
  const fail = (what: string, must: string, value: unknown) => {
    throw new TypeError(
      `Cannot set access as ${what} must be ${must}: current value is ${describeValue(value)}`,
    );
  };
  const checkFields = (what: string, value: object, fields: string[]) => {
    const unknown = unknownField(value, fields);
    if (unknown !== undefined) fail(what, `an object of ${fields.join(", ")} (no ${JSON.stringify(unknown)})`, value);
  };
  const isStrings = (value: unknown, atLeastOne: boolean) =>
    Array.isArray(value) && value.every((item) => typeof item === "string") && (!atLeastOne || value.length > 0);
  if (!isRecord(access)) fail("'access'", "an object such as { username, rules } (or undefined)", access);
  checkFields("'access'", access, ACCESS_FIELDS);
  if (typeof access.username !== "string" || access.username === "") {
    fail("'username'", 'a user name such as "system:serviceaccount:shop:checkout"', access.username);
  }
  if (access.groups !== undefined && !isStrings(access.groups, false)) {
    fail("'groups'", "a list of strings", access.groups);
  }
  if (!Array.isArray(access.rules)) fail("'rules'", "a list ([] allows nothing)", access.rules);
  access.rules.forEach((rule, i) => {
    const what = `rules[${i}]`;
    if (!isRecord(rule)) fail(what, "an object such as { verbs, apiGroups, resources }", rule);
    checkFields(what, rule, RULE_FIELDS);
    for (const field of ["verbs", "apiGroups", "resources"] as const) {
      // "" is the core API group: a rule for services or nodes lists it.
      if (!isStrings(rule[field], true)) {
        fail(`${what}.${field}`, 'a list of at least one string ("*" for all)', rule[field]);
      }
    }
    if (rule.namespace !== undefined && typeof rule.namespace !== "string") {
      fail(`${what}.namespace`, "a string (leave it out for every namespace)", rule.namespace);
    }
  });
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}(?:/${TOKEN})?$`);
const PARAMETER = new RegExp(`^\\s*(${TOKEN})\\s*=\\s*(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")\\s*$`);

/**
 * A request body's media type, read as kube-apiserver reads `Content-Type` (Go's `mime.ParseMediaType`):
 * none at all is JSON; a malformed one (a parameter without a value, one named twice with two values) is none
 * the server knows.
 *
 * @returns The media type in lower case; undefined when the header is malformed.
 */
function bodyMediaType(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return "application/json";
  const [type, ...params] = header.split(";");
  const values = new Map<string, string>();
  for (const [index, param] of params.entries()) {
    // A trailing semicolon is ignored.
    if (index === params.length - 1 && param.trim() === "") break;
    const [, name, raw] = PARAMETER.exec(param) ?? [];
    if (name === undefined) return undefined;
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    const key = name.toLowerCase();
    if (values.has(key) && values.get(key) !== value) return undefined;
    values.set(key, value);
  }
  const mediaType = type.trim().toLowerCase();
  return MEDIA_TYPE.test(mediaType) ? mediaType : undefined;
}

/** A Status answer, keys in the real server's order. */
function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): Answer {
  const body = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code };
  return { code, body };
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    req.on("end", () => resolve(concatBytes(chunks)));
    req.on("error", reject);
  });
}
