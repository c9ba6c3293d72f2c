// An HA control plane as production clusters have it: one etcd, two kube-apiservers, and a round-robin TCP load
// balancer in front of them (tcp_balancer.ts), which keeps sending connections to a server that went down, as one
// whose health check has not noticed yet. The watch's connection is cut again and again, so each resume meets the
// dead server once before reaching the live one: the endpoints must follow every change, from resumes (no relist),
// and no such transient failure may reach onError. Local control plane only. Only watches: no address is dialed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { localControlPlaneSkipped, startControlPlane } from "./control_plane.ts";
import { applyEndpointSlice, createNamespace, createService } from "./kube_objects.ts";
import { startTcpBalancer } from "./tcp_balancer.ts";

const log = (line: string) => console.log(`    [ha] ${line}`);

Deno.test({
  name: "behind a load balancer of two API servers, one down: resumes reach the other, unreported, without relisting",
  ignore: (await localControlPlaneSkipped(log)) !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const controlPlane = await startControlPlane({ log });
    const controller = new AbortController();
    let balancer: Awaited<ReturnType<typeof startTcpBalancer>> | undefined;
    try {
      const second = await controlPlane.addApiServer();
      const port = (server: string) => Number(new URL(server).port);
      balancer = await startTcpBalancer([port(controlPlane.server), port(second.server)]);
      const fetch = controlPlane.adminFetch;
      const namespace = await createNamespace(fetch, "e2e-ha");
      await createService(fetch, namespace, "echo");
      // Generation g of the Service: one pod at 10.24.<g>.1.
      const write = (generation: number) =>
        applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [{ addresses: [`10.24.${generation}.1`], pod: `p-${generation}` }],
        });
      await write(1);

      const errors: string[] = [];
      const snapshots = watchEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
        cluster: {
          server: `https://127.0.0.1:${balancer.port}`,
          caFile: controlPlane.caFile,
          certFile: join(controlPlane.dir, "admin.crt"),
          keyFile: join(controlPlane.dir, "admin.key"),
        },
        signal: controller.signal,
        onError: (error) => errors.push(error.message),
        backoff: { initialMs: 200, maxMs: 1000 },
      })[Symbol.asyncIterator]();
      const seen: string[] = [];
      const waitFor = async (host: string) => {
        const timer = setTimeout(() => controller.abort(), 15_000);
        try {
          for (let next: IteratorResult<EndpointSnapshot>; !(next = await snapshots.next()).done;) {
            seen.push(next.value.endpoints.map((endpoint) => endpoint.addresses[0].host).join(","));
            if (seen.at(-1) === host) return;
          }
          assert.fail(`no snapshot with ${host} within 15 s: saw ${JSON.stringify(seen)}, errors ${errors}`);
        } finally {
          clearTimeout(timer);
        }
      };
      await waitFor("10.24.1.1");

      await second.kill();
      const cuts = 4;
      for (let generation = 2; generation < 2 + cuts; generation++) {
        assert.equal(balancer.cut(0) + balancer.cut(1), 1, "the watch has one connection, cut here");
        await write(generation);
        await waitFor(`10.24.${generation}.1`);
      }
      log(`connections per server ${balancer.connections()}, refused ${balancer.refused()}`);
      assert.deepEqual(balancer.refused(), [0, cuts], "every resume met the dead server once");
      assert.deepEqual(errors, []);
      // A watch has two audit events (ResponseStarted, ResponseComplete): one request is one auditID.
      const lists = new Set(
        (await controlPlane.auditEvents()).filter((event) =>
          event.requestURI.includes(`/namespaces/${namespace}/`) && event.user.username === "kgr-e2e-admin" &&
          (event.verb === "list" || /sendInitialEvents=true/.test(event.requestURI))
        ).map((event) => event.auditID),
      );
      assert.equal(lists.size, 1, "one list at the start, then resumes only");
    } finally {
      controller.abort();
      await balancer?.close();
      await controlPlane.stop();
    }
  },
});
