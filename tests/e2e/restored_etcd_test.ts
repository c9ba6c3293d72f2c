// A disaster recovery: kube-apiserver restarted on an etcd whose history is shorter than the one the watch came from, as
// after `etcdutl snapshot restore` of an older snapshot without --bump-revision. The server accepts the watch's resume
// from a resourceVersion it has not reached and sends nothing until it does (client-go's reflector keeps its old
// slices; `kubectl get -w` ends as the API server goes down). Local control plane only. Only watches: no address is
// dialed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { localControlPlaneSkipped, startControlPlane } from "./control_plane.ts";
import { applyEndpointSlice, createService, kubeRequest } from "./kube_objects.ts";

const log = (line: string) => console.log(`    [restored-etcd] ${line}`);
const skipped = (await localControlPlaneSkipped(log)) !== undefined;

Deno.test({
  name: "an API server restarted on an etcd with a shorter history: its EndpointSlices replace the state",
  ignore: skipped,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const controlPlane = await startControlPlane({ log });
    const controller = new AbortController();
    try {
      const fetch = controlPlane.adminFetch;
      const namespace = `e2e-restored-${crypto.randomUUID().slice(0, 8)}`;
      const create = async (address: string) => {
        await kubeRequest(fetch, "POST", "/api/v1/namespaces", { metadata: { name: namespace } });
        await createService(fetch, namespace, "echo");
        return applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: [{ addresses: [address] }] });
      };
      await create("10.24.0.1");
      const snapshots = watchEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
        cluster: {
          server: controlPlane.server,
          caFile: controlPlane.caFile,
          certFile: join(controlPlane.dir, "admin.crt"),
          keyFile: join(controlPlane.dir, "admin.key"),
        },
        signal: controller.signal,
        stallTimeoutMs: 2000,
        backoff: { initialMs: 200, maxMs: 1000 },
      })[Symbol.asyncIterator]();
      const waitFor = async (host: string) => {
        const timer = setTimeout(() => controller.abort(), 20_000);
        const seen: string[] = [];
        try {
          for (let next: IteratorResult<EndpointSnapshot>; !(next = await snapshots.next()).done;) {
            seen.push(next.value.endpoints.map((endpoint) => endpoint.addresses[0].host).join(","));
            if (seen.at(-1) === host) return seen;
          }
          assert.fail(`no snapshot with ${host} within 20 s: saw ${JSON.stringify(seen)}`);
        } finally {
          clearTimeout(timer);
        }
      };
      // Forty changes take the watch's resourceVersion well past where a new etcd's is once its API server is up.
      let held = "";
      for (let generation = 1; generation <= 40; generation++) {
        const address = `10.24.${generation}.1`;
        held = (await applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [{ addresses: [address] }],
        }))
          .resourceVersion;
      }
      await waitFor("10.24.40.1");
      await controlPlane.stopApiServer();
      await controlPlane.startApiServer({ etcdUrl: await controlPlane.startEtcd() });
      const restored = await create("10.24.99.1");
      log(`the watch holds resourceVersion ${held}; the new history's slice is at ${restored.resourceVersion}`);
      assert.ok(Number(restored.resourceVersion) < Number(held), "the new history is behind the watch");
      const begin = Date.now();
      // Two quiet watches (2 s each), then the checks: the state is the new history's. On a loaded machine the checks
      // may come before the write above (4 s or more after the server was ready): the new history's empty state first.
      const seen = await waitFor("10.24.99.1");
      assert.ok(
        seen.every((hosts) => hosts === "" || hosts === "10.24.99.1"),
        `old endpoints: ${JSON.stringify(seen)}`,
      );
      log(`the new history's endpoints came ${Date.now() - begin} ms after it was written`);
    } finally {
      controller.abort();
      await controlPlane.stop();
    }
  },
});
