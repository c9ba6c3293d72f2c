// A Service that exists but resolves to no pod, against a real kube-apiserver and its EndpointSlice controller: the
// empty reason of watchEndpoints() names what the Service's spec says, where the slices leave the cause open. Seen
// on v1.36.3: a selector that matches no pod (or only a Pending one, without an IP) gets one slice with neither
// endpoints nor ports; a pod not ready is listed `ready: false, serving: false`; a Service without a selector, or of
// type ExternalName, gets no slice; a Service without the target's port name gets slices with its own. The reason
// also follows a pod created later, and a selector given later; a selector removed leaves the controller's slice,
// which the reason tells. Nothing is dialed.
import assert from "node:assert/strict";
import { watchEndpoints } from "@kgr/resolver";
import { createNamespace, createService, deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { applyNode, applySelectorService, createUnreadyPod, deleteNode, setPodReady } from "./workloads.ts";
import { openTestCluster } from "./test_cluster.ts";
import { runCli } from "./run_cli.ts";

const log = (line: string) => console.log(`    [shape] ${line}`);
const NODE = "kgr-shape-n1";

Deno.test({
  name: "a Service that exists but resolves to no pod is told by its spec: its selector, type, or ports",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const controller = new AbortController();
    let namespace: string | undefined;
    try {
      // Any other cluster runs its own EndpointSlice controller.
      await cluster.controlPlane?.startControllerManager();
      await applyNode(fetch, NODE, "zone-a");
      namespace = await createNamespace(fetch, "e2e-shape");
      const ns = namespace;
      const kubeconfig = cluster.adminKubeconfigPath;
      /** The first empty reason of `target` that `accept` takes, within `ms`; `step()` runs on each one seen. */
      const reasonOf = async (
        target: string,
        accept: (reason: string) => boolean,
        step?: (reason: string) => void,
        ms = 20_000,
      ) => {
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(ms)]);
        let last = "";
        for await (const snapshot of watchEndpoints(target, { cluster: { kubeconfig }, signal })) {
          last = snapshot.emptyReason ?? "";
          step?.(last);
          if (accept(last)) return last;
        }
        throw new Error(`no such reason for ${target} within ${ms} ms; the last: ${last}`);
      };

      await t.step("a selector that matches no pod, then a pod not ready, then a ready one", async () => {
        await applySelectorService(fetch, ns, { name: "echo", ports: [{ name: "grpc", port: 80, targetPort: 50051 }] });
        let created = false;
        const seen: string[] = [];
        const last = await reasonOf(`kubernetes:///echo.${ns}:grpc`, (reason) => reason === "", async (reason) => {
          if (seen.at(-1) !== reason) seen.push(reason);
          if (created || !reason.startsWith("its selector")) return;
          created = true;
          await createUnreadyPod(fetch, ns, {
            name: "echo-1",
            app: "echo",
            node: NODE,
            ip: "10.216.0.2",
            ports: [{ name: "grpc", containerPort: 50051 }],
          });
          setTimeout(() => void setPodReady(fetch, ns, "echo-1", true), 1_500);
        });
        for (const reason of seen) log(`echo.${ns}:grpc: ${reason || "(ready)"}`);
        assert.equal(last, "");
        assert.ok(
          seen.includes(
            `its selector app=echo matches no pod that has an IP: none exists (scaled to zero?), none has started ` +
              `yet, or namespace ${ns} is being deleted (kubectl get pods -n ${ns} -l app=echo lists them; if it ` +
              `lists running pods with IPs, the EndpointSlice controller left them out, and kubectl describe service ` +
              `echo -n ${ns} shows why in its events)`,
          ),
          seen.join("\n"),
        );
        assert.ok(
          seen.includes(
            `none of its pods is ready: kubectl get pods -n ${ns} -l app=echo lists them, and kubectl describe pod ` +
              `POD -n ${ns} shows why one is not, such as a failing readiness probe`,
          ),
          seen.join("\n"),
        );
      });

      await t.step("a port name the Service lacks names the Service's ports", async () => {
        const reason = await reasonOf(`kubernetes:///echo.${ns}:http`, (reason) => reason.startsWith("service echo"));
        assert.equal(reason, 'service echo has no port named "http" (it has "grpc"): name one of those in the target');
      });

      await t.step("a Service without a selector, given one later", async () => {
        await createService(fetch, ns, "bare", [{ name: "grpc", port: 80, targetPort: 50051 }]);
        let patched = false;
        const reason = await reasonOf(
          `kubernetes:///bare.${ns}:grpc`,
          (reason) => reason.startsWith("its selector app=bare"),
          (reason) => {
            if (patched || !reason.startsWith("service bare has no selector")) return;
            log(`bare.${ns}:grpc: ${reason}`);
            patched = true;
            void kubeRequest(fetch, "PATCH", `/api/v1/namespaces/${ns}/services/bare`, {
              spec: { selector: { app: "bare" } },
            }, "application/merge-patch+json");
          },
        );
        log(`bare.${ns}:grpc with a selector: ${reason}`);
        assert.ok(patched, "the reason without a selector came first");
        // The selector removed: the controller leaves its slice (v1.36.3). A client that joins reads the Service.
        await kubeRequest(fetch, "PATCH", `/api/v1/namespaces/${ns}/services/bare`, {
          spec: { selector: null },
        }, "application/merge-patch+json");
        const left = await reasonOf(`kubernetes:///bare.${ns}:grpc`, (reason) => reason.startsWith("service bare"));
        log(`bare.${ns}:grpc without its selector again: ${left}`);
        assert.match(left, /^service bare has no selector, and its EndpointSlices, which list no pod, are the Endpoi/);
      });

      await t.step(
        "a selector mended to match a pod not ready yet, then changed to one that matches none",
        async () => {
          // v1.36.3 lists that pod in the slice it kept without endpoints, then empties it: the Service is read again
          // at each, and the reason names the selector it has now (it named the old one for 5 to 10 minutes).
          await applySelectorService(fetch, ns, {
            name: "mend",
            ports: [{ name: "grpc", port: 80, targetPort: 50051 }],
          });
          await createUnreadyPod(fetch, ns, {
            name: "mended-1",
            app: "mended",
            node: NODE,
            ip: "10.216.0.3",
            ports: [{ name: "grpc", containerPort: 50051 }],
          });
          const seen: string[] = [];
          const changes: { selector: string; at: number; toldAfter?: number }[] = [];
          const change = (selector: string) => {
            changes.push({ selector, at: Date.now() });
            void kubeRequest(fetch, "PATCH", `/api/v1/namespaces/${ns}/services/mend`, {
              spec: { selector: { app: selector } },
            }, "application/merge-patch+json");
          };
          const last = await reasonOf(
            `kubernetes:///mend.${ns}:grpc`,
            (reason) => reason.startsWith("its selector app=gone "),
            (reason) => {
              if (seen.at(-1) !== reason) seen.push(reason);
              const told = changes.at(-1);
              if (told && told.toldAfter === undefined && reason.includes(`-l app=${told.selector}`)) {
                told.toldAfter = Date.now() - told.at;
              }
              if (changes.length === 0 && reason.startsWith("its selector app=mend ")) change("mended");
              if (changes.length === 1 && reason.includes("-l app=mended lists them")) change("gone");
            },
            30_000,
          );
          for (const reason of seen) log(`mend.${ns}:grpc: ${reason}`);
          for (const { selector, toldAfter } of changes) {
            log(`mend.${ns}:grpc: app=${selector} told after ${toldAfter} ms`);
          }
          assert.match(last, /^its selector app=gone matches no pod/);
          assert.ok(
            seen.some((reason) =>
              reason.startsWith(`none of its pods is ready: kubectl get pods -n ${ns} -l app=mended lists them`)
            ),
            seen.join("\n"),
          );
          // Not after the 10 to 20 s of the reads made while the slices list no pod: at once.
          for (const { selector, toldAfter } of changes) {
            assert.ok(toldAfter !== undefined && toldAfter < 8_000, `app=${selector} told after ${toldAfter} ms`);
          }
        },
      );

      await t.step("a selector changed to another that matches no pod, then the Service deleted", async () => {
        // v1.36.3 leaves the slice as it was: the Service is read again after 10 to 20 s while it lists no pod.
        await applySelectorService(fetch, ns, {
          name: "moved",
          ports: [{ name: "grpc", port: 80, targetPort: 50051 }],
        });
        const seen: string[] = [];
        let changedAt = 0;
        let deleted = false;
        const last = await reasonOf(
          `kubernetes:///moved.${ns}:grpc`,
          (reason) => reason.startsWith("service moved does not exist"),
          (reason) => {
            if (seen.at(-1) !== reason) seen.push(reason);
            if (!changedAt && reason.startsWith("its selector app=moved ")) {
              changedAt = Date.now();
              void kubeRequest(fetch, "PATCH", `/api/v1/namespaces/${ns}/services/moved`, {
                spec: { selector: { app: "elsewhere" } },
              }, "application/merge-patch+json");
            }
            if (!deleted && reason.startsWith("its selector app=elsewhere ")) {
              log(`moved.${ns}:grpc: the new selector told ${Date.now() - changedAt} ms after the change`);
              deleted = true;
              void kubeRequest(fetch, "DELETE", `/api/v1/namespaces/${ns}/services/moved`);
            }
          },
          45_000,
        );
        for (const reason of seen) log(`moved.${ns}:grpc: ${reason}`);
        assert.ok(deleted, seen.join("\n"));
        assert.match(last, /^service moved does not exist in namespace /);
      });

      await t.step("an ExternalName Service, in watchEndpoints() and the CLI's --once", async () => {
        await kubeRequest(fetch, "POST", `/api/v1/namespaces/${ns}/services`, {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "ext" },
          spec: { type: "ExternalName", externalName: "echo.example.com", ports: [{ name: "grpc", port: 50051 }] },
        });
        const expected = "service ext is of type ExternalName (External Name: echo.example.com): it is only a DNS " +
          "alias, with no pods and no EndpointSlices, and the resolver does not follow ExternalName: dial " +
          "dns:///echo.example.com:50051 instead";
        const reason = await reasonOf(`kubernetes:///ext.${ns}:grpc`, (reason) => reason.startsWith("service ext"));
        assert.equal(reason, expected);
        const run = await runCli(["--once", "--kubeconfig", kubeconfig, `kubernetes:///ext.${ns}:grpc`]);
        log(`--once ext.${ns}:grpc:\n${run.stdout}${run.stderr}`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(run.stderr, `kgr-resolver: no usable pod, so calls fail with UNAVAILABLE: ${expected}\n`);
      });
    } finally {
      controller.abort();
      if (namespace) await deleteNamespace(fetch, namespace);
      await deleteNode(fetch, NODE).catch(() => undefined);
      await cluster.stop();
    }
  },
});
