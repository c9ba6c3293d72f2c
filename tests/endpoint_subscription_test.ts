// Streaming lists (WatchList) through the shared watch, against the embedded
// fake API server: one request instead of a LIST and a WATCH, the fallback to
// LIST+WATCH remembered per API server, and the switch that turns it off.
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, type RecordedRequest, startFakeApiServer } from "@kgr/resolver/testing";
import { createServer, request as httpRequest } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { eventually, follow } from "./_watch_helpers.ts";

function apply(api: FakeApiServer, service: string, pods: string[]) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service,
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.3.0.${i + 1}`, pod })),
  }));
}

/**
 * What each request for slices asked for: `list`, `streaming` (a watch with `sendInitialEvents=true`) or `watch`, and
 * its status. The Service's GET (its internalTrafficPolicy, `traffic_policy_test.ts`) is left out.
 */
const describe = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.kind !== "get").map((request) =>
    `${request.query.sendInitialEvents === "true" ? "streaming" : request.kind} ${request.status}`
  );

Deno.test("watchEndpoints() gets the first state and later changes from one streaming watch, without a LIST", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo", ["a", "b"]);
  const watch = follow({ kubeconfig: api.kubeconfig() });
  try {
    await eventually(() => watch.pods() === "a,b", "the first snapshot");
    apply(api, "echo", ["a", "b", "c"]);
    await eventually(() => watch.pods() === "a,b,c", "the change, on the same watch");
    assert.deepEqual(describe(api.requests), ["streaming 200"]);
    const { query } = api.requests.find((request) => request.kind === "watch")!;
    assert.equal(query.resourceVersionMatch, "NotOlderThan");
    assert.equal(query.allowWatchBookmarks, "true");
    assert.equal(query.resourceVersion, undefined, "the latest state, as client-go asks for it");
    assert.equal(watch.snapshots.length, 2, "one snapshot for the whole initial state");
    assert.deepEqual(watch.errors, []);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() lists and watches a server that refuses streaming lists, and later watches of it skip the attempt", async () => {
  const api = await startFakeApiServer({ token: "t", watchList: false });
  apply(api, "echo", ["a"]);
  apply(api, "other", ["x"]);
  const first = follow({ kubeconfig: api.kubeconfig() });
  let later: ReturnType<typeof follow> | undefined;
  try {
    await eventually(() => first.pods() === "a", "the first Service");
    await eventually(() => api.openWatches === 1, "its watch");
    assert.deepEqual(describe(api.requests), ["streaming 422", "list 200", "watch 200"]);
    assert.deepEqual(first.errors, [], "a refusal is no error");
    later = follow({ kubeconfig: api.kubeconfig() }, { target: "kubernetes:///other.prod:grpc" });
    await eventually(() => later!.pods() === "x", "the second Service");
    await eventually(() => api.openWatches === 2, "its watch");
    assert.deepEqual(describe(api.requests).slice(3), ["list 200", "watch 200"]);
  } finally {
    await first.stop();
    await later?.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() with watchList: false lists and watches, in a watch of its own", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo", ["a"]);
  const listing = follow({ kubeconfig: api.kubeconfig() }, { watchList: false });
  try {
    await eventually(() => listing.pods() === "a" && api.openWatches === 1, "the LIST and the WATCH");
    assert.deepEqual(describe(api.requests), ["list 200", "watch 200"]);
    const streaming = follow({ kubeconfig: api.kubeconfig() });
    try {
      await eventually(() => streaming.pods() === "a" && api.openWatches === 2, "a streaming list of its own");
      assert.deepEqual(describe(api.requests).slice(2), ["streaming 200"]);
    } finally {
      await streaming.stop();
    }
  } finally {
    await listing.stop();
    await api.close();
  }
});

/**
 * A forward proxy on loopback that takes every request, whatever host it names (CONNECT or an absolute URL), to the
 * fake API server at `port`: a private cluster that a kubeconfig reaches by its own address through its own proxy.
 */
async function proxyTo(port: number) {
  const proxy = createServer((request, response) => {
    const url = new URL(request.url!);
    const upstream = httpRequest(
      { host: "127.0.0.1", port, method: request.method, path: url.pathname + url.search, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  proxy.on("connect", (_request, socket: Socket) => {
    const upstream = connect(port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () => {
      proxy.closeAllConnections();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

Deno.test("watchEndpoints() remembers a refused streaming list per cluster, not for another one at the same address behind another proxy", async () => {
  // Two private clusters whose kubeconfigs name the same server address, each reached through its own proxy (as
  // kubectl's proxy-url reaches clusters behind bastions): the one with the WatchList gate off refuses streaming
  // lists, and the other must still be asked for one.
  // No token: credentials do not go over plain http:// to another machine.
  const old = await startFakeApiServer({ watchList: false });
  const current = await startFakeApiServer();
  apply(old, "echo", ["a"]);
  apply(current, "echo", ["b"]);
  const proxies = [await proxyTo(Number(new URL(old.url).port)), await proxyTo(Number(new URL(current.url).port))];
  const behind = (api: FakeApiServer, proxy: string) => {
    const kubeconfig = api.kubeconfig();
    const cluster = kubeconfig.clusters![0].cluster!;
    cluster.server = "http://10.0.0.1:6443";
    cluster["proxy-url"] = proxy;
    return { kubeconfig };
  };
  const first = follow(behind(old, proxies[0].url));
  let second: ReturnType<typeof follow> | undefined;
  try {
    await eventually(() => first.pods() === "a" && old.openWatches === 1, "the old cluster's LIST and WATCH");
    assert.deepEqual(describe(old.requests), ["streaming 422", "list 200", "watch 200"]);
    second = follow(behind(current, proxies[1].url));
    await eventually(() => second!.pods() === "b" && current.openWatches === 1, "the other cluster's watch");
    assert.deepEqual(describe(current.requests), ["streaming 200"], "the other cluster is asked for a streaming list");
  } finally {
    await first.stop();
    await second?.stop();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await old.close();
    await current.close();
  }
});
