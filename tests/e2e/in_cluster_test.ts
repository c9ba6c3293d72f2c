// The in-cluster service account, found as a program in a pod finds it: KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT, and the token, CA and namespace files at /var/run/secrets/kubernetes.io/serviceaccount,
// laid out as the kubelet's projected volume is, each client (Node, Bun, Deno) in a mount namespace of its own
// (see pod_sandbox.ts). The target names no namespace, so the account's is used. Needs root and `unshare`
// (skipped without). Only watches: no address is dialed.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIMES } from "./echo_clients.ts";
import { applyEndpointSlice, deleteNamespace, requestToken } from "./kube_objects.ts";
import { canUnshareMounts, runInPod, writeProjectedVolume } from "./pod_sandbox.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [in-cluster] ${line}`);
const root = new URL("../../", import.meta.url).pathname;
const HOSTS = ["10.213.250.1", "10.213.250.2"];

Deno.test({
  name: "in a pod: the service account's token, CA and namespace find the Service on Node, Bun and Deno",
  ignore: !(await canUnshareMounts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(join(root, "dist/mod.js")), "Node and Bun clients need the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const directory = await mkdtemp(join(tmpdir(), "kgr-in-cluster-"));
    let namespace: string | undefined;
    try {
      if (!cluster.ca) {
        log(`skipped: ${cluster.description} has no CA of its own to put in ca.crt`);
        return;
      }
      const setup = await readerSetup(cluster, "e2e-in-cluster");
      namespace = setup.namespace;
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: HOSTS.map((address, i) => ({ addresses: [address], pod: `echo-${i}`, ready: true })),
      });
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      await writeProjectedVolume(join(directory, "serviceaccount"), { token, "ca.crt": cluster.ca, namespace });
      const server = new URL(cluster.server);
      for (const [runtime, command] of Object.entries(RUNTIMES)) {
        const { code, stdout, stderr } = await runInPod(join(directory, "serviceaccount"), [
          ...command,
          join(root, "tests/e2e/in_cluster_client.mjs"),
          "kubernetes:///echo:grpc",
        ], {
          KUBERNETES_SERVICE_HOST: server.hostname.replace(/^\[|\]$/g, ""),
          KUBERNETES_SERVICE_PORT: server.port || "443",
          // No kubeconfig to fall back on: KUBECONFIG unset, and a home without ~/.kube.
          HOME: directory,
          GRPC_TRACE: "kubernetes_resolver",
          GRPC_VERBOSITY: "DEBUG",
        });
        const context = `${runtime} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
        assert.equal(code, 0, context);
        assert.match(stderr, /using the in-cluster service account: server https:\/\//, context);
        assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), { namespace, service: "echo", hosts: HOSTS });
        log(`${runtime}: resolved echo in ${namespace} from the service account`);
      }
    } finally {
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await rm(directory, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
