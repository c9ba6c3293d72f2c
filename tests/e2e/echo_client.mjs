// A user's gRPC client, run by the data-path scenario on Node, Bun and Deno:
// `echo_client.mjs TARGET KUBECONFIG`. It registers the resolver with the
// kubeconfig, prints "ready" after its first successful call, calls echo every
// 10 ms (at most 6000 calls, 90 s), and on "stop" from stdin prints one JSON
// line { calls, failures, byBackend } and exits.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService, startLoad } from "../../scripts/echo_service.mjs";

const [target, kubeconfig] = process.argv.slice(2);
register({ grpc, cluster: { kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new Echo(target, grpc.credentials.createInsecure());
const call = echoCaller(client);

const byBackend = {};
const first = await call("hello").catch((error) => error);
if (first instanceof Error) {
  console.log(JSON.stringify({ error: String(first) }));
  process.exit(1);
}
process.stdout.write("ready\n");
const load = startLoad(call, { intervalMs: 10, maxCalls: 6000 });
const deadline = setTimeout(() => finish(), 90_000);

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  await load.stop();
  Object.assign(byBackend, load.take());
  client.close();
  process.stdout.write(
    JSON.stringify({ calls: load.calls, failures: load.failures.map(String), byBackend }) + "\n",
  );
  process.exit(0);
}
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => {
  if (text.includes("stop")) finish();
});
