// Finds the cluster as watchEndpoints() would and asks its credentials for a header; prints the access's source
// and the header's scheme, or the error's message. Run by node_lockdown_test.ts under Node's permission model
// (`node --permission`; `--experimental-permission` on Node 20): `find_cluster_child.mjs [SERVICE_ACCOUNT_DIR]`.
import { resolveClusterAccess } from "../../dist/src/cluster/resolve_cluster_access.js";

const [serviceAccountDirectory] = process.argv.slice(2);
try {
  const access = await resolveClusterAccess({}, serviceAccountDirectory ? { serviceAccountDirectory } : {});
  const header = await access.credentials.authorization();
  console.log(`found ${access.source} in namespace ${access.namespace}: ${header?.split(" ")[0] ?? "no header"}`);
} catch (error) {
  console.log(`failed ${error.message}`);
}
