import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer } from "node:net";
import { impersonationHeaders } from "../src/api/impersonation_headers.ts";
import { impersonationGrant } from "../src/api/_impersonation_advice.ts";
import { requestObject } from "../src/api/kube_api.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";
import { nodeHttpClient } from "../src/runtime/node_http_client.ts";
import type { HttpClient } from "../src/runtime/http_response.ts";
import { config } from "./_kubeconfig_object.ts";

Deno.test("impersonationHeaders() writes client-go's headers, escaping extra keys as it does", () => {
  assert.deepEqual(impersonationHeaders({ user: "jane", groups: [], extra: {} }), [["impersonate-user", "jane"]]);
  assert.deepEqual(
    impersonationHeaders({
      user: "jürgen",
      uid: "42",
      groups: ["dev", "a, b"],
      extra: { "example.com/team": ["x", "y"], "100%": ["p"], "ü": ["z"] },
    }),
    [
      ["impersonate-user", "jürgen"],
      ["impersonate-uid", "42"],
      ["impersonate-group", "dev"],
      ["impersonate-group", "a, b"],
      ["impersonate-extra-example.com%2Fteam", "x"],
      ["impersonate-extra-example.com%2Fteam", "y"],
      ["impersonate-extra-100%25", "p"],
      ["impersonate-extra-%C3%BC", "z"],
    ],
  );
});

/**
 * A server that answers `status` with `body` and keeps each request's impersonation header lines, read from the bytes
 * on the wire as UTF-8 (as Go's server reads them): the runtime's own HTTP server would decode them its own way.
 */
async function recordingServer(status: number, body: unknown) {
  const seen: string[][] = [];
  const server = createServer((socket) => {
    const chunks: Uint8Array[] = [];
    socket.on("data", (chunk: Uint8Array) => {
      chunks.push(chunk);
      const head = new TextDecoder().decode(Buffer.concat(chunks));
      if (!head.includes("\r\n\r\n")) return;
      seen.push(
        head.split("\r\n").filter((line) => /^impersonate-/i.test(line)).map((line) =>
          line.replace(/^[^:]+/, (name) => name.toLowerCase())
        ),
      );
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${text.length}\r\n` +
          `connection: close\r\n\r\n${text}`,
      );
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

const SUBJECT = { verb: "get", where: "the review", grant: '"create" on "x"', missing: "none" };
const USER = {
  token: "t",
  as: "jane",
  "as-groups": ["dev", "a, b"],
  "as-user-extra": { "example.com/team": ["x"] },
};

for (
  const [runtime, client] of [
    ["this runtime's client", (tls: Parameters<typeof nodeHttpClient>[0]) => createHttpClient({ tls })],
    ["node:http's client", (tls: Parameters<typeof nodeHttpClient>[0]) => Promise.resolve(nodeHttpClient(tls))],
  ] as const
) {
  Deno.test(`requests through ${runtime} carry one Impersonate-Group line per group and extra value`, async () => {
    const server = await recordingServer(200, { kind: "SelfSubjectReview", spec: {} });
    const user = { ...USER, "as-uid": "42", "as-user-extra": { "example.com/team": ["x", "y, z"] } };
    const access = await resolveClusterAccess({ kubeconfig: config({ server: server.url }, user) });
    const http: HttpClient = await client(access.tls);
    try {
      await requestObject(access, http, SUBJECT, `${server.url}/x`, AbortSignal.timeout(5000), {});
      assert.deepEqual(server.seen, [[
        "impersonate-user: jane",
        "impersonate-uid: 42",
        "impersonate-group: dev",
        "impersonate-group: a, b",
        "impersonate-extra-example.com%2fteam: x",
        "impersonate-extra-example.com%2fteam: y, z",
      ]]);
    } finally {
      http.close();
      await server.close();
    }
  });
}

Deno.test("a 403 for impersonation says what to grant the kubeconfig user", async () => {
  const message = 'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:ns:actor" cannot ' +
    'impersonate-on:user-info:list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "ns"';
  const server = await recordingServer(403, { kind: "Status", code: 403, reason: "Forbidden", message });
  const access = await resolveClusterAccess({ kubeconfig: config({ server: server.url }, USER) });
  const http = await createHttpClient({ tls: access.tls });
  try {
    await assert.rejects(
      requestObject(access, http, SUBJECT, `${server.url}/x`, AbortSignal.timeout(5000)),
      new RegExp(
        // Three grants, joined as "a, b and c" (was "a and b and c").
        'may not impersonate "jane" \\(403\\): grant that user "impersonate" on "users" named "jane", on "groups" ' +
          'named "dev", "a, b" and on "userextras/example.com/team" in API group "authentication.k8s.io" with a ' +
          "ClusterRole and ClusterRoleBinding, or remove as",
      ),
    );
  } finally {
    http.close();
    await server.close();
  }
});

Deno.test("a client that joins repeated headers refuses extra keys that differ only in case", async () => {
  // Header names are case-insensitive and kube-apiserver lowercases the extra key: Team and team are one key whose
  // values a joining client (Bun's fetch through a proxy) would send as the one value "a, b".
  const user = { token: "t", as: "jane", "as-user-extra": { Team: ["a"], team: ["b"] } };
  const access = await resolveClusterAccess({ kubeconfig: config({ server: "http://127.0.0.1:9" }, user) });
  access.proxyUrl = "http://127.0.0.1:9";
  access.proxySource = "the test";
  let sent = 0;
  const joining: HttpClient = {
    fetch: () => {
      sent++;
      return Promise.reject(new Error("not sent"));
    },
    close() {},
    joinsRepeatedHeaders: true,
  };
  await assert.rejects(
    requestObject(access, joining, SUBJECT, "http://127.0.0.1:9/x", AbortSignal.timeout(5000)),
    /joins them into one/,
  );
  assert.equal(sent, 0);
});

Deno.test("impersonationGrant() names an extra key as kube-apiserver authorizes it, in lower case", () => {
  // The impersonation filter lowercases the key of Impersonate-Extra-<key> and checks "userextras/<key>": a grant on
  // "userextras/Team" would not let the user act with the key Team.
  assert.equal(
    impersonationGrant({ user: "jane", groups: [], extra: { "Example.com/Team": ["a"], "example.com/team": ["b"] } }),
    '"impersonate" on "users" named "jane" and on "userextras/example.com/team" in API group "authentication.k8s.io" ' +
      "with a ClusterRole and ClusterRoleBinding",
  );
});
