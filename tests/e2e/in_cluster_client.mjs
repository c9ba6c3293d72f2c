// A program in a pod, run by the in-cluster scenario on Node, Bun and Deno: `in_cluster_client.mjs TARGET`.
// It passes no cluster options, so the resolver finds the pod's service account. It prints the first
// snapshot that has endpoints as one JSON line { namespace, service, hosts } and exits by itself; it gives up
// after 20 s. Only watches: no address is dialed.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 20_000);
const onError = (error) => console.error(`error: ${error.message}`);
for await (const snapshot of watchEndpoints(process.argv[2], { signal: controller.signal, onError })) {
  if (snapshot.endpoints.length === 0) continue;
  const hosts = snapshot.endpoints.map((endpoint) => endpoint.addresses[0].host);
  console.log(JSON.stringify({ namespace: snapshot.namespace, service: snapshot.service, hosts }));
  break;
}
clearTimeout(timer);
