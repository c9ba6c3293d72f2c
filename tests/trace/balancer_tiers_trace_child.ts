// A channel under kubernetes_round_robin with PreferSameNode, on node a-1 in zone a: the node's pod refuses
// connections, so calls fail over to the zone's other pod; that one stops, so calls go to zone b; it comes back, so
// calls return to the zone. The fake API server wants a token, which no trace line may show. Run by
// tests/trace_test.ts with GRPC_TRACE set.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startEchoServer } from "../../scripts/echo_service.mjs";

// tests/trace_test.ts looks for it in the output.
const TOKEN = "tiers-trace-secret-token";
const api = await startFakeApiServer({ token: TOKEN });
let zone = await startEchoServer(grpc, { name: "a-2", host: "127.0.0.1", port: 0 });
const other = await startEchoServer(grpc, { name: "b-1", host: "127.0.0.1", port: 0 });
const refused = await freePort(["127.0.0.1"]);
const pods = [["echo-a-1", "a-1", "zone-a", refused], ["echo-a-2", "a-2", "zone-a", zone.port], [
  "echo-b-1",
  "b-1",
  "zone-b",
  other.port,
]] as const;
for (const [pod, nodeName, zoneName, port] of pods) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name: pod,
    port: { name: "grpc", port },
    trafficDistribution: "PreferSameNode",
    endpoints: [{ ip: "127.0.0.1", pod, zone: zoneName, nodeName }],
  }));
}
register({ grpc, cluster: { kubeconfig: api.kubeconfig() }, locality: { node: "a-1", zone: "zone-a" } });
const EchoClient = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new EchoClient("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
const call = echoCaller(client);
/** Calls until `name` answers, for at most 10 s. */
async function callUntil(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await call("hi").catch(String)) !== `${name}:hi`) {
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
try {
  await callUntil("a-2");
  await zone.stop();
  await callUntil("b-1");
  zone = await startEchoServer(grpc, { name: "a-2", host: "127.0.0.1", port: zone.port });
  await callUntil("a-2");
} finally {
  client.close();
  await Promise.all([zone.stop(), other.stop()]);
  await api.close();
}
