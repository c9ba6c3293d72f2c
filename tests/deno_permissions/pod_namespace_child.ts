// Reads the pod's namespace as in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT set by the test) and
// prints it, or the error's message; run by deno_permissions_test.ts with some of Deno's permissions left out.
import { inClusterNamespace } from "../../src/cluster/in_cluster.ts";
import { environmentVariable, refusedToRead } from "../../src/runtime/files.ts";

try {
  const namespace = await inClusterNamespace({
    env: environmentVariable,
    refused: refusedToRead,
    serviceAccountDirectory: "/sa",
    readFile: () => Promise.resolve("from-file"),
  });
  console.log(`namespace ${namespace}`);
} catch (error) {
  console.log(`failed ${(error as Error).message}`);
}
