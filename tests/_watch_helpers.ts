// Shared by the tests that follow a Service through the public watchEndpoints().
import { type ClusterOptions, type EndpointSnapshot, type ResolverError, watchEndpoints } from "@kgr/resolver";

/** Follows `kubernetes:///echo.prod:grpc` (or `options.target`) through the public API, collecting snapshots and errors. */
export function follow(
  cluster: ClusterOptions,
  options: { stallTimeoutMs?: number; initialMs?: number; maxMs?: number; target?: string; watchList?: boolean } = {},
) {
  const controller = new AbortController();
  const snapshots: EndpointSnapshot[] = [];
  const errors: ResolverError[] = [];
  const done = (async () => {
    const iterable = watchEndpoints(options.target ?? "kubernetes:///echo.prod:grpc", {
      cluster,
      signal: controller.signal,
      stallTimeoutMs: options.stallTimeoutMs,
      watchList: options.watchList,
      backoff: { initialMs: options.initialMs ?? 20, maxMs: options.maxMs ?? 100 },
      onError: (error) => errors.push(error),
    });
    for await (const snapshot of iterable) snapshots.push(snapshot);
  })();
  return {
    snapshots,
    errors,
    pods: () => snapshots.at(-1)?.endpoints.map((endpoint) => endpoint.podName).join(",") ?? "(none)",
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` holds, polling every 10 ms, for at most `ms`. */
export async function eventually(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}
