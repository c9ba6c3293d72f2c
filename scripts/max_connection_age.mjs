// Unary calls to servers that set grpc-js's `grpc.max_connection_age_ms` (each connection gets a GOAWAY at that age),
// on loopback, through the resolver's policy or grpc-js's `round_robin` over the same addresses. Runs on Node, Bun and
// Deno (servers are Node processes, one a pod, whatever the client's runtime):
//   POLICY=kubernetes_round_robin CALLS=20000 node scripts/max_connection_age.mjs
//   POLICY=round_robin bun scripts/max_connection_age.mjs        (deno run -A scripts/max_connection_age.mjs)
// PODS servers (3) on 127.0.7.x, AGE ms max connection age (300), CONCURRENCY calls in flight (32), CALLS calls in
// all (20,000), at most LIMIT_S seconds (60), deadline 2 s each. With kubernetes_round_robin the client goes through
// register() and the fake API server listing the pods; with round_robin (or any other policy) it dials
// `ipv4:` the same addresses. RETRY=1 adds the README's retryPolicy; IN_PROCESS=1 runs the servers in the client's
// process (and runtime).
// Prints one JSON line: calls, failed, and the failures by status and details.
import process from "node:process";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { retryServiceConfig } from "./retry_service_config.mjs";
import { freePort } from "./echo_service.mjs";
import { childEnv } from "../tests/_child_env.mjs";

const METHOD = "/echo.Echo/Echo";
const id = (b) => b;
if (process.argv[2] === "--pod") {
  const [, , , address, age] = process.argv;
  const server = new grpc.Server({ "grpc.max_connection_age_ms": +age });
  server.register(METHOD, (call, cb) => setTimeout(() => cb(null, call.request), 1), id, id, "unary");
  await new Promise((res, rej) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => e ? rej(e) : res())
  );
  process.stdout.write("ready\n");
  setTimeout(() => process.exit(0), 600_000).unref();
  process.stdin.on("end", () => process.exit(0)).resume();
  await new Promise(() => {});
}

const env = process.env;
const policy = env.POLICY ?? "kubernetes_round_robin";
const [podCount, age, concurrency, total, limitS] = [
  +(env.PODS ?? 3),
  +(env.AGE ?? 300),
  +(env.CONCURRENCY ?? 32),
  +(env.CALLS ?? 20_000),
  +(env.LIMIT_S ?? 60),
];
const ips = Array.from({ length: podCount }, (_, i) => `127.0.7.${i + 1}`);
// One port for every pod, below the kernel's ephemeral range and free on each address.
const PORT = await freePort(ips);
const inProcess = env.IN_PROCESS === "1";
const pods = await Promise.all(ips.map(async (ip) => {
  if (inProcess) {
    const server = new grpc.Server({ "grpc.max_connection_age_ms": age });
    server.register(METHOD, (call, cb) => setTimeout(() => cb(null, call.request), 1), id, id, "unary");
    await new Promise((res, rej) =>
      server.bindAsync(`${ip}:${PORT}`, grpc.ServerCredentials.createInsecure(), (e) => e ? rej(e) : res())
    );
    return { kill: () => server.forceShutdown() };
  }
  const child = spawn("node", [fileURLToPath(import.meta.url), "--pod", `${ip}:${PORT}`, String(age)], {
    env: childEnv(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise((res, rej) => {
    child.stdout.once("data", res);
    child.once("exit", (code) => rej(new Error(`the pod at ${ip} exited with code ${code}`)));
  });
  return child;
}));

// register() on every policy: on Deno it also installs the resolver's GOAWAY workaround (see Known issues).
const fake = await startFakeApiServer();
fake.applySlice(endpointSlice({
  namespace: "default",
  service: "echo",
  name: "echo-0",
  port: { name: "grpc", port: PORT },
  endpoints: ips.map((ip) => ({ ip, pod: `echo-${ip}`, ready: true })),
}));
register({ grpc, cluster: { server: fake.url }, locality: {} });
const options = {};
const target = policy === "kubernetes_round_robin"
  ? "kubernetes:///echo.default:grpc"
  : `ipv4:${ips.map((ip) => `${ip}:${PORT}`).join(",")}`;
if (policy !== "kubernetes_round_robin" || env.RETRY === "1") {
  options["grpc.service_config"] = retryServiceConfig(policy, env.RETRY === "1");
}
const client = new grpc.Client(target, grpc.credentials.createInsecure(), options);
const payload = Buffer.from("x");
const kinds = {};
let started = 0, done = 0, failed = 0;
const until = performance.now() + limitS * 1000;
const began = performance.now();
await new Promise((resolve) => {
  const next = () => {
    if (started >= total || performance.now() > until) {
      if (done === started) resolve();
      return;
    }
    started++;
    client.makeUnaryRequest(METHOD, id, id, payload, { deadline: Date.now() + 2000 }, (err) => {
      done++;
      if (err) {
        failed++;
        const kind = `${err.code} ${err.details}`.slice(0, 100);
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
      next();
    });
  };
  for (let i = 0; i < concurrency; i++) next();
});
const seconds = (performance.now() - began) / 1000;
console.log(JSON.stringify({
  runtime: typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : process.versions.bun
    ? `bun ${process.versions.bun}`
    : `node ${process.version}`,
  policy,
  retry: env.RETRY === "1",
  age,
  concurrency,
  inProcess,
  calls: done,
  failed,
  seconds: +seconds.toFixed(1),
  kinds,
}));
client.close();
for (const pod of pods) pod.kill("SIGKILL");
await fake.close();
process.exit(0);
