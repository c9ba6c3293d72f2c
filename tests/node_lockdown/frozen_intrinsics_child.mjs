// Run by node_lockdown_test.ts under `node --frozen-intrinsics`, which freezes the prototypes and `console`:
// `frozen_intrinsics_child.mjs KUBECONFIG`. Starts a watch and leaves it at once, then finds
// the cluster in KUBECONFIG; prints "left", then the access's source, or the errors.
import { watchEndpoints } from "../../dist/mod.js";
import { resolveClusterAccess } from "../../dist/src/cluster/resolve_cluster_access.js";

try {
  const snapshots = watchEndpoints("kubernetes:///echo.prod:grpc", { cluster: { server: "https://127.0.0.1:1" } });
  await snapshots.return();
  console.log("left");
} catch (error) {
  console.log(`failed ${error.name}: ${error.message}`);
}
try {
  console.log(`found ${(await resolveClusterAccess({ kubeconfig: process.argv[2] })).source}`);
} catch (error) {
  console.log(`failed ${error.message}`);
}
