// Watches a Service of the fake API server whose kubeconfig is the first argument, and prints the first
// snapshot or error; run by deno_permissions_test.ts with some of Deno's permissions left out.
import { watchEndpoints } from "../../src/watch_endpoints.ts";

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 10_000);
const snapshots = watchEndpoints("kubernetes:///echo.prod:grpc", {
  cluster: { kubeconfig: JSON.parse(Deno.args[0]) },
  signal: controller.signal,
  onError(error) {
    console.log(`failed ${error.message}`);
    controller.abort();
  },
});
for await (const snapshot of snapshots) {
  console.log(`resolved ${snapshot.endpoints.length}`);
  controller.abort();
}
clearTimeout(timer);
