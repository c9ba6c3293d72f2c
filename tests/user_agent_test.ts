// Every request to the API server names the library, its version, the platform and the runtime in its User-Agent,
// as kubectl and client-go name themselves (`kubectl/v1.36.3 (linux/amd64) kubernetes/...`): the API server's audit
// log records it, so that whoever runs the cluster can tell which program sends which requests.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { createEndpointSliceApi } from "../src/api/kube_api.ts";
import { VERSION } from "../src/base/version.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";
import { nodeHttpClient } from "../src/runtime/node_http_client.ts";
import type { HttpClient } from "../src/runtime/http_response.ts";

/** Answers a LIST with an empty list and a watch with one bookmark; records each request's User-Agent. */
async function startRecordingServer() {
  const agents: Record<string, string | undefined> = {};
  const server = createServer((req, res) => {
    const watch = new URL(req.url!, "http://x").searchParams.get("watch") === "true";
    agents[watch ? "watch" : "list"] = req.headers["user-agent"];
    const body = watch
      ? { type: "BOOKMARK", object: { kind: "EndpointSlice", metadata: { resourceVersion: "8" } } }
      : { kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: "7" }, items: [] };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    agents,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const expected = `kgr-resolver/${VERSION} (${Deno.build.os}/${Deno.build.arch === "x86_64" ? "amd64" : "arm64"}) ` +
  `deno/${Deno.version.deno}`;

for (
  const [name, makeClient] of [
    ["undici (Deno)", (tls) => createHttpClient({ tls })],
    ["node:http (Node, Bun)", (tls) => Promise.resolve(nodeHttpClient(tls))],
  ] as [string, (tls: Parameters<typeof nodeHttpClient>[0]) => Promise<HttpClient>][]
) {
  Deno.test(`${name}: a LIST and a watch name the library, its version, the platform and the runtime`, async () => {
    const server = await startRecordingServer();
    const access = await resolveClusterAccess({ server: server.url });
    const client = await makeClient(access.tls);
    try {
      const api = createEndpointSliceApi(access, client, "prod", "echo");
      await api.list({ signal: AbortSignal.timeout(5000) });
      const controller = new AbortController();
      await api.watch({ resourceVersion: "7", timeoutSeconds: 5, signal: controller.signal });
      controller.abort();
      assert.deepEqual(server.agents, { list: expected, watch: expected });
    } finally {
      client.close();
      await server.close();
    }
  });
}
