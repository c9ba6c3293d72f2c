/**
 * Keeps the local control plane (etcd, kube-apiserver, kube-controller-manager) up as an outside cluster
 * would be, for `E2E_KUBECONFIG` runs of the end-to-end suite. The kubeconfig it prints holds its certificates
 * inline (`certificate-authority-data`, `client-certificate-data`, `client-key-data`), as kind writes its own:
 *
 * ```sh
 * deno run -A tests/e2e/serve_control_plane.ts   # prints: kubeconfig /tmp/kgr-e2e-.../inline.kubeconfig
 * E2E_KUBECONFIG=/tmp/kgr-e2e-.../inline.kubeconfig deno test -A tests/e2e/
 * ```
 *
 * It stops everything when its standard input closes (Ctrl-D) or on Ctrl-C.
 *
 * @module
 */

import { join } from "node:path";
import { startControlPlane } from "./control_plane.ts";

const controlPlane = await startControlPlane({ log: (line) => console.error(line) });
await controlPlane.startControllerManager();
const inline = async (file: string) => btoa(await Deno.readTextFile(join(controlPlane.dir, file)));
const kubeconfig = join(controlPlane.dir, "inline.kubeconfig");
await Deno.writeTextFile(
  kubeconfig,
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "local",
      cluster: { server: controlPlane.server, "certificate-authority-data": await inline("ca.crt") },
    }],
    users: [{
      name: "admin",
      user: { "client-certificate-data": await inline("admin.crt"), "client-key-data": await inline("admin.key") },
    }],
    contexts: [{ name: "local", context: { cluster: "local", user: "admin" } }],
    "current-context": "local",
  }),
);
console.log(`kubeconfig ${kubeconfig}`);
for await (const _ of Deno.stdin.readable) {
  // Input is ignored: the control plane runs until it ends.
}
await controlPlane.stop();
