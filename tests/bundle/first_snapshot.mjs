// What the bundled kubeconfig clients of tests/bundle_test.ts run: the first snapshot of a watch that reads the
// kubeconfig file given as the first argument, printed as its pods, or what its loop threw.
import { watchEndpoints } from "@kgr/resolver";

/** Prints the pods of the first snapshot, or the error that ended the loop. */
export async function printFirstSnapshot() {
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
