// Graceful stops of pods that stop together, on loopback (README, "Abrupt failures"). Runs on Node, Bun and Deno:
//   N=10 K=5 TIMING=spread1 POLICY=kubernetes_round_robin node scripts/graceful_stops.mjs
//   (bun scripts/graceful_stops.mjs, deno run -A scripts/graceful_stops.mjs)
// Starts N grpc-js servers on 127.3.x.y (PER addresses each, one pod per address), the fake API server, and a
// client through register({ grpc }) that makes RATE calls a second (deadline 1 s). Each of STOPS cycles stops K
// servers with tryShutdown (GOAWAY), then writes K new ones into the slices. TIMING: goaway (the slices drop the
// pods 300 ms later), same / before / after (the slices mark them terminating in the same instant, 100 ms before,
// 20 ms after), spread<ms> (one server after the other, <ms> apart). RETRY=1 adds the README's retryPolicy.
// PROCS=1 runs each pod as a Node process of its own, stopped by SIGTERM (as the end-to-end tests' test hosts are),
// where the servers otherwise share the client's process and stop in the same turn. ZONED=1 puts the K pods that
// stop in the client's zone (the slices hint PreferSameZone) and the others in another: a call the first pod
// refuses can then be retried only on its sibling, as with a zone's pods on the real controller.
// Prints one JSON line: failed calls, per stop, and call latency (p50/p99) between and during the stops.
// Bounded: about 3.5 s plus 1.3 s a stop (pods stop by themselves after 10 minutes).
import process from "node:process";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { retryServiceConfig } from "./retry_service_config.mjs";
import { freePort } from "./echo_service.mjs";
import { childEnv } from "../tests/_child_env.mjs";

const METHOD = "/echo.Echo/Echo";
const id = (b) => b;
const echo = (call, cb) => setTimeout(() => cb(null, call.request), 1);
if (process.argv[2] === "--pod") {
  // A pod of PROCS=1: serves on the given address, shuts down gracefully on SIGTERM, prints "ready".
  const [, , , address] = process.argv;
  const server = new grpc.Server();
  server.register(METHOD, echo, id, id, "unary");
  await new Promise((res, rej) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => e ? rej(e) : res())
  );
  process.on("SIGTERM", () => server.tryShutdown(() => {}));
  process.stdout.write("ready\n");
  setTimeout(() => process.exit(0), 600_000).unref();
  await new Promise(() => {});
}
const [N, K, timing, policy, stops, rate, retry] = [
  +process.env.N,
  +process.env.K,
  process.env.TIMING,
  process.env.POLICY,
  +(process.env.STOPS ?? 8),
  +(process.env.RATE ?? 400),
  process.env.RETRY === "1",
];
if (!(N > 0 && K > 0 && K <= N) || !/^(goaway|same|before|after|spread\d+)$/.test(timing ?? "") || !policy) {
  throw new Error("set N, K (at most N), TIMING (goaway, same, before, after, spread<ms>) and POLICY");
}
const procs = process.env.PROCS === "1", zoned = process.env.ZONED === "1";
const PER = +(process.env.PER ?? 1);
if (procs && PER !== 1) throw new Error("PROCS=1 runs one address a pod: leave PER unset");
// Every address a pod gets, in order: N pods at first and K more a stop, PER addresses each. They all share one port,
// picked below the kernel's ephemeral range and free on each of them.
const addresses = Array.from(
  { length: (N + stops * K) * PER },
  (_, i) => `127.3.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}`,
);
const PORT = await freePort(addresses);
const fake = await startFakeApiServer();
const ns = "default", service = "echo";
let pods = []; // { ip, server, ready, zone }
let sliceCount = 0;
function writeSlice() {
  const chunks = [];
  for (let i = 0; i < pods.length; i += 100) chunks.push(pods.slice(i, i + 100));
  chunks.forEach((chunk, c) =>
    fake.applySlice(endpointSlice({
      namespace: ns,
      service,
      name: `${service}-${c}`,
      port: { name: "grpc", port: PORT },
      trafficDistribution: zoned ? "PreferSameZone" : undefined,
      endpoints: chunk.map((p) => ({
        zone: zoned ? p.zone : undefined,
        ip: p.ip,
        pod: `echo-${p.ip}`,
        ready: p.ready,
        serving: true,
        terminating: !p.ready,
      })),
    }))
  );
  for (let c = chunks.length; c < sliceCount; c++) fake.deleteSlice(ns, `${service}-${c}`);
  sliceCount = chunks.length;
}
let nextIp = 0;
const nextIpAddress = () => addresses[nextIp++];
/** A pod in a process of its own: `server` has the two methods the stops use. */
async function startPodProcess(zone) {
  const ip = nextIpAddress();
  const child = spawn("node", [fileURLToPath(import.meta.url), "--pod", `${ip}:${PORT}`], {
    env: childEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((res, rej) => {
    child.stdout.once("data", res);
    child.once("exit", (code) => rej(new Error(`the pod at ${ip} exited with code ${code}`)));
  });
  const server = { tryShutdown: () => child.kill("SIGTERM"), forceShutdown: () => child.kill("SIGKILL") };
  const pod = { ip, server, ready: true, zone };
  pods.push(pod);
  return [pod];
}
async function startPod(zone = "zone-a") {
  if (procs) return startPodProcess(zone);
  const server = new grpc.Server();
  server.register(METHOD, echo, id, id, "unary");
  const group = [];
  for (let a = 0; a < PER; a++) {
    const ip = nextIpAddress();
    await new Promise((res, rej) =>
      server.bindAsync(`${ip}:${PORT}`, grpc.ServerCredentials.createInsecure(), (e) => e ? rej(e) : res())
    );
    const pod = { ip, server, ready: true, zone };
    pods.push(pod);
    group.push(pod);
  }
  return group;
}
for (let i = 0; i < N; i++) await startPod(i < K ? "zone-a" : "zone-b");
writeSlice();
register({ grpc, cluster: { server: fake.url }, loadBalancing: policy, locality: zoned ? { zone: "zone-a" } : {} });
const options = {};
if (retry) options["grpc.service_config"] = retryServiceConfig(policy, true);
const client = new grpc.Client(`kubernetes:///${service}.${ns}:grpc`, grpc.credentials.createInsecure(), options);
const payload = Buffer.from("x");
let phase = "warm";
let lastBeat = performance.now(), maxGap = 0;
const beat = setInterval(() => {
  const now = performance.now();
  if (phase !== "warm") maxGap = Math.max(maxGap, now - lastBeat - 20);
  lastBeat = now;
}, 20);
const lat = { normal: [], rollout: [] };
const failures = [];
let calls = 0;
// The stop a call began in (a call already in flight when a stop begins counts for the one before).
let stopIndex = -1;
function call() {
  const started = performance.now();
  const myPhase = phase, myStop = stopIndex;
  calls++;
  client.makeUnaryRequest(METHOD, id, id, payload, { deadline: Date.now() + 1000 }, (err) => {
    const ms = performance.now() - started;
    if (err) failures.push({ stop: myStop, code: err.code, details: err.details });
    else if (myPhase !== "warm") lat[myPhase].push(ms);
  });
}
const TICK = 5;
const perTick = rate * TICK / 1000;
let carry = 0;
const load = setInterval(() => {
  carry += perTick;
  while (carry >= 1) {
    carry--;
    call();
  }
}, TICK);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(+(process.env.WARM ?? 1500));
phase = "normal";
await sleep(2000);
for (let s = 0; s < stops; s++) {
  stopIndex = s;
  phase = "rollout";
  // With ZONED=1, zone a's pods (the K started last in it); else the K oldest.
  const victims = zoned ? pods.filter((p) => p.zone === "zone-a") : pods.slice(0, K * PER);
  const servers = [...new Set(victims.map((p) => p.server))];
  const shutdown = () => servers.forEach((server) => server.tryShutdown(() => {}));
  const dropFromSlice = () => {
    pods = pods.filter((p) => !victims.includes(p));
    writeSlice();
  };
  const markTerminating = () => {
    victims.forEach((p) => (p.ready = false));
    writeSlice();
  };
  if (timing === "goaway") {
    shutdown();
    await sleep(300);
    dropFromSlice();
  } else if (timing.startsWith("spread")) {
    // One server after the other, SPREAD ms apart (the processes of separate pods do not stop in the same instant).
    const gap = Number(timing.slice(6));
    for (const server of servers) {
      server.tryShutdown(() => {});
      await sleep(gap);
    }
    await sleep(300);
    dropFromSlice();
  } else if (timing === "same") {
    markTerminating();
    shutdown();
    await sleep(300);
    dropFromSlice();
  } else if (timing === "before") {
    markTerminating();
    await sleep(100);
    shutdown();
    await sleep(300);
    dropFromSlice();
  } else if (timing === "after") {
    shutdown();
    await sleep(20);
    markTerminating();
    await sleep(300);
    dropFromSlice();
  }
  for (let i = 0; i < K; i++) await startPod("zone-a");
  writeSlice();
  await sleep(700);
  // Past their grace period: what the stops' pods (PROCS=1) would be by now.
  if (procs) { for (const server of servers) server.forceShutdown(); }
  phase = "normal";
  await sleep(300);
}
phase = "warm";
clearInterval(load);
await sleep(1200);
const q = (a, p) => {
  if (!a.length) return null;
  const s = [...a].sort((x, y) => x - y);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
};
const perStop = Array.from({ length: stops }, (_, s) => failures.filter((f) => f.stop === s).length);
const kinds = {};
for (const f of failures) {
  const k = `${f.code} ${f.details}`.slice(0, 80);
  kinds[k] = (kinds[k] ?? 0) + 1;
}
console.log(JSON.stringify({
  runtime: typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : process.versions.bun
    ? `bun ${process.versions.bun}`
    : `node ${process.version}`,
  N,
  K,
  timing,
  policy,
  retry,
  procs,
  zoned,
  calls,
  failed: failures.length,
  stopsWithFailure: perStop.filter((n) => n > 0).length,
  stops,
  perStop: perStop.join(","),
  normal: { p50: q(lat.normal, 0.5), p99: q(lat.normal, 0.99), n: lat.normal.length },
  maxStallMs: +maxGap.toFixed(1),
  PER,
  rollout: { p50: q(lat.rollout, 0.5), p99: q(lat.rollout, 0.99), n: lat.rollout.length },
  kinds,
}));
client.close();
clearInterval(beat);
for (const p of pods) p.server.forceShutdown();
await fake.close();
process.exit(0);
