// A user's gRPC client, run by the data-path scenarios on Node, Bun and Deno:
// `echo_client.mjs TARGET KUBECONFIG [DEADLINE_MS] [grpc-js|nice-grpc]`. It registers the resolver
// with the kubeconfig (and the locality of NODE_NAME/ZONE, as any user's pod
// would), through register() or, for nice-grpc, createChannel(), prints "ready" after its first successful call (allowed 15 s), calls echo every
// 10 ms (at most 6000 calls, 90 s), and on "take" from stdin prints one JSON
// line { take } with the answers per backend since the last take; on "stop"
// it prints one JSON line { calls, failures, byBackend } and exits. Each failure
// ends in "[sent <ISO time>, failed <ISO time>]".
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService, startLoad } from "../../scripts/echo_service.mjs";

const [target, kubeconfig, deadlineMs = "5000", library = "grpc-js"] = process.argv.slice(2);
/** Makes the echo call with a deadline, through grpc-js or nice-grpc; returns it and how to close the channel. */
async function connect() {
  if (library === "nice-grpc") {
    const { createChannel } = await import("@kgr/resolver/nice-grpc");
    const { createClient } = await import("nice-grpc");
    const channel = createChannel(target, undefined, { resolver: { cluster: { kubeconfig } } });
    const niceClient = createClient(EchoService, channel);
    const caller = (deadline) => async (message) =>
      (await niceClient.echo({ message }, { deadline: new Date(Date.now() + deadline) })).message;
    return { caller, close: () => channel.close() };
  }
  register({ grpc, cluster: { kubeconfig } });
  const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
  const grpcClient = new Echo(target, grpc.credentials.createInsecure());
  return { caller: (deadline) => echoCaller(grpcClient, deadline), close: () => grpcClient.close() };
}
const client = await connect();
const callOnce = client.caller(Number(deadlineMs));
/** A call whose failure says when it was sent and when it failed: a test compares that with its backends' stalls. */
const call = (request) => {
  const sent = new Date().toISOString();
  return callOnce(request).catch((error) => {
    error.message += ` [sent ${sent}, failed ${new Date().toISOString()}]`;
    throw error;
  });
};
// The first call also waits for the resolution and the first connection, which a loaded machine can take
// seconds over: it gets a deadline of its own, so that a short one for the load (1 s) measures only the load.
const firstCall = client.caller(Math.max(Number(deadlineMs), 15_000));

const byBackend = {};
const first = await firstCall("hello").catch((error) => error);
if (first instanceof Error) {
  console.log(JSON.stringify({ error: String(first) }));
  process.exit(1);
}
process.stdout.write("ready\n");
const load = startLoad(call, { intervalMs: 10, maxCalls: 6000 });
const deadline = setTimeout(() => finish(), 90_000);

/** The answers per backend since the last take, also added to the totals. */
function take() {
  const counts = load.take();
  for (const [backend, count] of Object.entries(counts)) byBackend[backend] = (byBackend[backend] ?? 0) + count;
  return counts;
}

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  await load.stop();
  take();
  client.close();
  process.stdout.write(
    JSON.stringify({ calls: load.calls, failures: load.failures.map(String), byBackend }) + "\n",
  );
  process.exit(0);
}
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => {
  if (text.includes("take")) process.stdout.write(JSON.stringify({ take: take() }) + "\n");
  if (text.includes("stop")) finish();
});
