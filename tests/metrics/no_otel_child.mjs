// A watch with no MeterProvider registered, under module hooks that refuse to load @opentelemetry
// (tests/metrics/no_otel_hooks.mjs): without OpenTelemetry, nothing of it is loaded.
import { register as registerHooks } from "node:module";
import process from "node:process";

registerHooks("./no_otel_hooks.mjs", import.meta.url);
const { watchEndpoints } = await import("@kgr/resolver");
const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
const api = await startFakeApiServer({ token: "t" });
api.applySlice(endpointSlice({
  namespace: "shop",
  service: "cart",
  port: { name: "grpc", port: 8080 },
  endpoints: [{ ip: "10.9.0.1", pod: "cart-0" }],
}));
const controller = new AbortController();
for await (
  const snapshot of watchEndpoints("kubernetes:///cart.shop:grpc", {
    cluster: { kubeconfig: api.kubeconfig() },
    signal: controller.signal,
  })
) {
  console.log(`${snapshot.endpoints.length} endpoint(s), no @opentelemetry module loaded`);
  controller.abort();
}
await api.close();
process.exit(0);
