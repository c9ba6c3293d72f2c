/**
 * The check kube-apiserver makes of a created object's `apiVersion` and
 * `kind` before it reads anything else, with its `400 BadRequest` wording
 * (measured on v1.36.3): empty ones take the endpoint's; the same kind in
 * another registered version does not match the expected API version; any
 * other kind cannot be handled. Private to the fake API server.
 *
 * @module
 */

/** The kinds the fake knows to be registered in a real server's scheme, by apiVersion. */
const REGISTERED: Record<string, readonly string[]> = {
  "v1": ["Pod", "Service", "Node", "Namespace", "Endpoints", "ConfigMap", "Secret", "ServiceAccount"],
  "discovery.k8s.io/v1": ["EndpointSlice"],
  "authorization.k8s.io/v1": [
    "SubjectAccessReview",
    "SelfSubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectRulesReview",
  ],
  "authorization.k8s.io/v1beta1": [
    "SubjectAccessReview",
    "SelfSubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectRulesReview",
  ],
  "authentication.k8s.io/v1": ["TokenReview", "SelfSubjectReview"],
  "authentication.k8s.io/v1beta1": ["TokenReview", "SelfSubjectReview"],
};

/**
 * Why a real server refuses a body of the wrong `apiVersion` or `kind` for an endpoint.
 *
 * @param body The request body.
 * @param expected The endpoint's `apiVersion` (`group/version`) and `kind`.
 * @returns The message of the 400; undefined when the body is of the expected kind (or leaves it out).
 */
export function wrongKind(
  body: Record<string, unknown>,
  expected: { readonly apiVersion: string; readonly kind: string },
): string | undefined {
  const given = (value: unknown, fallback: string) => typeof value === "string" && value !== "" ? value : fallback;
  const apiVersion = given(body.apiVersion, expected.apiVersion);
  const kind = given(body.kind, expected.kind);
  if (apiVersion === expected.apiVersion && kind === expected.kind) return undefined;
  const registered = REGISTERED[apiVersion]?.includes(kind) ?? false;
  if (registered && kind === expected.kind) {
    return `the API version in the data (${apiVersion}) does not match the expected API version (${expected.apiVersion})`;
  }
  const version = apiVersion.slice(apiVersion.indexOf("/") + 1);
  const [group] = expected.apiVersion.split(".");
  const cause = registered
    ? `converting (${version}.${kind}) to (${group}.${expected.kind}): unknown conversion`
    : `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} ` +
      `in scheme "pkg/runtime/scheme.go:111"`;
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${expected.kind}: ${cause}`;
}
