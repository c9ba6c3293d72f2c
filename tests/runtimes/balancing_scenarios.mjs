// Cross-runtime scenarios of load balancing: how channels behave, with our
// policy and grpc-js's own, as a user would see it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "nice-grpc";
import { createChannel } from "@kgr/resolver/nice-grpc";
import { endpointSlice } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer } from "../../scripts/echo_service.mjs";
import { cluster, EchoClient, eventually, NAMESPACE, sleep } from "./_cluster.mjs";
import { childEnv } from "../_child_env.mjs";

/** Whether the grpc-js these scenarios use is this version or newer. */
function grpcJsAtLeast(major, minor) {
  const [actualMajor, actualMinor] = createRequire(import.meta.url)("@grpc/grpc-js/package.json").version.split(".")
    .map(Number);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

/** A grpc-js client's channel and a call through it that resolves to its error (null on success). */
function grpcJs(target, options) {
  const client = new EchoClient(target, grpc.credentials.createInsecure(), options);
  const call = echoCaller(client, 3000);
  return { channel: client.getChannel(), fail: () => call("hi").then(() => null, (error) => error) };
}

/**
 * The same through a nice-grpc client of `@kgr/resolver/nice-grpc`'s createChannel(), whose resolver reads the fake
 * cluster `k8s` (nice-grpc may have a grpc-js copy of its own, with its own registry).
 */
function niceGrpc(k8s, target, options) {
  const resolver = { cluster: { kubeconfig: k8s.api.kubeconfig({ namespace: NAMESPACE }) } };
  const channel = createChannel(target, undefined, { ...options, resolver });
  const client = createClient(EchoService, channel);
  const fail = () => client.echo({ message: "hi" }, { deadline: Date.now() + 3000 }).then(() => null, (error) => error);
  return { channel, fail };
}

/** A pod whose server answers every call with UNAVAILABLE, counting them. */
async function startFailingPod(host, port) {
  const server = new grpc.Server();
  const pod = {
    calls: 0,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  server.addService(EchoService, {
    echo(_call, callback) {
      pod.calls++;
      callback({ code: grpc.status.UNAVAILABLE, details: "this pod fails every call" });
    },
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(
      `${host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => (error ? reject(error) : resolve()),
    )
  );
  return pod;
}

/** The scenarios, by name (merged into scenarios.mjs's). */
export const balancingScenarios = {
  async "after the channel went idle, a Service without a ready pod still fails calls with why and what to check"() {
    const k8s = await cluster("k8s-idle-empty", 90);
    await k8s.startPod("echo-0", k8s.hosts[0]);
    k8s.setConditions("echo-0", { ready: false });
    const target = `k8s-idle-empty:///echo.${NAMESPACE}:grpc`;
    const idle = { "grpc.client_idle_timeout_ms": 1000 };
    const ownPolicy = (policy) => ({
      ...idle,
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [policy] }),
    });
    const channels = {
      "the default policy": grpcJs(target, idle),
      "nice-grpc": niceGrpc(k8s, target, idle),
      "round_robin": grpcJs(target, ownPolicy({ round_robin: {} })),
      "pick_first": grpcJs(target, ownPolicy({ pick_first: {} })),
    };
    const advice = /no ready endpoints for service echo in namespace e2e: none of its endpoints is ready: check/;
    try {
      for (const [name, { channel, fail }] of Object.entries(channels)) {
        for (const when of ["at first", "after the channel went idle"]) {
          if (when !== "at first") {
            await eventually(
              () => channel.getConnectivityState(false) === grpc.connectivityState.IDLE,
              5000,
              `${name}: the channel to go idle`,
            );
          }
          const error = await fail();
          assert.equal(error?.code, grpc.status.UNAVAILABLE, `${name} ${when}: ${error}`);
          assert.match(error.details, advice, `${name} ${when}: ${error.details}`);
        }
      }
    } finally {
      for (const { channel } of Object.values(channels)) channel.close();
      await k8s.close();
    }
  },

  async "idle channels release their shared watch, and come back to the pods of now, none of them stale"() {
    const k8s = await cluster("k8s-idle-back", 180);
    await k8s.startPod("echo-0", k8s.hosts[0]);
    await k8s.startPod("echo-1", k8s.hosts[1]);
    const target = `k8s-idle-back:///echo.${NAMESPACE}:grpc`;
    const idle = { "grpc.client_idle_timeout_ms": 1000 };
    const channels = {
      "the default policy": grpcJs(target, idle),
      "another channel of the default policy": grpcJs(target, idle),
      "round_robin": grpcJs(target, {
        ...idle,
        "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      }),
    };
    /**
     * The pods that answer a channel's calls, made until every pod of `expected` answered (at most 200: the first
     * calls after a channel leaves idle go to the first pod that connects); any failure fails the scenario.
     */
    const podsOf = async (name, { channel }, expected) => {
      const client = new EchoClient(target, grpc.credentials.createInsecure(), { channelOverride: channel });
      const pods = new Set();
      for (let i = 0; i < 200 && !expected.every((pod) => pods.has(pod)); i++) {
        pods.add((await echoCaller(client, 3000)(name)).split(":")[0]);
      }
      return [...pods].sort();
    };
    try {
      for (const [name, channel] of Object.entries(channels)) {
        assert.deepEqual(await podsOf(name, channel, ["echo-0", "echo-1"]), ["echo-0", "echo-1"], name);
      }
      assert.equal(k8s.api.openWatches, 1, "one watch for every channel of the Service");
      const states = () => Object.values(channels).map(({ channel }) => channel.getConnectivityState(false));
      await eventually(() => states().every((s) => s === grpc.connectivityState.IDLE), 5000, "the channels to go idle");
      await eventually(() => k8s.api.openWatches === 0, 2000, "the idle channels to release the watch");
      // While they are idle, a pod leaves (its server stops) and another comes.
      await k8s.removePod("echo-0", { gracePeriodMs: 0 });
      await k8s.startPod("echo-2", k8s.hosts[2]);
      for (const [name, channel] of Object.entries(channels)) {
        assert.deepEqual(await podsOf(name, channel, ["echo-1", "echo-2"]), ["echo-1", "echo-2"], name);
      }
      assert.equal(k8s.api.openWatches, 1, "one watch again");
    } finally {
      for (const { channel } of Object.values(channels)) channel.close();
      await k8s.close();
    }
  },

  async "calls queued while the pods connect fail with why and what to check when the Service scales to zero"() {
    // Before 1.14, grpc-js counts a connection READY before the server's HTTP/2 settings: a silent pod takes calls.
    if (!grpcJsAtLeast(1, 14)) return;
    const k8s = await cluster("k8s-queued-zero", 100);
    // A pod that accepts connections and never answers: its channels stay CONNECTING, their calls queued.
    const sockets = new Set();
    const silent = createServer((socket) => sockets.add(socket.on("error", () => {})));
    await new Promise((resolve) => silent.listen(k8s.port, k8s.hosts[0], resolve));
    const publish = (ready) =>
      k8s.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "hang",
        port: { name: "grpc", port: k8s.port },
        endpoints: [{ ip: k8s.hosts[0], pod: "hang-0", ready }],
      }));
    publish(true);
    const target = `k8s-queued-zero:///hang.${NAMESPACE}:grpc`;
    const channels = {
      "the default policy": new EchoClient(target, grpc.credentials.createInsecure()),
      "round_robin": new EchoClient(target, grpc.credentials.createInsecure(), {
        "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      }),
    };
    const advice = /no ready endpoints for service hang in namespace e2e: none of its endpoints is ready: check/;
    try {
      const queued = Object.entries(channels).map(([name, client]) =>
        echoCaller(client, 5000)("hi").then(
          () => assert.fail(`${name}: the call succeeded`),
          (error) => ({ name, error }),
        )
      );
      await eventually(
        () => Object.values(channels).every((client) => client.getChannel().getConnectivityState(false) === 1),
        5000,
        "the channels to connect",
      );
      // CONNECTING comes before the first resolution: give it time to hand the pod over and queue the calls for it.
      await sleep(500);
      publish(false);
      for (const { name, error } of await Promise.all(queued)) {
        assert.equal(error.code, grpc.status.UNAVAILABLE, `${name}: ${error}`);
        assert.match(error.details, advice, `${name}: ${error.details}`);
      }
    } finally {
      for (const client of Object.values(channels)) client.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await k8s.close();
    }
  },

  async "register({ loadBalancing: 'pick_first' }): a connected channel stops calling its pod once none is ready"() {
    // grpc-js's pick_first keeps its connection when handed no endpoints: an unready pod that still listened kept
    // every call, where the README promises that calls fail at once with any policy.
    const k8s = await cluster("k8s-pick-first", 120, { loadBalancing: "pick_first" });
    await k8s.startPod("echo-0", k8s.hosts[0]);
    const client = new EchoClient(`k8s-pick-first:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
    const call = echoCaller(client, 3000);
    const advice = /no ready endpoints for service echo in namespace e2e: none of its endpoints is ready: check/;
    try {
      assert.equal(await call("hi"), "echo-0:hi");
      k8s.setConditions("echo-0", { ready: false });
      await eventually(
        () => call("hi").then(() => false, (error) => advice.test(error.details)),
        5000,
        "calls to fail",
      );
      const started = Date.now();
      const error = await call("hi").then(() => null, (error) => error);
      assert.equal(error?.code, grpc.status.UNAVAILABLE, String(error));
      assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started} ms, not at once`);
      k8s.setConditions("echo-0", {});
      await eventually(() => call("hi").then(() => true, () => false), 5000, "calls to succeed once the pod is ready");
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "when every pod refuses connections, calls fail at once naming the Service and the last connection error"() {
    const k8s = await cluster("k8s-refused", 110);
    for (let i = 0; i < 2; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
    // The pods stay Ready but stop listening: every connection attempt is refused.
    await Promise.all([...k8s.pods.values()].map((pod) => pod.server.stop()));
    const target = `k8s-refused:///echo.${NAMESPACE}:grpc`;
    const channels = { "grpc-js": grpcJs(target), "nice-grpc": niceGrpc(k8s, target) };
    try {
      for (const [name, { fail }] of Object.entries(channels)) {
        const started = Date.now();
        const error = await fail();
        assert.equal(error?.code, grpc.status.UNAVAILABLE, `${name}: ${error}`);
        assert.match(
          error.details,
          /^No connection to any endpoint of service echo in namespace e2e: last error: .*ECONNREFUSED 127\.0\.0\.11[01]:\d+/,
          `${name}: ${error.details}`,
        );
        assert.ok(Date.now() - started < 2000, `${name}: failed after ${Date.now() - started} ms`);
      }
    } finally {
      for (const { channel } of Object.values(channels)) channel.close();
      await k8s.api.close();
    }
  },

  async "subsetting: a channel calls only its subset; one seed gives grpc-js and nice-grpc the same; a pod that leaves is replaced by one"() {
    const subset = { subsetSize: 3, subsetSeed: 7 };
    const k8s = await cluster("k8s-subset", 140, subset);
    for (let i = 0; i < 6; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
    const target = `k8s-subset:///echo.${NAMESPACE}:grpc`;
    const grpcJsClient = new EchoClient(target, grpc.credentials.createInsecure());
    const channel = createChannel(target, undefined, {
      resolver: { cluster: { kubeconfig: k8s.api.kubeconfig({ namespace: NAMESPACE }) }, ...subset },
    });
    const niceClient = createClient(EchoService, channel);
    const calls = {
      "grpc-js": echoCaller(grpcJsClient, 3000),
      "nice-grpc": async (message) => (await niceClient.echo({ message }, { deadline: Date.now() + 3000 })).message,
    };
    /** The pods that answer 60 calls, once every pod of the subset had time to connect. */
    const podsCalled = async (call) => {
      await call("warm-up");
      await sleep(300);
      const pods = new Set();
      for (let i = 0; i < 60; i++) pods.add((await call("hi")).split(":")[0]);
      return [...pods].sort();
    };
    try {
      const before = await podsCalled(calls["grpc-js"]);
      assert.equal(before.length, 3, `grpc-js called ${before}`);
      assert.deepEqual(await podsCalled(calls["nice-grpc"]), before, "nice-grpc, same size and seed");
      await k8s.removePod(before[0]);
      for (const [name, call] of Object.entries(calls)) {
        await eventually(async () => !(await podsCalled(call)).includes(before[0]), 5000, `${name} to leave the pod`);
        const after = await podsCalled(call);
        assert.equal(after.length, 3, `${name} called ${after}`);
        assert.deepEqual(
          after.filter((pod) => before.includes(pod)),
          before.slice(1),
          `${name}: ${before} -> ${after}`,
        );
      }
    } finally {
      grpcJsClient.close();
      channel.close();
      await k8s.close();
    }
  },

  async "a pod that comes back on the IP of one that died is called at once, not after the dead one's backoff"() {
    const k8s = await cluster("k8s-same-ip", 150);
    await k8s.startPod("old", k8s.hosts[0]);
    const client = new EchoClient(`k8s-same-ip:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
    const call = echoCaller(client, 3000);
    try {
      assert.equal(await call("hi"), "old:hi");
      // The container dies while its pod is still listed: calls fail and the address backs off.
      await k8s.pods.get("old").server.stop();
      await assert.rejects(call("hi"), { code: grpc.status.UNAVAILABLE });
      k8s.setConditions("old", { ready: false });
      // The resolver has dropped it once calls fail for want of a ready pod (a fixed pause lost this race on a
      // busy machine: the replacement then came up under the dead address's backoff).
      await eventually(
        async () => /none of its endpoints is ready/.test((await call("hi").catch((error) => error)).details),
        5000,
        "calls to fail for want of a ready pod",
      );
      // Its replacement (a StatefulSet pod, or a CNI that hands the IP out again) comes up on the same address.
      k8s.pods.delete("old");
      await k8s.startPod("new", k8s.hosts[0]);
      await sleep(100);
      const started = Date.now();
      assert.equal(await call("hi"), "new:hi");
      assert.ok(Date.now() - started < 500, `the call took ${Date.now() - started} ms`);
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "a pod that comes back on the IP of one whose connection hangs is called at once, not when that connection gives up"() {
    // Before 1.14, grpc-js counts a connection READY before the server's HTTP/2 settings: a silent pod takes calls.
    if (!grpcJsAtLeast(1, 14)) return;
    const k8s = await cluster("k8s-hung-ip", 170);
    const publish = (pod) =>
      k8s.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "hung",
        port: { name: "grpc", port: k8s.port },
        endpoints: pod ? [{ ip: k8s.hosts[0], pod }] : [],
      }));
    // The old pod is gone and its address drops packets (here: accepts connections and never answers): the
    // connection grpc-js makes for it hangs, and goes on after the pod left the list.
    const sockets = new Set();
    const silent = createServer((socket) => sockets.add(socket.on("error", () => {})));
    await new Promise((resolve) => silent.listen(k8s.port, k8s.hosts[0], resolve));
    publish("old");
    const client = new EchoClient(`k8s-hung-ip:///hung.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
    let replacement;
    try {
      await assert.rejects(echoCaller(client, 300)("hi"), { code: grpc.status.DEADLINE_EXCEEDED });
      publish(undefined);
      await eventually(
        async () => /list no pod/.test((await echoCaller(client, 3000)("hi").catch((error) => error)).details),
        5000,
        "calls to fail for want of a pod",
      );
      // Its replacement comes up on the same address while that connection still hangs.
      silent.close();
      replacement = await startEchoServer(grpc, { name: "new", host: k8s.hosts[0], port: k8s.port });
      publish("new");
      const started = Date.now();
      // Calls fail at once until the resolver has the new pod; the first one after that waits for its connection.
      let answer;
      while ((answer = await echoCaller(client, 3000)("hi").catch((error) => error)) instanceof Error) {
        assert.match(answer.details, /list no pod/, `the new pod did not answer: ${answer.details}`);
        await sleep(20);
      }
      assert.equal(answer, "new:hi");
      assert.ok(Date.now() - started < 1000, `the new pod answered after ${Date.now() - started} ms`);
    } finally {
      client.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await replacement?.stop();
      await k8s.close();
    }
  },

  async "TLS pods: a certificate without the target's service.namespace fails calls naming the option to set"() {
    const k8s = await cluster("k8s-tls-name", 130);
    // A pod serving tests/fixtures/server.pem, issued for localhost (as for echo.prod.svc.cluster.local): not "echo.e2e".
    const pod = spawn("node", [
      new URL("_tls_echo_backend.mjs", import.meta.url).pathname,
      "tls-0",
      k8s.hosts[0],
      String(k8s.port),
    ], { env: childEnv(), stdio: ["pipe", "pipe", "inherit"] });
    const target = `k8s-tls-name:///echo.${NAMESPACE}:grpc`;
    const credentials = grpc.credentials.createSsl(readFileSync(new URL("../fixtures/ca.pem", import.meta.url)));
    const plain = new EchoClient(target, credentials);
    const overridden = new EchoClient(target, credentials, { "grpc.ssl_target_name_override": "localhost" });
    try {
      await new Promise((resolve, reject) => {
        pod.stdout.once("data", resolve);
        pod.once("exit", (code) => reject(new Error(`The TLS pod exited with ${code}`)));
      });
      k8s.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        name: "echo-tls",
        port: { name: "grpc", port: k8s.port },
        endpoints: [{ ip: k8s.hosts[0], pod: "tls-0" }],
      }));
      const error = await echoCaller(plain, 3000)("hi").then(() => null, (error) => error);
      assert.equal(error?.code, grpc.status.UNAVAILABLE, String(error));
      assert.match(error.details, /Host: echo\.e2e\. is not in the cert's altnames/, error.details);
      assert.match(
        error.details,
        /set that option to a name the certificate holds \(it holds "localhost"\)/,
        error.details,
      );
      assert.match(await echoCaller(overridden, 3000)("hi"), /^tls-0:/);
    } finally {
      plain.close();
      overridden.close();
      pod.stdin.end();
      await k8s.close();
    }
  },

  async "a channel's own service config: a retryPolicy retries on another pod, and outlier_detection ejects a failing pod, through kubernetes_round_robin as through round_robin"() {
    const k8s = await cluster("k8s-own-config", 190);
    await k8s.startPod("echo-0", k8s.hosts[0]);
    await k8s.startPod("echo-1", k8s.hosts[1]);
    const failing = await startFailingPod(k8s.hosts[2], k8s.port);
    k8s.pods.set("failing", { name: "failing", host: k8s.hosts[2], conditions: {}, server: failing });
    k8s.setConditions("failing", {});
    const target = `k8s-own-config:///echo.${NAMESPACE}:grpc`;
    const retryPolicy = {
      maxAttempts: 3,
      initialBackoff: "0.01s",
      maxBackoff: "0.1s",
      backoffMultiplier: 2,
      retryableStatusCodes: ["UNAVAILABLE"],
    };
    // grpc-js 1.14 wants its own spelling: child_policy, and durations as { seconds, nanos }.
    const outlierDetection = (childPolicy) => ({
      outlier_detection: {
        interval: { seconds: 0, nanos: 200_000_000 },
        base_ejection_time: { seconds: 30, nanos: 0 },
        max_ejection_percent: 50,
        failure_percentage_ejection: {
          threshold: 50,
          enforcement_percentage: 100,
          minimum_hosts: 3,
          request_volume: 3,
        },
        child_policy: [childPolicy],
      },
    });
    const clients = [];
    const caller = (serviceConfig) => {
      const client = new EchoClient(target, grpc.credentials.createInsecure(), {
        "grpc.service_config": JSON.stringify(serviceConfig),
      });
      clients.push(client);
      return echoCaller(client, 3000);
    };
    /** The answers of `count` calls made one after the other, per pod, and the failures. */
    const tally = async (call, count) => {
      const answers = {};
      const failures = [];
      for (let i = 0; i < count; i++) {
        await call("hi").then(
          (answer) => answers[answer.split(":")[0]] = (answers[answer.split(":")[0]] ?? 0) + 1,
          (error) => failures.push(error.details),
        );
      }
      return { answers, failures };
    };
    try {
      for (const policy of ["kubernetes_round_robin", "round_robin"]) {
        const retried = caller({
          loadBalancingConfig: [{ [policy]: {} }],
          methodConfig: [{ name: [{}], retryPolicy }],
        });
        await retried("warm-up");
        await sleep(200);
        const before = failing.calls;
        const { answers, failures } = await tally(retried, 30);
        assert.deepEqual(failures, [], `${policy} with a retryPolicy`);
        assert.deepEqual(Object.keys(answers).sort(), ["echo-0", "echo-1"], `${policy}: ${JSON.stringify(answers)}`);
        assert.ok(failing.calls - before >= 5, `${policy}: the failing pod got ${failing.calls - before} attempts`);

        const ejecting = caller({ loadBalancingConfig: [outlierDetection({ [policy]: {} })] });
        await ejecting("warm-up").catch(() => {});
        await sleep(200);
        await eventually(
          async () => {
            const before = failing.calls;
            await tally(ejecting, 10);
            return failing.calls === before;
          },
          5000,
          `${policy} under outlier_detection: the failing pod to be ejected`,
        );
        const after = await tally(ejecting, 30);
        assert.deepEqual(after.failures, [], `${policy} under outlier_detection, once the pod was ejected`);
        assert.deepEqual(Object.keys(after.answers).sort(), ["echo-0", "echo-1"], JSON.stringify(after.answers));
      }
    } finally {
      for (const client of clients) client.close();
      await k8s.close();
    }
  },
};
