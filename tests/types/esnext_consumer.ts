// tests/types/es2022_consumer.ts's project with lib esnext (`"lib": ["esnext"]`, `"types": []`): without Node's
// types, `await using` of what watchEndpoints() and startFakeApiServer() return still type-checks, by the lib's own
// `AsyncDisposable`. Type-checked by tests/declarations_test.ts and scripts/pack_check.sh. It is never run.
import { parseTarget, watchEndpoints } from "@kgr/resolver";
import { startFakeApiServer } from "@kgr/resolver/testing";

/** Counts the pods of a Service of the fake API server; both are closed when the block ends. */
export async function countPods(): Promise<number> {
  await using api = await startFakeApiServer({ token: "test" });
  await using snapshots = watchEndpoints(parseTarget("kubernetes:///cart.shop:grpc"), {
    cluster: { kubeconfig: api.kubeconfig() },
  });
  const disposables: AsyncDisposable[] = [api, snapshots];
  for await (const snapshot of snapshots) return snapshot.endpoints.length + disposables.length - 2;
  return 0;
}
