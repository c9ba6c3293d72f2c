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
import * as grpc from "@grpc/grpc-js";
import { register, watchEndpoints } from "../mod.ts";
import { createChannel } from "../nice_grpc.ts";
import { ConfigError } from "../src/base/errors.ts";

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

// client-go's rest.Config has a UserAgent, so that an administrator can tell one controller from another in the audit
// log; the resolver's requests named only the library. The application's name now comes first, as grpc-js puts
// grpc.primary_user_agent before its own product, so that the log names both.
Deno.test("cluster.userAgent names the application before the library in a LIST and a watch", async () => {
  const server = await startRecordingServer();
  const access = await resolveClusterAccess({ server: server.url, userAgent: "orders/1.4.0 (team-shop)" });
  const client = await createHttpClient({ tls: access.tls });
  try {
    const api = createEndpointSliceApi(access, client, "prod", "echo");
    await api.list({ signal: AbortSignal.timeout(5000) });
    const controller = new AbortController();
    await api.watch({ resourceVersion: "7", timeoutSeconds: 5, signal: controller.signal });
    controller.abort();
    const sent = `orders/1.4.0 (team-shop) ${expected}`;
    assert.deepEqual(server.agents, { list: sent, watch: sent });
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("cluster.userAgent that a header cannot carry is refused by register(), nice-grpc, watchEndpoints() and the access", async () => {
  const cases: [string, string][] = [
    [
      "orders\nX-Injected: 1",
      "holds a line break: name the application in printable ASCII on one line, such as " +
      '"orders/1.4.0": current value is "orders\\nX-Injected: 1"',
    ],
    [
      "orders\u0000",
      "holds a control character: name the application in printable ASCII on one line, such as " +
      '"orders/1.4.0": current value is "orders\\u0000"',
    ],
    ["commandes/1.0 (équipe)", "holds a character beyond ASCII: "],
    [" orders/1.4.0", "begins or ends with a space: "],
    [
      "o".repeat(257),
      'is longer than 256 characters: name the application in printable ASCII on one line, such as "orders/1.4.0": current length is 257',
    ],
  ];
  for (const [value, problem] of cases) {
    const message = `Cannot resolve cluster access: cluster.userAgent ${problem}`;
    const refused = (error: unknown) =>
      error instanceof ConfigError && error.message.startsWith(message) && error.field === "cluster.userAgent";
    assert.throws(() => register({ grpc, scheme: "kubernetes-user-agent", cluster: { userAgent: value } }), refused);
    const resolver = { cluster: { userAgent: value } };
    assert.throws(() => createChannel("kubernetes:///echo.prod:grpc", undefined, { resolver }), refused);
    await assert.rejects(
      watchEndpoints("kubernetes:///echo.prod:grpc", { cluster: { userAgent: value } }).next(),
      refused,
    );
    await assert.rejects(resolveClusterAccess({ server: "https://127.0.0.1:1", userAgent: value }), refused);
  }
  await assert.rejects(
    resolveClusterAccess({ server: "https://127.0.0.1:1", userAgent: "" }),
    { message: "Cannot resolve cluster access: cluster.userAgent must be a non-empty string: current value is empty" },
  );
});

Deno.test("two watches of one Service that name themselves differently each send their own name", async () => {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    seen.add(String(req.headers["user-agent"]).split(" ")[0]);
    if (new URL(req.url!, "http://x").searchParams.get("watch") === "true") return; // held open until the end
    const list = { kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: "7" } };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...list, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const controller = new AbortController();
  try {
    const loops = ["orders/1", "billing/2"].map(async (name) => {
      const options = { cluster: { server: url, userAgent: name }, signal: controller.signal, watchList: false };
      for await (const _ of watchEndpoints("kubernetes:///echo.prod:80", options)) break;
    });
    await Promise.all(loops);
    assert.deepEqual([...seen].sort(), ["billing/2", "orders/1"]);
  } finally {
    controller.abort();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
