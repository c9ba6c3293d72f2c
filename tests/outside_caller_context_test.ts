// The shared watch outlives the call that started it: an app's async context (an OpenTelemetry span, a request id
// kept in an AsyncLocalStorage) active when the first subscriber came must not follow the watch's requests, events and
// re-watches for the rest of the process. A plain AsyncLocalStorage stands in for a tracer's context manager.
import assert from "node:assert/strict";
import { AsyncLocalStorage, createHook } from "node:async_hooks";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { subscribeEndpoints } from "../src/endpoint_subscription.ts";
import { outsideCallerContext } from "../src/runtime/outside_caller_context.ts";
import { eventually } from "./_watch_helpers.ts";

function apply(api: FakeApiServer, pods: string[]) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.5.0.${i + 1}`, pod })),
  }));
}

Deno.test("subscribeEndpoints() runs the shared watch outside the async context of the subscriber that started it", async () => {
  const request = new AsyncLocalStorage<string>();
  const api = await startFakeApiServer();
  apply(api, ["a"]);
  const seen: { pods: string; context: string | undefined }[] = [];
  const unsubscribe = request.run("incoming request 1", () =>
    subscribeEndpoints(
      { scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" },
      { cluster: { kubeconfig: api.kubeconfig() }, backoff: { initialMs: 10, maxMs: 50 } },
      {
        onEndpoints: (snapshot) =>
          seen.push({ pods: snapshot.endpoints.map((e) => e.podName).join(","), context: request.getStore() }),
        onError: () => {},
      },
    ));
  try {
    await eventually(() => seen.at(-1)?.pods === "a", "the first snapshot");
    apply(api, ["a", "b"]);
    await eventually(() => seen.at(-1)?.pods === "a,b", "a change on the watch");
    api.dropWatches();
    await eventually(() => api.openWatches === 1 && api.requests.length >= 2, "the watch resumed");
    apply(api, ["b"]);
    await eventually(() => seen.at(-1)?.pods === "b", "a change on the resumed watch");
    assert.deepEqual(seen.map((s) => s.context), seen.map(() => undefined), "no snapshot carries the caller's context");
  } finally {
    unsubscribe();
    await api.close();
  }
});

Deno.test("outsideCallerContext() runs a function, and what it starts, in the context the module was loaded in", async () => {
  const request = new AsyncLocalStorage<string>();
  const later = await request.run("incoming request 1", () =>
    outsideCallerContext(() => {
      const now = request.getStore();
      return new Promise<[string | undefined, string | undefined]>((resolve) =>
        setTimeout(() => resolve([now, request.getStore()]), 1)
      );
    }));
  assert.deepEqual(later, [undefined, undefined]);
  assert.equal(request.run("x", () => outsideCallerContext(() => 42)), 42);
});

Deno.test("outsideCallerContext()'s async resource tells leak finders that it keeps nothing alive", async () => {
  // Jest's --detectOpenHandles (and Vitest's --detectAsyncLeaks) note each async resource made while a test runs and
  // report those never destroyed whose `hasRef()` says true, or that have no `hasRef()`: the module's resource, made
  // as a test loaded it and kept for the process, was "1 open handle potentially keeping Jest from exiting:
  // kgr-resolver.watch", though it holds no handle.
  const made: object[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === "kgr-resolver.watch") made.push(resource);
    },
  }).enable();
  try {
    const fresh = await import(`../src/runtime/outside_caller_context.ts?load=${Date.now()}`);
    assert.equal(fresh.outsideCallerContext(() => 7), 7);
  } finally {
    hook.disable();
  }
  assert.equal(made.length, 1, "the module makes one resource as it loads");
  assert.ok("hasRef" in made[0], "the resource answers hasRef(), as a timer does");
  assert.equal((made[0] as { hasRef(): unknown }).hasRef(), false);
});
