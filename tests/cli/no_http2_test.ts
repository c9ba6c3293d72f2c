// `--no-http2` must reach the HTTP client the CLI builds, not only parseArgs(): the cluster access that
// connectCluster() resolves, which createClusterHttpClient() hands its `http2` to, carries it.
import assert from "node:assert/strict";
import { parseArgs } from "../../src/cli/args.ts";
import { connectCluster } from "../../src/cli/service_observer.ts";
import { kubeconfigText } from "../_cluster_environment.ts";
import { tempDir } from "../_temp_dir.ts";

Deno.test("--no-http2 reaches the cluster access the CLI's HTTP client is built from, for watch and check", async () => {
  await using dir = await tempDir("kgr-no-http2-");
  const kubeconfig = `${dir.path}/config`;
  // Loopback, and nothing is requested: only the access is resolved.
  await Deno.writeTextFile(kubeconfig, kubeconfigText("https://127.0.0.1:6443"));
  const target = "kubernetes:///echo.prod:grpc";
  for (
    const [args, http2] of [
      [["--kubeconfig", kubeconfig, target], undefined],
      [["--kubeconfig", kubeconfig, "--no-http2", target], false],
      [["check", "--kubeconfig", kubeconfig, "--no-http2", target], false],
    ] as const
  ) {
    const command = parseArgs([...args]);
    assert.ok(command.kind === "watch" || command.kind === "check");
    const connection = await connectCluster(command.cluster);
    try {
      assert.equal(connection.access.http2, http2, args.join(" "));
    } finally {
      connection.client.close();
    }
  }
});
