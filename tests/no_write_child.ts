// Run by security_test.ts in a Deno process without write permission: proves
// that a write fails there, then runs a full watch (kubeconfig file, token
// file, a 401 and a re-read of the rotated token) and reports on stdout.
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watchEndpoints } from "@kgr/resolver";

try {
  await writeFile(join(tmpdir(), "kgr-no-write-probe"), "x");
  console.log("write allowed: the test is void");
} catch (error) {
  console.log(`write denied: ${(error as Error).name}`);
}

const signal = AbortSignal.timeout(30_000);
for await (
  const snapshot of watchEndpoints("kubernetes:///echo.prod:grpc", {
    cluster: { kubeconfig: Deno.args[0] },
    signal,
    backoff: { initialMs: 10, maxMs: 50 },
    // A first 401 is retried at once with the file read afresh, unreported: the parent sees it in the server's log.
    onError: (error) => console.log(`error: ${error.message}`),
  })
) {
  const pods = snapshot.endpoints.map((endpoint) => endpoint.podName).join(",");
  console.log(pods === "echo-0" ? "watching" : `pods ${pods}`);
  if (pods.includes("echo-1")) {
    console.log("done");
    break;
  }
}
if (signal.aborted) console.log("timed out");
