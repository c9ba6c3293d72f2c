// A program that uses only the core (watchEndpoints, no gRPC), bundled by tests/bundle_test.ts: the bundle must run
// without @grpc/grpc-js inside. It prints the pods of the first snapshot that the fake API server gives, and exits.
import { watchEndpoints } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

const api = await startFakeApiServer({ token: "bundle" });
try {
  api.applySlice(endpointSlice({
    namespace: "demo",
    service: "echo",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "127.0.0.2", pod: "echo-0" }],
  }));
  const options = {
    cluster: { kubeconfig: api.kubeconfig({ namespace: "demo" }) },
    signal: AbortSignal.timeout(10_000),
  };
  for await (const snapshot of watchEndpoints("kubernetes:///echo.demo:grpc", options)) {
    console.log(`pods ${snapshot.endpoints.map((endpoint) => endpoint.podName).join(",")}`);
    break;
  }
} finally {
  await api.close();
}
