// OpenTelemetry metrics as a user collects them: @opentelemetry/sdk-metrics with an in-memory
// reader registered as the global MeterProvider, a watch through the public API, and the values
// after a scale-up, a 410 relist, a 403 and a dropped watch. Runs unchanged on Node, Bun and Deno
// (tests/metrics_test.ts); prints the last collected dump as JSON and exits 0, or throws.
import assert from "node:assert/strict";
import process from "node:process";
import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { watchEndpoints } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

/** Collects now: metric name → data points, `{ attributes, value }`. */
async function collect() {
  exporter.reset();
  await reader.forceFlush();
  const dump = {};
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      assert.equal(scope.scope.name, "@kgr/resolver");
      for (const metric of scope.metrics) {
        dump[metric.descriptor.name] = metric.dataPoints.map(({ attributes, value }) => ({ attributes, value }));
      }
    }
  }
  return dump;
}
const sum = (dump, name, match = {}) =>
  (dump[name] ?? []).filter(({ attributes }) => Object.entries(match).every(([k, v]) => attributes[k] === v))
    .reduce((total, { value }) => total + value, 0);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function eventually(what, condition, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(await collect())}`);
    await sleep(50);
  }
}

const api = await startFakeApiServer({ token: "t" });
const apply = (pods) =>
  api.applySlice(endpointSlice({
    namespace: "shop",
    service: "cart",
    name: "cart-a",
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.9.0.${i + 1}`, pod })),
  }));
apply(["cart-0"]);
const controller = new AbortController();
const errors = [];
const watching = (async () => {
  const snapshots = watchEndpoints("kubernetes:///cart.shop:grpc", {
    cluster: { kubeconfig: api.kubeconfig() },
    backoff: { initialMs: 50, maxMs: 100 },
    signal: controller.signal,
    onError: (error) => errors.push(error),
  });
  for await (const _ of snapshots);
})();
const server = new URL(api.url);
const service = {
  "k8s.namespace.name": "shop",
  "k8s.service.name": "cart",
  "server.address": server.hostname,
  "server.port": Number(server.port),
};
try {
  await eventually("the first snapshot", async () => sum(await collect(), "grpc.resolver.kubernetes.endpoints") === 1);
  let dump = await collect();
  assert.equal(sum(dump, "grpc.resolver.kubernetes.watches", service), 1);
  assert.equal(sum(dump, "grpc.resolver.kubernetes.lists", service), 1);
  // At 0 from the start, so that an alert on it has a series to read.
  assert.deepEqual(dump["grpc.resolver.kubernetes.watch.failing"], [{ attributes: service, value: 0 }]);

  // A scale-up: the gauge follows, the counter counts, the last update is now.
  apply(["cart-0", "cart-1"]);
  await eventually("the scale-up", async () => sum(await collect(), "grpc.resolver.kubernetes.endpoints") === 2);
  dump = await collect();
  assert.equal(sum(dump, "grpc.resolver.kubernetes.updates", service), 2);
  const lastUpdate = sum(dump, "grpc.resolver.kubernetes.last_update", service);
  assert.ok(Math.abs(lastUpdate - Date.now() / 1000) < 5, `last_update ${lastUpdate}`);

  // A dropped watch, resumed; then an expired resume point: a 410 and one relist.
  api.dropWatches();
  await eventually(
    "a dropped watch",
    async () => sum(await collect(), "grpc.resolver.kubernetes.watch.restarts", { reason: "error" }) >= 1,
  );
  await eventually("the resumed watch", () => api.openWatches === 1);
  api.dropWatches();
  apply(["cart-0", "cart-1", "cart-2"]);
  api.compact();
  await eventually("the relist", async () => sum(await collect(), "grpc.resolver.kubernetes.lists", service) === 2);
  await eventually(
    "the 410",
    async () => sum(await collect(), "grpc.resolver.kubernetes.watch.restarts", { reason: "expired" }) === 1,
  );

  // A 403 on the next two watches: one alone is not reported (a restarting API server answers it).
  await eventually("the watch after the relist", () => api.openWatches === 1);
  api.failNext(2, { status: 403, path: "watch" });
  api.dropWatches();
  await eventually("the 403", async () =>
    sum(await collect(), "grpc.resolver.kubernetes.errors", {
      "error.type": "KubeApiError",
      "http.response.status_code": 403,
    }) === 1);
  dump = await collect();
  assert.equal(sum(dump, "grpc.resolver.kubernetes.endpoints", service), 3);
  assert.equal(sum(dump, "grpc.resolver.kubernetes.watch.failing", service), 1);
  assert.ok(errors.some((error) => error.status === 403));
  console.log(JSON.stringify(dump));

  // The next watch is served: an event on it is the recovery.
  await eventually("the watch after the 403", () => api.openWatches === 1);
  apply(["cart-0", "cart-1", "cart-2", "cart-3"]);
  await eventually(
    "the recovery",
    async () => sum(await collect(), "grpc.resolver.kubernetes.watch.failing", service) === 0,
  );

  // The same Service in a second cluster: series of its own, told apart by the API server's port.
  const other = await startFakeApiServer({ token: "t" });
  const otherController = new AbortController();
  try {
    other.applySlice(endpointSlice({
      name: "cart-x",
      namespace: "shop",
      service: "cart",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.8.0.1", pod: "cart-0" }],
    }));
    const otherWatch = watchEndpoints("kubernetes:///cart.shop:grpc", {
      cluster: { kubeconfig: other.kubeconfig() },
      signal: otherController.signal,
    });
    await otherWatch.next();
    const otherService = { ...service, "server.port": Number(new URL(other.url).port) };
    await eventually("the second cluster's gauge", async () => {
      const both = await collect();
      return sum(both, "grpc.resolver.kubernetes.endpoints", otherService) === 1 &&
        sum(both, "grpc.resolver.kubernetes.endpoints", service) === 4 &&
        sum(both, "grpc.resolver.kubernetes.watches", otherService) === 1 &&
        sum(both, "grpc.resolver.kubernetes.watches", service) === 1;
    });
  } finally {
    otherController.abort();
    await other.close();
  }

  controller.abort();
  await watching;
  await eventually("the watch to stop", async () => sum(await collect(), "grpc.resolver.kubernetes.watches") === 0);
  // The SDK keeps exporting the last value of a series nobody observes any more: ours go to 0.
  dump = await collect();
  assert.equal(sum(dump, "grpc.resolver.kubernetes.endpoints", service), 0);
  assert.equal(sum(dump, "grpc.resolver.kubernetes.watch.failing", service), 0);
} finally {
  controller.abort();
  await api.close();
}
process.exit(0);
