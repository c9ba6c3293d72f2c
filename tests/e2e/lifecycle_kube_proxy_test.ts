// A Service and its Namespace changing shape under a running client, held to the real kube-proxy v1.36.3 on the
// same slices (the real EndpointSlice and namespace controllers write and delete them): after each change, the
// pods a watchEndpoints() client uses must be the pods kube-proxy DNATs a new connection to the Service's
// ClusterIP to. The changes are those operators make: the Service deleted and created again with another selector,
// its selector changed in place, its port renamed (a target without a port follows the Service's port, as
// kube-proxy does), every pod terminating (still serving, then not), a scale to zero and back, and the Namespace
// deleted and created again. kube-proxy's rules only get read: no pod address is dialed.
import assert from "node:assert/strict";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { deleteNamespace, kubeRequest } from "./kube_objects.ts";
import { type KubeProxies, startKubeProxies } from "./kube_proxy.ts";
import { kubeProxyTest } from "./kube_proxy_case.ts";
import {
  applyNode,
  createReadyPod,
  deleteNode,
  deletePod,
  forgetPod,
  setNodeStatus,
  setPodReady,
} from "./workloads.ts";

const log = (line: string) => console.log(`    [lifecycle kube-proxy] ${line}`);
const NODE = "kgr-lifecycle-kp";
const SERVICE_PORT = 80;
/** Pods by name: app and address (never dialed). */
const PODS: Record<string, { app: string; ip: string }> = {
  "blue-1": { app: "blue", ip: "10.213.240.1" },
  "blue-2": { app: "blue", ip: "10.213.240.2" },
  "green-1": { app: "green", ip: "10.213.241.1" },
};
const podOf = new Map(Object.entries(PODS).map(([name, { ip }]): [string, string] => [ip, name]));

await kubeProxyTest(
  "service lifecycle: after each change of a Service or its Namespace, a client uses the pods kube-proxy uses",
  log,
  async (t, cluster, controlPlane) => {
    const fetch = cluster.adminFetch;
    const namespace = `e2e-lifecycle-kp-${crypto.randomUUID().slice(0, 6)}`;
    const recorders: ReturnType<typeof recordEndpoints>[] = [];
    let proxies: KubeProxies | undefined;
    try {
      await applyNode(fetch, NODE, "zone-a");
      await setNodeStatus(fetch, NODE, { address: "10.213.239.1" });
      const services = `/api/v1/namespaces/${namespace}/services`;
      const createNamespace = () =>
        kubeRequest(fetch, "POST", "/api/v1/namespaces", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: namespace, labels: { "e2e.kgr-resolver/test": "true" } },
        });
      const createService = (app: string, portName = "grpc") =>
        kubeRequest(fetch, "POST", services, {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "echo" },
          spec: { selector: { app }, ports: [{ name: portName, port: SERVICE_PORT, targetPort: "grpc" }] },
        });
      const patchService = (spec: Record<string, unknown>) =>
        kubeRequest(fetch, "PATCH", `${services}/echo`, { spec }, "application/merge-patch+json");
      const createPod = (name: string) =>
        createReadyPod(fetch, namespace, {
          name,
          app: PODS[name].app,
          node: NODE,
          ip: PODS[name].ip,
          ports: [{ name: "grpc", containerPort: 50051 }],
        });
      const createAll = async () => {
        await createNamespace();
        await createService("blue");
        for (const name of Object.keys(PODS)) await createPod(name);
      };
      await createAll();
      const running = await startKubeProxies(controlPlane, [NODE], log);
      proxies = running;
      const named = recordEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
        cluster: { kubeconfig: cluster.adminKubeconfigPath },
      });
      const portless = recordEndpoints(`kubernetes:///echo.${namespace}`, {
        cluster: { kubeconfig: cluster.adminKubeconfigPath },
      });
      recorders.push(named, portless);
      const pods = (recorder: typeof named) =>
        (recorder.snapshots.at(-1)?.snapshot.endpoints ?? []).map((endpoint) => endpoint.podName).sort().join(",");
      /** kube-proxy's destinations for the Service's ClusterIP, as pod names; "(no Service)" when there is none. */
      const kubeProxy = async () => {
        const response = await fetch(`${services}/echo`);
        if (response.status === 404) {
          await response.body?.cancel();
          return "(no Service)";
        }
        const { spec } = await response.json() as { spec: { clusterIP: string } };
        const destinations = await running.proxies[0].destinations(spec.clusterIP, SERVICE_PORT);
        return destinations === undefined ? "(not programmed)" : destinations.map((destination) => {
          // `ip:port`: a pod by name on its container port, with the port when kube-proxy sends elsewhere.
          const [ip, port] = destination.split(":");
          return port === "50051" ? podOf.get(ip) ?? ip : destination;
        }).join(",");
      };

      /**
       * Waits (kube-proxy syncs at most once a second) until kube-proxy and both clients show `expected`: the named
       * target `named` instead when it names a port the Service no longer has.
       */
      const compare = async (situation: string, expected: string, namedTarget = expected) => {
        await t.step(situation, async () => {
          const want = {
            kubeProxy: expected === "" ? ["", "(no Service)"] : [expected],
            named: namedTarget,
            portless: expected,
          };
          const read = async () => ({ kubeProxy: await kubeProxy(), named: pods(named), portless: pods(portless) });
          const agrees = (now: Awaited<ReturnType<typeof read>>) =>
            want.kubeProxy.includes(now.kubeProxy) && now.named === want.named && now.portless === want.portless;
          const end = Date.now() + 20_000;
          let now = await read();
          while (!agrees(now) && Date.now() < end) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            now = await read();
          }
          assert.ok(
            agrees(now),
            `${situation}: want ${JSON.stringify(want)}, got ${JSON.stringify(now)}\n` +
              (await running.proxies[0].logs(15)),
          );
          log(`${situation}: kube-proxy → ${now.kubeProxy || "(none)"}; clients → ${now.portless || "(none)"}`);
        });
      };

      await compare("two ready pods", "blue-1,blue-2");
      await kubeRequest(fetch, "DELETE", `${services}/echo`);
      await createService("green");
      await compare("the Service deleted and created again with another selector", "green-1");
      await patchService({ selector: { app: "blue" } });
      await compare("its selector changed back in place", "blue-1,blue-2");
      await patchService({ ports: [{ name: "rpc", port: SERVICE_PORT, targetPort: "grpc" }] });
      await compare("its port renamed: a target naming the old name has none", "blue-1,blue-2", "");
      await patchService({ ports: [{ name: "grpc", port: SERVICE_PORT, targetPort: "grpc" }] });
      await compare("and named back", "blue-1,blue-2");

      // Every pod terminating (a scale to zero, a namespace's deletion): kube-proxy falls back to those serving.
      await deletePod(fetch, namespace, "blue-1");
      await deletePod(fetch, namespace, "blue-2");
      await compare("every pod terminating, still serving", "blue-1,blue-2");
      await setPodReady(fetch, namespace, "blue-1", false);
      await setPodReady(fetch, namespace, "blue-2", false);
      await compare("every pod terminating, none serving", "");
      await forgetPod(fetch, namespace, "blue-1");
      await forgetPod(fetch, namespace, "blue-2");
      await compare("scaled to zero", "");
      await createPod("blue-1");
      await compare("scaled back to one", "blue-1");

      // The namespace controller deletes the Service and pods (pods without a kubelet stay until forgotten).
      await deleteNamespace(fetch, namespace);
      for (const name of Object.keys(PODS)) await forgetPod(fetch, namespace, name);
      await compare("the Namespace deleted", "");
      for (let attempt = 0;; attempt++) {
        const response = await fetch(`/api/v1/namespaces/${namespace}`);
        await response.body?.cancel();
        if (response.status === 404) break;
        assert.ok(attempt < 150, "the namespace controller removes an emptied namespace within 30 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await createAll();
      await compare("the Namespace, Service and pods created again", "blue-1,blue-2");
      for (const recorder of recorders) {
        assert.deepEqual(recorder.errors.map(({ error }) => error.message), [], "no watch error throughout");
      }
    } finally {
      for (const recorder of recorders) await recorder.stop();
      await proxies?.stop();
      await deleteNamespace(fetch, namespace).catch(() => {});
      await deleteNode(fetch, NODE).catch(() => {});
    }
  },
);
