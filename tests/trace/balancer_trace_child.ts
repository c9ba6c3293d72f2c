// A channel under kubernetes_round_robin with topology: the preferred pod (zone-a) refuses connections, so calls fail
// over to the other pod (zone-b); then the Service scales to zero. Run by tests/trace_test.ts with GRPC_TRACE set.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startEchoServer } from "../../scripts/echo_service.mjs";

const api = await startFakeApiServer();
const backend = await startEchoServer(grpc, { name: "b", host: "127.0.0.1", port: 0 });
const refused = await freePort(["127.0.0.1"]);
for (const [pod, zone, port] of [["echo-a", "zone-a", refused], ["echo-b", "zone-b", backend.port]] as const) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name: pod,
    port: { name: "grpc", port },
    trafficDistribution: "PreferSameZone",
    endpoints: [{ ip: "127.0.0.1", pod, zone }],
  }));
}
register({ grpc, cluster: { kubeconfig: api.kubeconfig() }, locality: { zone: "zone-a" } });
const EchoClient = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new EchoClient("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
try {
  const call = echoCaller(client);
  console.log(await call("hi"));
  api.deleteSlice("prod", "echo-a");
  api.deleteSlice("prod", "echo-b");
  const deadline = Date.now() + 10_000;
  while (client.getChannel().getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) {
    if (Date.now() > deadline) throw new Error("the channel did not reach TRANSIENT_FAILURE within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
} finally {
  client.close();
  await backend.stop();
  await api.close();
}
