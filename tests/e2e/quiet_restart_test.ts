// kube-apiserver killed and started again on an etcd that nothing wrote to meanwhile: the watch of a quiet Service
// resumes from its resourceVersion, and the server sends nothing on it until its first bookmark, about 2 minutes
// later. watchEndpoints() must say that the outage is over once the resumed watch has been open for minWatchMs,
// not at that bookmark. Local control plane only. Only watches: no address is dialed.
import assert from "node:assert/strict";
import { type ResolverError, watchEndpoints } from "@kgr/resolver";
import { localControlPlaneSkipped, startControlPlane } from "./control_plane.ts";
import { applyEndpointSlice, createService, kubeRequest } from "./kube_objects.ts";
import { eventually, sleep } from "../_watch_helpers.ts";

const log = (line: string) => console.log(`    [quiet-restart] ${line}`);
const skipped = (await localControlPlaneSkipped(log)) !== undefined;

Deno.test({
  name: "a quiet Service's watch, resumed after the API server was killed and started again, recovers at once",
  ignore: skipped,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const controlPlane = await startControlPlane({ log });
    const controller = new AbortController();
    try {
      const fetch = controlPlane.adminFetch;
      const namespace = `e2e-quiet-restart-${crypto.randomUUID().slice(0, 8)}`;
      await kubeRequest(fetch, "POST", "/api/v1/namespaces", { metadata: { name: namespace } });
      await createService(fetch, namespace, "echo");
      await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: [{ addresses: ["10.25.0.1"] }] });
      const errors: { at: number; error: ResolverError }[] = [];
      const recoveries: number[] = [];
      let snapshots = 0;
      const loop = (async () => {
        const iterable = watchEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
          cluster: { kubeconfig: controlPlane.adminKubeconfigPath },
          signal: controller.signal,
          backoff: { initialMs: 200, maxMs: 1000 },
          onError: (error) => errors.push({ at: Date.now(), error }),
          onRecovered: () => recoveries.push(Date.now()),
        });
        for await (const _ of iterable) snapshots++;
      })();
      await eventually(() => snapshots > 0, "the first snapshot", 20_000);
      // The watch is open from the list's resourceVersion before the server goes.
      await sleep(2000);
      await controlPlane.killApiServer();
      await eventually(() => errors.length > 0, "an error while the API server is down", 20_000);
      const restarted = Date.now();
      await controlPlane.startApiServer();
      const ready = Date.now();
      await eventually(
        () => recoveries.some((at) => at >= errors.at(-1)!.at),
        "onRecovered after the restart",
        150_000,
      );
      const recovered = recoveries.at(-1)! - ready;
      // The server answers watches a little before its /readyz does: the recovery may come before `ready`.
      log(
        `onRecovered ${recoveries.at(-1)! - restarted} ms after the restart began, ${recovered} ms after the API ` +
          `server was ready (${ready - restarted} ms); errors: ${errors.length}`,
      );
      // Within the backoff (at most 1 s) and minWatchMs (1 s) of readiness, not at the first bookmark (2 minutes).
      assert.ok(recovered < 5000, `onRecovered ${recovered} ms after the API server was ready`);
      assert.equal(snapshots, 1, "the endpoints did not change: no new snapshot");
      controller.abort();
      await loop;
    } finally {
      controller.abort();
      await controlPlane.stop();
    }
  },
});
