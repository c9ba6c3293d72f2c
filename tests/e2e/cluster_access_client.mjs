// Our cluster access on Node and Bun, for tests/e2e/kubectl_differential_test.ts:
// `cluster_access_client.mjs TARGET` watches TARGET with the environment it was given (KUBECONFIG, HOME, proxies)
// and prints one JSON line: { namespace, endpoints } for the first snapshot, or { error } for the first error.
// Gives up after 10 s, and exits once it has printed. Only LIST and WATCH: no address is dialed. USER_AGENT, when
// set, is passed as cluster.userAgent (tests/e2e/user_agent_test.ts).
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 10_000);
let result;
const onError = (error) => {
  result ??= { error: error.message };
  controller.abort();
};
try {
  // A LIST first, as the Deno side of the test sends it (not a streaming list).
  for await (
    const snapshot of watchEndpoints(process.argv[2], {
      signal: controller.signal,
      onError,
      watchList: false,
      ...(process.env.USER_AGENT ? { cluster: { userAgent: process.env.USER_AGENT } } : {}),
    })
  ) {
    result ??= { namespace: snapshot.namespace, endpoints: snapshot.endpoints.length };
    break;
  }
} catch (error) {
  result ??= { error: error.message };
}
clearTimeout(timer);
// Exit at once: the HTTP client's idle keep-alive connection would hold the process for a few more seconds.
process.stdout.write(
  `${JSON.stringify(result ?? { error: "no snapshot and no error within 10 s" })}\n`,
  () => process.exit(0),
);
