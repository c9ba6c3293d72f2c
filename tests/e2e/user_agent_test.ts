// What the API server's audit log says about who sent our requests: kubectl and client-go name themselves in each
// request's User-Agent (`kubectl-v1.36.3/v1.36.3 (linux/amd64) kubernetes/$Format`), which is how whoever runs a
// cluster finds the program behind a flood of watches. A resolver on Node, Bun and Deno (the build's
// cluster_access_client.mjs, one LIST each) must do the same, with its runtime; kubectl runs with the same
// kubeconfig for comparison. Only LIST: no address is dialed.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/base/version.ts";
import { kubectlBinary } from "./control_plane.ts";
import { clientKubeconfig, RUNTIMES } from "./echo_clients.ts";
import { applyEndpointSlice, deleteNamespace, requestToken } from "./kube_objects.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";

const log = (line: string) => console.log(`    [user-agent] ${line}`);
const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs a program with this environment and no input; resolves to its exit code and output, never rejects. */
function run(command: string, args: string[], env: Record<string, string>) {
  const child = spawnTied(command, args, { env: childEnv(env), cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => output += chunk);
  child.stderr.setEncoding("utf8").on("data", (chunk) => output += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise<{ code: number; output: string }>((resolve) => {
    child.on("error", (error) => resolve({ code: -1, output: error.message }));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

Deno.test({
  name: "the audit log names the resolver, its version and its runtime as User-Agent of each request, as kubectl's",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await openTestCluster(log);
    const dir = await mkdtemp(join(tmpdir(), "kgr-user-agent-"));
    let namespace: string | undefined;
    try {
      if (!cluster.controlPlane) {
        log("skipped: the audit log is read only on the local control plane");
        return;
      }
      const setup = await readerSetup(cluster, "e2e-agent");
      namespace = setup.namespace;
      await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
        name: "echo-a",
        endpoints: [{ addresses: ["10.41.0.1"], pod: "echo-0" }],
      });
      const token = await requestToken(cluster.adminFetch, namespace, "reader");
      const kubeconfig = join(dir, "kubeconfig.json");
      await writeFile(kubeconfig, JSON.stringify(clientKubeconfig(cluster.server, cluster.ca, token, namespace)));
      const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: kubeconfig };
      const client = join(ROOT, "tests/e2e/cluster_access_client.mjs");
      // Each runtime without cluster.userAgent, then with it (and no other cluster option: the kubeconfig still
      // comes from KUBECONFIG), as an application names itself.
      const named = "orders/1.4.0 (team-shop)";
      for (const [runtime, command] of Object.entries(RUNTIMES)) {
        for (const [key, extra] of [[runtime, {}], [`${runtime} named`, { USER_AGENT: named }]] as const) {
          const args = [...command.slice(1), client, "kubernetes:///echo:50051"];
          const { code, output } = await run(command[0], args, { ...env, ...extra });
          assert.equal(code, 0, `${key}: ${output}`);
          assert.match(output, /"endpoints":1/, `${key}: ${output}`);
        }
      }
      const kubectl = await run(await kubectlBinary(), ["get", "endpointslices"], env);
      assert.equal(kubectl.code, 0, kubectl.output);

      // Told apart by what they say, not by when they were logged: a client exits once it has its snapshot, and the
      // server logs the end of its watch (or a watch it received just before) when it notices, which can be after the
      // next client began.
      const ours = new RegExp(
        `^kgr-resolver/${VERSION.replaceAll(".", "\\.")} \\(linux/(amd64|arm64)\\) (${
          Object.keys(RUNTIMES).join("|")
        })/\\d+\\.\\d+`,
      );
      const agentsOf = async () =>
        new Set(
          (await cluster.controlPlane!.auditEvents()).filter((event) =>
            event.user?.username === setup.username && event.requestURI.includes(`/namespaces/${namespace}/`)
          ).map((event) => event.userAgent ?? "(none)"),
        );
      /** Each runtime's own User-Agent, the one it sends without cluster.userAgent. */
      const own = (agents: Set<string>) =>
        Object.fromEntries(
          Object.keys(RUNTIMES).map((runtime) => [runtime, [...agents].filter((a) => ours.exec(a)?.[2] === runtime)]),
        );
      const complete = (agents: Set<string>) =>
        [...agents].some((agent) => agent.startsWith("kubectl")) &&
        Object.values(own(agents)).every((list) => list.length > 0 && agents.has(`${named} ${list[0]}`));
      let agents = await agentsOf();
      for (const end = Date.now() + 10_000; !complete(agents) && Date.now() < end;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        agents = await agentsOf();
      }
      log(JSON.stringify([...agents]));

      const kubectlAgents = [...agents].filter((agent) => !ours.test(agent) && !agent.startsWith(`${named} `));
      assert.equal(kubectlAgents.length, 1, `one User-Agent besides ours, kubectl's: ${JSON.stringify(kubectlAgents)}`);
      assert.match(kubectlAgents[0], /^kubectl\S*\/v\d+\.\d+\.\d+ \(linux\/\w+\) kubernetes\//);
      const byRuntime = own(agents);
      for (const runtime of Object.keys(RUNTIMES)) {
        assert.equal(byRuntime[runtime].length, 1, `${runtime}'s requests: ${JSON.stringify([...agents])}`);
        // The application first, then the library's own, whole.
        assert.ok(
          agents.has(`${named} ${byRuntime[runtime][0]}`),
          `${runtime} named: ${named} ${byRuntime[runtime][0]} not in ${JSON.stringify([...agents])}`,
        );
      }
      // Nothing else: no request without a User-Agent, none named otherwise.
      assert.equal(agents.size, 1 + 2 * Object.keys(RUNTIMES).length, JSON.stringify([...agents]));
    } finally {
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace);
      await rm(dir, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
