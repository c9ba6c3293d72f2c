// How often the resolver reads a Node that is refused, as the real API server counts it (kube-apiserver's own
// apiserver_request_total, which counts a 404 but not RBAC's 403, so the Node may be read and does not exist):
// channels with other backoff settings read it once between them, then once per 5 minutes.
import assert from "node:assert/strict";
import { watchEndpoints } from "../../mod.ts";
import { setLocalityClock } from "../../src/client_locality.ts";
import { JumpingClock } from "../_fake_clock.ts";
import { applyEndpointSlice, deleteNamespace, kubeRequest, requestToken } from "./kube_objects.ts";
import { openTestCluster, readerSetup, type TestCluster, tokenCluster } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [node reads] ${line}`);

/** The GETs of Nodes the API server answered so far, by status code, from its /metrics. */
async function nodeGets(cluster: TestCluster): Promise<Record<string, number>> {
  const text = await (await cluster.adminFetch("/metrics")).text();
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{") || !line.includes('resource="nodes"')) continue;
    if (!line.includes('verb="GET"')) continue;
    const code = line.match(/code="(\d+)"/)?.[1] ?? "?";
    counts[code] = (counts[code] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return counts;
}

/** Lets the reader ServiceAccount of `namespace` get Nodes, with a ClusterRole and binding named after it. */
async function grantNodeReader(cluster: TestCluster, namespace: string): Promise<void> {
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  await kubeRequest(cluster.adminFetch, "POST", `${rbac}/clusterroles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: namespace },
    rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
  });
  await kubeRequest(cluster.adminFetch, "POST", `${rbac}/clusterrolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: namespace },
    subjects: [{ kind: "ServiceAccount", name: "reader", namespace }],
  });
}

/** Deletes what {@linkcode grantNodeReader} made. */
async function revokeNodeReader(cluster: TestCluster, namespace: string): Promise<void> {
  for (const kind of ["clusterrolebindings", "clusterroles"]) {
    const response = await cluster.adminFetch(`/apis/rbac.authorization.k8s.io/v1/${kind}/${namespace}`, {
      method: "DELETE",
    });
    await response.body?.cancel();
  }
}

Deno.test({
  name: "three channels with other backoff settings read a Node that does not exist once, then once per 5 minutes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const clock = new JumpingClock();
    const controller = new AbortController();
    const warn = console.warn;
    let namespace: string | undefined;
    try {
      const setup = await readerSetup(cluster, "e2e-node-reads");
      namespace = setup.namespace;
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: [{ addresses: ["10.41.0.1"], pod: "echo-0" }],
      });
      await grantNodeReader(cluster, namespace);
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      // RBAC's cache takes the grant a moment later: until then a 403, which the metric would not count.
      const client = Deno.createHttpClient({ caCerts: cluster.ca ? [cluster.ca] : [] });
      try {
        for (let status = 0, i = 0; status !== 404 && i < 100; i++) {
          const response = await fetch(`${cluster.server}/api/v1/nodes/kgr-node-reads-1`, {
            headers: { authorization: `Bearer ${token}` },
            client,
          });
          await response.body?.cancel();
          status = response.status;
          if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        client.close();
      }
      const before = await nodeGets(cluster);
      const refused = async () => ((await nodeGets(cluster))["404"] ?? 0) - (before["404"] ?? 0);
      setLocalityClock(clock);
      console.warn = () => {};
      const backoffs = [undefined, { initialMs: 100 }, { initialMs: 200, maxMs: 5_000 }];
      const firsts = backoffs.map((backoff) =>
        new Promise<void>((resolve) => {
          (async () => {
            const options = {
              cluster: tokenCluster(cluster, { token }),
              locality: { node: "kgr-node-reads-1" },
              backoff,
              signal: controller.signal,
            };
            for await (const _ of watchEndpoints(`kubernetes:///echo.${namespace}:50051`, options)) resolve();
          })();
        })
      );
      await Promise.all(firsts);
      log(`GETs of the Node answered 404 after the first snapshots: ${await refused()}`);
      assert.equal(await refused(), 1, "one GET of the Node for the three channels");
      clock.advance(300_000);
      for (let i = 0; i < 100 && await refused() < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((resolve) => setTimeout(resolve, 500)); // Any other read would come now.
      log(`GETs of the Node answered 404 5 minutes later: ${await refused()}`);
      assert.equal(await refused(), 2, "one more GET 5 minutes later, for the three channels");
    } finally {
      controller.abort();
      console.warn = warn;
      setLocalityClock(undefined);
      if (namespace) {
        await revokeNodeReader(cluster, namespace).catch(() => {});
        await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      }
      await cluster.stop();
    }
  },
});
