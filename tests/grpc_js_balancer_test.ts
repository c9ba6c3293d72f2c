// kubernetes_round_robin with a real grpc-js channel and echo backends on loopback:
// preferred endpoints only while one is READY, failover to the others, and back.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createServer, type Socket } from "node:net";
import { type BalancedEndpoint, registerBalancer } from "../src/adapters/grpc_js_balancer.ts";
import { BALANCER_NAME } from "../src/adapters/_balancer_config.ts";
import { installDenoGoawayWorkaround } from "../src/runtime/deno_goaway_workaround.ts";
import { echoCaller, EchoService, freePort, startEchoServer, startLoad } from "../scripts/echo_service.mjs";

const SCHEME = "balancer-test";
const EchoClient = grpc.makeGenericClientConstructor(EchoService, "Echo");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The endpoints the test resolver hands out, and a way to hand out new ones. */
const resolution = {
  endpoints: [] as BalancedEndpoint[],
  /** The policy's config in the service config the resolver hands over. */
  balancerConfig: {} as Record<string, unknown>,
  listeners: new Set<(endpoints: BalancedEndpoint[]) => void>(),
  set(endpoints: BalancedEndpoint[]) {
    this.endpoints = endpoints;
    for (const listener of this.listeners) listener(endpoints);
  },
};

class TestResolver {
  #report: (endpoints: BalancedEndpoint[]) => void;
  constructor(_target: unknown, listener: (...args: unknown[]) => boolean) {
    const loadBalancingConfig = [{ [BALANCER_NAME]: resolution.balancerConfig }];
    const serviceConfig = { ok: true, value: { loadBalancingConfig, methodConfig: [] } };
    this.#report = (endpoints) => queueMicrotask(() => listener({ ok: true, value: endpoints }, {}, serviceConfig, ""));
  }
  updateResolution() {
    resolution.listeners.add(this.#report);
    this.#report(resolution.endpoints);
  }
  destroy() {
    resolution.listeners.delete(this.#report);
  }
  static getDefaultAuthority() {
    return "echo";
  }
}

// Backends stop gracefully (GOAWAY) here: without register(), install its Deno crash workaround (README, known issues).
installDenoGoawayWorkaround();
registerBalancer(grpc as never);
grpc.experimental.registerResolver(SCHEME, TestResolver as never);

async function backends(names: string[]) {
  const hosts = names.map((_, i) => `127.0.0.${70 + i}`);
  const port = await freePort(hosts);
  const servers = await Promise.all(names.map((name, i) => startEchoServer(grpc, { name, host: hosts[i], port })));
  return { port, hosts, servers };
}

/**
 * Sequential calls once each of `names` has answered a warm-up call, so is READY (queued calls all go to the first
 * READY one): a fixed wait for the others to connect (200 ms, once) can end first on a loaded machine.
 */
async function spread(call: (message: string) => Promise<string>, names: string[], count: number) {
  const answered = new Set<string>();
  const until = Date.now() + 5000;
  while (names.some((name) => !answered.has(name)) && Date.now() < until) {
    answered.add((await call("warm-up")).split(":")[0]);
    await sleep(10);
  }
  const answers: string[] = [];
  for (let i = 0; i < count; i++) answers.push(await call("hi"));
  return countBy(answers);
}

const countBy = (answers: string[]) =>
  answers.reduce<Record<string, number>>((counts, answer) => {
    const name = answer.split(":")[0];
    counts[name] = (counts[name] ?? 0) + 1;
    return counts;
  }, {});

Deno.test({
  name: "kubernetes_round_robin sends calls to preferred endpoints, fails over without failed calls, and comes back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers } = await backends(["a-1", "a-2", "b-1"]);
    resolution.set(hosts.map((host, i) => ({ addresses: [{ host, port }], preferred: i < 2 })));
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    // 5 s, not 1: a process stopped for over 1 s on a loaded machine can run out the deadlines of calls already
    // answered. A failover slower than the 400 ms below, or held to the failover timeout, still fails "during".
    const call = echoCaller(client, 5000);
    try {
      const before = await spread(call, ["a-1", "a-2"], 40);
      assert.deepEqual(Object.keys(before).sort(), ["a-1", "a-2"]);

      const load = startLoad(call, { intervalMs: 5, maxCalls: 2000 });
      await sleep(200);
      await Promise.all([servers[0].stop(), servers[1].stop()]);
      await sleep(400);
      const during = load.take();
      // Any call, not over 10: at load 7, 25 calls were answered in these 400 ms (80 when the machine keeps up), 10
      // of them by b-1. A failover held past them still leaves b-1 none.
      assert.ok((during["b-1"] ?? 0) > 0, `calls went to b-1 after zone a went down: ${JSON.stringify(during)}`);

      servers[0] = await startEchoServer(grpc, { name: "a-1", host: hosts[0], port });
      const back = Date.now() + 5000;
      while (load.take()["a-1"] === undefined && Date.now() < back) await sleep(100);
      await sleep(300);
      const after = load.take();
      await load.stop();
      assert.deepEqual(load.failures.map(String), []);
      assert.deepEqual(Object.keys(after), ["a-1"], `calls returned to a-1 only: ${JSON.stringify(after)}`);
    } finally {
      client.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
});

Deno.test({
  name: "kubernetes_round_robin fails over to the client's zone before the others, and comes back tier by tier",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // PreferSameNode: the client's node's pod, another pod of its zone, a pod of another zone.
    const { port, hosts, servers } = await backends(["node-1", "zone-1", "other-1"]);
    const tiers = [{ preferred: true }, { preferred: false, sameZone: true }, { preferred: false }];
    resolution.set(hosts.map((host, i) => ({ addresses: [{ host, port }], ...tiers[i] })));
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    // 5 s, not 1, as in the first test: a process stopped for 1.2 s failed the calls it had sent just before with
    // DEADLINE_EXCEEDED (their deadline timers ran before their answers were read). A failover held to the failover
    // timeout (10 s) still fails settleOn(), which waits 5 s for the next tier's first answer.
    const call = echoCaller(client, 5000);
    const load = startLoad(call, { intervalMs: 5, maxCalls: 4000 });
    /** The pods that answered the calls of the last 300 ms, once `name` answered. */
    const settleOn = async (name: string) => {
      const until = Date.now() + 5000;
      while (load.take()[name] === undefined && Date.now() < until) await sleep(100);
      await sleep(300);
      return Object.keys(load.take()).sort().join(",");
    };
    try {
      assert.equal(await settleOn("node-1"), "node-1");
      await servers[0].stop();
      assert.equal(await settleOn("zone-1"), "zone-1", "the node's pod stopped: calls go to its zone only");
      await servers[1].stop();
      assert.equal(await settleOn("other-1"), "other-1");
      servers[1] = await startEchoServer(grpc, { name: "zone-1", host: hosts[1], port });
      assert.equal(await settleOn("zone-1"), "zone-1", "the zone's pod is back: calls go there again");
      servers[0] = await startEchoServer(grpc, { name: "node-1", host: hosts[0], port });
      assert.equal(await settleOn("node-1"), "node-1");
      await load.stop();
      assert.deepEqual(load.failures.map(String), []);
    } finally {
      await load.stop();
      client.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
});

Deno.test({
  name: "kubernetes_round_robin spreads over every endpoint when all are preferred, and follows updates",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers } = await backends(["x-1", "x-2", "x-3"]);
    resolution.set(hosts.slice(0, 2).map((host) => ({ addresses: [{ host, port }] })));
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    const call = echoCaller(client, 5000);
    try {
      const first = await spread(call, ["x-1", "x-2"], 40);
      assert.deepEqual(first, { "x-1": 20, "x-2": 20 });
      resolution.set(hosts.slice(1).map((host) => ({ addresses: [{ host, port }] })));
      await sleep(300);
      const second = await spread(call, ["x-2", "x-3"], 40);
      assert.deepEqual(Object.keys(second).sort(), ["x-2", "x-3"]);
    } finally {
      client.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
});

/**
 * A server that accepts connections and never answers, like a hung pod: a channel's connection stays CONNECTING
 * (on grpc-js 1.13 and later, which wait for the server's HTTP/2 settings; earlier ones count TCP as READY).
 */
async function startHungServer(host: string, port: number) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    /** Accepts no more connections; those it has stay open, silent. */
    stopListening() {
      server.close();
      return Promise.resolve();
    },
    stop() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

Deno.test({
  name: "kubernetes_round_robin fails over when no preferred endpoint becomes READY within failoverTimeoutMs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers } = await backends(["b-1"]);
    const hungHost = "127.0.0.79";
    const hung = await startHungServer(hungHost, port);
    resolution.balancerConfig = { failoverTimeoutMs: 300 };
    resolution.set([{ addresses: [{ host: hungHost, port }], preferred: true }, {
      addresses: [{ host: hosts[0], port }],
      preferred: false,
    }]);
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    try {
      const started = Date.now();
      assert.equal((await echoCaller(client, 5000)("hi")).split(":")[0], "b-1");
      const waited = Date.now() - started;
      assert.ok(waited >= 250, `the call went to the other endpoint after ${waited} ms, before the timeout`);
    } finally {
      resolution.balancerConfig = {};
      client.close();
      await hung.stop();
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
});

Deno.test({
  name: "kubernetes_round_robin connects at once to a pod that comes back on an address still in connection backoff",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers } = await backends(["old"]);
    const endpoint = { addresses: [{ host: hosts[0], port }] };
    resolution.set([endpoint]);
    // A backoff of 20 s (16 to 24 s with grpc-js's jitter), not grpc-js's 1 s: "at once" is then a call answered
    // within 4 s, which a loaded machine keeps (a 600 ms stall of the process failed the 500 ms bound this had),
    // while a call that waited out the backoff, or failed for it, still fails the test.
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure(), {
      "grpc.initial_reconnect_backoff_ms": 20_000,
    });
    const call = echoCaller(client, 5000);
    let back: Awaited<ReturnType<typeof startEchoServer>> | undefined;
    try {
      assert.equal((await call("hi")).split(":")[0], "old");
      // The pod goes away: its connection fails and the address's subchannel backs off before it tries again.
      await servers[0].stop();
      await assert.rejects(call("while gone"), { code: grpc.status.UNAVAILABLE });
      resolution.set([]);
      await sleep(50);
      // A new pod comes up on the same address (StatefulSets and some CNIs reuse addresses) and is listed.
      back = await startEchoServer(grpc, { name: "new", host: hosts[0], port });
      resolution.set([endpoint]);
      await sleep(20);
      const started = Date.now();
      assert.equal((await call("hi")).split(":")[0], "new");
      assert.ok(Date.now() - started < 4000, `the call waited ${Date.now() - started} ms`);
      // Listed again with nothing listening, the address fails calls at once, with the connection's error.
      await back.stop();
      await assert.rejects(call("while gone"), { code: grpc.status.UNAVAILABLE });
      resolution.set([]);
      await sleep(50);
      resolution.set([endpoint]);
      await sleep(20);
      const error = await call("hi").catch((error) => error);
      assert.equal(error.code, grpc.status.UNAVAILABLE, String(error));
      assert.match(error.details, /ECONNREFUSED/);
    } finally {
      client.close();
      await back?.stop();
    }
  },
});

Deno.test({
  name: "kubernetes_round_robin connects at once to a pod that comes back on an address whose earlier connection hangs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const host = "127.0.0.78";
    const port = await freePort([host]);
    const endpoint = { addresses: [{ host, port }] };
    // The old pod is gone and its address drops packets: the connection attempt made for it hangs (here: a server
    // that accepts the connection and never answers), and grpc-js keeps it going after the endpoint leaves the list.
    const hung = await startHungServer(host, port);
    resolution.set([endpoint]);
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    let back: Awaited<ReturnType<typeof startEchoServer>> | undefined;
    try {
      await assert.rejects(echoCaller(client, 200)("to the old pod"), { code: grpc.status.DEADLINE_EXCEEDED });
      resolution.set([]);
      await sleep(50);
      // A new pod on the same address is listed while that attempt still hangs.
      await hung.stopListening();
      back = await startEchoServer(grpc, { name: "new", host, port });
      resolution.set([endpoint]);
      // The hung attempt never ends here (grpc-js has no connect timeout): a call that waited for it fails its 5 s
      // deadline. 4 s, not 500 ms: a 600 ms stall of the process failed that bound.
      const started = Date.now();
      assert.equal((await echoCaller(client, 5000)("hi")).split(":")[0], "new");
      assert.ok(Date.now() - started < 4000, `the call waited ${Date.now() - started} ms`);
    } finally {
      client.close();
      await hung.stop();
      await back?.stop();
    }
  },
});

Deno.test({
  name: "kubernetes_round_robin follows updates after a second copy of the package registers it with the same grpc-js",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers } = await backends(["c-1", "c-2"]);
    resolution.set([{ addresses: [{ host: hosts[0], port }] }]);
    const client = new EchoClient(`${SCHEME}:///echo`, grpc.credentials.createInsecure());
    // 5 s, not 1: a call sent just before a 1.2 s stall of the process failed with DEADLINE_EXCEEDED.
    const call = echoCaller(client, 5000);
    try {
      assert.equal((await call("hi")).split(":")[0], "c-1");
      // Another copy of the package in the process, beside one grpc-js (Next.js's instrumentation bundle and a route's
      // with only grpc-js external, a module loaded anew by a hot reload, two versions installed): its register()
      // puts its own policy classes in grpc-js's registry, and the config of every later resolution is one of theirs.
      const second = await import("../src/adapters/grpc_js_balancer.ts?second-copy");
      second.registerBalancer(grpc as never);
      resolution.set([{ addresses: [{ host: hosts[1], port }] }]);
      const until = Date.now() + 3000;
      let answer = "";
      while (Date.now() < until && (answer = (await call("hi")).split(":")[0]) !== "c-2") await sleep(50);
      assert.equal(answer, "c-2", "the channel's policy took the new endpoints");
    } finally {
      client.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
});

/** Backends of one unary method that answers `<name>` after the `ms` it is sent. */
async function slowBackends(names: string[]) {
  const json = {
    serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
    deserialize: (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString()),
  };
  const service = {
    wait: {
      path: "/kgr.test.Slow/Wait",
      requestStream: false,
      responseStream: false,
      requestSerialize: json.serialize,
      requestDeserialize: json.deserialize,
      responseSerialize: json.serialize,
      responseDeserialize: json.deserialize,
    },
  };
  const hosts = names.map((_, i) => `127.0.0.${80 + i}`);
  const port = await freePort(hosts);
  const servers = await Promise.all(names.map(async (name, i) => {
    const server = new grpc.Server();
    server.addService(service as never, {
      wait(call: { request: { ms: number } }, callback: (error: null, answer: string) => void) {
        setTimeout(() => callback(null, name), call.request.ms);
      },
    });
    await new Promise((resolve, reject) =>
      server.bindAsync(
        `${hosts[i]}:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => error ? reject(error) : resolve(bound),
      )
    );
    return server;
  }));
  const Client = grpc.makeGenericClientConstructor(service as never, "Slow");
  return { port, hosts, servers, Client };
}

Deno.test({
  name: "kubernetes_round_robin lets the calls in flight on a pod that left the list end, with keepalive",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { port, hosts, servers, Client } = await slowBackends(["a", "b"]);
    const [a, b] = hosts.map((host) => ({ addresses: [{ host, port }] }));
    resolution.set([a, b]);
    // grpc-js's subchannel pool drops the subchannels no policy holds every 10 s (a pool of the channel's own: 10 s
    // after its first one): the connection of one dropped then closes, and a keepalive ping fails the calls on it.
    const client = new Client(`${SCHEME}:///slow`, grpc.credentials.createInsecure(), {
      "grpc.keepalive_time_ms": 300,
      "grpc.use_local_subchannel_pool": 1,
    }) as unknown as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    const wait = (ms: number) =>
      new Promise<string>((resolve, reject) =>
        client.wait(
          { ms },
          { deadline: Date.now() + ms + 5000 },
          (error: Error | null, name: string) => error ? reject(error) : resolve(name),
        )
      );
    try {
      // Both pods answered, so both are READY and the four calls go two to each (a fixed wait could end first).
      const seen = new Set([await wait(0)]);
      const until = Date.now() + 5000;
      while (seen.size < 2 && Date.now() < until) seen.add(await wait(0));
      const calls = [wait(10_500), wait(10_500), wait(10_500), wait(10_500)].map((call) =>
        call.catch((error) => error)
      );
      await sleep(100);
      // Pod a leaves the EndpointSlice (not Ready, or scaled down) while it still runs its calls.
      resolution.set([b]);
      await sleep(50);
      assert.equal(await wait(0), "b");
      const answers = await Promise.all(calls);
      assert.deepEqual(answers.map(String).sort(), ["a", "a", "b", "b"]);
    } finally {
      client.close();
      for (const server of servers) server.forceShutdown();
    }
  },
});
