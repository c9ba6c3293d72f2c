// A child process for the scenarios that need their own environment (a trusted root
// CA, proxy variables): for each named case, the resolver's first result for
// kubernetes:///echo.e2e:grpc with that case's `cluster` options. Prints one JSON
// line: case name → the pod names of the first snapshot, or the first error ("name: message").
// Usage: <runtime> first_result_child.mjs '{"case name": {clusterOptions}, ...}'
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

/** The pod names of the first snapshot, or the first error as "name: message" (bounded: 10 s). */
async function firstResult(cluster) {
  const controller = new AbortController();
  let error;
  const onError = (failure) => {
    error ??= failure;
    controller.abort();
  };
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.e2e:grpc", { cluster, signal: controller.signal, onError })
    ) {
      return snapshot.endpoints.map((endpoint) => endpoint.podName);
    }
    return error ? `${error.name}: ${error.message}` : "no result within 10 s";
  } catch (thrown) {
    return `${thrown.name}: ${thrown.message}`;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

const results = {};
for (const [name, cluster] of Object.entries(JSON.parse(process.argv.at(-1)))) {
  results[name] = await firstResult(cluster);
}
console.log(JSON.stringify(results));
