// Two watches of one Service share one watch only when their connections to the API server would be alike: a watch
// that asks for HTTP/1.1 (`cluster.http2: false`) must not ride on one that talks HTTP/2, the default; and only when
// their watch settings are alike, a default spelt out being the default.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connectionKey } from "../src/_watch_sharing.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { fakeEnvironment } from "./_cluster_environment.ts";
import { watchEndpoints, type WatchSettings } from "../mod.ts";
import { endpointSlice, startFakeApiServer } from "../testing.ts";

const keyFor = async (http2: boolean | undefined) =>
  connectionKey(await resolveClusterAccess({ server: "https://10.0.0.1:6443", http2 }, fakeEnvironment({}, {})));

Deno.test("connectionKey() tells http2: false from the default, and the default from http2: true not", async () => {
  const [byDefault, asked, refused] = [await keyFor(undefined), await keyFor(true), await keyFor(false)];
  assert.equal(byDefault, asked);
  assert.notEqual(byDefault, refused);
});

/** Counts the watch requests of two watches of one Service, with the given `cluster.http2` each, on an http:// server. */
async function watchRequestsOf(first: boolean | undefined, second: boolean | undefined): Promise<number> {
  let watches = 0;
  const server = createServer((req, res) => {
    if (new URL(req.url!, "http://x").searchParams.get("watch") === "true") return void watches++; // held open
    const list = { kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: "7" } };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...list, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const controller = new AbortController();
  const loops: Promise<void>[] = [];
  try {
    // Both held until the count, so that neither watch ends with its first subscriber.
    const firsts = [first, second].map((http2) =>
      new Promise<void>((resolved) => {
        const cluster = { server: url, ...(http2 === undefined ? {} : { http2 }) };
        const options = { cluster, signal: controller.signal, watchList: false };
        loops.push(
          (async () => {
            for await (const _ of watchEndpoints("kubernetes:///echo.prod:80", options)) resolved();
          })().catch(() => {}),
        );
      })
    );
    await Promise.all(firsts);
    // The watch requests follow the first snapshots: give them a moment to arrive.
    for (let waited = 0; watches < 2 && waited < 500; waited += 50) await new Promise((done) => setTimeout(done, 50));
    return watches;
  } finally {
    controller.abort();
    await Promise.all(loops);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

Deno.test("watches of one Service share one watch by default and with http2: true, not with http2: false", async () => {
  assert.equal(await watchRequestsOf(undefined, true), 1);
  assert.equal(await watchRequestsOf(undefined, false), 2);
});

/**
 * Counts the watch requests of two watches of one Service on the fake API server, the first with default settings,
 * the second with `settings`.
 */
async function watchesBesideDefaults(settings: WatchSettings): Promise<number> {
  const api = await startFakeApiServer();
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod: "a" }],
  }));
  const controller = new AbortController();
  const common = { cluster: { kubeconfig: api.kubeconfig() }, locality: {}, signal: controller.signal };
  const iterators = [{}, settings].map((own) =>
    watchEndpoints("kubernetes:///echo.prod:grpc", { ...common, ...own })[Symbol.asyncIterator]()
  );
  try {
    for (const iterator of iterators) await iterator.next();
    // A second watch would follow its first snapshot: give it a moment to arrive.
    await new Promise((done) => setTimeout(done, 200));
    return api.requests.filter((request) => request.kind === "watch").length;
  } finally {
    controller.abort();
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
    await api.close();
  }
}

Deno.test("watches of one Service share one watch when one spells out the default stallTimeoutMs or backoff", async () => {
  assert.equal(await watchesBesideDefaults({ stallTimeoutMs: 150_000 }), 1);
  assert.equal(await watchesBesideDefaults({ backoff: { initialMs: 1000, maxMs: 30_000 } }), 1);
  assert.equal(await watchesBesideDefaults({ backoff: { maxMs: 30_000 } }), 1);
  assert.equal(await watchesBesideDefaults({ stallTimeoutMs: 60_000 }), 2, "other timings keep a watch of their own");
});
