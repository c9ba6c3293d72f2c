// A client's memory through a long rollout (see Known issues in the README): PODS pods (1,000) on loopback addresses
// (127.77.x.y, one Node process serves them all), STEP of them (20) replaced every STEP_MS (200) for SECONDS (300, at
// most 600), a grpc-js channel making unary calls CONCURRENCY (4) at a time. A replaced pod's address comes back
// SPARE (2,000) addresses later (20 s at these rates, after grpc-js's subchannel pool has let go of it), as a cluster
// reuses pod IPs. Runs on Node, Bun and Deno:
//   MODE=kubernetes node --expose-gc scripts/rollout_memory.mjs
//   MODE=resolver bun scripts/rollout_memory.mjs
//   deno run -A --v8-flags=--expose-gc scripts/rollout_memory.mjs
// MODE kubernetes: register() and the fake API server (the resolver's own policy; POLICY=round_robin for grpc-js's);
// MODE resolver: a resolver of this script's own (no @kgr/resolver code in the channel) handing grpc-js's round_robin
// the same endpoint lists. Prints a JSON line every SAMPLE_MS (5,000): RSS and its peak, V8's heap used and total,
// its young and old generations, external memory, array buffers, open sockets and calls (FORCE_GC=1: each after a
// full garbage collection, so the live size); then one after the channel is closed and garbage collected, and
// (HOLD_S) one every 10 s for that long after. MAX_AGE_MS sets the pods' grpc.max_connection_age_ms.
import process from "node:process";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics } from "node:v8";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { openSockets } from "./open_sockets.mjs";
import { freePort } from "./echo_service.mjs";
import { childEnv } from "../tests/_child_env.mjs";

const METHOD = "/echo.Echo/Echo";
const same = (bytes) => bytes;

/** The address of pool slot `index`: 127.77.0.1 onward. */
function poolAddress(index) {
  return `127.77.${Math.floor(index / 250)}.${index % 250 + 1}`;
}

if (process.argv[2] === "--pods") {
  const [, , , count, port, maxAgeMs] = process.argv;
  const server = new grpc.Server(+maxAgeMs > 0 ? { "grpc.max_connection_age_ms": +maxAgeMs } : {});
  server.register(METHOD, (call, done) => done(null, call.request), same, same, "unary");
  for (let i = 0; i < +count; i++) {
    await new Promise((resolve, reject) =>
      server.bindAsync(
        `${poolAddress(i)}:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (error) => error ? reject(error) : resolve(),
      )
    );
  }
  process.stdout.write("ready\n");
  setTimeout(() => process.exit(0), 700_000).unref();
  process.stdin.on("end", () => process.exit(0)).resume();
  await new Promise(() => {});
}

const env = process.env;
const mode = env.MODE ?? "kubernetes";
const policy = env.POLICY ?? (mode === "kubernetes" ? "kubernetes_round_robin" : "round_robin");
const pods = +(env.PODS ?? 1000);
const step = +(env.STEP ?? 20);
const stepMs = +(env.STEP_MS ?? 200);
const seconds = Math.min(+(env.SECONDS ?? 300), 600);
const concurrency = +(env.CONCURRENCY ?? 4);
const sampleMs = +(env.SAMPLE_MS ?? 5000);
const spareCount = +(env.SPARE ?? 2000);
const maxAgeMs = +(env.MAX_AGE_MS ?? 0);
// One port for every pool address, below the kernel's ephemeral range and free on each of them.
const port = await freePort(Array.from({ length: pods + spareCount }, (_, index) => poolAddress(index)));
const runtime = typeof Deno !== "undefined"
  ? `deno ${Deno.version.deno}`
  : process.versions.bun
  ? `bun ${process.versions.bun}`
  : `node ${process.version}`;

const server = spawn("node", [
  fileURLToPath(import.meta.url),
  "--pods",
  String(pods + spareCount),
  String(port),
  String(maxAgeMs),
], { env: childEnv(), stdio: ["pipe", "pipe", "inherit"] });
await new Promise((resolve, reject) => {
  server.stdout.once("data", resolve);
  server.once("exit", (code) => reject(new Error(`the pods' server exited with code ${code}`)));
});

// live[i] is the pool slot of pod i; slots not live wait in `spare`, oldest first.
const live = Array.from({ length: pods }, (_, i) => i);
const spare = Array.from({ length: spareCount }, (_, i) => pods + i);
const sliceOf = (slice) =>
  endpointSlice({
    namespace: "default",
    service: "echo",
    name: `echo-${slice}`,
    port: { name: "grpc", port },
    endpoints: live.slice(slice * 100, slice * 100 + 100).map((slot) => ({
      ip: poolAddress(slot),
      pod: `echo-${slot}`,
      ready: true,
    })),
  });

/** A resolver of this script's own: every live channel gets the whole list at each step. */
const listeners = new Set();
const roundRobin = { ok: true, value: { loadBalancingConfig: [{ round_robin: {} }], methodConfig: [] } };
function publish(listener) {
  const endpoints = live.map((slot) => ({ addresses: [{ host: poolAddress(slot), port }] }));
  listener({ ok: true, value: endpoints }, {}, roundRobin, "");
}
class RolloutResolver {
  constructor(_target, listener) {
    this.listener = listener;
  }
  updateResolution() {
    listeners.add(this.listener);
    setTimeout(() => listeners.has(this.listener) && publish(this.listener), 0);
  }
  destroy() {
    listeners.delete(this.listener);
  }
  static getDefaultAuthority() {
    return "echo";
  }
}

let fake;
let target;
const options = {};
if (mode === "kubernetes") {
  fake = await startFakeApiServer();
  for (let slice = 0; slice < pods / 100; slice++) fake.applySlice(sliceOf(slice));
  register({ grpc, cluster: { server: fake.url }, locality: {}, loadBalancing: policy });
  target = "kubernetes:///echo.default:grpc";
} else {
  grpc.experimental.registerResolver("rollout", RolloutResolver);
  target = "rollout:echo";
}

let replaced = 0;
let cursor = 0;
function rollOnce() {
  for (let i = 0; i < step; i++) {
    spare.push(live[(cursor + i) % pods]);
    live[(cursor + i) % pods] = spare.shift();
  }
  if (fake) {
    fake.applySlice(sliceOf(Math.floor(cursor / 100)));
    // The fake server keeps up to 10,000 changes (historyLimit) since its last compaction: keep its share of this
    // process small.
    if (replaced % (step * 50) === 0) fake.compact();
  } else for (const listener of listeners) publish(listener);
  replaced += step;
  cursor = (cursor + step) % pods;
}

const mib = (bytes) => Math.round(bytes / 2 ** 20 * 10) / 10;
const began = performance.now();
const calls = { ok: 0, failed: 0, kinds: {} };
const collect = globalThis.gc ?? (globalThis.Bun ? () => Bun.gc(true) : undefined);
function sample(label) {
  if (env.FORCE_GC === "1") collect?.();
  const memory = process.memoryUsage();
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (name) => +(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]));
  console.log(JSON.stringify({
    runtime,
    mode,
    policy,
    label,
    s: Math.round((performance.now() - began) / 1000),
    replaced,
    rss: mib(kib("VmRSS") * 1024),
    peak: mib(kib("VmHWM") * 1024),
    anon: mib(kib("RssAnon") * 1024),
    heapUsed: mib(memory.heapUsed),
    heapTotal: mib(memory.heapTotal),
    newSpace: mib(spaces.new_space ?? 0),
    oldSpace: mib(spaces.old_space ?? 0),
    largeObjects: mib(spaces.large_object_space ?? 0),
    external: mib(memory.external),
    arrayBuffers: mib(memory.arrayBuffers ?? 0),
    sockets: openSockets(),
    ok: calls.ok,
    failed: calls.failed,
  }));
}

const client = new grpc.Client(target, grpc.credentials.createInsecure(), options);
const payload = Buffer.from("x");
const until = performance.now() + seconds * 1000;
let inFlight = 0;
const finished = new Promise((resolve) => {
  const next = () => {
    if (performance.now() > until) {
      if (--inFlight === 0) resolve();
      return;
    }
    client.makeUnaryRequest(METHOD, same, same, payload, { deadline: Date.now() + 2000 }, (error) => {
      if (error) {
        calls.failed++;
        const kind = `${error.code} ${error.details}`.slice(0, 100);
        calls.kinds[kind] = (calls.kinds[kind] ?? 0) + 1;
      } else calls.ok++;
      setTimeout(next, 1);
    });
  };
  for (; inFlight < concurrency; inFlight++) next();
});
const rolling = setInterval(rollOnce, stepMs);
const sampling = setInterval(() => sample("run"), sampleMs);
await finished;
clearInterval(rolling);
clearInterval(sampling);
sample("end");
client.close();
for (let i = 0; i < 10; i++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  collect?.();
}
sample("closed");
for (let held = 0; held < +(env.HOLD_S ?? 0); held += 10) {
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  collect?.();
  sample("held");
}
console.log(JSON.stringify({ runtime, mode, policy, failures: calls.kinds }));
server.kill("SIGKILL");
await fake?.close();
process.exit(0);
