// Gets credentials from the exec plugin at the path in Deno.args[0] as a kubeconfig user would, and prints the
// Authorization header or the error's message; run by deno_permissions_test.ts with some permissions left out.
import { execCredentials } from "../../src/cluster/exec_credentials.ts";
import { heldExecPlugin as runExecPlugin } from "../_held_exec_plugin.ts";

const config = { apiVersion: "client.authentication.k8s.io/v1" as const, command: Deno.args[0], args: [], env: [] };
try {
  console.log(`got ${await execCredentials(config, { run: runExecPlugin, label: 'user "u"' }).authorization()}`);
} catch (error) {
  console.log(`failed ${(error as Error).message}`);
}
