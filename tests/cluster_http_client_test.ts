import assert from "node:assert/strict";
import { createClusterHttpClient } from "../src/api/cluster_http_client.ts";
import { noCredentials } from "../src/cluster/credentials.ts";
import { createTlsSettings } from "../src/cluster/tls_settings.ts";
import type { ClusterAccess } from "../src/cluster/types.ts";
import { startFakeApiServer } from "../src/testing/fake_api_server.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("createClusterHttpClient() connects with the CA its file holds now, once it was read again", async () => {
  await using server = await startFakeApiServer({
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const [right, wrong] = [await fixture("ca.pem"), await fixture("other-ca.pem")];
  let ca = wrong;
  const access: ClusterAccess = {
    server: server.url,
    namespace: "default",
    tls: createTlsSettings({ ca: wrong, caSource: "/sa/ca.crt" }),
    credentials: noCredentials(),
    identity: server.url,
    source: "test",
    origin: { kind: "options" },
    currentCa: () => Promise.resolve(ca),
  };
  const client = createClusterHttpClient(access);
  try {
    await assert.rejects(client.fetch(`${server.url}/version`, {}), "the server's CA is not trusted yet");
    ca = right; // The cluster's CA rotated into the file, and was read again.
    const { response } = await client.fetch(`${server.url}/version`, {});
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    client.close();
  }
});

Deno.test("createClusterHttpClient() lets a watch under way go on when a rotated CA makes it build a new client", async () => {
  await using server = await startFakeApiServer({
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const ca = await fixture("ca.pem");
  let current = ca;
  const access: ClusterAccess = {
    server: server.url,
    namespace: "default",
    tls: createTlsSettings({ ca, caSource: "/sa/ca.crt" }),
    credentials: noCredentials(),
    identity: server.url,
    source: "test",
    origin: { kind: "options" },
    currentCa: () => Promise.resolve(current),
  };
  const client = createClusterHttpClient(access);
  const slices = `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`;
  try {
    const controller = new AbortController();
    const watch = await client.fetch(`${slices}?watch=true`, { signal: controller.signal });
    assert.equal(watch.response.status, 200);
    // The CA file was rewritten (the same CA, written again): the next request builds a new client.
    current = `${ca}\n`;
    const { response } = await client.fetch(`${server.url}/version`, {});
    assert.equal(response.status, 200);
    await response.body?.cancel();
    server.applySlice({
      metadata: { name: "echo-a", namespace: "default", labels: { "kubernetes.io/service-name": "echo" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"] }],
      ports: [{ name: "grpc", port: 8080 }],
    });
    const reader = watch.response.body!.getReader();
    const timeout = Promise.withResolvers<never>();
    const timer = setTimeout(() => timeout.reject(new Error("no event within 5 s: the watch was cut")), 5000);
    const { value } = await Promise.race([reader.read(), timeout.promise]).finally(() => clearTimeout(timer));
    assert.match(new TextDecoder().decode(value), /"ADDED"/, "the watch started on the old client got the event");
    controller.abort();
    await reader.cancel().catch(() => {});
  } finally {
    client.close();
  }
});

/** A TLS server answering `{}` (or holding the request open, as a watch, under `/watch`), counting its connections and those open. */
async function countingTlsServer() {
  const { createServer } = await import("node:https");
  const { listening } = await import("./_listening.ts");
  let connections = 0;
  const held = new Set<import("node:http").ServerResponse>();
  const server = createServer(
    { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
    (req, res) => {
      if (req.url === "/watch") {
        res.writeHead(200, { "content-type": "application/json" }).write("{}");
        held.add(res);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    },
  );
  let open = 0;
  server.on("secureConnection", (socket) => {
    connections++;
    open++;
    socket.on("close", () => open--);
  });
  const { port, close } = await listening(server);
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => connections,
    open: () => open,
    async close() {
      for (const res of held) res.end();
      await close();
    },
  };
}

/** `promise`, or a failure if it has not settled within `ms`; the timer keeps the process alive meanwhile. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return await Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The access of a cluster served by `url` with the fixtures' CA: a new object each call, as each watch resolves its own. */
async function accessOf(url: string): Promise<ClusterAccess> {
  return {
    server: url,
    namespace: "default",
    tls: createTlsSettings({ ca: await fixture("ca.pem"), caSource: "ca.pem", serverName: "localhost" }),
    credentials: noCredentials(),
    identity: url,
    source: "test",
    origin: { kind: "options" },
  };
}

Deno.test("createClusterHttpClient() of one cluster share their connections, as client-go's watches share a transport", async () => {
  // 500 watches of one cluster built 500 clients, each with its own TLS context and pool: Node's loop stopped for
  // 0.7-1.2 s while they started, and no connection or TLS session was ever reused between them.
  const server = await countingTlsServer();
  const clients = [
    createClusterHttpClient(await accessOf(server.url)),
    createClusterHttpClient(await accessOf(server.url)),
  ];
  try {
    for (const client of clients) {
      const { response } = await client.fetch(`${server.url}/version`, {});
      assert.deepEqual(await response.json(), {});
      // undici pools a connection again a little after its answer has been read.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(server.connections(), 1, "the second client's request went on the first one's pooled connection");
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
});

Deno.test("createClusterHttpClient() closed does not cut a watch of another client of the same cluster", async () => {
  const server = await countingTlsServer();
  const [watching, other] = [
    createClusterHttpClient(await accessOf(server.url)),
    createClusterHttpClient(await accessOf(server.url)),
  ];
  const controller = new AbortController();
  try {
    const watch = await watching.fetch(`${server.url}/watch`, { signal: controller.signal });
    const reader = watch.response.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "{}");
    const { response } = await other.fetch(`${server.url}/version`, {});
    await response.body?.cancel();
    other.close();
    await server.close(); // Ends the watch's response: it ends cleanly, not cut by the other client's close().
    // The client's sockets never hold the process (README, "Process lifetime"), so with the server closed nothing
    // did while the end of the response was on its way: Deno ended the test with the read pending ("Promise
    // resolution is still pending"), 13 runs in 50. A timer holds it here, as a watchEndpoints() loop holds it.
    assert.deepEqual(await settledWithin(reader.read(), 5000), { done: true, value: undefined });
  } finally {
    controller.abort();
    watching.close();
    other.close();
  }
});

Deno.test("createClusterHttpClient() closed while its request waits for the shared client lets the last one close it", async () => {
  // A client closed before its first request had got the cluster's shared client kept a share of it for good: the
  // shared client was never closed, and its pooled connection stayed open until the server's idle timeout (3 s).
  const server = await countingTlsServer();
  try {
    const first = createClusterHttpClient(await accessOf(server.url));
    const { response } = await first.fetch(`${server.url}/version`, {});
    assert.deepEqual(await response.json(), {});
    const stopped = createClusterHttpClient(await accessOf(server.url));
    const request = stopped.fetch(`${server.url}/version`, { signal: AbortSignal.abort() });
    stopped.close();
    await assert.rejects(request);
    // undici pools a connection again a little after its answer has been read.
    await new Promise((resolve) => setTimeout(resolve, 100));
    first.close();
    const end = Date.now() + 500;
    while (server.open() > 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.open(), 0, "the pooled connection is closed with the last client");
  } finally {
    await server.close();
  }
});
