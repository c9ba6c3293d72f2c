/**
 * Asks the API server what the credentials in use may do (a
 * SelfSubjectAccessReview, which every authenticated user may create) and
 * who they are (a SelfSubjectReview, Kubernetes 1.28 and newer), for
 * `kgr-resolver check`. Only the CLI uses it, so it lives in `cli/`.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { NOT_THE_API_SERVER } from "../api/api_errors.ts";
import { KubeApiError } from "../base/errors.ts";
import { requestObject } from "../api/kube_api.ts";
import type { HttpClient } from "../runtime/http_client.ts";
import { isRecord } from "../base/_util.ts";

/** Longest server-provided text kept from a review. */
const MAX_TEXT = 300;

/** One action on one kind of object, as RBAC names it. */
export interface ResourceAttributes {
  /** The verb, e.g. `list`. */
  verb: string;
  /** The API group, `""` for the core group. */
  group: string;
  /** The resource, e.g. `endpointslices`. */
  resource: string;
  /** The namespace; absent for cluster-wide objects such as nodes. */
  namespace?: string;
}

/** The API server's answer to an access review. */
export interface AccessVerdict {
  /** Whether the action is allowed. */
  allowed: boolean;
  /** The authorizer's explanation, when it gave one (cut to 300 characters). */
  reason?: string;
}

/** Who the credentials are, as the API server sees them. */
export interface UserInfo {
  /** The user name, e.g. `system:serviceaccount:prod:my-client` or `alice@example.com`. */
  username: string;
  /** The user's groups. */
  groups: string[];
}

/**
 * Asks whether the credentials may perform an action
 * (`POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param attributes The action.
 * @param signal Aborts the request.
 * @returns The verdict.
 * @throws {KubeApiError} When the review cannot be made; the message says what to do.
 *
 * @example May these credentials watch endpointslices in prod?
 * ```ts ignore
 * import { reviewAccess } from "./access_review.ts";
 * const { allowed } = await reviewAccess(access, client, {
 *   verb: "watch",
 *   group: "discovery.k8s.io",
 *   resource: "endpointslices",
 *   namespace: "prod",
 * }, AbortSignal.timeout(10_000));
 * ```
 */
export async function reviewAccess(
  access: ClusterAccess,
  client: HttpClient,
  attributes: ResourceAttributes,
  signal: AbortSignal,
): Promise<AccessVerdict> {
  const review = await requestObject(
    access,
    client,
    {
      verb: "create",
      where: "a SelfSubjectAccessReview",
      grant: `"create" on "selfsubjectaccessreviews" in API group "authorization.k8s.io"`,
      missing: `the API server at ${access.server} has no authorization.k8s.io/v1 API (404)`,
    },
    `${access.server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
    signal,
    {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { ...attributes } },
    },
  );
  const status = isRecord(review.status) ? review.status : {};
  if (typeof status.allowed !== "boolean") {
    throw new KubeApiError(
      `Cannot review access at ${access.server}: the SelfSubjectAccessReview came back without status.allowed; ` +
        NOT_THE_API_SERVER,
    );
  }
  const reason = [status.reason, status.evaluationError].filter((text) => typeof text === "string" && text !== "")
    .join("; ").slice(0, MAX_TEXT);
  return reason === "" ? { allowed: status.allowed } : { allowed: status.allowed, reason };
}

/**
 * Asks who the credentials are (`POST /apis/authentication.k8s.io/v1/selfsubjectreviews`).
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param signal Aborts the request.
 * @returns The user name and groups.
 * @throws {KubeApiError} When the review cannot be made (a server before 1.28 answers 404).
 *
 * @example Printing the user
 * ```ts ignore
 * import { reviewSelf } from "./access_review.ts";
 * console.log((await reviewSelf(access, client, AbortSignal.timeout(10_000))).username);
 * ```
 */
export async function reviewSelf(access: ClusterAccess, client: HttpClient, signal: AbortSignal): Promise<UserInfo> {
  const review = await requestObject(
    access,
    client,
    {
      verb: "create",
      where: "a SelfSubjectReview",
      grant: `"create" on "selfsubjectreviews" in API group "authentication.k8s.io"`,
      missing: `the API server at ${access.server} has no authentication.k8s.io/v1 SelfSubjectReview (404): ` +
        "Kubernetes 1.28 or newer is required",
    },
    `${access.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
    signal,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "SelfSubjectReview",
    },
  );
  const info = isRecord(review.status) && isRecord(review.status.userInfo) ? review.status.userInfo : {};
  if (typeof info.username !== "string" || info.username === "") {
    throw new KubeApiError(
      `Cannot review the user at ${access.server}: the SelfSubjectReview came back without a user name; ` +
        NOT_THE_API_SERVER,
    );
  }
  const groups = Array.isArray(info.groups) ? info.groups.filter((group) => typeof group === "string") : [];
  return { username: info.username.slice(0, MAX_TEXT), groups: groups.map((group) => group.slice(0, MAX_TEXT)) };
}
