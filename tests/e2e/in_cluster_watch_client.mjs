// A long-running program in a pod, for the in-cluster rotation scenarios: `in_cluster_watch_client.mjs TARGET`.
// It passes no cluster options, so the resolver finds the pod's service account. It prints every snapshot as
// one JSON line { hosts } and every error passed to onError as { error }, and stops when its standard input
// closes (or after 60 s). Only watches: no address is dialed.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 60_000);
process.stdin.on("end", () => controller.abort()).resume();
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const options = { signal: controller.signal, onError: (error) => print({ error: error.message }) };
for await (
  const snapshot of watchEndpoints(process.argv[2], { ...options, backoff: { initialMs: 200, maxMs: 1000 } })
) {
  print({ hosts: snapshot.endpoints.map((endpoint) => endpoint.addresses[0].host) });
}
clearTimeout(timer);
