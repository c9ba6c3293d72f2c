// A program that only calls watchEndpoints() (no register()): run by tests/trace_test.ts with and without
// GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG; exits after the first snapshot.
import { watchEndpoints } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

const api = await startFakeApiServer();
api.applySlice(endpointSlice({
  namespace: "prod",
  service: "echo",
  name: "echo-a",
  port: { name: "grpc", port: 8080 },
  endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
}));
for await (const _ of watchEndpoints("kubernetes:///echo.prod:grpc", { cluster: { kubeconfig: api.kubeconfig() } })) {
  break;
}
await api.close();
