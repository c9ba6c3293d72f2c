// The fake API server's access reviews in the media types kube-apiserver reads (JSON, YAML, and protobuf, which
// `kubectl auth can-i` and `kubectl auth whoami` send), and reviews of a path (`kubectl auth can-i get /healthz`).
// Every expected answer was measured on kube-apiserver v1.36.3 (less its managedFields and the uid and extra of
// a real user, which setAccess() has no field for).
import assert from "node:assert/strict";
import { type FakeAccess, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";

const ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const SELF_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
const PROTOBUF = "application/vnd.kubernetes.protobuf";
/** What kubectl v1.36.3 sends as Accept with a protobuf review (its `-v=9` log). */
const KUBECTL_ACCEPT = "application/vnd.kubernetes.protobuf,application/json";

const READER: FakeAccess = {
  username: "system:serviceaccount:shop:cart-client",
  groups: ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"],
  rules: [
    { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], namespace: "shop" },
    { verbs: ["get"], apiGroups: [""], resources: ["services"], namespace: "shop" },
  ],
};

/** The reason RBAC gives for a path that the `system:discovery` ClusterRole allows every authenticated user. */
const DISCOVERY_REASON =
  'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"';

// A protobuf writer for the test's bodies: a field is its key (number * 8 + wire type) as a varint, then for
// wire type 2 the length as a varint and the bytes.
function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  return [...bytes, value];
}
function field(number: number, value: string | number[]): number[] {
  const bytes = typeof value === "string" ? [...new TextEncoder().encode(value)] : value;
  return [...varint(number * 8 + 2), ...varint(bytes.length), ...bytes];
}
function boolField(number: number, value: boolean): number[] {
  return [...varint(number * 8), value ? 1 : 0];
}
/** Strings as fields 1, 2, …, empty ones written too, as Kubernetes' generated code writes them. */
function strings(...values: string[]): number[] {
  return values.flatMap((value, i) => field(i + 1, value));
}
/** The Kubernetes envelope: `k8s\0`, then a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3, 4}. */
function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...field(1, strings(apiVersion, kind)),
    ...field(2, raw),
    ...field(3, ""),
    ...field(4, ""),
  ]);
}
/** A SelfSubjectAccessReview {1 metadata, 2 spec {1 resourceAttributes | 2 nonResourceAttributes}, 3 status}. */
function accessReview(
  attributes: { resource: string[] } | { path: string; verb: string },
): Uint8Array<ArrayBuffer> {
  const spec = "resource" in attributes
    ? field(1, strings(...attributes.resource))
    : field(2, strings(attributes.path, attributes.verb));
  const raw = [...field(1, []), ...field(2, spec), ...field(3, [...boolField(1, false), ...field(2, "")])];
  return envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw);
}

async function withServer(fn: (server: FakeApiServer) => Promise<void>): Promise<void> {
  const server = await startFakeApiServer({ token: "t" });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function post(
  server: FakeApiServer,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  contentType: string,
  accept = "application/json",
) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": contentType, accept },
    body,
  });
  const answer = await response.json();
  delete answer.metadata?.creationTimestamp;
  return { status: response.status, type: response.headers.get("content-type"), body: answer };
}

function review(spec: Record<string, unknown>, status: Record<string, unknown>) {
  return {
    status: 201,
    type: "application/json",
    body: {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec,
      status,
    },
  };
}

function badRequest(message: string) {
  const body = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "BadRequest" };
  return { status: 400, type: "application/json", body: { ...body, code: 400 } };
}

Deno.test("an access review in protobuf, as kubectl auth can-i sends it, is answered in JSON", async () => {
  await withServer(async (server) => {
    // namespace, verb, group, version, resource, subresource, name
    const list = accessReview({ resource: ["shop", "list", "discovery.k8s.io", "", "endpointslices", "", ""] });
    const watchOther = accessReview({ resource: ["other", "watch", "discovery.k8s.io", "", "endpointslices", "", ""] });
    const attributes = { namespace: "shop", verb: "list", group: "discovery.k8s.io", resource: "endpointslices" };
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, list, PROTOBUF, KUBECTL_ACCEPT),
      review({ resourceAttributes: attributes }, { allowed: true }),
    );
    server.setAccess(READER);
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, list, PROTOBUF, KUBECTL_ACCEPT),
      review({ resourceAttributes: attributes }, { allowed: true, reason: "RBAC: allowed by rule 1 of setAccess()" }),
    );
    assert.deepEqual(
      (await post(server, ACCESS_REVIEWS, watchOther, PROTOBUF, KUBECTL_ACCEPT)).body.status,
      { allowed: false },
    );
    const path = accessReview({ path: "/healthz", verb: "get" });
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, path, PROTOBUF, KUBECTL_ACCEPT),
      review({ nonResourceAttributes: { path: "/healthz", verb: "get" } }, { allowed: true, reason: DISCOVERY_REASON }),
    );
  });
});

Deno.test("a SelfSubjectReview in protobuf, as kubectl auth whoami sends it, is answered in JSON", async () => {
  await withServer(async (server) => {
    server.setAccess(READER);
    const whoami = envelope("authentication.k8s.io/v1", "SelfSubjectReview", [...field(1, []), ...field(2, [])]);
    assert.deepEqual(await post(server, SELF_REVIEWS, whoami, PROTOBUF, KUBECTL_ACCEPT), {
      status: 201,
      type: "application/json",
      body: {
        kind: "SelfSubjectReview",
        apiVersion: "authentication.k8s.io/v1",
        metadata: {},
        status: { userInfo: { username: READER.username, groups: READER.groups } },
      },
    });
    // An envelope that names no kind, and holds nothing, is the endpoint's kind.
    const bare = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...field(2, [])]);
    assert.equal((await post(server, SELF_REVIEWS, bare, PROTOBUF)).status, 201);
    // The kind in the envelope is checked as in JSON.
    const wrongKind = accessReview({ path: "/healthz", verb: "get" });
    assert.deepEqual(
      await post(server, SELF_REVIEWS, wrongKind, PROTOBUF),
      badRequest(
        'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectReview: ' +
          "converting (v1.SelfSubjectAccessReview) to (authentication.SelfSubjectReview): unknown conversion",
      ),
    );
  });
});

Deno.test("a SelfSubjectReview lists system:authenticated after the user's groups, as kube-apiserver adds it", async () => {
  await withServer(async (server) => {
    const groupsOf = async (groups: string[] | undefined, username = "alice") => {
      server.setAccess({ username, groups, rules: [] });
      const whoami = JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
      return (await post(server, SELF_REVIEWS, whoami, "application/json")).body.status.userInfo.groups;
    };
    // Measured on v1.36.3 (`kubectl auth whoami`, a token user): `[devs system:authenticated]`.
    assert.deepEqual(await groupsOf(["devs"]), ["devs", "system:authenticated"]);
    assert.deepEqual(await groupsOf(undefined), ["system:authenticated"]);
    assert.deepEqual(await groupsOf([]), ["system:authenticated"]);
    // apiserver's AuthenticatedGroupAdder leaves alone a user who holds either group, and system:anonymous.
    assert.deepEqual(await groupsOf(READER.groups), READER.groups);
    assert.deepEqual(await groupsOf(["system:unauthenticated"]), ["system:unauthenticated"]);
    assert.deepEqual(await groupsOf([], "system:anonymous"), []);
  });
});

Deno.test("an access review in YAML is answered as the same review in JSON", async () => {
  await withServer(async (server) => {
    server.setAccess(READER);
    const yaml = "spec:\n  resourceAttributes:\n    verb: list\n    group: discovery.k8s.io\n" +
      "    resource: endpointslices\n    namespace: shop\n";
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, yaml, "application/yaml"),
      review({
        resourceAttributes: { namespace: "shop", verb: "list", group: "discovery.k8s.io", resource: "endpointslices" },
      }, { allowed: true, reason: "RBAC: allowed by rule 1 of setAccess()" }),
    );
    const whoami = "apiVersion: authentication.k8s.io/v1\nkind: SelfSubjectReview\n";
    assert.equal(
      (await post(server, SELF_REVIEWS, whoami, "application/yaml")).body.status.userInfo.username,
      READER.username,
    );
  });
});

Deno.test("an access review body that cannot be read gets the real server's 400", async () => {
  await withServer(async (server) => {
    const unrecognized = (cause: string) =>
      badRequest(`the object provided is unrecognized (must be of type SelfSubjectAccessReview): ${cause}`);
    const prefix = [0x6b, 0x38, 0x73, 0x00];
    // Each message as kube-apiserver v1.36.3 wrote it.
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, "{}", PROTOBUF),
      unrecognized("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({})"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, new Uint8Array(), PROTOBUF),
      unrecognized("empty data (<empty>)"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, new Uint8Array(prefix), PROTOBUF),
      unrecognized("empty body (6b387300)"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, new Uint8Array([...prefix, 0x0a, 0x05, 0x0a]), PROTOBUF),
      unrecognized("unexpected EOF (6b3873000a050a)"),
    );
    // Go's words for a message cut short anywhere, or for a known field of another wire type (kube-apiserver v1.36.3).
    for (
      const [bytes, cause] of [[[0x80], "unexpected EOF"], [[0x08], "proto: wrong wireType = 0 for field TypeMeta"]]
    ) {
      const body = new Uint8Array([...prefix, ...bytes as number[]]);
      const hex = Array.from(body, (byte) => byte.toString(16).padStart(2, "0")).join("");
      assert.deepEqual(await post(server, ACCESS_REVIEWS, body, PROTOBUF), unrecognized(`${cause} (${hex})`));
    }
    const cannotHandle = (cause: string) =>
      badRequest(`SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: ${cause}`);
    const inRaw = (raw: number[]) => new Uint8Array([...prefix, ...field(2, raw)]);
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, inRaw([0x10, 0x01]), PROTOBUF),
      cannotHandle("proto: wrong wireType = 0 for field Spec"),
    );
    // Field 1 is Go's embedded ObjectMeta, which the real server names so.
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, inRaw([0x08, 0x01]), PROTOBUF),
      cannotHandle("proto: wrong wireType = 0 for field ObjectMeta"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, inRaw([0x12, 0x02, 0x08, 0x01]), PROTOBUF),
      cannotHandle("proto: wrong wireType = 0 for field ResourceAttributes"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, inRaw([0x12, 0x03, 0x12]), PROTOBUF),
      cannotHandle("unexpected EOF"),
    );
    // The real server quotes Go's YAML and JSON errors here; the fake says it in its own words.
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, "- a\n- b\n", "application/yaml"),
      unrecognized("the body is not a YAML object (2d20610a2d20620a)"),
    );
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, "spec: [\n", "application/yaml"),
      unrecognized("the body is not valid YAML (737065633a205b0a)"),
    );
    // The body's first 30 bytes, as text when it starts with "{".
    const long = `{"spec": ${"[".repeat(40)}`;
    assert.deepEqual(
      await post(server, ACCESS_REVIEWS, long, "application/json"),
      unrecognized(`the body is not valid JSON (${long.slice(0, 30)} ...)`),
    );
  });
});

Deno.test("a review of a path is answered as RBAC answers it: the admin may do anything, a user the discovery paths", async () => {
  await withServer(async (server) => {
    const ask = (attributes: Record<string, unknown>) =>
      post(server, ACCESS_REVIEWS, JSON.stringify({ spec: { nonResourceAttributes: attributes } }), "application/json");
    const asked = (attributes: Record<string, string>, status: Record<string, unknown>) =>
      review({ nonResourceAttributes: attributes }, status);
    // As kubectl auth can-i get /healthz sends it; a system:masters user gets no reason.
    assert.deepEqual(
      await ask({ path: "/healthz", verb: "get" }),
      asked({ path: "/healthz", verb: "get" }, { allowed: true }),
    );
    assert.deepEqual(
      await ask({ path: "/metrics", verb: "get" }),
      asked({ path: "/metrics", verb: "get" }, { allowed: true }),
    );
    assert.deepEqual(await ask({}), asked({}, { allowed: true }));
    server.setAccess(READER);
    for (const path of ["/healthz", "/livez", "/readyz", "/version", "/version/", "/api", "/apis/x", "/openapi/v3"]) {
      assert.deepEqual(
        await ask({ path, verb: "get" }),
        asked({ path, verb: "get" }, { allowed: true, reason: DISCOVERY_REASON }),
      );
    }
    // Fields it does not know are dropped.
    assert.deepEqual(
      await ask({ path: "/healthz", verb: "get", x: 1 }),
      asked({ path: "/healthz", verb: "get" }, { allowed: true, reason: DISCOVERY_REASON }),
    );
    assert.deepEqual(
      await ask({ path: "/metrics", verb: "get" }),
      asked({ path: "/metrics", verb: "get" }, { allowed: false }),
    );
    assert.deepEqual(
      await ask({ path: "/healthz", verb: "post" }),
      asked({ path: "/healthz", verb: "post" }, { allowed: false }),
    );
    assert.deepEqual(await ask({}), asked({}, { allowed: false }));
    // The rules of setAccess() name resources: even "*" grants no path.
    server.setAccess({ username: "root", rules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }] });
    assert.deepEqual((await ask({ path: "/metrics", verb: "get" })).body.status, { allowed: false });
  });
});

Deno.test("a review of both a resource and a path gets the real server's 422", async () => {
  await withServer(async (server) => {
    const body = JSON.stringify({
      spec: { resourceAttributes: { verb: "get" }, nonResourceAttributes: { path: "/healthz", verb: "get" } },
    });
    const detail = 'Invalid value: {"Path":"/healthz","Verb":"get"}: cannot be specified in combination with ' +
      "resourceAttributes";
    assert.deepEqual(await post(server, ACCESS_REVIEWS, body, "application/json"), {
      status: 422,
      type: "application/json",
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: ${detail}`,
        reason: "Invalid",
        details: {
          group: "authorization.k8s.io",
          causes: [{ reason: "FieldValueInvalid", message: detail, field: "spec.nonResourceAttributes" }],
        },
        code: 422,
      },
    });
    const empty = JSON.stringify({ spec: { resourceAttributes: { verb: "get" }, nonResourceAttributes: {} } });
    assert.equal(
      (await post(server, ACCESS_REVIEWS, empty, "application/json")).body.details.causes[0].message,
      'Invalid value: {"Path":"","Verb":""}: cannot be specified in combination with resourceAttributes',
    );
    // Quoted with Go's json.Marshal, which escapes <, > and & (measured on v1.36.3).
    const escaped = JSON.stringify({
      spec: { resourceAttributes: { verb: "get" }, nonResourceAttributes: { path: "/a<b>&", verb: "get" } },
    });
    assert.equal(
      (await post(server, ACCESS_REVIEWS, escaped, "application/json")).body.details.causes[0].message,
      'Invalid value: {"Path":"/a\\u003cb\\u003e\\u0026","Verb":"get"}: cannot be specified in combination with ' +
        "resourceAttributes",
    );
  });
});
