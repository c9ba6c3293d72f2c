// watchEndpoints() against the embedded fake API server: the watch state
// machine over real HTTP(S), sharing, TLS and credentials.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { watchEndpoints } from "@kgr/resolver";
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

const count = (api: FakeApiServer, kind: "list" | "watch") =>
  api.requests.filter((request) => request.kind === kind).length;

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
    assert.equal(count(api, "list"), 1);
    const resumed = api.requests.filter((request) => request.kind === "watch")[1];
    assert.notEqual(resumed.query.resourceVersion, "0");
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
    assert.equal(count(api, "list"), 2);
    assert.equal(watch.errors.filter((error) => /expired|410/i.test(error.message)).length, 0);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() restarts a watch that stalls", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 60_000 });
  apply(api, ["a"]);
  const watch = follow({ kubeconfig: api.kubeconfig() }, { stallTimeoutMs: 300 });
  try {
    await eventually(() => count(api, "watch") >= 3, "two stall restarts");
    assert.equal(count(api, "list"), 1);
    assert.match(watch.errors[0].message, /stalled/);
  } finally {
    await watch.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() shares one LIST and WATCH among many callers and stops with the last", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  const kubeconfig = api.kubeconfig();
  const cluster = { kubeconfig };
  const watches = Array.from({ length: 50 }, () => follow(cluster));
  try {
    await eventually(() => watches.every((watch) => watch.pods() === "a"), "every caller's snapshot");
    assert.equal(count(api, "list"), 1);
    assert.equal(api.openWatches, 1);
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

Deno.test("watchEndpoints() gives a caller with other timings a watch of its own, with those timings", async () => {
  const api = await startFakeApiServer({ token: "t", bookmarkIntervalMs: 60_000 });
  apply(api, ["a"]);
  const cluster = { kubeconfig: api.kubeconfig() };
  const patient = follow(cluster);
  try {
    await eventually(() => patient.pods() === "a", "the first caller's snapshot");
    const hasty = follow(cluster, { stallTimeoutMs: 300 });
    try {
      await eventually(() => hasty.errors.some((error) => /stalled/.test(error.message)), "the second caller's stall");
      assert.equal(hasty.pods(), "a");
      assert.equal(patient.errors.length, 0, "the first caller's watch keeps its own 150 s stall timeout");
    } finally {
      await hasty.stop();
    }
  } finally {
    await patient.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() hands a caller that joins a failing watch the last error at once", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, ["a"]);
  api.failNext(100, { status: 403, path: "list" });
  const cluster = { kubeconfig: api.kubeconfig() };
  const first = follow(cluster, { initialMs: 10_000, maxMs: 20_000 });
  try {
    await eventually(() => first.errors.length === 1, "the first caller's error");
    const joined = Date.now();
    const second = follow(cluster, { initialMs: 10_000, maxMs: 20_000 });
    try {
      await eventually(() => second.errors.length === 1, "the second caller's error", 1000);
      assert.ok(Date.now() - joined < 1000);
      assert.match(second.errors[0].message, /grant "list" and "watch"/);
      assert.equal(count(api, "list"), 1, "the second caller shares the failing watch");
    } finally {
      await second.stop();
    }
  } finally {
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
