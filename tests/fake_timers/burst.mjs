// Run by tests/fake_timers_test.ts on Deno, Node and Bun, against the built package. A test runner's fake clock
// that is never advanced (as `vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] })` or Jest's fake timers
// with a real `performance` leave it) replaces setTimeout once the first snapshot came, or with `--fake-before-load`
// before the package loads (Jest's `fakeTimers: { enableGlobally: true }` installs them before a test file's
// imports); then a burst of changes is applied, as a rollout writes them. Prints the pods of the last snapshot seen
// within 3 s of real time.
const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
const faked = [];
const fake = () => {
  globalThis.setTimeout = (callback) => faked.push(callback); // a fake clock nobody advances
  globalThis.clearTimeout = () => {};
};
const args = globalThis.Deno?.args ?? process.argv.slice(2);
if (args.includes("--fake-before-load")) fake();
const { watchEndpoints } = await import("../../dist/mod.js");
const { endpointSlice, startFakeApiServer } = await import("../../dist/testing.js");
const api = await startFakeApiServer({ token: "t" });
const apply = (pods) =>
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    name: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: pods.map((pod, i) => ({ ip: `10.2.1.${i + 1}`, pod })),
  }));
apply(["a"]);
const controller = new AbortController();
let pods = "";
let changed = () => {};
const loop = (async () => {
  for await (
    const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", {
      cluster: { kubeconfig: api.kubeconfig() },
      signal: controller.signal,
    })
  ) {
    pods = snapshot.endpoints.map((endpoint) => endpoint.podName).join(",");
    changed();
  }
})();
const settled = (want) =>
  new Promise((resolve) => {
    const timer = real.setTimeout(resolve, 3000);
    changed = () => pods === want && (real.clearTimeout(timer), resolve());
    changed();
  });
await settled("a");
// The Service's GET (its internalTrafficPolicy) ends as the first snapshot comes: Deno's HTTP client here (undici)
// arms its keep-alive timer with the global setTimeout in the turn after, and calls unref() on what it returns.
await new Promise((resolve) => real.setTimeout(resolve, 100));
fake();
try {
  apply(["a", "b"]);
  apply(["b"]);
  apply(["b", "c"]);
  await settled("b,c");
} finally {
  Object.assign(globalThis, real);
}
console.log(pods);
controller.abort();
await loop.catch(() => {});
await api.close();
