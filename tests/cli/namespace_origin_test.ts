// `kgr-resolver --once` on a target that names no namespace says where the namespace it used came from, as `check`
// does, where the Service or the namespace does not exist: the target, the kubeconfig's context, or --namespace.
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";
import { startFakeCluster } from "./_cluster.mjs";

/** `kgr-resolver --once` with `args` in this process, both outputs pipes, with what it wrote on standard error. */
async function once(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const output = (write: (text: string) => void): CliOutput => ({ write, isTTY: false, size: () => undefined });
  const cli: CliProcess = {
    args: ["--once", ...args],
    env: () => undefined,
    stdout: output(() => {}),
    stderr: output((text) => stderr += text),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  };
  return { code: await runCli(cli), stderr };
}

Deno.test("--once names --namespace as where a namespace that does not exist came from", async () => {
  // Was 'namespace nope does not exist (...): fix the target's namespace, or the default namespace where the target
  // names none', which did not name -n.
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applyService({ metadata: { namespace: "shop", name: "other" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const { code, stderr } = await once(["--kubeconfig", kubeconfig, "-n", "nope", "kubernetes:///echo:grpc"]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /namespace nope does not exist .*the target names no namespace, so it comes from --namespace: fix --namespace, or name the namespace in the target\n$/,
  );
  // A target that names it: the target is what to fix.
  const named = await once(["--kubeconfig", kubeconfig, "kubernetes:///echo.nope:grpc"]);
  assert.match(named.stderr, /namespace nope does not exist \(.*\): fix the target's namespace\n$/);
});

Deno.test("--once says where the namespace of a Service that does not exist came from", async () => {
  // Was 'service echo does not exist in namespace default (kubectl get services -n default lists those there are)',
  // where check added '(the target names no namespace, and none is set in kubeconfig ... (context "..."))'.
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  for (const namespace of ["default", "shop"]) {
    api.applyService({ metadata: { namespace, name: "other" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  }
  const fromContext = await once(["--kubeconfig", kubeconfig, "kubernetes:///echo:grpc"]);
  assert.equal(fromContext.code, 1);
  assert.match(
    fromContext.stderr,
    /service echo does not exist in namespace default \(the target names no namespace, and none is set in kubeconfig .* \(context "[^"]+"\); kubectl get services -n default lists those there are\)/,
  );
  const fromFlag = await once(["--kubeconfig", kubeconfig, "-n", "shop", "kubernetes:///echo:grpc"]);
  assert.match(
    fromFlag.stderr,
    /service echo does not exist in namespace shop \(the target names no namespace, so it comes from --namespace; kubectl get services -n shop lists those there are\)/,
  );
  // A target that names its namespace needs no note.
  const named = await once(["--kubeconfig", kubeconfig, "kubernetes:///echo.shop:grpc"]);
  assert.match(named.stderr, /service echo does not exist in namespace shop \(kubectl get services -n shop lists/);
});
