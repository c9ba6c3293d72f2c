// Follows a Service with watchEndpoints() as users write it, run on Deno, Bun
// or Node by tests/process_exit_test.ts with cluster.mjs's JSON line in the
// CLUSTER environment variable: prints "snapshot <pods>" for each snapshot,
// leaves the loop at the first one with two pods and prints "left <epoch ms>".
// Nothing but the loop keeps the process alive meanwhile.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const { kubeconfig } = JSON.parse(process.env.CLUSTER);
for await (const snapshot of watchEndpoints("kubernetes:///echo.acc:grpc", { cluster: { kubeconfig } })) {
  console.log(`snapshot ${snapshot.endpoints.length}`);
  globalThis.gc?.();
  globalThis.Bun?.gc(true);
  if (snapshot.endpoints.length === 2) break;
}
console.log(`left ${Date.now()}`);
