/**
 * The guard of a test held to the real kube-proxy, in one place: the test is ignored where kube-proxy cannot run
 * (see {@linkcode kubeProxyUnavailable}), and skipped against a cluster other than the local control plane, whose
 * controller manager it starts (the EndpointSlice controller writes the slices kube-proxy reads).
 *
 * @module
 */

import type { ControlPlane } from "./control_plane.ts";
import { kubeProxyUnavailable } from "./kube_proxy.ts";
import { openTestCluster, type TestCluster } from "./test_cluster.ts";

/**
 * Registers a test held to kube-proxy: `fn` runs against the local control plane with its controller manager
 * started; the cluster is stopped after it, whatever it did. Where kube-proxy cannot run, the test is ignored and
 * `log` says why.
 *
 * @param name The test's name.
 * @param log Receives progress lines, and the reason the test is ignored or skipped.
 * @param fn The test, given its context, the cluster and the local control plane.
 */
export async function kubeProxyTest(
  name: string,
  log: (line: string) => void,
  fn: (t: Deno.TestContext, cluster: TestCluster, controlPlane: ControlPlane) => Promise<void>,
): Promise<void> {
  const unavailable = await kubeProxyUnavailable();
  Deno.test({
    name,
    ignore: unavailable !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const cluster = await openTestCluster(log);
      try {
        const controlPlane = cluster.controlPlane;
        if (!controlPlane) {
          log(`skipped: kube-proxy runs only against the local control plane, not ${cluster.description}`);
          return;
        }
        await controlPlane.startControllerManager();
        await fn(t, cluster, controlPlane);
      } finally {
        await cluster.stop();
      }
    },
  });
  if (unavailable) log(`ignored: ${unavailable}`);
}
