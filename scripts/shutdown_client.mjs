// A client for scripts/shutdown_rollout.ts on Node, Bun or Deno: `shutdown_client.mjs TARGET KUBECONFIG LIBRARY`.
// LIBRARY is grpc-js (register()), nice-grpc (@kgr/resolver/nice-grpc's createChannel()) or static (grpc-js,
// TARGET an `ipv4:` list, round_robin, no resolver of ours). Calls unary Echo every INTERVAL_MS (10) with a 2 s
// deadline, at most MAX_CALLS (9,000) calls, and keeps one server stream open (Watch, 600 messages, opened again
// when it ends or fails). KEEPALIVE_MS sets grpc.keepalive_time_ms (PERMIT_WITHOUT_CALLS=1:
// grpc.keepalive_permit_without_calls). Prints "ready" after its first answer; on "stop" from stdin, one JSON line:
// calls, failed calls (code and details, counted), the answered calls' latency (p50, p99, max), answers per pod,
// stream ends.
import process from "node:process";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";

const [target, kubeconfig, library = "grpc-js"] = process.argv.slice(2);
/** Names the client in the pods' counts of calls after SIGTERM. */
const label = `${"Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node"}:${library}`;
const env = process.env;
const json = { serialize: (v) => Buffer.from(JSON.stringify(v)), deserialize: (b) => JSON.parse(b.toString()) };
const method = (path, responseStream) => ({
  path,
  requestStream: false,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const Service = { echo: method("/s.S/Echo", false), watch: method("/s.S/Watch", true) };
const channelOptions = env.KEEPALIVE_MS
  ? {
    "grpc.keepalive_time_ms": Number(env.KEEPALIVE_MS),
    "grpc.keepalive_permit_without_calls": Number(env.PERMIT_WITHOUT_CALLS ?? 0),
  }
  : {};

let echo, watch, close;
if (library === "nice-grpc") {
  const { createChannel } = await import("@kgr/resolver/nice-grpc");
  const { createClient } = await import("nice-grpc");
  const channel = createChannel(target, undefined, { ...channelOptions, resolver: { cluster: { kubeconfig } } });
  const client = createClient(Service, channel);
  echo = (n) => client.echo({ n, client: label }, { deadline: new Date(Date.now() + 2000) });
  watch = async (onMessage) => {
    for await (const message of client.watch({ count: 600 })) onMessage(message);
  };
  close = () => channel.close();
} else {
  if (library === "grpc-js") {
    const { register } = await import("@kgr/resolver");
    register({ grpc, cluster: { kubeconfig } });
  }
  const options = library === "static"
    ? { ...channelOptions, "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) }
    : channelOptions;
  const Client = grpc.makeGenericClientConstructor(Service, "S");
  const client = new Client(target, grpc.credentials.createInsecure(), options);
  echo = (n) =>
    new Promise((resolve, reject) =>
      client.echo({ n, client: label }, { deadline: Date.now() + 2000 }, (e, v) => e ? reject(e) : resolve(v))
    );
  watch = (onMessage) =>
    new Promise((resolve, reject) => {
      const call = client.watch({ count: 600 });
      call.on("data", onMessage);
      call.on("error", reject);
      call.on("end", resolve);
    });
  close = () => client.close();
}

const byPod = {};
const failures = {};
const streamEnds = [];
const latencies = [];
let calls = 0;
const maxCalls = Number(env.MAX_CALLS ?? 9000);
let inFlight = 0;
const started = Date.now();
const describe = (e) => `${e.code ?? "?"} ${e.details ?? e.message}`;
const first = await echo(0).catch((e) => e);
if (first instanceof Error) {
  console.log(JSON.stringify({ error: describe(first) }));
  process.exit(1);
}
process.stdout.write("ready\n");
let stopped = false;
const timer = setInterval(() => {
  if (calls >= maxCalls) return;
  calls++;
  inFlight++;
  const sent = performance.now();
  echo(calls).then((v) => {
    byPod[v.pod] = (byPod[v.pod] ?? 0) + 1;
    latencies.push(performance.now() - sent);
  }, (e) => {
    const key = describe(e);
    failures[key] = (failures[key] ?? 0) + 1;
  }).finally(() => inFlight--);
}, Number(env.INTERVAL_MS ?? 10));
(async () => {
  while (!stopped) {
    let messages = 0;
    let pod;
    const opened = Date.now();
    const end = await watch((m) => {
      messages++;
      pod = m.pod;
    }).then(() => "end", (e) => describe(e));
    if (stopped) break;
    streamEnds.push({ pod, messages, after_ms: Date.now() - opened, end });
  }
})();
process.stdin.setEncoding("utf8");
process.stdin.on("data", async (text) => {
  if (!text.includes("stop")) return;
  stopped = true;
  clearInterval(timer);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  latencies.sort((a, b) => a - b);
  const percentile = (p) => Math.round(latencies[Math.floor((latencies.length - 1) * p)] * 10) / 10;
  const latencyMs = { p50: percentile(0.5), p99: percentile(0.99), max: percentile(1) };
  process.stdout.write(
    JSON.stringify({ calls, failed, failures, latencyMs, byPod, streamEnds, seconds: (Date.now() - started) / 1000 }) +
      "\n",
  );
  close();
  process.exit(0);
});
