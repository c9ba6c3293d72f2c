// `kgr-resolver check` against a real kube-apiserver with real RBAC (the local control plane, or
// E2E_KUBECONFIG): a ServiceAccount without grants gets "no" from SelfSubjectAccessReviews and a 403 on its
// LIST; the Role and RoleBinding the check prints, applied as they are, make it say yes. Only the CLI runs
// here: the EndpointSlice addresses are never dialed.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyEndpointSlice,
  createNamespace,
  createService,
  createServiceAccount,
  deleteNamespace,
  kubeRequest,
  requestToken,
} from "./kube_objects.ts";
import { clientKubeconfig } from "./echo_clients.ts";
import { openTestCluster } from "./test_cluster.ts";
import { pipeToKubectl, runCli } from "./run_cli.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name: "kgr-resolver check: real RBAC says no, and yes once the printed Role and RoleBinding are applied",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    const folder = await mkdtemp(join(tmpdir(), "kgr-cli-e2e-"));
    let namespace: string | undefined;
    try {
      namespace = await createNamespace(fetch, "e2e-cli");
      await createService(fetch, namespace, "echo");
      await applyEndpointSlice(fetch, namespace, "echo", {
        name: "echo-a",
        endpoints: [{ addresses: ["10.31.0.1"], pod: "echo-0" }, {
          addresses: ["10.31.0.2"],
          pod: "echo-1",
          ready: false,
        }],
      });
      await createServiceAccount(fetch, namespace, "reader");
      const token = await requestToken(fetch, namespace, "reader");
      const kubeconfig = join(folder, "reader.json");
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{
            name: "e2e",
            cluster: { server: cluster.server, ...(cluster.ca && { "certificate-authority-data": btoa(cluster.ca) }) },
          }],
          users: [{ name: "reader", user: { token } }],
          contexts: [{ name: "reader", context: { cluster: "e2e", user: "reader" } }],
          "current-context": "reader",
        }),
      );
      const target = `kubernetes:///echo.${namespace}`;
      const user = `system:serviceaccount:${namespace}:reader`;

      const denied = await runCli(["check", "--kubeconfig", kubeconfig, target]);
      log(`check before the grant:\n${denied.stdout}`);
      assert.equal(denied.code, 1, denied.stdout + denied.stderr);
      assert.match(denied.stdout, new RegExp(`^ok +user +${user}$`, "m"));
      assert.match(denied.stdout, /^MISSING +list +endpointslices\.discovery\.k8s\.io in namespace \S+ \(required\)$/m);
      assert.match(denied.stdout, /^MISSING +watch +endpointslices\.discovery\.k8s\.io/m);
      assert.match(denied.stdout, /^MISSING +get +services in namespace \S+ \(optional: /m);
      assert.match(
        denied.stdout,
        /^FAILED +resolve +Cannot list endpointslices of service "echo" .*forbidden \(403\)/m,
      );
      assert.ok(!denied.stdout.includes(token) && !denied.stderr.includes(token), "the token is never shown");

      // The README's command, with the admin's credentials for kubectl: check --yaml's standard output is all YAML.
      // Was "error parsing STDIN: error converting YAML to JSON: yaml: line 8: mapping values are not allowed in this
      // context", when the report shared standard output with the YAML.
      const applied = await pipeToKubectl(
        ["check", "--yaml", "--kubeconfig", kubeconfig, target],
        ["--kubeconfig", cluster.adminKubeconfigPath, "apply", "-f", "-"],
      );
      log(`check --yaml | kubectl apply -f -:\n${applied.stdout}${applied.stderr}`);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /^role\.rbac\.authorization\.k8s\.io\/grpc-endpoint-reader-services created$/m);
      assert.match(applied.stdout, /^rolebinding\.rbac\.authorization\.k8s\.io\/\S+ created$/m);
      // check's report, on standard error, says what the YAML grants.
      assert.match(applied.stderr, /^MISSING +list +endpointslices/m);

      // The authorizer's cache follows the new objects within moments.
      let allowed = await runCli(["check", "--kubeconfig", kubeconfig, target]);
      for (let attempt = 0; allowed.code !== 0 && attempt < 10; attempt++) {
        await sleep(500);
        allowed = await runCli(["check", "--kubeconfig", kubeconfig, target]);
      }
      log(`check after the grant:\n${allowed.stdout}`);
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.match(allowed.stdout, /^ok +list +endpointslices/m);
      assert.match(allowed.stdout, /^ok +get +services/m);
      assert.match(allowed.stdout, /^ok +resolve +1 pod used \(echo-0\), 1 not used \(1 not ready: echo-1\)$/m);

      const once = await runCli(["--once", "--json", "--kubeconfig", kubeconfig, target]);
      assert.equal(once.code, 0, once.stderr);
      const snapshot = JSON.parse(once.stdout);
      assert.deepEqual(snapshot.endpoints.map((endpoint: { podName: string }) => endpoint.podName), ["echo-0"]);
      assert.deepEqual(snapshot.unused.map((pod: { podName: string; reason: string }) => [pod.podName, pod.reason]), [[
        "echo-1",
        "not-ready",
      ]]);
    } finally {
      if (namespace) await deleteNamespace(fetch, namespace).catch(() => {});
      await rm(folder, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});

Deno.test({
  name: "kgr-resolver check says a target's namespace does not exist when the user may read Namespaces, else as before",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const folder = await mkdtemp(join(tmpdir(), "kgr-cli-e2e-"));
    let namespace: string | undefined;
    try {
      // `kubectl get endpointslices -n <missing>` only says "No resources found in <missing> namespace.".
      const missing = `nosuch-${crypto.randomUUID().slice(0, 8)}`;
      const admin = await runCli([
        "check",
        "--kubeconfig",
        cluster.adminKubeconfigPath,
        `kubernetes:///echo.${missing}:grpc`,
      ]);
      log(`check of a missing namespace as the admin:\n${admin.stdout}`);
      assert.equal(admin.code, 1, admin.stdout + admin.stderr);
      assert.match(
        admin.stdout,
        new RegExp(
          `^FAILED +resolve +namespace ${missing} does not exist \\(kubectl get namespaces lists those ` +
            "there are\\): fix the target's namespace$",
          "m",
        ),
      );
      assert.match(
        admin.stdout,
        new RegExp(`^FAILED: \\S+: namespace ${missing} does not exist; see the resolve`, "m"),
      );

      // A user granted per namespace may not read Namespaces (403): its check says what it said before.
      namespace = await createNamespace(cluster.adminFetch, "e2e-cli-ns");
      await createServiceAccount(cluster.adminFetch, namespace, "reader");
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      const kubeconfig = join(folder, "reader.json");
      await writeFile(kubeconfig, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, namespace)));
      const reader = await runCli(["check", "--kubeconfig", kubeconfig, `kubernetes:///echo.${missing}:grpc`]);
      assert.equal(reader.code, 1, reader.stdout + reader.stderr);
      assert.match(
        reader.stdout,
        /^FAILED +resolve +Cannot list endpointslices of service "echo" .*forbidden \(403\)/m,
      );
      assert.doesNotMatch(reader.stdout, /does not exist/);
    } finally {
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await rm(folder, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});

Deno.test({
  name: "kgr-resolver check says a target's namespace is being deleted, and what its deletion waits on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const fetch = cluster.adminFetch;
    let namespace: string | undefined;
    const hold = () => `/api/v1/namespaces/${namespace}/configmaps/hold`;
    try {
      // Any other cluster runs its own namespace controller.
      await cluster.controlPlane?.startControllerManager();
      namespace = await createNamespace(fetch, "e2e-cli-gone");
      await createService(fetch, namespace, "echo");
      // A finalizer nobody removes keeps the namespace Terminating, as a stuck one in users' clusters is.
      await kubeRequest(fetch, "POST", `/api/v1/namespaces/${namespace}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "hold", finalizers: ["e2e.kgr-resolver/hold"] },
      });
      await deleteNamespace(fetch, namespace);
      type Namespace = { status?: { phase?: string; conditions?: { type: string; status: string }[] } };
      const waiting = async () => {
        const { status } = await kubeRequest<Namespace>(fetch, "GET", `/api/v1/namespaces/${namespace}`);
        return status?.conditions?.some((c) => c.type === "NamespaceFinalizersRemaining" && c.status === "True");
      };
      // The namespace controller deletes the Service, then waits on the ConfigMap's finalizer.
      for (let attempt = 0; !(await waiting()); attempt++) {
        assert.ok(attempt < 100, "the namespace controller reports the finalizer it waits on within 20 s");
        await sleep(200);
      }

      const target = `kubernetes:///echo.${namespace}:grpc`;
      const check = await runCli(["check", "--kubeconfig", cluster.adminKubeconfigPath, target]);
      log(`check of a namespace being deleted:\n${check.stdout}`);
      assert.equal(check.code, 1, check.stdout + check.stderr);
      assert.match(
        check.stdout,
        new RegExp(
          `^FAILED +resolve +namespace ${namespace} is being deleted \\(Terminating since \\S+Z; it waits on: Some ` +
            "resources are remaining: configmaps\\. has 1 resource instances; Some content in the namespace has " +
            "finalizers remaining: e2e\\.kgr-resolver/hold in 1 resource instances\\): its Services, pods and " +
            `RoleBindings go with it, .* \\(kubectl get namespace ${namespace} -o yaml shows what it waits on\\)`,
          "m",
        ),
      );
      assert.match(
        check.stdout,
        new RegExp(`^FAILED: \\S+: namespace ${namespace} is being deleted; see the resolve`, "m"),
      );
    } finally {
      if (namespace) {
        await kubeRequest(fetch, "PATCH", hold(), { metadata: { finalizers: null } }, "application/merge-patch+json")
          .catch(() => {});
        await deleteNamespace(fetch, namespace).catch(() => {});
      }
      await cluster.stop();
    }
  },
});
