// `--node` names a Node whose zone the CLI reads: when it cannot (403, or no such Node), standard error says so once,
// in the CLI's terms, with what to do, as the library says it to a process whose NODE_NAME names it.
import assert from "node:assert/strict";
import { endpointSlice } from "../../testing.ts";
import { startFakeCluster } from "./_cluster.mjs";
import { runCli } from "../../src/cli/main.ts";
import type { CliOutput } from "../../src/runtime/cli_process.ts";
import { type PipedRun, runPiped } from "./_run_cli.ts";

/** Service echo.prod's one slice: a pod in zone-a, hinted for it (PreferSameZone), so that the zone matters. */
const preferSameZoneEcho = endpointSlice({
  namespace: "prod",
  service: "echo",
  trafficDistribution: "PreferSameZone",
  port: { name: "grpc", port: 50051 },
  endpoints: [{ ip: "10.0.0.1", pod: "echo-0", zone: "zone-a" }],
});

async function watchOnce(kubeconfig: string, node: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await run(["--kubeconfig", kubeconfig, "--once", "--node", node]);
  return { code, stderr };
}

/** The CLI with `args` on the Service echo.prod, in this process: its exit code, and what it wrote. */
function run(args: string[]): Promise<PipedRun> {
  return runPiped([...args, "kubernetes:///echo.prod:grpc"]);
}

Deno.test("kgr-resolver --node says once on standard error that its Node cannot be read, and what to do", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "10.0.0.1", pod: "echo-0", zone: "zone-a" }],
  }));
  // Was nothing: the zone went unknown, said only in the topology column of a table, and not at all for a
  // Service without hints.
  const missing = await watchOnce(kubeconfig, "ghost");
  assert.equal(missing.code, 0, missing.stderr);
  assert.match(
    missing.stderr,
    /^kgr-resolver: cannot read the zone of node ghost \(from --node\) at http:\/\/127\.0\.0\.1:\d+ with the credentials from .*: there is no such Node: check --node, or pass --zone too\n$/,
  );
  const slicesOnly = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
  api.setAccess({ username: "client", rules: [slicesOnly] });
  const forbidden = await watchOnce(kubeconfig, "n1");
  assert.equal(forbidden.code, 0, forbidden.stderr);
  assert.match(
    forbidden.stderr,
    /^kgr-resolver: cannot read the zone of node n1 \(from --node\) at .*: "get" on "nodes" is not granted: grant it \(README: Topology-aware routing\) and run kgr-resolver again, or pass --zone too\n$/,
  );
});

Deno.test("kgr-resolver check --node says an unreadable Node in its report only, not in a warning too", async () => {
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(preferSameZoneEcho);
  // Was the library's warning on standard error as well, in the middle of the report and with other advice ("run
  // kgr-resolver again" where the report gives the ClusterRole, and says running clients need no restart).
  const missing = await run(["check", "--kubeconfig", kubeconfig, "--node", "ghost"]);
  assert.match(missing.stdout, /\nunknown +topology .*\(node ghost does not exist\)/);
  assert.equal(missing.stderr, "");
  const slicesOnly = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
  api.setAccess({ username: "client", rules: [slicesOnly] });
  const forbidden = await run(["check", "--kubeconfig", kubeconfig, "--node", "n1"]);
  assert.match(forbidden.stdout, /\nMISSING +get +nodes \(cluster-wide\)/);
  assert.equal(forbidden.stderr, "");
});

Deno.test("kgr-resolver --node says a Node refused after the live table is up above the table, as a plugin's lines", async () => {
  // The Node's first read fails for a reason that may pass (a 503), the next one, after the table is drawn, is refused.
  // Its warning was written to standard error beside the live table: the next redraw drew over it (not on screen any
  // more) and drew the table again below the lines the warning pushed down (the header twice, seen in tmux).
  await using cluster = await startFakeCluster();
  const { api, kubeconfig } = cluster;
  api.applySlice(preferSameZoneEcho);
  const slicesOnly = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
  api.setAccess({ username: "client", rules: [slicesOnly] });
  api.failNext(1, { status: 503, path: "get" });
  let stdout = "";
  let stderr = "";
  const terminal = (write: (text: string) => void): CliOutput => ({
    write,
    isTTY: true,
    size: () => ({ columns: 160, rows: 40 }),
  });
  let interrupt: ((code: number) => void) | undefined;
  const running = runCli({
    args: ["--kubeconfig", kubeconfig, "--node", "n1", "kubernetes:///echo.prod:grpc"],
    env: (name) => (name === "TERM" ? "xterm" : name === "NO_COLOR" ? "1" : undefined),
    stdout: terminal((text) => stdout += text),
    stderr: terminal((text) => stderr += text),
    onInterrupt(handler) {
      interrupt = handler;
      return () => {};
    },
    exit: () => Promise.reject(new Error("not in tests")),
  });
  const refused = () => api.requests.some((request) => request.path.includes("/nodes/") && request.status === 403);
  for (let i = 0; i < 500 && !(refused() && /not granted/.test(stdout + stderr)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  interrupt?.(130);
  assert.equal(await running, 0);
  assert.equal(stderr, "");
  assert.match(
    stdout,
    /kgr-resolver: cannot read the zone of node n1 \(from --node\) .*"get" on "nodes" is not granted/,
  );
});
