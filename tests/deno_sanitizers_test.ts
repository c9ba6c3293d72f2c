// Tests written as a user writes them, with Deno's op and resource sanitizers on (`deno test --sanitize-ops
// --sanitize-resources`): a test that closed its channel or left its watchEndpoints() loop must find nothing of ours
// still pending (README, "Process lifetime"), as a grpc-js channel with a dns: target leaves nothing.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { register, watchEndpoints } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer } from "../scripts/echo_service.mjs";

const sanitized = { sanitizeOps: true, sanitizeResources: true };

Deno.test({
  name: "a test that calls a pod through a channel and closes it leaves nothing pending",
  ...sanitized,
  async fn() {
    await using api = await startFakeApiServer({ token: "test" });
    register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: "shop" }) }, locality: {} });
    const pod = await startEchoServer(grpc, { name: "cart-0", host: "127.0.0.1", port: 0 });
    try {
      api.applySlice(endpointSlice({
        namespace: "shop",
        service: "cart",
        port: { name: "grpc", port: pod.port },
        endpoints: [{ ip: "127.0.0.1", pod: "cart-0" }],
      }));
      const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
      const client = new Echo("kubernetes:///cart:grpc", grpc.credentials.createInsecure());
      assert.equal(await echoCaller(client)("hi"), "cart-0:hi");
      client.close();
    } finally {
      await pod.stop();
    }
  },
});

Deno.test({
  name: "a test that leaves its watchEndpoints() loop after the first snapshot leaves nothing pending",
  ...sanitized,
  async fn() {
    await using api = await startFakeApiServer({ token: "test" });
    api.applySlice(endpointSlice({
      namespace: "shop",
      service: "cart",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
    }));
    const options = { cluster: { kubeconfig: api.kubeconfig() }, locality: {} };
    for await (const snapshot of watchEndpoints("kubernetes:///cart.shop:grpc", options)) {
      assert.equal(snapshot.endpoints.length, 1);
      break;
    }
  },
});

Deno.test({
  name: "a test that leaves its watchEndpoints() loop during a burst of changes leaves nothing pending",
  ...sanitized,
  async fn() {
    // The burst's later states wait to be delivered together: the watch's end left their timers behind.
    await using api = await startFakeApiServer({ token: "test" });
    const pods = (count: number) =>
      endpointSlice({
        namespace: "shop",
        service: "cart",
        port: { name: "grpc", port: 8080 },
        endpoints: Array.from({ length: count }, (_, i) => ({ ip: `10.1.0.${i + 1}`, pod: `cart-${i}` })),
      });
    api.applySlice(pods(1));
    const controller = new AbortController();
    const options = { cluster: { kubeconfig: api.kubeconfig() }, locality: {}, signal: controller.signal };
    for await (const snapshot of watchEndpoints("kubernetes:///cart.shop:grpc", options)) {
      if (snapshot.endpoints.length > 1) continue;
      for (let count = 2; count <= 20; count++) api.applySlice(pods(count));
      await new Promise((resolve) => setTimeout(resolve, 1));
      controller.abort();
    }
  },
});

Deno.test({
  name: "return() on a watchEndpoints() iterator waiting for its next snapshot ends the watch at once",
  ...sanitized,
  async fn() {
    // A merge of several Services' iterators, or a next() raced against a timeout, leaves by return() while a next()
    // waits: the generator queued the return() behind that next(), which a quiet Service never answers, and the
    // watch (and the process) lived on.
    await using api = await startFakeApiServer({ token: "test" });
    api.applySlice(endpointSlice({
      namespace: "shop",
      service: "cart",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "cart-0" }],
    }));
    const options = { cluster: { kubeconfig: api.kubeconfig() }, locality: {} };
    const iterator = watchEndpoints("kubernetes:///cart.shop:grpc", options)[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).value?.endpoints.length, 1);
    const waiting = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<string>((resolve) => timer = setTimeout(() => resolve("still waiting after 2 s"), 2000));
    try {
      const returned = iterator.return(undefined).then(() => "returned");
      assert.equal(await Promise.race([returned, late]), "returned");
      assert.deepEqual(await waiting, { done: true, value: undefined });
    } finally {
      clearTimeout(timer);
    }
  },
});
