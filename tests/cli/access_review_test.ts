import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { reviewAccess, reviewSelf } from "../../src/cli/access_review.ts";
import type { ClusterAccess } from "../../src/cluster/types.ts";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { KubeApiError } from "../../src/base/errors.ts";
import { createEndpointSliceApi } from "../../src/api/kube_api.ts";
import { createHttpClient, type HttpClient } from "../../src/runtime/http_client.ts";

const READER = "system:serviceaccount:shop:cart-client";
const LIST = { verb: "list", group: "discovery.k8s.io", resource: "endpointslices", namespace: "shop" };

async function withApi(fn: (api: FakeApiServer, access: ClusterAccess, client: HttpClient) => Promise<void>) {
  const api = await startFakeApiServer({ token: "t" });
  const access = await resolveClusterAccess({ kubeconfig: api.kubeconfig() });
  const client = await createHttpClient({ tls: access.tls });
  try {
    await fn(api, access, client);
  } finally {
    client.close();
    await api.close();
  }
}

const timeout = () => AbortSignal.timeout(5000);

Deno.test("reviewAccess() asks the API server, which allows everything until access is restricted", async () => {
  await withApi(async (api, access, client) => {
    // As kube-apiserver v1.36.3 answers a system:masters user: allowed, without a reason.
    assert.deepEqual(await reviewAccess(access, client, LIST, timeout()), { allowed: true });
    api.setAccess({ username: READER, rules: [] });
    assert.deepEqual(await reviewAccess(access, client, LIST, timeout()), { allowed: false });
    api.setAccess({
      username: READER,
      rules: [{ verbs: ["list"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], namespace: "shop" }],
    });
    assert.deepEqual(await reviewAccess(access, client, LIST, timeout()), {
      allowed: true,
      reason: "RBAC: allowed by rule 1 of setAccess()",
    });
    assert.equal((await reviewAccess(access, client, { ...LIST, verb: "watch" }, timeout())).allowed, false);
    assert.equal((await reviewAccess(access, client, { ...LIST, namespace: "other" }, timeout())).allowed, false);
    const reviews = api.requests.filter((request) => request.method === "POST");
    assert.deepEqual(
      new Set(reviews.map((request) => request.path)),
      new Set(["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]),
    );
    assert.ok(reviews.every((request) => request.status === 201));
  });
});

Deno.test("an access review comes back as the real server writes it: known attributes only, empty ones left out", async () => {
  await withApi(async (api) => {
    const review = (body: unknown) =>
      fetch(`${api.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    const answer = await review({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: { name: "ignored" },
      spec: { resourceAttributes: { verb: "get", group: "", resource: "services", namespace: "shop", name: "", x: 1 } },
      extra: true,
    });
    // Measured on kube-apiserver v1.36.3 (less its managedFields: nothing writes through the fake's API).
    assert.deepEqual(answer, {
      status: 201,
      body: {
        kind: "SelfSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        metadata: {},
        spec: { resourceAttributes: { namespace: "shop", verb: "get", resource: "services" } },
        status: { allowed: true },
      },
    });
  });
});

Deno.test("an access review's Content-Type is read as kube-apiserver reads it: none means JSON, a malformed one is 415", async () => {
  await withApi(async (api) => {
    const body = new TextEncoder().encode(
      JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
    );
    const status = async (contentType?: string) => {
      // A byte body: fetch adds no Content-Type of its own.
      const headers: Record<string, string> = { authorization: "Bearer t" };
      if (contentType !== undefined) headers["content-type"] = contentType;
      const response = await fetch(`${api.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        method: "POST",
        headers,
        body,
      });
      await response.body?.cancel();
      return response.status;
    };
    // Each measured on kube-apiserver v1.36.3.
    const expected: [string | undefined, number][] = [
      [undefined, 201],
      ["APPLICATION/JSON", 201],
      ["application/json; charset=utf-8", 201],
      ["application/json;", 201],
      ['application/json; charset="utf-8"', 201],
      ["application/json;foo", 415],
      ['application/json; charset=utf-8; CHARSET="utf-8"', 201],
      ["application/json; charset=utf-8; charset=latin1", 415],
      ["application/json; a=1;;", 415],
      ["application", 415],
      ["application/json/x", 415],
      ["application/x-www-form-urlencoded", 415],
      ["*/*", 415],
    ];
    for (const [contentType, code] of expected) assert.equal(await status(contentType), code, `${contentType}`);
  });
});

Deno.test("an access review of the wrong apiVersion or kind gets the real server's 400", async () => {
  await withApi(async (api) => {
    const post = async (path: string, body: Record<string, unknown>) => {
      const response = await fetch(`${api.url}${path}`, {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({ ...body, spec: { resourceAttributes: { verb: "list" } } }),
      });
      const { code, reason, message } = await response.json();
      return { status: response.status, code, reason, message };
    };
    const access = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    const self = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    const refused = (message: string) => ({ status: 400, code: 400, reason: "BadRequest", message });
    const scheme = 'in scheme "pkg/runtime/scheme.go:111"';
    // Each measured on kube-apiserver v1.36.3.
    assert.deepEqual(
      await post(access, { apiVersion: "authorization.k8s.io/v1beta1", kind: "SelfSubjectAccessReview" }),
      refused(
        "the API version in the data (authorization.k8s.io/v1beta1) does not match the expected API version " +
          "(authorization.k8s.io/v1)",
      ),
    );
    assert.deepEqual(
      await post(access, { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
      refused(
        'SelfSubjectReview in version "v1" cannot be handled as a SelfSubjectAccessReview: ' +
          "converting (v1.SelfSubjectReview) to (authorization.SelfSubjectAccessReview): unknown conversion",
      ),
    );
    assert.deepEqual(
      await post(access, { kind: "Foo" }),
      refused(
        'Foo in version "v1" cannot be handled as a SelfSubjectAccessReview: no kind "Foo" is registered for ' +
          `version "authorization.k8s.io/v1" ${scheme}`,
      ),
    );
    assert.deepEqual(
      await post(access, { apiVersion: "v1" }),
      refused(
        'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: no kind ' +
          `"SelfSubjectAccessReview" is registered for version "v1" ${scheme}`,
      ),
    );
    assert.deepEqual(
      await post(self, { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview" }),
      refused(
        'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectReview: ' +
          "converting (v1.SelfSubjectAccessReview) to (authentication.SelfSubjectReview): unknown conversion",
      ),
    );
    // Empty or left out: the endpoint's own.
    assert.equal((await post(access, { apiVersion: "", kind: "" })).status, 201);
    assert.equal((await post(self, { apiVersion: "authentication.k8s.io/v1" })).status, 201);
  });
});

Deno.test("an access review without attributes or without a JSON body gets the real server's 422 or 415", async () => {
  await withApi(async (api) => {
    const review = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
      fetch(`${api.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: "POST",
        headers: { authorization: "Bearer t", ...headers },
        body,
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    const empty = JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: {} });
    // Both measured on kube-apiserver v1.36.3.
    const detail = "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified";
    assert.deepEqual(await review(empty), {
      status: 422,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `.authorization.k8s.io "" is invalid: spec.resourceAttributes: ${detail}`,
        reason: "Invalid",
        details: {
          group: "authorization.k8s.io",
          causes: [{ reason: "FieldValueInvalid", message: detail, field: "spec.resourceAttributes" }],
        },
        code: 422,
      },
    });
    assert.deepEqual(await review(empty, { "content-type": "text/plain;charset=UTF-8" }), {
      status: 415,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "the body of the request was in an unknown format - accepted media types include: " +
          "application/json, application/yaml, application/vnd.kubernetes.protobuf",
        reason: "UnsupportedMediaType",
        code: 415,
      },
    });
    const partial = JSON.stringify({ spec: { resourceAttributes: { verb: "list" } } });
    assert.deepEqual((await review(partial, { "content-type": "application/json; charset=utf-8" })).body.status, {
      allowed: true,
    });
  });
});

Deno.test("reviewSelf() reports the user the API server sees", async () => {
  await withApi(async (api, access, client) => {
    assert.equal((await reviewSelf(access, client, timeout())).username, "kubernetes-admin");
    api.setAccess({ username: READER, groups: ["system:serviceaccounts"], rules: [] });
    assert.deepEqual(await reviewSelf(access, client, timeout()), {
      username: READER,
      groups: ["system:serviceaccounts", "system:authenticated"],
    });
  });
});

Deno.test("the fake API server forbids a list that its access rules do not allow, as RBAC does", async () => {
  await withApi(async (api, access, client) => {
    api.setAccess({ username: READER, rules: [] });
    const error = await createEndpointSliceApi(access, client, "shop", "cart").list({ signal: timeout() }).catch((e) =>
      e
    );
    assert.ok(error instanceof KubeApiError, String(error));
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /endpointslices\.discovery\.k8s\.io is forbidden: User \\"system:serviceaccount:shop:cart-client\\" cannot list resource \\"endpointslices\\" in API group \\"discovery\.k8s\.io\\" in the namespace \\"shop\\"/,
    );
    api.setAccess(undefined);
    assert.deepEqual(
      (await createEndpointSliceApi(access, client, "shop", "cart").list({ signal: timeout() })).items,
      [],
    );
  });
});

Deno.test("reviewAccess() says what to grant when the review itself is forbidden", async () => {
  await withApi(async (api, access, client) => {
    api.failNext(1, { status: 403 });
    const error = await reviewAccess(access, client, LIST, timeout()).catch((e) => e);
    assert.ok(error instanceof KubeApiError, String(error));
    assert.match(
      error.message,
      /^Cannot create a SelfSubjectAccessReview: forbidden \(403\) .*grant "create" on "selfsubjectaccessreviews"/,
    );
  });
});

Deno.test("a server URL with a path the API server does not serve says to remove it, for an admin (404) and a restricted user (403)", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const kubeconfig = api.kubeconfig();
  for (const entry of kubeconfig.clusters ?? []) entry.cluster.server = `${api.url}/foo`;
  const access = await resolveClusterAccess({ kubeconfig });
  const client = await createHttpClient({ tls: access.tls });
  const failure = (attempt: Promise<unknown>) =>
    attempt.then(() => assert.fail("no error"), (error) => {
      assert.ok(error instanceof KubeApiError, String(error));
      return error;
    });
  const list = () => failure(createEndpointSliceApi(access, client, "prod", "echo").list({ signal: timeout() }));
  const self = () => failure(reviewSelf(access, client, timeout()));
  const advice = (code: number) =>
    new RegExp(
      `the API server at http://127\\.0\\.0\\.1:\\d+/foo serves no API under the path /foo of its URL \\(${code} for ` +
        "a path outside its API\\): remove the path from the server URL in the kubeconfig object",
    );
  try {
    // A system:masters user, as kube-apiserver v1.36.3 answers it: Go's plain-text 404 page, no Status.
    for (const error of [await list(), await self()]) {
      assert.equal(error.status, 404);
      assert.match(error.message, advice(404));
    }
    assert.match(
      (await list()).message,
      /unless a proxy there serves the API under it \(then: the API server .* has no EndpointSlice API/,
    );
    api.setAccess({ username: READER, rules: [] });
    for (const error of [await list(), await self()]) {
      assert.equal(error.status, 403);
      assert.match(error.message, advice(403));
    }
  } finally {
    client.close();
    await api.close();
  }
});
