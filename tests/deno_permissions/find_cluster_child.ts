// Finds the cluster as `watchEndpoints()` would and prints the access's source, or the error's message; run
// by deno_permissions_test.ts with some of Deno's permissions left out.
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";

try {
  console.log(`found ${(await resolveClusterAccess()).source}`);
} catch (error) {
  console.log(`failed ${(error as Error).message}`);
}
