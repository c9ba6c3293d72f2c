// A MeterProvider registered after the watch delivered its first snapshot, on a Service that then
// stays quiet: its gauges must show the current state without waiting for a change. Runs unchanged
// on Node, Bun and Deno (tests/metrics_test.ts); prints the collected dump as JSON and exits 0, or
// throws.
import assert from "node:assert/strict";
import process from "node:process";
import { metrics } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { watchEndpoints } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

/** A reader that collects on demand. */
class OnDemandReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const api = await startFakeApiServer();
api.applySlice(endpointSlice({
  namespace: "shop",
  service: "cart",
  port: { name: "grpc", port: 8080 },
  endpoints: [{ ip: "10.9.0.1", pod: "cart-0" }, { ip: "10.9.0.2", pod: "cart-1" }],
}));
const controller = new AbortController();
const snapshots = watchEndpoints("kubernetes:///cart.shop:grpc", {
  cluster: { kubeconfig: api.kubeconfig() },
  signal: controller.signal,
});
try {
  assert.equal((await snapshots.next()).value.endpoints.length, 2);
  const reader = new OnDemandReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const gauges = async () => {
    const dump = {};
    for (const scope of (await reader.collect()).resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) dump[metric.descriptor.name] = metric.dataPoints.map((point) => point.value);
    }
    return dump;
  };
  const end = Date.now() + 10_000;
  let dump = await gauges();
  while (dump["grpc.resolver.kubernetes.endpoints"] === undefined && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    dump = await gauges();
  }
  assert.deepEqual(dump["grpc.resolver.kubernetes.endpoints"], [2], JSON.stringify(dump));
  assert.deepEqual(dump["grpc.resolver.kubernetes.watches"], [1], JSON.stringify(dump));
  assert.equal(dump["grpc.resolver.kubernetes.last_update"]?.length, 1, JSON.stringify(dump));
  console.log(JSON.stringify(dump));
} finally {
  controller.abort();
  await snapshots.return();
  await api.close();
}
process.exit(0);
