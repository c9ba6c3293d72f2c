/**
 * Keeps the local control plane (etcd, kube-apiserver, kube-controller-manager) up as an outside cluster
 * would be, for `E2E_KUBECONFIG` runs of the end-to-end suite:
 *
 * ```sh
 * deno run -A tests/e2e/serve_control_plane.ts   # prints: kubeconfig /tmp/kgr-e2e-.../admin.kubeconfig
 * E2E_KUBECONFIG=/tmp/kgr-e2e-.../admin.kubeconfig deno test -A tests/e2e/
 * ```
 *
 * It stops everything when its standard input closes (Ctrl-D) or on Ctrl-C.
 *
 * @module
 */

import { startControlPlane } from "./control_plane.ts";

const controlPlane = await startControlPlane({ log: (line) => console.error(line) });
await controlPlane.startControllerManager();
console.log(`kubeconfig ${controlPlane.adminKubeconfigPath}`);
for await (const _ of Deno.stdin.readable) {
  // Input is ignored: the control plane runs until it ends.
}
await controlPlane.stop();
