// A target whose Service, or whose namespace, does not exist, against a real kube-apiserver and its EndpointSlice
// controller: the library's empty snapshots and the CLI's --once say which is missing, as kubectl does (a GET of the
// Service answers `services "ech" not found` in a namespace that does not exist too; kubectl then GETs the
// Namespace), and the reason follows a Service created later without pods. Nothing is dialed.
import assert from "node:assert/strict";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { createNamespace, createService, deleteNamespace } from "./kube_objects.ts";
import { applySelectorService } from "./workloads.ts";
import { openTestCluster } from "./test_cluster.ts";
import { runCli } from "./run_cli.ts";
import { eventually } from "../_watch_helpers.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);

Deno.test({
  name: "a Service or a namespace that does not exist is named so by watchEndpoints() and the CLI's --once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const controller = new AbortController();
    let namespace: string | undefined;
    let following: Promise<void> | undefined;
    try {
      // Any other cluster runs its own EndpointSlice controller.
      await cluster.controlPlane?.startControllerManager();
      namespace = await createNamespace(fetch, "e2e-missing");
      const ns = namespace;
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: "grpc", port: 50051, targetPort: 50051 }],
      });
      const kubeconfig = cluster.adminKubeconfigPath;

      await t.step(
        "watchEndpoints() follows a Service that does not exist until it is created without pods",
        async () => {
          let last: EndpointSnapshot | undefined;
          following = (async () => {
            const options = { cluster: { kubeconfig }, signal: controller.signal };
            for await (const snapshot of watchEndpoints(`kubernetes:///later.${ns}:grpc`, options)) last = snapshot;
          })();
          const reason = () => last?.emptyReason ?? "";
          // Was "it has no EndpointSlice: check that the Service exists in namespace ..., and that namespace ... does".
          await eventually(
            () => reason().startsWith("service later does not"),
            "the Service's 404 in the reason",
            20_000,
          );
          assert.equal(
            reason(),
            `service later does not exist in namespace ${ns} (kubectl get services -n ${ns} lists those there are)`,
          );
          // kubectl get endpointslices -l kubernetes.io/service-name=later: one slice without endpoints.
          await applySelectorService(fetch, ns, {
            name: "later",
            ports: [{ name: "grpc", port: 50051, targetPort: 50051 }],
          });
          await eventually(
            () => reason().startsWith("its EndpointSlices list"),
            "the reason of a Service without pods",
            20_000,
          );
          assert.match(reason(), /^its EndpointSlices list no pod: the Service selects none/);
        },
      );

      await t.step("--once names the Service meant", async () => {
        const run = await runCli(["--once", "--kubeconfig", kubeconfig, `kubernetes:///ech.${ns}:grpc`]);
        log(`--once ech.${ns}:grpc:\n${run.stdout}${run.stderr}`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(
          run.stderr,
          "kgr-resolver: no usable pod, so calls fail with UNAVAILABLE: service ech does not exist in namespace " +
            `${ns} (kubectl get services -n ${ns} lists those there are): did you mean echo?\n`,
        );
      });

      // kubectl get service echo -n <none>: Error from server (NotFound): namespaces "<none>" not found.
      await t.step("--once and watchEndpoints() name a namespace that does not exist", async () => {
        const none = `${ns}-none`;
        const run = await runCli(["--once", "--kubeconfig", kubeconfig, `kubernetes:///echo.${none}:grpc`]);
        log(`--once echo.${none}:grpc:\n${run.stdout}${run.stderr}`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stderr, new RegExp(`UNAVAILABLE: namespace ${none} does not exist \\(kubectl get namespaces`));
        const options = { cluster: { kubeconfig }, signal: controller.signal };
        for await (const snapshot of watchEndpoints(`kubernetes:///echo.${none}:grpc`, options)) {
          if (snapshot.emptyReason?.startsWith(`namespace ${none} does not exist`)) break;
        }
      });

      // No selector: the controller writes no slice, and the watch does not list again for 5 to 10 minutes.
      await t.step(
        "watchEndpoints() stops saying a Service created later without a selector does not exist",
        async () => {
          const options = { cluster: { kubeconfig }, signal: controller.signal };
          let created = 0;
          for await (const snapshot of watchEndpoints(`kubernetes:///bare.${ns}:grpc`, options)) {
            const reason = snapshot.emptyReason ?? "";
            if (created === 0 && reason.startsWith("service bare does not exist")) {
              await createService(fetch, ns, "bare");
              created = Date.now();
            } else if (created !== 0 && !reason.includes("does not exist")) {
              log(`bare.${ns}: ${Date.now() - created} ms after its creation: ${reason}`);
              assert.match(reason, /^service bare has no selector, so no controller writes its EndpointSlices/);
              assert.ok(Date.now() - created <= 31_000, `${Date.now() - created} ms after its creation`);
              break;
            }
          }
          assert.notEqual(created, 0, "the 404 came");
        },
      );
    } finally {
      controller.abort();
      await following;
      if (namespace) await deleteNamespace(fetch, namespace);
      await cluster.stop();
    }
  },
});
