// A kubeconfig user with `as` against a real kube-apiserver (v1.36, whose constrained impersonation answers the
// 403): without a grant to impersonate, `--once` fails saying what to grant; the ClusterRole that message names,
// applied as it says, makes the service account act as the reader (`as`), and as a user whose only grant comes from
// a group (`as-groups`), whom `check` names.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyEndpointSlice,
  createServiceAccount,
  deleteNamespace,
  kubeRequest,
  READER_ROLE,
  requestToken,
} from "./kube_objects.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";
import { runCli } from "./run_cli.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

Deno.test({
  name: "impersonation: as and as-groups act as another user on a real API server, once the 403's grant is applied",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const folder = await mkdtemp(join(tmpdir(), "kgr-impersonation-e2e-"));
    let namespace: string | undefined;
    const granted = `kgr-impersonate-${crypto.randomUUID().slice(0, 8)}`;
    try {
      ({ namespace } = await readerSetup(cluster, "e2e-impersonation"));
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: [{ addresses: ["10.33.0.1"], pod: "echo-0" }],
      });
      // A group that may read the slices, and a service account that may do nothing but (later) impersonate.
      const group = `${granted}-readers`;
      await kubeRequest(cluster.adminFetch, "POST", `${RBAC}/namespaces/${namespace}/rolebindings`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "readers-group" },
        subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: group }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: READER_ROLE },
      });
      await createServiceAccount(cluster.adminFetch, namespace, "actor");
      const token = await requestToken(cluster.adminFetch, namespace, "actor");
      const kubeconfig = (name: string, user: Record<string, unknown>) => {
        const path = join(folder, `${name}.json`);
        return writeFile(
          path,
          JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{
              name: "c",
              cluster: { server: cluster.server, "certificate-authority-data": btoa(cluster.ca!) },
            }],
            users: [{ name: "actor", user: { token, ...user } }],
            contexts: [{ name: "c", context: { cluster: "c", user: "actor", namespace } }],
            "current-context": "c",
          }),
        ).then(() => path);
      };
      const asReader = await kubeconfig("as-reader", { as: `system:serviceaccount:${namespace}:reader` });
      const asGroup = await kubeconfig("as-group", { as: "kgr-jane", "as-groups": [group] });
      const target = `kubernetes:///echo.${namespace}:50051`;

      const refused = await runCli(["--once", "--kubeconfig", asReader, "--timeout", "20", target]);
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `may not impersonate "system:serviceaccount:${namespace}:reader" \\(403\\): grant that user "impersonate" ` +
            `on "serviceaccounts" named "reader" in namespace "${namespace}" with a ClusterRole and ClusterRoleBinding`,
        ),
      );

      // The grants the messages name.
      await kubeRequest(cluster.adminFetch, "POST", `${RBAC}/clusterroles`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: granted },
        rules: [
          { apiGroups: [""], resources: ["serviceaccounts"], resourceNames: ["reader"], verbs: ["impersonate"] },
          { apiGroups: [""], resources: ["users"], resourceNames: ["kgr-jane"], verbs: ["impersonate"] },
          { apiGroups: [""], resources: ["groups"], resourceNames: [group], verbs: ["impersonate"] },
        ],
      });
      await kubeRequest(cluster.adminFetch, "POST", `${RBAC}/clusterrolebindings`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: granted },
        subjects: [{ kind: "ServiceAccount", name: "actor", namespace }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: granted },
      });
      for (const path of [asReader, asGroup]) {
        let once = await runCli(["--once", "--kubeconfig", path, "--timeout", "20", target]);
        // RBAC's informers take the new grant within a moment.
        for (let i = 0; i < 20 && once.code !== 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          once = await runCli(["--once", "--kubeconfig", path, "--timeout", "20", target]);
        }
        assert.equal(once.code, 0, once.stdout + once.stderr);
        assert.match(once.stdout, /1 used: echo-0 10\.33\.0\.1:50051/);
      }
      const check = await runCli(["check", "--kubeconfig", asGroup, "--timeout", "20", target]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /ok +user +kgr-jane \(impersonated: as in kubeconfig /);
    } finally {
      for (const kind of ["clusterrolebindings", "clusterroles"]) {
        await (await cluster.adminFetch(`${RBAC}/${kind}/${granted}`, { method: "DELETE" })).body?.cancel();
      }
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await rm(folder, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
