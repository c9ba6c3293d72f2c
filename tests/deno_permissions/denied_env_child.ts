// Finds the cluster as `watchEndpoints()` would, then the client's locality from NODE_NAME and ZONE, and prints the
// access's source or the error's message (warnings go to standard error); run by deno_permissions_test.ts with
// variables in --deny-env.
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { resolveLocality } from "../../src/selection/locality.ts";

try {
  console.log(`found ${(await resolveClusterAccess()).source}`);
} catch (error) {
  console.log(`failed ${(error as Error).message}`);
}
await resolveLocality(undefined, () => Promise.resolve(undefined));
