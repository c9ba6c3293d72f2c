// The program of kubeconfig_file_client.mjs without a top-level await, which a CommonJS bundle cannot hold: bundled
// by tests/bundle_test.ts, it prints what the first snapshot's loop threw, or the pods.
import { watchEndpoints } from "@kgr/resolver";

async function main() {
  const options = { cluster: { kubeconfig: process.argv[2] }, signal: AbortSignal.timeout(10_000) };
  try {
    for await (const snapshot of watchEndpoints("kubernetes:///echo.demo:grpc", options)) {
      console.log(`pods ${snapshot.endpoints.map((endpoint) => endpoint.podName).join(",")}`);
      break;
    }
  } catch (error) {
    console.log(`${error.name}: ${error.message}`);
  }
}

main();
