/**
 * The Role and RoleBinding (and, for nodes, ClusterRole and
 * ClusterRoleBinding) that grant what a target needs, for the user the API
 * server named, as YAML for `kubectl apply -f -`: a namespace's Role only when
 * a grant in that namespace is missing, the ClusterRole only when `nodes` is
 * ({@linkcode grantsToApply}). A Role lists everything
 * the target needs, not only what is missing, and is named after the grants
 * it holds (`grpc-endpoint-reader`, `grpc-endpoint-reader-services`): applying
 * it replaces a Role of the same name, which then holds the same grants, so
 * the YAML of one target never takes away what another's granted.
 *
 * @module
 */

import type { Document, YAMLMap, YAMLSeq } from "yaml";
import { lazyPackage } from "../runtime/_lazy_package.ts";
import { wordWrap } from "./terminal.ts";

/**
 * The yaml package, imported at the first YAML written: the CLI's other commands and steps run in a project that
 * lacks it, and this one says what to do.
 */
const yamlPackage = lazyPackage("yaml", "writes YAML", () => import("yaml"), ["Document"]);

/** The yaml package's class of a document. */
type DocumentClass = typeof Document;

/** Verbs on one resource that a target needs. */
export interface Grant {
  /** The verbs, e.g. `["list", "watch"]`. */
  verbs: string[];
  /** The API group, `""` for the core group. */
  group: string;
  /** The resource, e.g. `endpointslices`. */
  resource: string;
  /** The namespace; absent for cluster-wide resources (nodes), which need a ClusterRole. */
  namespace?: string;
  /** Why the grant is optional, when it is; written as a comment. */
  optional?: string;
  /** Why a grant that only some targets need is required for this one, when it is. */
  required?: string;
}

/** Options of {@linkcode rbacYaml}. */
export interface RbacYamlOptions {
  /**
   * The most cells a comment line takes, its indent and `#` included: a comment a terminal wraps is copied, from
   * some terminals, as a second line without its `#`, which is no longer YAML.
   *
   * @default {80}
   */
  width?: number;
}

/** Who the binding is for. */
export type RbacSubject =
  | { kind: "ServiceAccount"; name: string; namespace: string }
  | { kind: "User"; name: string; placeholder: boolean };

/**
 * The names of the roles before their suffixes (the README's), and the resource every role of that kind holds:
 * a Role grants at least `list` and `watch` on `endpointslices`, a ClusterRole `get` on `nodes`.
 */
const ROLE = { name: "grpc-endpoint-reader", resource: "endpointslices" };
const CLUSTER_ROLE = { name: "grpc-node-reader", resource: "nodes" };
const PLACEHOLDER = "REPLACE-WITH-YOUR-USER";

/**
 * The binding subject for a user name: a ServiceAccount for
 * `system:serviceaccount:NS:NAME`, else a User; a placeholder to replace
 * when the API server could not say who the user is.
 *
 * @param username The user name from a SelfSubjectReview, if known.
 * @returns The subject.
 *
 * @example
 * ```ts
 * import { subjectOf } from "./rbac_yaml.ts";
 * console.log(subjectOf("system:serviceaccount:prod:my-client")); // { kind: "ServiceAccount", name: "my-client", namespace: "prod" }
 * ```
 */
export function subjectOf(username: string | undefined): RbacSubject {
  if (username === undefined) return { kind: "User", name: PLACEHOLDER, placeholder: true };
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (account) return { kind: "ServiceAccount", name: account[2], namespace: account[1] };
  return { kind: "User", name: username, placeholder: false };
}

/**
 * The YAML documents that grant `grants` to `subject`: a Role and a
 * RoleBinding per namespace, a ClusterRole and a ClusterRoleBinding for
 * cluster-wide resources.
 *
 * @param grants What is missing.
 * @param subject Who needs it.
 * @param options The width comments wrap at.
 * @returns The YAML, documents separated by `---`.
 * @throws {Error} When the yaml package cannot be imported; its message says what to do.
 *
 * @example
 * ```ts
 * import { rbacYaml, subjectOf } from "./rbac_yaml.ts";
 * const yaml = await rbacYaml(
 *   [{ verbs: ["list", "watch"], group: "discovery.k8s.io", resource: "endpointslices", namespace: "prod" }],
 *   subjectOf("system:serviceaccount:prod:my-client"),
 * );
 * console.log(yaml.includes("kind: RoleBinding")); // true
 * ```
 */
export async function rbacYaml(
  grants: readonly Grant[],
  subject: RbacSubject,
  options: RbacYamlOptions = {},
): Promise<string> {
  const { Document } = await yamlPackage();
  const width = options.width ?? 80;
  const documents: Document[] = [];
  const namespaces = [...new Set(grants.flatMap((grant) => grant.namespace === undefined ? [] : [grant.namespace]))];
  for (const namespace of namespaces) {
    const mine = grants.filter((grant) => grant.namespace === namespace);
    const name = roleName(ROLE, mine);
    documents.push(
      role(Document, "Role", name, mine, width, namespace),
      binding(Document, "RoleBinding", "Role", name, subject, width, namespace),
    );
  }
  const clusterWide = grants.filter((grant) => grant.namespace === undefined);
  if (clusterWide.length > 0) {
    const name = roleName(CLUSTER_ROLE, clusterWide);
    documents.push(
      role(Document, "ClusterRole", name, clusterWide, width),
      binding(Document, "ClusterRoleBinding", "ClusterRole", name, subject, width),
    );
  }
  return documents.map((document) => document.toString({ lineWidth: 0 })).join("---\n");
}

/**
 * The grants whose roles to write when some are missing: every grant of a namespace where one is missing (its Role
 * replaces one of the same name, which must keep what the target needs), and the cluster-wide ones that are missing.
 * A role whose grants are all given is left out: printing it again hid what was missing.
 *
 * @param grants What the target needs.
 * @param missing The ones not known to be granted.
 * @returns The grants to pass to {@linkcode rbacYaml} and {@linkcode rbacApplier}.
 *
 * @example Only get on nodes is missing: only the ClusterRole
 * ```ts
 * import { grantsToApply } from "./rbac_yaml.ts";
 * const slices = { verbs: ["list", "watch"], group: "discovery.k8s.io", resource: "endpointslices", namespace: "prod" };
 * const nodes = { verbs: ["get"], group: "", resource: "nodes" };
 * console.log(grantsToApply([slices, nodes], new Set([nodes]))); // [nodes]
 * ```
 */
export function grantsToApply(grants: readonly Grant[], missing: ReadonlySet<Grant>): Grant[] {
  const namespaces = new Set([...missing].flatMap((grant) => grant.namespace === undefined ? [] : [grant.namespace]));
  return grants.filter((grant) => grant.namespace === undefined ? missing.has(grant) : namespaces.has(grant.namespace));
}

/**
 * Who may apply what {@linkcode rbacYaml} writes for `grants`: someone who may create Roles in their namespaces,
 * and ClusterRoles too when a grant is cluster-wide (nodes), which a namespace's admin may not; a cluster-wide
 * grant that is optional can then be left out.
 *
 * @param grants The grants the YAML holds.
 * @returns The words after "apply this as", such as `someone who may create Roles in namespace prod`.
 *
 * @example
 * ```ts
 * import { rbacApplier } from "./rbac_yaml.ts";
 * rbacApplier([{ verbs: ["list", "watch"], group: "discovery.k8s.io", resource: "endpointslices", namespace: "prod" }]);
 * // "someone who may create Roles in namespace prod"
 * ```
 */
export function rbacApplier(grants: readonly Grant[]): string {
  const namespaces = [...new Set(grants.flatMap((grant) => grant.namespace === undefined ? [] : [grant.namespace]))];
  const roles = namespaces.length === 0
    ? ""
    : `Roles in namespace${namespaces.length > 1 ? "s" : ""} ${namespaces.join(", ")}`;
  const clusterWide = grants.filter((grant) => grant.namespace === undefined);
  if (clusterWide.length === 0) return `someone who may create ${roles}`;
  const allOptional = clusterWide.every((grant) => grant.optional !== undefined);
  // Alone, the ClusterRole is what is missing: leaving it out applies nothing, and topology stays off. Said without
  // brackets: check's intro follows these words with its own.
  const optional = !allOptional
    ? ""
    : roles
    ? ", or without that right leave out the ClusterRole and ClusterRoleBinding, which are optional"
    : ", or not at all if topology-aware routing may stay off";
  return `someone who may create ${roles ? `${roles} and ` : ""}ClusterRoles${optional}`;
}

/**
 * A role's name from the grants it holds: the base name, then each other resource it grants
 * (`grpc-endpoint-reader-services`). The resolver asks for fixed verbs on each resource, so a name always stands
 * for the same rules, and two YAMLs that hold different grants never share a name (a DNS subdomain: resources are
 * lowercase letters).
 */
function roleName(base: { name: string; resource: string }, grants: readonly Grant[]): string {
  const others = new Set(grants.map((grant) => grant.resource).filter((resource) => resource !== base.resource));
  return [base.name, ...[...others].sort()].join("-");
}

/**
 * A comment's text for the `yaml` package, which puts `#` and the indent before each of its lines: wrapped at
 * spaces so that no line takes more than `width` cells once they are there.
 */
function comment(text: string, indent: number, width: number): string {
  return wordWrap(text, width - indent - "# ".length).map((line) => ` ${line}`).join("\n");
}

function role(
  Document: DocumentClass,
  kind: "Role" | "ClusterRole",
  name: string,
  grants: readonly Grant[],
  width: number,
  namespace?: string,
): Document {
  const document = new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: namespace === undefined ? { name } : { name, namespace },
    rules: grants.map((grant) => ({ apiGroups: [grant.group], resources: [grant.resource], verbs: grant.verbs })),
  });
  const rules = document.get("rules") as YAMLSeq<YAMLMap<string, YAMLSeq>>;
  grants.forEach((grant, i) => {
    const rule = rules.items[i];
    // The rules' items are indented by two.
    if (grant.optional) rule.commentBefore = comment(`optional: ${grant.optional}`, 2, width);
    else if (grant.required) rule.commentBefore = comment(`required: ${grant.required}`, 2, width);
    for (const field of ["apiGroups", "resources", "verbs"]) rule.get(field)!.flow = true;
  });
  return document;
}

function binding(
  Document: DocumentClass,
  kind: "RoleBinding" | "ClusterRoleBinding",
  roleKind: "Role" | "ClusterRole",
  roleName: string,
  subject: RbacSubject,
  width: number,
  namespace?: string,
): Document {
  // "." between the parts, which neither a Role's name nor a namespace holds: two bindings never share a name.
  const name = `${roleName}.${bindingSuffix(subject)}`;
  const document = new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: namespace === undefined ? { name } : { name, namespace },
    subjects: [
      subject.kind === "ServiceAccount"
        ? { kind: "ServiceAccount", name: subject.name, namespace: subject.namespace }
        : { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: subject.name },
    ],
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
  });
  if (subject.kind === "User" && subject.placeholder) {
    document.commentBefore = comment(
      `The API server did not say who you are: replace ${PLACEHOLDER} with your user name, or the subject ` +
        "with your ServiceAccount (kind: ServiceAccount, name, namespace).",
      0,
      width,
    );
  }
  return document;
}

/**
 * A name part for the binding (a DNS subdomain): one binding per subject, so applying it never replaces another's.
 * A name that had to change to be one ("Alice", "a@b.com") ends in a hash of the original, so that "alice" and
 * "a-b.com" get bindings of their own.
 */
function bindingSuffix(subject: RbacSubject): string {
  const raw = subject.kind === "ServiceAccount" ? `${subject.namespace}.${subject.name}` : subject.name;
  const cleaned = raw.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "").slice(0, 200);
  const suffix = cleaned.replace(/[^a-z0-9]+$/, "") || "user";
  return suffix === raw ? suffix : `${suffix}-${fnv1a(raw)}`;
}

/** The 32-bit FNV-1a hash of a text's UTF-16 code units, as 8 hex digits: short, stable, not a secret's digest. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
