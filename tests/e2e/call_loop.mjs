// A user's call loop for the rollout shapes: `call_loop.mjs TARGET KUBECONFIG SECONDS DEADLINE_MS CHANNELS`. A
// `kubernetes:` target goes through the resolver (register() with the kubeconfig); any other (a ClusterIP and port)
// through grpc-js's own. It calls echo every 10 ms (at most SECONDS, and 100 calls a second of it), taking turns on
// CHANNELS channels, each with its own connection (a local subchannel pool), and prints one JSON line every 100 ms:
// { t, ok: { pod: answers }, fail: { "code details": failures } }. "stop" on stdin ends it after the calls in flight.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

const [target, kubeconfig, seconds, deadlineMs, channelCount] = process.argv.slice(2);
if (target.startsWith("kubernetes:")) register({ grpc, cluster: { kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const channels = Array.from(
  { length: Number(channelCount) },
  () => new Echo(target, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }),
);
const callers = channels.map((channel) => echoCaller(channel, Number(deadlineMs)));
let ok = {};
let fail = {};
let sent = 0;
const end = Date.now() + Number(seconds) * 1000;
const inFlight = new Set();
const timer = setInterval(() => {
  if (Date.now() > end || sent >= Number(seconds) * 100) return void stop();
  const call = callers[sent++ % callers.length]("ping").then(
    (answer) => {
      const pod = answer.split(":")[0];
      ok[pod] = (ok[pod] ?? 0) + 1;
    },
    (error) => {
      const key = `${error.code} ${error.details}`;
      fail[key] = (fail[key] ?? 0) + 1;
    },
  ).finally(() => inFlight.delete(call));
  inFlight.add(call);
}, 10);
const flush = () => {
  process.stdout.write(JSON.stringify({ t: Date.now(), ok, fail }) + "\n");
  ok = {};
  fail = {};
};
const flusher = setInterval(flush, 100);
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await Promise.all([...inFlight]);
  clearInterval(flusher);
  flush();
  for (const channel of channels) channel.close();
  process.exit(0);
}
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => text.includes("stop") && stop());
