// Streaming lists (WatchList) through the shared watch, against the embedded
// fake API server: one request instead of a LIST and a WATCH, the fallback to
// LIST+WATCH remembered per API server, and the switch that turns it off.
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, type RecordedRequest, startFakeApiServer } from "@kgr/resolver/testing";
import { eventually, follow } from "./_watch_helpers.ts";

function apply(api: FakeApiServer, service: string, pods: string[]) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service,
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.3.0.${i + 1}`, pod })),
  }));
}

/** What each request asked for: `list`, `streaming` (a watch with `sendInitialEvents=true`) or `watch`, and its status. */
const describe = (requests: RecordedRequest[]) =>
  requests.map((request) =>
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
    const { query } = api.requests[0];
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
    assert.deepEqual(describe(api.requests.slice(3)), ["list 200", "watch 200"]);
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
      assert.deepEqual(describe(api.requests.slice(2)), ["streaming 200"]);
    } finally {
      await streaming.stop();
    }
  } finally {
    await listing.stop();
    await api.close();
  }
});
