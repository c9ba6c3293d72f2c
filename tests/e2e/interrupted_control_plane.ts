// The run that interrupt_test.ts interrupts while its local control plane starts (not a *_test.ts file: `deno test
// tests/` leaves it out): one test that starts etcd, kube-apiserver and kube-controller-manager in a folder under
// TMPDIR, and waits to be interrupted (60 s at most).
import { startControlPlane } from "./control_plane.ts";

Deno.test({
  name: "a run with the local control plane, waiting to be interrupted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const controlPlane = await startControlPlane();
    await controlPlane.startControllerManager();
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  },
});
