// A Deno Web Worker that watches a Service of the fake API server (the kubeconfig, or its file, comes in the first
// message) and posts back the first snapshot or error; started by worker_child.ts with some permissions left out.
import { watchEndpoints } from "../../src/watch_endpoints.ts";

const scope = self as unknown as { onmessage: (event: MessageEvent) => void; postMessage(line: string): void };
scope.onmessage = async (event: MessageEvent) => {
  const controller = new AbortController();
  // worker_child.ts waits for a line: without one, it and the test would wait forever.
  const timer = setTimeout(() => {
    scope.postMessage("failed no snapshot and no error within 10 s");
    controller.abort();
  }, 10_000);
  const snapshots = watchEndpoints("kubernetes:///echo.prod:grpc", {
    cluster: { kubeconfig: event.data },
    signal: controller.signal,
    onError(error) {
      scope.postMessage(`failed ${error.message}`);
      controller.abort();
    },
  });
  try {
    for await (const snapshot of snapshots) {
      scope.postMessage(`resolved ${snapshot.endpoints.length}`);
      controller.abort();
    }
  } catch (error) {
    // A kubeconfig that cannot be loaded ends the loop.
    scope.postMessage(`failed ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
};
