// `kgr-resolver check` on targets whose Service gives no pod, against a real kube-apiserver and its EndpointSlice
// and EndpointSliceMirroring controllers: the check reads the Service and says which case applies (not found, with
// the name meant; ExternalName; no selector and no Endpoints object, an empty one, or one the mirroring controller
// skips; a selector that matches no pod), as `kubectl describe service` shows it. A user who may not read Services
// gets what the slices alone tell. Only the CLI runs here: nothing is dialed.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createService,
  createServiceAccount,
  deleteNamespace,
  kubeRequest,
  listEndpointSlices,
  requestToken,
} from "./kube_objects.ts";
import { applySelectorService } from "./workloads.ts";
import { clientKubeconfig } from "./echo_clients.ts";
import { openTestCluster } from "./test_cluster.ts";
import { runCli } from "./run_cli.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test({
  name: "kgr-resolver check reads the Service to say why a target resolves to no pod",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const folder = await mkdtemp(join(tmpdir(), "kgr-cli-e2e-"));
    let namespace: string | undefined;
    try {
      // Any other cluster runs its own controllers.
      await cluster.controlPlane?.startControllerManager();
      namespace = await createNamespace(fetch, "e2e-cli-svc");
      const ns = namespace;
      const create = (path: string, body: Record<string, unknown>) =>
        kubeRequest(fetch, "POST", `/api/v1/namespaces/${ns}/${path}`, { apiVersion: "v1", ...body });
      await applySelectorService(fetch, ns, {
        name: "echo",
        ports: [{ name: "grpc", port: 50051, targetPort: 50051 }],
      });
      await create("services", {
        kind: "Service",
        metadata: { name: "external" },
        spec: { type: "ExternalName", externalName: "echo.example.com", ports: [{ name: "grpc", port: 50051 }] },
      });
      await createService(fetch, ns, "manual");
      await createService(fetch, ns, "empty");
      await create("endpoints", { kind: "Endpoints", metadata: { name: "empty" } });
      await createService(fetch, ns, "skipped");
      await create("endpoints", {
        kind: "Endpoints",
        metadata: { name: "skipped", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
        subsets: [{ addresses: [{ ip: "10.32.0.1" }], ports: [{ name: "grpc", port: 50051 }] }],
      });
      // The EndpointSlice controller writes one slice without endpoints for a selector that matches no pod.
      for (let attempt = 0; (await listEndpointSlices(fetch, ns, "echo")).items.length === 0; attempt++) {
        assert.ok(attempt < 100, "the EndpointSlice controller writes echo's slice within 20 s");
        await sleep(200);
      }

      const check = async (target: string, kubeconfig = cluster.adminKubeconfigPath) => {
        const run = await runCli(["check", "--kubeconfig", kubeconfig, `kubernetes:///${target}`]);
        log(`check ${target}:\n${run.stdout}`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /^FAILED: \S+ resolves to no usable pod; see the resolve step above$/m);
        return run.stdout;
      };
      const resolve = (detail: string) =>
        new RegExp(`^FAILED +resolve +no usable pod, so calls fail with UNAVAILABLE: ${detail}$`, "m");

      // kubectl get service ech: Error from server (NotFound): services "ech" not found.
      await t.step("a Service that does not exist, with the name meant", async () => {
        assert.match(
          await check(`ech.${ns}:grpc`),
          resolve(
            `service ech does not exist in namespace ${ns} \\(kubectl get services -n ${ns} lists those there ` +
              "are\\): did you mean echo\\?",
          ),
        );
      });
      await t.step("a Service that does not exist", async () => {
        assert.match(
          await check(`nosuch.${ns}:grpc`),
          resolve(
            `service nosuch does not exist in namespace ${ns} \\(kubectl get services -n ${ns} lists those there are\\)`,
          ),
        );
      });
      // kubectl describe service external: Type: ExternalName, External Name: echo.example.com.
      const dial = (port: string) =>
        resolve(
          escape(
            "service external is of type ExternalName (External Name: echo.example.com): it is only a DNS alias, " +
              "with no pods and no EndpointSlices, and the resolver does not follow ExternalName: dial " +
              `dns:///echo.example.com${port} instead`,
          ),
        );
      await t.step("an ExternalName Service", async () => {
        assert.match(await check(`external.${ns}:grpc`), dial(":50051"));
        assert.match(await check(`external.${ns}`), dial(":50051"));
      });
      // kubectl describe service manual: Selector: <none>, Endpoints: <none>.
      await t.step("a Service without a selector or an Endpoints object", async () => {
        assert.match(
          await check(`manual.${ns}:grpc`),
          resolve(
            escape(
              `service manual has no selector and no Endpoints object of its name (kubectl describe service manual -n ` +
                `${ns} shows Selector: <none>, Endpoints: <none>): create one that lists the backends' addresses`,
            ) + ".*",
          ),
        );
      });
      await t.step("a Service without a selector whose Endpoints object is empty", async () => {
        assert.match(
          await check(`empty.${ns}:grpc`),
          resolve(escape(
            `service empty has no selector, and its Endpoints object lists no address (kubectl get endpoints empty ` +
              `-n ${ns}), so the EndpointSliceMirroring controller writes no EndpointSlice for it: add the backends' ` +
              "addresses to it, give the Service a selector, or write EndpointSlices of its own labeled " +
              "kubernetes.io/service-name=empty (the resolver, like kube-proxy, reads EndpointSlices only)",
          )),
        );
      });
      await t.step("a Service without a selector whose Endpoints object is not mirrored", async () => {
        assert.match(
          await check(`skipped.${ns}:grpc`),
          resolve(
            escape(
              "service skipped has no selector, and its Endpoints object is labeled " +
                "endpointslice.kubernetes.io/skip-mirror=true (kubectl get endpoints skipped -n " +
                `${ns} --show-labels), so the EndpointSliceMirroring controller does not mirror it into EndpointSlices: ` +
                "remove that label",
            ) + ".*",
          ),
        );
      });
      // kubectl get pods -l app=echo: No resources found in <namespace> namespace.
      await t.step("a Service whose selector matches no pod", async () => {
        assert.match(
          await check(`echo.${ns}:grpc`),
          resolve(escape(
            `service echo's selector app=echo matches no pod (kubectl get pods -n ${ns} -l app=echo says "No ` +
              `resources found"): check the pods' labels, or scale its workload up`,
          )),
        );
      });

      // The EndpointSlice controller leaves the slices of a Service turned ExternalName as they were, and the resolver
      // follows them where DNS and kube-proxy do not: check passes, with the doubt and the name to dial.
      await t.step("an ExternalName Service whose EndpointSlices still list pods", async () => {
        await create("services", {
          kind: "Service",
          metadata: { name: "renamed" },
          spec: { type: "ExternalName", externalName: "echo.example.com", ports: [{ name: "grpc", port: 50051 }] },
        });
        await kubeRequest(fetch, "POST", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { name: "renamed-left", labels: { "kubernetes.io/service-name": "renamed" } },
          addressType: "IPv4",
          ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
          endpoints: [{ addresses: ["10.32.0.9"], conditions: { ready: true } }],
        });
        const run = await runCli([
          "check",
          "--kubeconfig",
          cluster.adminKubeconfigPath,
          `kubernetes:///renamed.${ns}:grpc`,
        ]);
        log(`check renamed.${ns}:grpc:\n${run.stdout}`);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(
          run.stdout,
          new RegExp(
            "^unknown +service +" + escape(
              "service renamed is of type ExternalName (External Name: echo.example.com): DNS answers with that " +
                "name and kube-proxy ignores the Service, but EndpointSlices labeled with its name still list pods, " +
                "which the resolver follows: dial dns:///echo.example.com:50051 instead, or delete those slices and, " +
                "if they are mirrored from an Endpoints object of its name, that object, which the " +
                `EndpointSliceMirroring controller would mirror again (kubectl get endpoints renamed -n ${ns})`,
            ) + "$",
            "m",
          ),
        );
        assert.match(run.stdout, /^ok: \S+ resolves with these credentials; see the service step above$/m);
      });

      // An ExternalName Service without a selector and an Endpoints object of its name: the EndpointSliceMirroring
      // controller mirrors that object, and writes again a mirrored slice deleted, so deleting the slices is no fix.
      await t.step("an ExternalName Service whose EndpointSlices are mirrored from an Endpoints object", async () => {
        await create("services", {
          kind: "Service",
          metadata: { name: "aliased" },
          spec: { type: "ExternalName", externalName: "echo.example.com", ports: [{ name: "grpc", port: 50051 }] },
        });
        await create("endpoints", {
          kind: "Endpoints",
          metadata: { name: "aliased" },
          subsets: [{ addresses: [{ ip: "10.32.0.11" }], ports: [{ name: "grpc", port: 50051 }] }],
        });
        const mirrored = async () => {
          for (let attempt = 0;; attempt++) {
            const { items } = await listEndpointSlices(fetch, ns, "aliased");
            if (items.length > 0) return items[0].metadata.name!;
            assert.ok(attempt < 100, "the EndpointSliceMirroring controller writes aliased's slice within 20 s");
            await sleep(200);
          }
        };
        const slice = await mirrored();
        await kubeRequest(fetch, "DELETE", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${slice}`);
        log(`mirrored slice ${slice} deleted; written again as ${await mirrored()}`);
        const run = await runCli([
          "check",
          "--kubeconfig",
          cluster.adminKubeconfigPath,
          `kubernetes:///aliased.${ns}:grpc`,
        ]);
        log(`check aliased.${ns}:grpc:\n${run.stdout}`);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        // Was: "... instead, or delete those slices", which the controller writes again.
        assert.match(
          run.stdout,
          new RegExp(
            "^unknown +service +.*: dial dns:///echo\\.example\\.com:50051 instead, " + escape(
              "or delete those slices and, if they are mirrored from an Endpoints object of its name, that object, " +
                "which the EndpointSliceMirroring controller would mirror again " +
                `(kubectl get endpoints aliased -n ${ns})`,
            ) + "$",
            "m",
          ),
        );
      });

      // A Service scaled to zero, then turned ExternalName: the controller leaves its slice without endpoints, and the
      // slices' reason alone ("scaled to zero") would have the user scale up, which the controller no longer follows.
      await t.step("an ExternalName Service whose EndpointSlices list no pod", async () => {
        await applySelectorService(fetch, ns, {
          name: "zeroed",
          ports: [{ name: "grpc", port: 50051, targetPort: 50051 }],
        });
        for (let attempt = 0; (await listEndpointSlices(fetch, ns, "zeroed")).items.length === 0; attempt++) {
          assert.ok(attempt < 100, "the EndpointSlice controller writes zeroed's slice within 20 s");
          await sleep(200);
        }
        await kubeRequest(
          fetch,
          "PATCH",
          `/api/v1/namespaces/${ns}/services/zeroed`,
          { spec: { type: "ExternalName", externalName: "echo.example.com" } },
          "application/merge-patch+json",
        );
        await sleep(2000);
        assert.equal((await listEndpointSlices(fetch, ns, "zeroed")).items.length, 1, "the slice stays");
        // Was: "its EndpointSlices list no pod: the Service selects none, it is scaled to zero, or namespace ...".
        assert.match(
          await check(`zeroed.${ns}:grpc`),
          resolve(
            escape(
              "service zeroed is of type ExternalName (External Name: echo.example.com): DNS answers with that name " +
                "and kube-proxy ignores the Service; the EndpointSlices labeled with its name, which the resolver " +
                "follows and the EndpointSlice controller no longer updates, list no usable pod: dial " +
                "dns:///echo.example.com:50051 instead, or delete those slices and, if they are mirrored from an " +
                "Endpoints object of its name, that object, which the EndpointSliceMirroring controller would mirror " +
                `again (kubectl get endpoints zeroed -n ${ns})`,
            ),
          ),
        );
      });

      // A user who may list slices but not read Services is told what the slices tell, as before.
      await t.step("a user who may not read Services", async () => {
        await createEndpointSliceReaderRole(fetch, ns, { services: false });
        await createServiceAccount(fetch, ns, "reader");
        await bindEndpointSliceReader(fetch, ns, "reader");
        const kubeconfig = join(folder, "reader.json");
        const token = await requestToken(fetch, ns, "reader");
        await writeFile(kubeconfig, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, ns)));
        const reader = await check(`external.${ns}:grpc`, kubeconfig);
        assert.match(reader, resolve(`it has no EndpointSlice: check that the Service exists in namespace ${ns}.*`));
        assert.doesNotMatch(reader, /ExternalName \(External Name/);
      });
    } finally {
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await rm(folder, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
