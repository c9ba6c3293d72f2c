/**
 * Fixture helpers for the end-to-end tests: Namespaces, Services,
 * EndpointSlices, a least-privilege reader ServiceAccount and TokenRequest
 * tokens, created through the API server with an admin identity.
 *
 * EndpointSlices made here carry `endpointslice.kubernetes.io/managed-by:
 * e2e.kgr-resolver`, so a real cluster's EndpointSlice controller leaves them
 * alone, and their addresses are never dialed: the scenarios only watch them.
 *
 * @module
 */

/** Sends one request to the API server with admin rights; `path` starts with `/`. */
export type AdminFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** The `managed-by` value of every EndpointSlice the tests create. */
const MANAGED_BY = "e2e.kgr-resolver";

/** A failed API request, with the status code and the server's message. */
export class ApiRequestError extends Error {
  /** HTTP status. */
  readonly status: number;
  /**
   * @param message What failed.
   * @param status HTTP status.
   */
  constructor(message: string, status: number) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
  }
}

/**
 * Sends a JSON request and parses the JSON answer.
 *
 * @param fetch The admin fetch.
 * @param method HTTP method.
 * @param path API path.
 * @param body Request body (JSON-encoded), if any.
 * @param contentType Content type of the body.
 * @returns The parsed response.
 * @throws {ApiRequestError} When the server does not answer 2xx.
 */
export async function kubeRequest<T = Record<string, unknown>>(
  fetch: AdminFetch,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<T> {
  const init: RequestInit = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, "content-type": contentType };
  }
  const response = await fetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {
      // Not a Status.
    }
    throw new ApiRequestError(`Cannot ${method} ${path}: ${response.status} ${message}`, response.status);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

/** Server-side apply of one object (created or updated), owned by field manager `kgr-e2e`. */
function apply<T>(fetch: AdminFetch, path: string, object: unknown): Promise<T> {
  return kubeRequest<T>(
    fetch,
    "PATCH",
    `${path}?fieldManager=kgr-e2e&force=true`,
    object,
    "application/apply-patch+yaml",
  );
}

/** Minimal object metadata as returned by the server. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
}

/**
 * Creates a Namespace with a unique name.
 *
 * @param fetch The admin fetch.
 * @param prefix Start of the name (`generateName`).
 * @returns The namespace's name.
 */
export async function createNamespace(fetch: AdminFetch, prefix: string): Promise<string> {
  const created = await kubeRequest<{ metadata: ObjectMeta }>(fetch, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { generateName: `${prefix}-`, labels: { "e2e.kgr-resolver/test": "true" } },
  });
  return created.metadata.name;
}

/**
 * Deletes a Namespace (and everything in it), without waiting.
 *
 * @param fetch The admin fetch.
 * @param name The namespace.
 */
export async function deleteNamespace(fetch: AdminFetch, name: string): Promise<void> {
  const response = await fetch(`/api/v1/namespaces/${name}`, { method: "DELETE" });
  await response.body?.cancel();
}

/**
 * Creates a selector-less ClusterIP Service, as the EndpointSlices' owner.
 *
 * @param fetch The admin fetch.
 * @param namespace Its namespace.
 * @param name Its name.
 * @param ports Its ports, in this order; `targetPort` defaults to `port`.
 * @returns Its metadata.
 */
export async function createService(
  fetch: AdminFetch,
  namespace: string,
  name: string,
  ports: { name: string; port: number; targetPort?: number }[] = [{ name: "grpc", port: 50051 }],
): Promise<ObjectMeta> {
  const created = await kubeRequest<{ metadata: ObjectMeta }>(
    fetch,
    "POST",
    `/api/v1/namespaces/${namespace}/services`,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name },
      spec: {
        ports: ports.map(({ name, port, targetPort }) => ({
          name,
          port,
          targetPort: targetPort ?? port,
          protocol: "TCP",
        })),
      },
    },
  );
  return created.metadata;
}

/** One endpoint of an {@linkcode EndpointSliceSpec}. */
export interface EndpointSpec {
  /** Addresses (one normally); never loopback or link-local. */
  addresses: string[];
  /** Pod name for `targetRef`. */
  pod?: string;
  /** `conditions.ready`; absent leaves it unset. */
  ready?: boolean;
  /** `conditions.serving`; absent leaves it unset. */
  serving?: boolean;
  /** `conditions.terminating`; absent leaves it unset. */
  terminating?: boolean;
  /** Zone. */
  zone?: string;
}

/** What an EndpointSlice should contain. */
export interface EndpointSliceSpec {
  /** Slice name. */
  name: string;
  /** @default {"IPv4"} */
  addressType?: "IPv4" | "IPv6";
  /** @default {[{ name: "grpc", port: 50051 }]} */
  ports?: { name: string; port: number }[];
  /** The endpoints. */
  endpoints: EndpointSpec[];
}

/**
 * Creates or replaces an EndpointSlice of a Service (server-side apply).
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param service The Service the slice belongs to.
 * @param spec The slice's contents.
 * @returns The stored slice's metadata.
 */
export async function applyEndpointSlice(
  fetch: AdminFetch,
  namespace: string,
  service: string,
  spec: EndpointSliceSpec,
): Promise<ObjectMeta> {
  const endpoints = spec.endpoints.map((endpoint) => {
    const conditions: Record<string, boolean> = {};
    if (endpoint.ready !== undefined) conditions.ready = endpoint.ready;
    if (endpoint.serving !== undefined) conditions.serving = endpoint.serving;
    if (endpoint.terminating !== undefined) conditions.terminating = endpoint.terminating;
    return {
      addresses: endpoint.addresses,
      conditions,
      ...(endpoint.pod ? { targetRef: { kind: "Pod", namespace, name: endpoint.pod } } : {}),
      ...(endpoint.zone ? { zone: endpoint.zone } : {}),
    };
  });
  const stored = await apply<{ metadata: ObjectMeta }>(
    fetch,
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${spec.name}`,
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: spec.name,
        labels: { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": MANAGED_BY },
      },
      addressType: spec.addressType ?? "IPv4",
      ports: (spec.ports ?? [{ name: "grpc", port: 50051 }]).map((port) => ({ ...port, protocol: "TCP" })),
      endpoints,
    },
  );
  return stored.metadata;
}

/**
 * Deletes an EndpointSlice.
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param name The slice.
 */
export async function deleteEndpointSlice(fetch: AdminFetch, namespace: string, name: string): Promise<void> {
  await kubeRequest(fetch, "DELETE", `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}`);
}

/**
 * Lists a Service's EndpointSlices as the admin (what the resolver should end up with).
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param service The Service.
 * @returns The slices and the list's resourceVersion.
 */
export async function listEndpointSlices(
  fetch: AdminFetch,
  namespace: string,
  service: string,
): Promise<
  { items: { metadata: ObjectMeta; endpoints: { addresses: string[] }[] | null }[]; resourceVersion: string }
> {
  const list = await kubeRequest<{ items: []; metadata: { resourceVersion: string } }>(
    fetch,
    "GET",
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=` +
      encodeURIComponent(`kubernetes.io/service-name=${service}`),
  );
  return { items: list.items, resourceVersion: list.metadata.resourceVersion };
}

/**
 * Creates a ServiceAccount.
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param name The account.
 * @returns Its metadata.
 */
export async function createServiceAccount(fetch: AdminFetch, namespace: string, name: string): Promise<ObjectMeta> {
  const created = await kubeRequest<{ metadata: ObjectMeta }>(
    fetch,
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts`,
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
  );
  return created.metadata;
}

/** Name of the Role {@linkcode createEndpointSliceReaderRole} creates. */
export const READER_ROLE = "grpc-endpoint-reader";

/**
 * Creates the least-privilege Role of the README: `list` and `watch` on
 * `endpointslices` in `discovery.k8s.io`, `get` on `services` (for targets
 * without a port), nothing else.
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param options Another name, and whether to leave out the `services` rule.
 */
export async function createEndpointSliceReaderRole(
  fetch: AdminFetch,
  namespace: string,
  options: { name?: string; services?: boolean } = {},
): Promise<void> {
  const rules = [{ apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] }];
  if (options.services !== false) rules.push({ apiGroups: [""], resources: ["services"], verbs: ["get"] });
  await kubeRequest(fetch, "POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: options.name ?? READER_ROLE },
    rules,
  });
}

/**
 * Binds the reader Role (or another one) to a ServiceAccount.
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace of the Role, the binding and the account.
 * @param serviceAccount The account.
 * @param role The Role.
 */
export async function bindEndpointSliceReader(
  fetch: AdminFetch,
  namespace: string,
  serviceAccount: string,
  role = READER_ROLE,
): Promise<void> {
  await kubeRequest(fetch, "POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `${role}-${serviceAccount}` },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
  });
}

/**
 * Creates an (opaque, empty) Secret, to bind a token to.
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param name The Secret.
 * @returns Its metadata.
 */
export async function createSecret(fetch: AdminFetch, namespace: string, name: string): Promise<ObjectMeta> {
  const created = await kubeRequest<{ metadata: ObjectMeta }>(
    fetch,
    "POST",
    `/api/v1/namespaces/${namespace}/secrets`,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name },
      type: "Opaque",
    },
  );
  return created.metadata;
}

/**
 * Deletes a Secret (which invalidates every token bound to it).
 *
 * @param fetch The admin fetch.
 * @param namespace The namespace.
 * @param name The Secret.
 */
export async function deleteSecret(fetch: AdminFetch, namespace: string, name: string): Promise<void> {
  await kubeRequest(fetch, "DELETE", `/api/v1/namespaces/${namespace}/secrets/${name}`);
}

/** Options of {@linkcode requestToken}. */
export interface TokenOptions {
  /** Bind the token to this Secret: deleting it invalidates the token. */
  boundSecret?: ObjectMeta;
  /** @default {600} (the minimum the API allows) */
  expirationSeconds?: number;
}

/**
 * Mints a ServiceAccount token with the TokenRequest API
 * (`POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token`).
 *
 * @param fetch The admin fetch.
 * @param namespace The account's namespace.
 * @param serviceAccount The account.
 * @param options Bound object and lifetime.
 * @returns The token.
 */
export async function requestToken(
  fetch: AdminFetch,
  namespace: string,
  serviceAccount: string,
  options: TokenOptions = {},
): Promise<string> {
  const spec: Record<string, unknown> = { expirationSeconds: options.expirationSeconds ?? 600 };
  if (options.boundSecret) {
    spec.boundObjectRef = {
      kind: "Secret",
      apiVersion: "v1",
      name: options.boundSecret.name,
      uid: options.boundSecret.uid,
    };
  }
  const answer = await kubeRequest<{ status: { token: string } }>(
    fetch,
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec },
  );
  return answer.status.token;
}

/**
 * The `jti` claim of a service-account token (the audit log's credential id is `JTI=<jti>`).
 *
 * @param token A JWT.
 * @returns Its `jti`, if any.
 */
export function tokenId(token: string): string | undefined {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
  return (JSON.parse(json) as { jti?: string }).jti;
}
