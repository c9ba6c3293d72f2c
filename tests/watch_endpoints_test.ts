// watchEndpoints() against the embedded fake API server: the watch state
// machine over real HTTP(S), sharing, TLS and credentials.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { type ClusterOptions, type Target, watchEndpoints } from "@kgr/resolver";
import { eventually, follow, sleep } from "./_watch_helpers.ts";

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

function apply(api: FakeApiServer, pods: string[], name = "echo-a") {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name,
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.2.${name === "echo-a" ? 1 : 2}.${i + 1}`, pod })),
  }));
}

/** A kubeconfig whose cluster (an address never dialed) is reached through `proxy`, with a token to keep secret. */
const proxiedKubeconfig = (proxy: string) => ({
  "current-context": "c",
  clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "proxy-url": proxy } }],
  users: [{ name: "u", user: { token: "secret-canary" } }],
  contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: "prod" } }],
});

const count = (api: FakeApiServer, kind: "list" | "watch") =>
  api.requests.filter((request) => request.kind === kind).length;
/** Requests that fetched the whole state: LISTs, and streaming lists (watches with `sendInitialEvents=true`). */
const initialStates = (api: FakeApiServer) =>
  api.requests.filter((request) => request.kind === "list" || request.query.sendInitialEvents === "true").length;

Deno.test("watchEndpoints() resumes a cleanly ended watch from its resourceVersion without a new LIST", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() });
  try {
    await eventually(() => watch.pods() === "a", "the first snapshot");
    await eventually(() => api.openWatches === 1, "the watch");
    await sleep(1100); // a watch shorter than 1 s counts as a failure
    api.endWatches();
    apply(api, ["a", "b"]);
    await eventually(() => watch.pods() === "a,b", "the change made while no watch was open");
    assert.equal(initialStates(api), 1);
    const resumed = api.requests.filter((request) => request.kind === "watch")[1];
    assert.notEqual(resumed.query.resourceVersion, "0");
    assert.equal(resumed.query.sendInitialEvents, undefined, "a resumed watch is a plain watch");
    assert.equal(resumed.query.allowWatchBookmarks, "true");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() relists exactly once when the resume point was compacted away", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() });
  try {
    await eventually(() => api.openWatches === 1, "the watch");
    api.dropWatches();
    apply(api, ["a", "b"]);
    apply(api, ["c"], "echo-b");
    api.compact();
    await eventually(() => watch.pods() === "a,b,c", "the state after the relist");
    assert.equal(initialStates(api), 2);
    assert.equal(watch.errors.filter((error) => /expired|410/i.test(error.message)).length, 0);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() relists exactly once when a resumed watch gets failNext()'s 410, an ERROR event as from a real server", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() });
  try {
    await eventually(() => api.openWatches === 1, "the watch");
    api.failNext(1, { status: 410, path: "watch" });
    api.dropWatches();
    apply(api, ["a", "b"]);
    await eventually(() => watch.pods() === "a,b", "the state after the relist");
    assert.equal(api.pendingFailures, 0);
    assert.equal(initialStates(api), 2);
    const watches = api.requests.filter((request) => request.kind === "watch");
    assert.equal(watches[1].status, 200, "the expired watch was answered 200, its 410 in an ERROR event");
    assert.notEqual(watches[1].query.resourceVersion, "0");
    assert.equal(watch.errors.filter((error) => /expired|410/i.test(error.message)).length, 0);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() reads a Service of more than one LIST page from the fake page by page, on a consistent relist", async () => {
  // As kube-apiserver v1.36.3 pages a LIST (measured): `limit` cuts a consistent read (resourceVersion ""), and
  // `metadata.continue` leads on; a list from the watch cache (resourceVersion "0") ignores `limit`.
  const api = await startFakeApiServer({ token: "t" });
  for (let i = 0; i < 501; i++) {
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      name: `echo-${i}`,
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: `10.3.${Math.floor(i / 250)}.${(i % 250) + 1}`, pod: `echo-${i}` }],
    }));
  }
  // The LIST from the watch cache expires, so the client relists with a consistent read, which is paged.
  api.failNext(1, { status: 410, path: "list" });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { watchList: false });
  try {
    await eventually(() => watch.snapshots.at(-1)?.endpoints.length === 501, "every page's endpoints");
    const lists = api.requests.filter((request) => request.kind === "list");
    assert.deepEqual(
      lists.map(({ query, status }) => [query.resourceVersion, query.limit, query.continue !== undefined, status]),
      [["0", "500", false, 410], ["", "500", false, 200], ["", "500", true, 200]],
    );
    assert.equal(watch.snapshots.length, 1, "one snapshot, once the last page came");
  } finally {
    await watch.stop();
    await api.close();
  }
});

/**
 * A reverse proxy on loopback in front of `api` that passes every request, but holds the body of each plain watch (a
 * streaming list passes), as a proxy that buffers watch streams does: LISTs work, resumed watches bring nothing.
 */
function bufferingProxy(api: FakeApiServer) {
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const upstream = await fetch(new URL(url.pathname + url.search, api.url), { headers: request.headers });
    const held = url.searchParams.get("watch") === "true" && url.searchParams.get("sendInitialEvents") !== "true";
    if (!held) return new Response(upstream.body, upstream);
    // Read and dropped, until the client goes away.
    const reading = new AbortController();
    upstream.body?.pipeTo(new WritableStream(), { signal: reading.signal }).catch(() => {});
    const body = new ReadableStream({ cancel: () => reading.abort() });
    return new Response(body, { status: upstream.status, headers: upstream.headers });
  });
  const kubeconfig = api.kubeconfig();
  const server = `http://127.0.0.1:${proxy.addr.port}`;
  kubeconfig.clusters = kubeconfig.clusters?.map((entry) => ({ ...entry, cluster: { ...entry.cluster, server } }));
  return { kubeconfig, close: () => proxy.shutdown() };
}

const plainWatches = (api: FakeApiServer) =>
  api.requests.filter((request) => request.kind === "watch" && request.query.sendInitialEvents === undefined).length;

Deno.test("watchEndpoints() restarts a watch that stalls", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 60_000 });
  const proxy = bufferingProxy(api);
  apply(api, ["a"]);
  // The streaming list's first answer, through the proxy, took over 300 ms and then over 1 s on a loaded machine
  // (load 12-17: 3 runs of 3 at 300 ms and 2 of 3 at 1 s reported it stalled, not the watch after it).
  const watch = follow({ kubeconfig: proxy.kubeconfig }, { stallTimeoutMs: 2000 });
  try {
    await eventually(() => watch.pods() === "a", "the first snapshot");
    // The streaming list goes quiet after its initial events (no bookmark for a minute) and is resumed with a plain
    // watch, which the proxy holds; the Service changes then, and no watch brings it: the LIST that checks each quiet
    // watch finds the change, and the second in a row is reported (one that had nothing to send is unreported).
    await eventually(() => plainWatches(api) >= 1, "the first resumed watch", 20_000);
    apply(api, ["a", "b"]);
    await eventually(() => watch.errors.length >= 1, "the stall report", 20_000);
    assert.match(watch.errors[0].message, /stalled: .*twice in a row without a single event/);
    assert.equal(watch.pods(), "a");
    // One streaming list; the LISTs are the watch cache's checks, from resourceVersion 0, one after each quiet watch,
    // and a consistent one ("") after the second in a row, which finds no history that went back (an etcd restored).
    const lists = api.requests.filter((request) => request.kind === "list");
    const from = lists.map((request) => request.query.resourceVersion);
    assert.ok(from.filter((version) => version === "0").length >= 2 && from.includes(""), from.join());
    assert.ok(from.every((version) => version === "0" || version === ""), from.join());
    assert.equal(initialStates(api), 1 + lists.length);
  } finally {
    await watch.stop();
    await proxy.close();
    await api.close();
  }
});

Deno.test("watchEndpoints() keeps the watch of a quiet Service: the fake's resourceVersion moves on, so bookmarks come", async () => {
  // Before, a quiet fake sent no bookmark at all, and a dev loop's watch stalled and restarted every 150 s.
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 100 });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { stallTimeoutMs: 500 });
  try {
    await eventually(() => watch.pods() === "a", "the first snapshot");
    await sleep(1200);
    assert.deepEqual(watch.errors.map((error) => error.message), []);
    assert.equal(count(api, "watch"), 1);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() shares one watch among many callers and stops with the last", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const kubeconfig = api.kubeconfig();
  const cluster = { kubeconfig };
  const watches = Array.from({ length: 50 }, () => follow(cluster));
  try {
    await eventually(() => watches.every((watch) => watch.pods() === "a"), "every caller's snapshot");
    // The snapshot comes from a streaming list: the watch is already open.
    await eventually(() => api.openWatches === 1, "the shared watch");
    assert.equal(initialStates(api), 1);
    assert.equal(count(api, "watch"), 1);
    await Promise.all(watches.slice(1).map((watch) => watch.stop()));
    assert.equal(api.openWatches, 1);
    await watches[0].stop();
    await eventually(() => api.openWatches === 0, "the shared watch to stop");
  } finally {
    await Promise.all(watches.map((watch) => watch.stop()));
    await api.close();
  }
});

Deno.test("watchEndpoints() verifies the API server with the kubeconfig's CA", async () => {
  const api = await startFakeApiServer({
    token: "t",
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig({ ca: await fixture("ca.pem") }) });
  try {
    await eventually(() => watch.pods() === "a", "a snapshot over TLS");
    assert.ok(api.url.startsWith("https://"));
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() reports a TLS mismatch naming the CA in use", async () => {
  const api = await startFakeApiServer({
    token: "t",
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const directory = await mkdtemp(join(tmpdir(), "kgr-"));
  const caFile = join(directory, "other-ca.pem");
  await writeFile(caFile, await fixture("other-ca.pem"));
  const watch = follow({ server: api.url, token: "t", caFile });
  try {
    await eventually(() => watch.errors.length > 0, "a TLS error");
    assert.match(watch.errors[0].message, /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed/);
    assert.ok(watch.errors[0].message.includes(caFile), watch.errors[0].message);
    assert.equal(watch.snapshots.length, 0);
  } finally {
    await watch.stop();
    await api.close();
    await rm(directory, { recursive: true });
  }
});

Deno.test("watchEndpoints() re-reads a rotated token file after a 401 and keeps its endpoints", async () => {
  const api = await startFakeApiServer({ token: "token-one" });
  apply(api, ["a"]);
  const directory = await mkdtemp(join(tmpdir(), "kgr-"));
  const tokenFile = join(directory, "token");
  await writeFile(tokenFile, "token-one\n");
  const watch = follow({ server: api.url, tokenFile });
  try {
    await eventually(() => watch.pods() === "a", "the first snapshot");
    await writeFile(tokenFile, "token-two\n");
    api.setToken("token-two");
    api.dropWatches();
    apply(api, ["a", "b"]);
    await eventually(() => watch.pods() === "a,b", "the change after the rotation");
    assert.equal(watch.snapshots.every((snapshot) => snapshot.endpoints.length > 0), true);
    const text = watch.errors.map((error) => `${error.message} ${String(error.cause)}`).join("\n");
    assert.doesNotMatch(text, /token-one|token-two/);
  } finally {
    await watch.stop();
    await api.close();
    await rm(directory, { recursive: true });
  }
});

Deno.test("watchEndpoints() reports an unreachable API server with advice", async () => {
  const api = await startFakeApiServer();
  const url = api.url;
  await api.close();
  const watch = follow({ server: url, token: "secret-canary" });
  try {
    await eventually(() => watch.errors.length > 0, "an error");
    assert.match(watch.errors[0].message, /cannot reach the API server at http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(watch.errors[0].message, /secret-canary/);
  } finally {
    await watch.stop();
  }
});

Deno.test("watchEndpoints() blames a proxy that cannot be reached, naming it and where it came from", async () => {
  // A loopback port where nothing listens: the connection to the proxy is refused, and the API server's
  // address (never dialed) is only named.
  const closed = await startFakeApiServer();
  const proxy = closed.url.replace("http://", "http://user:proxy-secret@");
  await closed.close();
  const watch = follow({ kubeconfig: proxiedKubeconfig(proxy) });
  try {
    await eventually(() => watch.errors.length > 0, "an error");
    const { message } = watch.errors[0];
    assert.match(message, /cannot reach the API server at https:\/\/10\.0\.0\.1:6443 from the kubeconfig object/);
    assert.match(message, /through the proxy http:\/\/127\.0\.0\.1:\d+\/ \(its user name and password not shown\)/);
    assert.match(
      message,
      /from proxy-url of the kubeconfig object .*check that the proxy is up and lets this server through/,
    );
    assert.doesNotMatch(message, /proxy-secret|secret-canary/);
  } finally {
    await watch.stop();
  }
});

Deno.test("watchEndpoints() says a proxy that answers 407 wants a login, or refused the one in its URL", async () => {
  // A loopback HTTP proxy that answers every CONNECT with 407: the API server's address is never dialed.
  const { createServer } = await import("node:http");
  const proxy = createServer((_, res) => res.writeHead(407).end());
  proxy.on("connect", (_, socket) => {
    socket.on("error", () => {});
    socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  try {
    for (
      const [url, advice] of [
        [`http://127.0.0.1:${port}`, /asks for a login \(407\): put the user name and password in its URL/],
        [`http://user:proxy-secret@127.0.0.1:${port}`, /refused the user name and password in its URL \(407\)/],
      ] as const
    ) {
      const watch = follow({ kubeconfig: proxiedKubeconfig(url) });
      try {
        await eventually(() => watch.errors.length > 0, "an error");
        const { message } = watch.errors[0];
        assert.match(
          message,
          /through the proxy "?http:\/\/127\.0\.0\.1:\d+.* from proxy-url of the kubeconfig object/,
        );
        assert.match(message, advice);
        assert.doesNotMatch(message, /proxy-secret|secret-canary|lets this server through/);
      } finally {
        await watch.stop();
      }
    }
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

// --- targets without a port -------------------------------------------------------

/** A slice of Service echo in prod with these ports, in this order, and pods at 10.3.<n>.x. */
function multiPortSlice(api: FakeApiServer, name: string, ports: { name: string; port: number }[], pods: string[]) {
  const n = name.charCodeAt(name.length - 1) - 96;
  api.applySlice({
    ...endpointSlice({
      namespace: "prod",
      service: "echo",
      name,
      endpoints: pods.map((pod, i) => ({ ip: `10.3.${n}.${i + 1}`, pod })),
    }),
    ports: ports.map((port) => ({ ...port, protocol: "TCP" })),
  });
}

/** Service echo in prod with ports grpc (80 → 8080) then http (8081), as `kubectl apply` would create it. */
function twoPortService(api: FakeApiServer) {
  api.applyService({
    metadata: { namespace: "prod", name: "echo" },
    spec: { ports: [{ name: "grpc", port: 80, targetPort: 8080 }, { name: "http", port: 8081 }] },
  });
}

/** `pod@host:port` of every address of the last snapshot. */
const addresses = (watch: ReturnType<typeof follow>) =>
  (watch.snapshots.at(-1)?.endpoints ?? []).flatMap((endpoint) =>
    endpoint.addresses.map((address) => `${endpoint.podName}@${address.host}:${address.port}`)
  ).join(",");

const serviceReads = (api: FakeApiServer) => api.requests.filter((request) => request.kind === "get");

Deno.test("watchEndpoints() resolves a target without a port to the Service's first port, whatever the slice's order", async () => {
  const api = await startFakeApiServer({ token: "t" });
  twoPortService(api);
  // The EndpointSlice controller orders a slice's ports by a hash, not as the Service lists them.
  multiPortSlice(api, "echo-a", [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }], ["a", "b"]);
  const portless = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod.svc.cluster.local" });
  const named = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod:grpc" });
  try {
    await eventually(() => addresses(portless) === "a@10.3.1.1:8080,b@10.3.1.2:8080", "the grpc port");
    await eventually(() => addresses(named) === addresses(portless), "the same endpoints for the named port");
    assert.equal(serviceReads(api).length, 1);
    assert.equal(serviceReads(api)[0].path, "/api/v1/namespaces/prod/services/echo");
    multiPortSlice(api, "echo-a", [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }], ["a", "b", "c"]);
    await eventually(() => addresses(portless).endsWith(",c@10.3.1.3:8080"), "the new pod on the grpc port");
    assert.equal(serviceReads(api).length, 1, "the Service is read once");
    assert.deepEqual(portless.errors, []);
  } finally {
    await portless.stop();
    await named.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() gives a target without a port no new snapshot when the Service's port is renamed in place", async () => {
  const api = await startFakeApiServer({ token: "t" });
  multiPortSlice(api, "echo-a", [{ name: "grpc", port: 8080 }], ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod" });
  try {
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080", "the first snapshot");
    multiPortSlice(api, "echo-a", [{ name: "web", port: 8080 }], ["a"]);
    await sleep(200); // delivered on its own, not coalesced with the next change
    multiPortSlice(api, "echo-a", [{ name: "web", port: 8080 }], ["a", "b"]);
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080,b@10.3.1.2:8080", "the new pod");
    assert.equal(watch.snapshots.length, 2, "the rename alone changed nothing the target gets");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() never mixes the ports of different slices for a target without a port", async () => {
  const api = await startFakeApiServer({ token: "t" });
  twoPortService(api);
  multiPortSlice(api, "echo-a", [{ name: "grpc", port: 8080 }], ["a"]);
  multiPortSlice(api, "echo-b", [{ name: "http", port: 8081 }], ["b"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod" });
  try {
    await eventually(() => watch.snapshots.length > 0, "a snapshot");
    assert.equal(addresses(watch), "a@10.3.1.1:8080");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() uses the one port of every slice without reading the Service for it", async () => {
  const api = await startFakeApiServer({ token: "t" });
  multiPortSlice(api, "echo-a", [{ name: "grpc", port: 8080 }], ["a"]);
  multiPortSlice(api, "echo-b", [{ name: "grpc", port: 9090 }], ["b"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod" });
  try {
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080,b@10.3.2.1:9090", "both pods");
    // The endpoints do not wait for that read, which came after them on a loaded machine (1 run of 2 at load 15).
    await eventually(() => serviceReads(api).length > 0, "the read of its internalTrafficPolicy");
    assert.equal(serviceReads(api).length, 1, "only the read of its internalTrafficPolicy");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() names the ports found when the Service cannot be read, and recovers once it can", async () => {
  const api = await startFakeApiServer({ token: "t" });
  twoPortService(api);
  multiPortSlice(api, "echo-a", [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }], ["a"]);
  api.failNext(1, { status: 403, path: "get" });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod" });
  try {
    await eventually(() => watch.errors.length > 0, "an error");
    const [forbidden] = watch.errors;
    assert.equal(forbidden.name, "KubeApiError");
    assert.match(forbidden.message, /^Cannot choose a port for service "echo" in namespace "prod": /);
    assert.match(forbidden.message, /"grpc" \(8080\), "http" \(8081\)/);
    assert.match(forbidden.message, /grant "get" on "services" in the core API group \(""\) in namespace "prod"/);
    assert.match(forbidden.message, /name a port in the target, e\.g\. kubernetes:\/\/\/echo\.prod:grpc$/);
    assert.equal((forbidden as { status?: number }).status, 403);
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080", "the grpc port once the Service can be read");
    assert.equal(serviceReads(api).length, 2);

    // A Service that does not exist: the slices' ports changed, so the Service is read again.
    api.deleteService("prod", "echo");
    multiPortSlice(api, "echo-a", [{ name: "http", port: 8081 }, { name: "metrics", port: 9090 }], ["a"]);
    await eventually(() => watch.errors.length > 1, "a second error");
    assert.match(watch.errors[1].message, /"http" \(8081\), "metrics" \(9090\)/);
    assert.match(watch.errors[1].message, /service "echo" does not exist in namespace "prod" \(404\)/);
    assert.equal(addresses(watch), "a@10.3.1.1:8080", "the last endpoints stay");
    api.applyService({
      metadata: { namespace: "prod", name: "echo" },
      spec: { ports: [{ name: "metrics", port: 9090 }, { name: "http", port: 8081 }] },
    });
    await eventually(() => addresses(watch) === "a@10.3.1.1:9090", "the new first port");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() keeps following the pods on its port when a port added to the Service makes it read the Service and that fails", async () => {
  const api = await startFakeApiServer({ token: "t" });
  multiPortSlice(api, "echo-a", [{ name: "grpc", port: 8080 }], ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod" });
  try {
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080", "the one port, without a read");
    // A metrics port added: the slices now have two names, and credentials without "get" on services.
    api.failNext(1000, { status: 403, path: "get" });
    multiPortSlice(api, "echo-a", [{ name: "metrics", port: 9090 }, { name: "grpc", port: 8080 }], ["a"]);
    await eventually(() => watch.errors.length > 0, "the error of the read");
    assert.match(watch.errors[0].message, /^Cannot choose a port for service "echo" in namespace "prod": /);
    multiPortSlice(api, "echo-a", [{ name: "metrics", port: 9090 }, { name: "grpc", port: 8080 }], ["a", "b"]);
    await eventually(() => addresses(watch) === "a@10.3.1.1:8080,b@10.3.1.2:8080", "the new pod on the port in use");
    // A name it no longer has is not followed: the last endpoints stay.
    multiPortSlice(api, "echo-a", [{ name: "metrics", port: 9090 }, { name: "web", port: 8080 }], ["c"]);
    await sleep(200);
    assert.equal(addresses(watch), "a@10.3.1.1:8080,b@10.3.1.2:8080");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() throws a ConfigError for a kubeconfig that does not exist", async () => {
  const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
    cluster: { kubeconfig: "/nonexistent/kubeconfig" },
  });
  await assert.rejects(async () => {
    for await (const _ of iterable) break;
  }, { name: "ConfigError", message: /\/nonexistent\/kubeconfig/ });
});

Deno.test("watchEndpoints() rejects a bad target before any I/O", async () => {
  await assert.rejects(watchEndpoints("kubernetes:///Bad_Name").next(), { name: "TargetError" });
});

Deno.test("watchEndpoints() checks a Target object as the parser checks a string, before any I/O", async () => {
  const api = await startFakeApiServer();
  try {
    apply(api, ["a"]);
    const cases: [Target, RegExp][] = [
      // Each went to the API server: port 0 gave endpoints on port 0, "50051" was read as a port name, a
      // service with a comma widened the label selector, and an empty namespace was blamed on the cluster's
      // Kubernetes version (404).
      [
        { scheme: "kubernetes", service: "echo", namespace: "prod", port: 0 },
        /port must be 1-65535: current value is 0/,
      ],
      [{ scheme: "kubernetes", service: "echo", namespace: "prod", port: "8080" }, /current value is "8080"/],
      [{ scheme: "kubernetes", service: "echo,app", namespace: "prod" }, /service must be a DNS-1123 label/],
      [{ scheme: "kubernetes", service: "echo", namespace: "" }, /namespace must not be empty/],
    ];
    for (const [target, message] of cases) {
      await assert.rejects(
        watchEndpoints(target, { cluster: { kubeconfig: api.kubeconfig() } }).next(),
        { name: "TargetError", message },
      );
    }
    assert.equal(api.requests.length, 0);
    const iterator = watchEndpoints({ scheme: "kubernetes", service: "echo", namespace: "prod", port: 8080 }, {
      cluster: { kubeconfig: api.kubeconfig() },
    });
    const { value } = await iterator.next();
    assert.deepEqual(value?.endpoints.map((endpoint) => endpoint.addresses[0]), [{ host: "10.2.1.1", port: 8080 }]);
    await iterator.return();
  } finally {
    await api.close();
  }
});

Deno.test("watchEndpoints() refuses a target, options or signal of the wrong kind, naming what was passed", async () => {
  const target = "kubernetes:///echo.prod:grpc";
  const controller = new AbortController();
  const cases: [unknown, unknown, string][] = [
    // Was: Cannot parse target "undefined:///undefined".
    [
      new URL(target),
      {},
      'Cannot watch endpoints: the target must be a string such as "kubernetes:///echo.prod:grpc", or a Target from ' +
      "parseTarget(): current value is of class URL",
    ],
    [{ target }, {}, /current value is of type object$/.source],
    // Was: accepted, and the signal never ended the loop.
    [
      target,
      controller.signal,
      "Cannot watch endpoints: the second argument is the options: pass the signal as watchEndpoints(target, { signal })",
    ],
    // Was: signal.addEventListener is not a function.
    [
      target,
      { signal: controller },
      "Cannot use option 'signal': it must be an AbortSignal (an AbortController's signal, or AbortSignal.timeout(ms)): " +
      "current value is of class AbortController",
    ],
    // Was: accepted, and "onError is not a function" thrown inside the watch at its first failure.
    [
      target,
      { onError: "console.error" },
      "Cannot use option 'onError': it must be a function such as (error) => console.error(error.message): " +
      "current value is of type string",
    ],
    [
      target,
      { onRecovered: true },
      "Cannot use option 'onRecovered': it must be a function such as () => console.log(\"watching again\"): " +
      "current value is of type boolean",
    ],
    [
      target,
      { signal: null },
      /current value is null \(leave the option out, or pass undefined, for its default\)$/.source,
    ],
    // Was: Cannot convert undefined or null to object.
    [target, null, /^Cannot use the options: they must be an object .*: current value is null$/.source],
  ];
  for (const [given, options, message] of cases) {
    await assert.rejects(
      watchEndpoints(given as string, options as never).next(),
      message.endsWith("$") ? { name: "TypeError", message: new RegExp(message) } : { name: "TypeError", message },
    );
  }
});

Deno.test("watchEndpoints() gives a caller with other timings a watch of its own, with those timings", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 60_000 });
  const proxy = bufferingProxy(api);
  apply(api, ["a"]);
  const cluster = { kubeconfig: proxy.kubeconfig };
  const patient = follow(cluster);
  try {
    await eventually(() => patient.pods() === "a", "the first caller's snapshot");
    const hasty = follow(cluster, { stallTimeoutMs: 300 });
    try {
      await eventually(() => hasty.pods() === "a", "the second caller's snapshot");
      // The second caller's streaming list goes quiet after 300 ms and is resumed with a plain watch, which the
      // proxy holds: the change that follows reaches the first caller's streaming list, not the second caller.
      await eventually(() => plainWatches(api) >= 1, "the second caller's resumed watch", 20_000);
      apply(api, ["a", "b"]);
      await eventually(() => patient.pods() === "a,b", "the first caller's change");
      await eventually(
        () => hasty.errors.some((error) => /stalled/.test(error.message)),
        "the second caller's stall",
        20_000,
      );
      assert.equal(hasty.pods(), "a");
      assert.equal(patient.errors.length, 0, "the first caller's watch keeps its own 150 s stall timeout");
    } finally {
      await hasty.stop();
    }
  } finally {
    await patient.stop();
    await proxy.close();
    await api.close();
  }
});

Deno.test("watchEndpoints() hands a caller that joins a failing watch the last error at once", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  api.failNext(100, { status: 403 });
  const cluster = { kubeconfig: api.kubeconfig() };
  const first = follow(cluster, { initialMs: 10_000, maxMs: 20_000 });
  try {
    await eventually(() => first.errors.length === 1, "the first caller's error");
    const joined = Date.now();
    const second = follow(cluster, { initialMs: 10_000, maxMs: 20_000 });
    try {
      await eventually(() => second.errors.length === 1, "the second caller's error", 1000);
      assert.ok(Date.now() - joined < 1000);
      assert.match(
        second.errors[0].message,
        /grant "(list|watch)" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
      );
      assert.equal(count(api, "list"), 1, "the second caller shares the failing watch");
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() reports failures at once to a consumer busy with a snapshot, a newer one waiting", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const controller = new AbortController();
  const errors: string[] = [];
  let busy = true;
  try {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster: { kubeconfig: api.kubeconfig() },
        signal: controller.signal,
        backoff: { initialMs: 20, maxMs: 40 },
        onError: (error) => errors.push(busy ? "while busy" : error.message),
      })
    ) {
      if (snapshot.endpoints[0].podName !== "a") continue;
      // A new snapshot waits while the body is busy, then every retry is refused.
      apply(api, ["b"]);
      await sleep(100);
      api.setToken("other");
      api.dropWatches();
      // The failures were held until the body ended: 0 during 5 s where b38559d reported 29.
      await eventually(() => errors.length > 0, "a failure while the body is busy");
      busy = false;
      break;
    }
    assert.equal(errors[0], "while busy");
  } finally {
    controller.abort();
    await api.close();
  }
});

/** Waits for `first`'s snapshot of pod a, then refuses the watch's every retry (403) until `first` has an error. */
async function failAfterSnapshot(api: FakeApiServer, first: ReturnType<typeof follow>): Promise<void> {
  await eventually(() => first.pods() === "a", "the first caller's snapshot");
  api.failNext(100, { status: 403 });
  api.dropWatches();
  await eventually(() => first.errors.length > 0, "the first caller's error");
}

Deno.test("watchEndpoints() hands a caller that joins a failing watch its endpoints, then the error", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const cluster = { kubeconfig: api.kubeconfig() };
  // The watch's first failure after it served is only traced: the next ones are reported.
  const first = follow(cluster, { initialMs: 200, maxMs: 400 });
  const controller = new AbortController();
  // What a caller that marks itself unhealthy on an error and healthy on a snapshot sees, in order.
  const seen: string[] = [];
  let errorSeen!: () => void;
  const errored = new Promise<void>((resolve) => errorSeen = resolve);
  let joiner: Promise<void> | undefined;
  try {
    await failAfterSnapshot(api, first);
    joiner = (async () => {
      const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster,
        signal: controller.signal,
        backoff: { initialMs: 200, maxMs: 400 },
        onError: () => {
          seen.push("error");
          errorSeen();
        },
      });
      for await (const snapshot of iterable) {
        seen.push(snapshot.endpoints.map((endpoint) => endpoint.podName).join());
        // The error comes while the loop's body works on the snapshot, not once it asks for the next one.
        await errored;
      }
    })();
    await eventually(() => seen.length >= 2, "the second caller's snapshot and error");
    // Was: ["error", "a"], the caller healthy while the watch failed.
    assert.deepEqual(seen.slice(0, 2), ["a", "error"]);
    assert.equal(initialStates(api), 1, "the second caller shares the failing watch");
  } finally {
    controller.abort();
    errorSeen();
    await joiner;
    await first.stop();
    await api.close();
  }
});

/**
 * A caller of watchEndpoints() that shows itself degraded on an error and healthy again on a recovery: `seen` is what it
 * sees, in order (a snapshot's pods joined by commas, "error", "recovered"), a run of the same once. `onRecovered` runs
 * after the recovery is seen.
 */
function degradedCaller(
  cluster: ClusterOptions,
  signal: AbortSignal,
  options: { backoffMaxMs: number; onRecovered?: () => void },
) {
  const seen: string[] = [];
  const see = (what: string) => seen.at(-1) !== what && seen.push(what);
  const loop = (async () => {
    const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
      cluster,
      signal,
      backoff: { initialMs: 20, maxMs: options.backoffMaxMs },
      onError: () => see("error"),
      onRecovered: () => {
        see("recovered");
        options.onRecovered?.();
      },
    });
    for await (const snapshot of iterable) see(snapshot.endpoints.map((endpoint) => endpoint.podName).join());
  })();
  return { seen, loop };
}

/**
 * Fails the fake's watch (a token it refuses) until the caller saw the error, then lets it work until it saw the
 * recovery.
 */
async function failThenRecover(api: FakeApiServer, seen: string[]) {
  api.setToken("other");
  api.dropWatches();
  await eventually(() => seen.includes("error"), "the failure");
  api.setToken("t");
  await eventually(() => seen.includes("recovered"), `the recovery: ${JSON.stringify(seen)}`);
}

Deno.test("watchEndpoints() calls onRecovered once the watch works again after the failures it reported, no snapshot coming", async () => {
  // A resumed watch has worked once it brings an event: on a quiet Service, a bookmark.
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 100 });
  apply(api, ["a"]);
  const controller = new AbortController();
  const { seen, loop } = degradedCaller({ kubeconfig: api.kubeconfig() }, controller.signal, { backoffMaxMs: 40 });
  try {
    await eventually(() => seen.length === 1, "the first snapshot");
    // Was: nothing after the error, the endpoints unchanged: a caller degraded on it stayed so for good.
    await failThenRecover(api, seen);
    apply(api, ["a", "b"]);
    await eventually(() => seen.length === 4, "the next snapshot");
    assert.deepEqual(seen, ["a", "error", "recovered", "a,b"]);
  } finally {
    controller.abort();
    await loop;
    await api.close();
  }
});

Deno.test("watchEndpoints() only traces what onRecovered throws, and the loop goes on", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 100 });
  apply(api, ["a"]);
  const controller = new AbortController();
  const { seen, loop } = degradedCaller({ kubeconfig: api.kubeconfig() }, controller.signal, {
    backoffMaxMs: 40,
    onRecovered: () => {
      throw new Error("a bug in the caller's handler");
    },
  });
  try {
    await eventually(() => seen.length === 1, "the first snapshot");
    await failThenRecover(api, seen);
    apply(api, ["b"]);
    await eventually(() => seen.length === 4, "the next snapshot");
    assert.deepEqual(seen, ["a", "error", "recovered", "b"]);
  } finally {
    controller.abort();
    await loop;
    await api.close();
  }
});

Deno.test("watchEndpoints() calls onRecovered of a caller that joined a failing watch after its snapshot and error", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 100 });
  apply(api, ["a"]);
  const cluster = { kubeconfig: api.kubeconfig() };
  const first = follow(cluster);
  const controller = new AbortController();
  let joiner: ReturnType<typeof degradedCaller> | undefined;
  try {
    await eventually(() => first.pods() === "a", "the first caller's snapshot");
    api.setToken("other");
    api.dropWatches();
    await eventually(() => first.errors.length > 0, "the first caller's error");
    joiner = degradedCaller(cluster, controller.signal, { backoffMaxMs: 100 });
    const { seen } = joiner;
    await eventually(() => seen.length === 2, "the second caller's snapshot and error");
    api.setToken("t");
    await eventually(() => seen.length === 3, "the second caller's recovery");
    assert.deepEqual(seen, ["a", "error", "recovered"]);
  } finally {
    controller.abort();
    await joiner?.loop;
    await first.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() keeps an onError that throws from crashing the process, also for an error held for a snapshot", async () => {
  // An onError that throws is traced, and the watch goes on; one held back until the loop had its snapshot (a caller
  // that joins a failing watch) threw from a timer of its own instead: an uncaught exception, which ends a Node process.
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const cluster = { kubeconfig: api.kubeconfig() };
  const first = follow(cluster, { initialMs: 200, maxMs: 400 });
  const controller = new AbortController();
  const seen: string[] = [];
  let joiner: Promise<void> | undefined;
  try {
    await failAfterSnapshot(api, first);
    joiner = (async () => {
      const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster,
        signal: controller.signal,
        backoff: { initialMs: 200, maxMs: 400 },
        onError: () => {
          seen.push("error");
          throw new Error("a bug in the caller's error handler");
        },
      });
      for await (const snapshot of iterable) seen.push(snapshot.endpoints.map((endpoint) => endpoint.podName).join());
    })();
    await eventually(() => seen.length >= 3, "the second caller's snapshot and two errors");
    assert.deepEqual(seen.slice(0, 3), ["a", "error", "error"]);
  } finally {
    controller.abort();
    await joiner;
    await first.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() never shares a watch between two tokens under one user name", async () => {
  const api = await startFakeApiServer({ token: "good-token" });
  apply(api, ["a"]);
  const withToken = (token: string) => {
    const kubeconfig = structuredClone(api.kubeconfig()) as { users: { name: string; user: { token: string } }[] };
    kubeconfig.users[0].user.token = token;
    return { kubeconfig };
  };
  const revoked = follow(withToken("revoked-token"), { initialMs: 200, maxMs: 400 });
  try {
    await eventually(() => revoked.errors.length >= 1, "the revoked token's 401");
    const good = follow(withToken("good-token"), { initialMs: 200, maxMs: 400 });
    try {
      await eventually(() => good.pods() === "a", "endpoints read with the good token");
      assert.equal(good.errors.length, 0);
      assert.equal(revoked.pods(), "(none)", "endpoints are never read with another caller's credentials");
    } finally {
      await good.stop();
    }
  } finally {
    await revoked.stop();
    await api.close();
  }
});

/**
 * Which of 200 changes each snapshot shows to a consumer that works `busyMs` on each one, when they are written
 * back to back (all in the watch stream before any is sent) 100 ms after its first snapshot. Each change
 * replaces the slice's 100 pods, so that the burst reaches the client in many chunks.
 */
async function snapshotsOfBurst(busyMs: number): Promise<string[]> {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["p0"]);
  const controller = new AbortController();
  const seen: string[] = [];
  const consumer = (async () => {
    const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
      cluster: { kubeconfig: api.kubeconfig() },
      signal: controller.signal,
    });
    for await (const snapshot of iterable) {
      // "p7" for the 100 pods p7-0 ... p7-99 of change 7.
      seen.push(snapshot.endpoints[0].podName!.split("-")[0]);
      const busyUntil = Date.now() + busyMs;
      while (Date.now() < busyUntil) { /* a slow consumer */ }
      if (seen.at(-1) === "p200") break;
    }
  })();
  try {
    // Once the hold that follows the first delivery (as long as it took) is over, so that the burst's
    // first change arrives on a quiet watch.
    for (let i = 0; i < 500 && seen.length === 0; i++) await sleep(10);
    await sleep(100);
    for (let i = 1; i <= 200; i++) apply(api, Array.from({ length: 100 }, (_, k) => `p${i}-${k}`));
    await Promise.race([consumer, sleep(10_000).then(() => assert.fail(`no final state: ${seen.join(" ")}`))]);
    return seen;
  } finally {
    controller.abort();
    await consumer;
    await api.close();
  }
}

Deno.test("watchEndpoints() gives a burst to a consumer that keeps up as a few snapshots, the latest state last", async () => {
  const seen = await snapshotsOfBurst(0);
  // The changes of a read that ends inside a change (each is about 10 KB: the burst comes in many reads) wait for
  // the read that ends on a change's end, at most 50 ms: often the burst's last (see `_chunk_end_publish.ts`).
  assert.equal(seen.at(-1), "p200");
  // A few snapshots, not 200: how many depends on how the events and the consumer share a busy machine's CPU.
  assert.ok(seen.length <= 20, `got ${seen.length} snapshots for 200 changes: ${seen.join(" ")}`);
});

Deno.test("watchEndpoints() gives a slow consumer the latest state of a burst, not every step", async () => {
  const seen = await snapshotsOfBurst(50);
  assert.equal(seen.at(-1), "p200");
  assert.ok(seen.length <= 10, `a slow consumer got ${seen.length} snapshots for 200 changes`);
});

Deno.test("watchEndpoints() holds a change at most 50 ms for a consumer that once took seconds over a snapshot", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a", "b"]);
  const controller = new AbortController();
  const snapshots: { pods: string[]; at: number }[] = [];
  let writtenAt = 0;
  try {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster: { kubeconfig: api.kubeconfig() },
        signal: controller.signal,
      })
    ) {
      snapshots.push({ pods: snapshot.endpoints.map((endpoint) => endpoint.podName!), at: performance.now() });
      if (snapshots.length === 2) break;
      // A slow reconfiguration, once; the change comes soon after the consumer asked for the next snapshot.
      await sleep(1500);
      setTimeout(() => {
        writtenAt = performance.now();
        apply(api, ["a"]);
      }, 100);
    }
    const [first, second] = snapshots;
    assert.deepEqual([first.pods, second.pods], [["a", "b"], ["a"]]);
    // From the write itself: the test's own sleeps may be late on a loaded machine.
    const lateMs = second.at - writtenAt;
    assert.ok(lateMs < 400, `the change came ${lateMs.toFixed(0)} ms after it was written (it was held 1.4 s before)`);
  } finally {
    controller.abort();
    await api.close();
  }
});

Deno.test("watchEndpoints() gives a consumer busy while the pods changed and changed back no snapshot of what it has", async () => {
  // A sidecar that rewrites a proxy's config and reloads it on each snapshot reloaded for nothing.
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a", "b"]);
  const controller = new AbortController();
  const seen: string[] = [];
  try {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster: { kubeconfig: api.kubeconfig() },
        signal: controller.signal,
      })
    ) {
      seen.push(snapshot.endpoints.map((endpoint) => endpoint.podName).join(","));
      if (seen.length > 1) break;
      // Busy with the first snapshot while a pod leaves and comes back.
      apply(api, ["a"]);
      await sleep(200);
      apply(api, ["a", "b"]);
      await sleep(200);
      setTimeout(() => controller.abort(), 300);
    }
    assert.deepEqual(seen, ["a,b"]);
  } finally {
    controller.abort();
    await api.close();
  }
});

Deno.test("watchEndpoints() says why a snapshot is empty, and a snapshot with endpoints has no reason", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod:http" });
  try {
    await eventually(() => watch.snapshots.length === 1, "the first snapshot");
    // The fake holds nothing in prod: the Service's 404, then the Namespace's.
    assert.match(watch.snapshots[0].emptyReason!, /^namespace prod does not exist/);
    apply(api, ["a"]);
    await eventually(() => watch.snapshots.at(-1)!.emptyReason?.includes("no port named") === true, "the new reason");
    assert.match(watch.snapshots.at(-1)!.emptyReason!, /no port named "http" \(they have "grpc" \(\d+\)\)/);
  } finally {
    await watch.stop();
    await api.close();
  }
  const named = await startFakeApiServer({ token: "t" });
  apply(named, ["a"]);
  const found = follow({ kubeconfig: named.kubeconfig() });
  try {
    await eventually(() => found.pods() === "a", "the endpoint");
    assert.equal("emptyReason" in found.snapshots.at(-1)!, false);
  } finally {
    await found.stop();
    await named.close();
  }
});

Deno.test("watchEndpoints() gives each caller its own list: one that sorts or shortens it changes nobody else's", async () => {
  const api = await startFakeApiServer();
  apply(api, ["a", "b", "c"]);
  const controller = new AbortController();
  const options = { cluster: { kubeconfig: api.kubeconfig() }, signal: controller.signal };
  const first = watchEndpoints("kubernetes:///echo.prod:grpc", options);
  const second = watchEndpoints("kubernetes:///echo.prod:grpc", options);
  try {
    const mine = (await first.next()).value!;
    // The list was shared: the other caller, and any that joined later, saw two pods in reverse order.
    mine.endpoints.reverse().pop();
    const theirs = (await second.next()).value!;
    assert.deepEqual(theirs.endpoints.map((endpoint) => endpoint.podName), ["a", "b", "c"]);
    const late = watchEndpoints("kubernetes:///echo.prod:grpc", options);
    assert.deepEqual((await late.next()).value!.endpoints.map((endpoint) => endpoint.podName), ["a", "b", "c"]);
    await late.return();
  } finally {
    controller.abort();
    await first.return();
    await second.return();
    await api.close();
  }
});

Deno.test("watchEndpoints() yields every snapshot with the same fields in the same order, optional ones when set", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const watch = follow({ kubeconfig: api.kubeconfig() });
  const fields = ["endpoints", "resourceVersion", "namespace", "service", "topology"];
  try {
    await eventually(() => watch.snapshots.length === 1, "the first snapshot");
    apply(api, ["a"]);
    await eventually(() => watch.pods() === "a", "pod a");
    apply(api, ["a", "b"]);
    await eventually(() => watch.pods() === "a,b", "pods a and b");
    const [empty, ...others] = watch.snapshots;
    assert.deepEqual(Object.keys(empty), [...fields, "emptyReason"]);
    for (const snapshot of others) assert.deepEqual(Object.keys(snapshot), fields);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() sends a new snapshot when only an endpoint's zone, node or hints change", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const write = (zone: string, nodeName: string, trafficDistribution?: "PreferSameZone") =>
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      name: "echo-a",
      port: { name: "grpc", port: 8080 },
      trafficDistribution,
      endpoints: [{ ip: "10.2.1.1", pod: "a", zone, nodeName }],
    }));
  write("zone-a", "node-1");
  // No locality (the tests set no NODE_NAME or ZONE): the preference stays "every endpoint" whatever the hints say.
  const watch = follow({ kubeconfig: api.kubeconfig() });
  const last = () => watch.snapshots.at(-1)!.endpoints[0];
  try {
    await eventually(() => watch.snapshots.length === 1, "the first snapshot");
    assert.equal(last().hints, undefined);
    write("zone-a", "node-1", "PreferSameZone");
    await eventually(() => last().hints !== undefined, "a snapshot with the controller's hints");
    assert.deepEqual(last().hints, { forZones: ["zone-a"], forNodes: [] });
    write("zone-b", "node-1", "PreferSameZone");
    await eventually(() => last().zone === "zone-b", "a snapshot with the new zone");
    write("zone-b", "node-2", "PreferSameZone");
    await eventually(() => last().nodeName === "node-2", "a snapshot with the new node");
    assert.ok(watch.snapshots.every((snapshot) => snapshot.topology === "none"));
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() keeps the options it checked when the caller changes its objects afterwards", async () => {
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name: "echo-a",
    port: { name: "grpc", port: 8080 },
    trafficDistribution: "PreferSameZone",
    endpoints: [{ ip: "10.2.1.1", pod: "a", zone: "zone-a" }, { ip: "10.2.1.2", pod: "b", zone: "zone-b" }],
  }));
  const options = { cluster: { kubeconfig: api.kubeconfig() }, locality: { zone: "zone-a" } };
  const snapshots = watchEndpoints("kubernetes:///echo.prod:grpc", options)[Symbol.asyncIterator]();
  try {
    const first = snapshots.next();
    // The locality is read once the cluster access is set up, after this change: it used to apply, unchecked.
    options.locality.zone = "zone-b";
    const { value } = await first;
    const preferred = value!.endpoints.filter((endpoint) => endpoint.preferred);
    assert.deepEqual(preferred.map((endpoint) => endpoint.podName), ["a"]);
  } finally {
    await snapshots.return();
    await api.close();
  }
});

Deno.test("watchEndpoints() does not time a request's stall while an exec plugin is giving its credentials", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const dir = await mkdtemp(join(tmpdir(), "kgr-slow-plugin-"));
  const plugin = join(dir, "plugin.sh");
  // A plugin slower than stallTimeoutMs, as one waiting for a login is.
  await writeFile(
    plugin,
    `#!/bin/sh\nsleep 2\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'\n`,
    { mode: 0o755 },
  );
  const kubeconfig = api.kubeconfig();
  kubeconfig.users![0].user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } };
  // 1 s, not 300 ms, which a request's answer passed on a loaded machine.
  const watch = follow({ kubeconfig }, { stallTimeoutMs: 1000 });
  try {
    await eventually(() => watch.pods() === "a", "the endpoints, once the plugin answered", 20_000);
    // It was reported as an API server that never answered: "stalled: no answer for 300 ms".
    assert.deepEqual(watch.errors.map((error) => error.message), []);
  } finally {
    await watch.stop();
    await api.close();
    await rm(dir, { recursive: true });
  }
});

Deno.test("watchEndpoints() still times a request's stall while a token file's read hangs", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const dir = await mkdtemp(join(tmpdir(), "kgr-hung-token-"));
  // A FIFO nobody writes to: a read of it hangs, as one on a mount that stopped answering does.
  const tokenFile = join(dir, "token");
  await new Deno.Command("mkfifo", { args: [tokenFile] }).output();
  const watch = follow({ server: api.url, tokenFile }, { stallTimeoutMs: 300 });
  try {
    // Only an exec plugin's wait goes untimed: this one was silent for good.
    await eventually(() => watch.errors.length > 0, "the stall to be reported");
    assert.match(watch.errors[0].message, /stalled: no answer for 300 ms \(stallTimeoutMs\)/);
  } finally {
    await watch.stop();
    // Ends the hanging reads.
    await writeFile(tokenFile, "t");
    await api.close();
    await rm(dir, { recursive: true });
  }
});

Deno.test("watchEndpoints() minds a context namespace that is not a DNS label only for targets that name none", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const kubeconfig = api.kubeconfig();
  kubeconfig.contexts![0].context.namespace = "Prod_NS";
  const named = follow({ kubeconfig });
  try {
    await eventually(() => named.pods() === "a", "the endpoints of a target that names its namespace");
    assert.deepEqual(named.errors, []);
    const unnamed = watchEndpoints("kubernetes:///echo:grpc", { cluster: { kubeconfig } });
    await assert.rejects(
      unnamed[Symbol.asyncIterator]().next(),
      /Cannot use namespace "Prod_NS" from the context namespace of the kubeconfig object .*: a namespace is a DNS-1123 label/,
    );
  } finally {
    await named.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() refuses an option it does not have, naming the one meant and where a channel's go", async () => {
  const first = (options: Record<string, unknown>) =>
    watchEndpoints("kubernetes:///echo.prod:grpc", options as never)[Symbol.asyncIterator]().next();
  // A misspelt signal never ended the loop, and a misspelt onError never reported.
  await assert.rejects(first({ sginal: AbortSignal.timeout(1) }), {
    name: "TypeError",
    message: /^Cannot use option 'sginal': it is unknown: use signal$/,
  });
  await assert.rejects(first({ onerror: () => {} }), { message: /option 'onerror': it is unknown: use onError$/ });
  // Close to no option: every one.
  await assert.rejects(first({ abort: AbortSignal.timeout(1) }), {
    message: /^Cannot use option 'abort': it is unknown: use one of signal, onError, onRecovered, cluster, /,
  });
  // Misspelt, a channel's option and a cluster option still get where they go.
  await assert.rejects(first({ subsetsise: 10 }), {
    message: /option 'subsetsise': it is unknown: it is a channel's: pass it to register\(\{ subsetSize \}\)/,
  });
  await assert.rejects(first({ kubconfig: "/x" }), {
    message: /option 'kubconfig': it is unknown: it is a cluster option: pass it as cluster: \{ kubeconfig \}$/,
  });
  await assert.rejects(first({ subsetSize: 10 }), {
    message:
      /option 'subsetSize': it is unknown: it is a channel's: pass it to register\(\{ subsetSize \}\) or to nice-grpc's createChannel\(target, credentials, \{ resolver: \{ subsetSize \} \}\)$/,
  });
  await assert.rejects(first({ kubeconfig: "/x", token: "secret-value" }), {
    message: /option 'kubeconfig': it is unknown: it is a cluster option: pass it as cluster: \{ kubeconfig \}$/,
  });
  // The two other channel options listed this function's options, as if one of them were meant.
  await assert.rejects(first({ grpc: {} }), {
    message:
      /option 'grpc': it is unknown: it is a channel's: pass it to register\(\{ grpc \}\) or to nice-grpc's createChannel\(target, credentials, \{ resolver: \{ grpc \} \}\)$/,
  });
  await assert.rejects(first({ scheme: "k8s" }), {
    message:
      /^Cannot use option 'scheme': it is unknown: it is register\(\)'s: pass it to register\(\{ scheme \}\); watchEndpoints\(\) takes the scheme from the target \("k8s:\/\/\/echo.prod:grpc"\), whatever it is$/,
  });
});

Deno.test("watchEndpoints() takes options of another realm (a node:vm context of a test runner) or of the caller's class", async () => {
  const api = await startFakeApiServer();
  try {
    apply(api, ["a"]);
    const kubeconfig = api.kubeconfig();
    class ClusterSettings {
      kubeconfig = kubeconfig;
    }
    class Settings {
      cluster = new ClusterSettings();
      backoff = { initialMs: 10 };
    }
    for (
      const options of [
        runInNewContext("({ cluster: { kubeconfig }, locality: {}, backoff: { initialMs: 10 } })", { kubeconfig }),
        new Settings(),
        Object.create({ cluster: { kubeconfig } }),
      ]
    ) {
      for await (const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", options)) {
        assert.equal(snapshot.endpoints.length, 1);
        break;
      }
    }
  } finally {
    await api.close();
  }
});

Deno.test("watchEndpoints() says that a Service the API server does not find does not exist, until it is created", async () => {
  const api = await startFakeApiServer({ token: "t" });
  // Namespace prod exists, with another Service.
  api.applyService({ metadata: { namespace: "prod", name: "other" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.prod:grpc" });
  const last = () => watch.snapshots.at(-1)?.emptyReason ?? "";
  try {
    // Was only the generic guess: "it has no EndpointSlice: check that the Service exists in namespace prod, ...".
    await eventually(() => last().startsWith("service echo does not exist"), "the Service's 404 in the reason");
    assert.equal(
      last(),
      "service echo does not exist in namespace prod (kubectl get services -n prod lists those there are)",
    );
    // Created without pods: the controller writes a slice without endpoints, and the reason must follow it.
    api.applyService({
      metadata: { namespace: "prod", name: "echo" },
      spec: { ports: [{ name: "grpc", port: 8080 }] },
    });
    api.applySlice(endpointSlice({ namespace: "prod", service: "echo", name: "echo-a", endpoints: [] }));
    await eventually(() => last().startsWith("its EndpointSlices list no pod"), "the reason of a Service without pods");
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() says that a namespace the API server does not find does not exist", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.nosuch:grpc" });
  const last = () => watch.snapshots.at(-1)?.emptyReason ?? "";
  try {
    // The Service's 404 reads the same there; the Namespace's GET tells (as kubectl get service echo -n nosuch).
    await eventually(() => last().startsWith("namespace nosuch"), "the Namespace's 404 in the reason");
    assert.equal(
      last(),
      "namespace nosuch does not exist (kubectl get namespaces lists those there are): fix the target's namespace, " +
        "or the default namespace where the target names none",
    );
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() keeps the Service's words for a namespace it may not read (403 on namespaces)", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const slices = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
  api.setAccess({ username: "u", rules: [slices, { verbs: ["get"], apiGroups: [""], resources: ["services"] }] });
  const watch = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///echo.nosuch:grpc" });
  const last = () => watch.snapshots.at(-1)?.emptyReason ?? "";
  try {
    // The namespace may not exist, but only its GET could say so: the Service's 404 is all that is known.
    await eventually(() => last().startsWith("service echo"), "the Service's 404 in the reason");
    assert.equal(
      last(),
      "service echo does not exist in namespace nosuch (kubectl get services -n nosuch lists those there are)",
    );
    const asked = api.requests.filter((request) => request.path === "/api/v1/namespaces/nosuch");
    assert.equal(asked.length, 1, "the Namespace was asked for once");
    assert.deepEqual(watch.errors, [], "no error: the 403 never fails the watch");
  } finally {
    await watch.stop();
    await api.close();
  }
});
