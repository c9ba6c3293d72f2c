// A LIST asks for gzip, as client-go does (unless the kubeconfig disables compression), and is read decompressed
// by both HTTP clients (undici on Deno and through a proxy on Node, node:http on Node and Bun); a watch never asks
// for it.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { createEndpointSliceApi } from "../src/api/kube_api.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";
import { nodeHttpClient } from "../src/runtime/node_http_client.ts";
import type { HttpClient } from "../src/runtime/http_response.ts";

const list = {
  kind: "EndpointSliceList",
  apiVersion: "discovery.k8s.io/v1",
  metadata: { resourceVersion: "7" },
  items: [{
    metadata: { name: "echo-a", namespace: "prod" },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.2.0.1"] }],
    ports: [{ name: "grpc", port: 8080 }],
  }],
};

/** Answers a LIST gzipped when asked (as kube-apiserver does a large one), a watch with one event; records what each asked for. */
async function startGzipServer() {
  const asked: Record<string, string> = {};
  const server = createServer((req, res) => {
    const watch = new URL(req.url!, "http://x").searchParams.get("watch") === "true";
    asked[watch ? "watch" : "list"] = req.headers["accept-encoding"] ?? "";
    if (watch) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ type: "BOOKMARK", object: { kind: "EndpointSlice", metadata: { resourceVersion: "8" } } }) +
          "\n",
      );
    } else if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify(list)));
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(list));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (
  const [name, makeClient] of [
    ["undici (Deno)", (tls) => createHttpClient({ tls })],
    ["node:http (Node, Bun)", (tls) => Promise.resolve(nodeHttpClient(tls))],
  ] as [string, (tls: Parameters<typeof nodeHttpClient>[0]) => Promise<HttpClient>][]
) {
  Deno.test(`${name}: a LIST asks for gzip and is read decompressed; a watch does not ask`, async () => {
    const server = await startGzipServer();
    const access = await resolveClusterAccess({ server: server.url });
    const client = await makeClient(access.tls);
    try {
      const api = createEndpointSliceApi(access, client, "prod", "echo");
      const answer = await api.list({ signal: AbortSignal.timeout(5000) });
      assert.deepEqual(answer, list);
      assert.equal(server.asked.list, "gzip");
      const controller = new AbortController();
      await api.watch({ resourceVersion: "7", timeoutSeconds: 5, signal: controller.signal });
      controller.abort();
      assert.equal(server.asked.watch, "");
    } finally {
      client.close();
      await server.close();
    }
  });
}

Deno.test("a kubeconfig's disable-compression: true asks for no compressed LIST, as kubectl does", async () => {
  const server = await startGzipServer();
  const dir = await Deno.makeTempDir();
  const kubeconfig = `${dir}/config`;
  await Deno.writeTextFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: server.url, "disable-compression": true } }],
      users: [{ name: "u", user: {} }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  const access = await resolveClusterAccess({ kubeconfig });
  const client = nodeHttpClient(access.tls);
  try {
    const answer = await createEndpointSliceApi(access, client, "prod", "echo").list({
      signal: AbortSignal.timeout(5000),
    });
    assert.deepEqual(answer, list);
    assert.equal(server.asked.list, "identity");
  } finally {
    client.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
