import assert from "node:assert/strict";
import { startFakeApiServer } from "@kgr/resolver/testing";
import { type NamespacePresence, namespacePresence } from "../../src/cli/namespace_presence.ts";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createHttpClient } from "../../src/runtime/http_client.ts";

/** Asks a server that answers every request with `status` and `body` whether namespace "nosuch" exists. */
async function askServer(status: number, body: unknown): Promise<NamespacePresence | undefined> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json(body, { status }));
  const access = await resolveClusterAccess({ server: `http://127.0.0.1:${server.addr.port}`, token: "t" });
  const client = await createHttpClient({ tls: access.tls });
  try {
    return await namespacePresence(access, client, "nosuch", AbortSignal.timeout(5000));
  } finally {
    client.close();
    await server.shutdown();
  }
}

Deno.test("namespacePresence() is missing only for the 404 that names the Namespace, as kube-apiserver answers it", async () => {
  // kube-apiserver v1.36.3 on GET /api/v1/namespaces/nosuch.
  const notFound = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'namespaces "nosuch" not found',
    reason: "NotFound",
    details: { name: "nosuch", kind: "namespaces" },
    code: 404,
  };
  assert.deepEqual(await askServer(404, notFound), { state: "missing" });
  const active = { kind: "Namespace", apiVersion: "v1", metadata: { name: "nosuch" }, status: { phase: "Active" } };
  assert.deepEqual(await askServer(200, active), { state: "active" });
  // Another Namespace's, or a path the server does not serve: not this one's absence.
  assert.equal(await askServer(404, { ...notFound, details: { name: "other", kind: "namespaces" } }), undefined);
  assert.equal(
    await askServer(404, { ...notFound, message: "the server could not find the requested resource", details: {} }),
    undefined,
  );
  // A user granted per namespace may not read Namespaces.
  const forbidden = {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: 'namespaces "nosuch" is forbidden: User "u" cannot get resource "namespaces" in API group "" at the ' +
      "cluster scope",
    reason: "Forbidden",
    details: { name: "nosuch", kind: "namespaces" },
    code: 403,
  };
  assert.equal(await askServer(403, forbidden), undefined);
});

Deno.test("namespacePresence() reads every namespace as active on the fake API server, which stores objects in any", async () => {
  const api = await startFakeApiServer();
  const access = await resolveClusterAccess({ kubeconfig: api.kubeconfig() });
  const client = await createHttpClient({ tls: access.tls });
  try {
    assert.deepEqual(await namespacePresence(access, client, "default", AbortSignal.timeout(5000)), {
      state: "active",
    });
  } finally {
    client.close();
    await api.close();
  }
});

Deno.test("namespacePresence() says a namespace is being deleted, since when, and what its deletion waits on", async () => {
  // kube-apiserver v1.36.3 on GET /api/v1/namespaces/nosuch, deleted while a ConfigMap in it has a finalizer.
  const condition = (type: string, status: string, message: string) => ({ type, status, message, reason: "R" });
  const terminating = {
    kind: "Namespace",
    apiVersion: "v1",
    metadata: { name: "nosuch", deletionTimestamp: "2026-12-05T02:08:38Z" },
    spec: { finalizers: ["kubernetes"] },
    status: {
      phase: "Terminating",
      conditions: [
        condition("NamespaceDeletionDiscoveryFailure", "False", "All resources successfully discovered"),
        condition(
          "NamespaceContentRemaining",
          "True",
          "Some resources are remaining: configmaps. has 1 resource instances",
        ),
        condition(
          "NamespaceFinalizersRemaining",
          "True",
          "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
        ),
      ],
    },
  };
  assert.deepEqual(await askServer(200, terminating), {
    state: "terminating",
    since: "2026-12-05T02:08:38Z",
    waitingOn: [
      "Some resources are remaining: configmaps. has 1 resource instances",
      "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
    ],
  });
  // Before the namespace controller has looked at it: no conditions yet.
  const fresh = { ...terminating, status: { phase: "Terminating" } };
  assert.deepEqual(await askServer(200, fresh), { state: "terminating", since: "2026-12-05T02:08:38Z", waitingOn: [] });
});
