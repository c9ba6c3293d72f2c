// Loaded into a vm context by await_using_child.mjs, with the built package. Does what the `await using` of Vitest
// (oxc), esbuild and Babel compiles to, with this context's own Symbol: looks up `Symbol.asyncDispose ??
// Symbol.for("Symbol.asyncDispose")` on the fake API server and on watchEndpoints()'s iterable, and calls it.
import { endpointSlice, startFakeApiServer } from "../../dist/testing.js";
import { watchEndpoints } from "../../dist/mod.js";

const key = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

/** Whether `check()` holds within 5 s. */
async function eventually(check) {
  for (let tries = 0; tries < 100 && !check(); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

/** What this context saw: its Symbol, whether each object is disposable, and whether disposing closed it. */
export async function run() {
  const seen = { ownSymbol: typeof Symbol.asyncDispose };
  const api = await startFakeApiServer();
  try {
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    const snapshots = watchEndpoints("kubernetes:///echo:grpc", {
      cluster: { kubeconfig: api.kubeconfig({ namespace: "prod" }) },
    });
    try {
      seen.watchDisposable = typeof snapshots[key] === "function";
      seen.firstPods = (await snapshots.next()).value.endpoints.map((endpoint) => endpoint.podName);
      seen.watching = await eventually(() => api.openWatches === 1);
      if (seen.watchDisposable) await snapshots[key]();
      seen.watchEnded = await eventually(() => api.openWatches === 0);
    } finally {
      await snapshots.return();
    }
    seen.fakeDisposable = typeof api[key] === "function";
    if (seen.fakeDisposable) await api[key]();
    seen.fakeClosed = await fetch(api.url).then(() => false, () => true);
  } finally {
    await api.close();
  }
  return seen;
}
