// The end-to-end suite against a cluster it did not start (`E2E_KUBECONFIG`, as users run it against kind or
// their own cluster): the local control plane runs in a process of its own, and a nested `deno test` gets only
// its admin kubeconfig. Nothing of the test process then holds the nested run's event loop.
import assert from "node:assert/strict";
import { resolveClusterAccess } from "../../src/cluster/resolve_cluster_access.ts";
import { createHttpClient } from "../../src/runtime/http_client.ts";
import { localControlPlaneSkipped } from "./control_plane.ts";
import { childEnv } from "../_child_env.mjs";

const log = (line: string) => console.log(`    [outside] ${line}`);

Deno.test({
  name: "E2E_KUBECONFIG: end-to-end tests run against a cluster the test run did not start",
  ignore: await localControlPlaneSkipped(log) !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = new Deno.Command(Deno.execPath(), {
      env: childEnv(),
      args: ["run", "-A", new URL("./serve_control_plane.ts", import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(server.stderr).text();
    try {
      const kubeconfig = await firstKubeconfigLine(server.stdout);
      if (!kubeconfig) assert.fail(`the control plane did not start:\n${await stopped(server, stderr)}`);
      const files = ["controller_slices_test.ts", "watch_list_test.ts", "e2e_test.ts", "topology_test.ts"].map((
        file,
      ) => new URL(`./${file}`, import.meta.url).pathname);
      const run = await new Deno.Command(Deno.execPath(), {
        // Each file's test, not topology's data path (network namespaces, 15 s): the other test of that file grants RBAC
        // of its own.
        // --no-check, here and below: the suite's own `deno test` type-checks these files (4-5 s of CPU each time).
        args: [
          "test",
          "-A",
          "--no-check",
          "--filter",
          "/^(controller slices|streaming lists|watchEndpoints|topology:)/",
          ...files,
        ],
        env: childEnv({ E2E_KUBECONFIG: kubeconfig, NO_COLOR: "1" }),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      if (run.code !== 0) {
        assert.fail(`the nested run failed:\n${output.slice(-6000)}\ncontrol plane:\n${await stopped(server, stderr)}`);
      }
      assert.match(output, /ok \| 4 passed/);
      // Steps that need the local control plane are skipped, and are no failure.
      assert.doesNotMatch(output, /resolver trace/);
      assert.deepEqual(await leftovers(kubeconfig), [], "objects the nested run left on the cluster");

      // A user of kind without the control plane's binaries: the tests that start one of their own say so, and
      // are no failure.
      const home = await Deno.makeTempDir({ prefix: "kgr-no-binaries-" });
      try {
        const files = ["differential_test.ts", "kubectl_differential_test.ts"].map((file) =>
          new URL(`./${file}`, import.meta.url).pathname
        );
        const bare = await new Deno.Command(Deno.execPath(), {
          args: ["test", "-A", "--no-check", ...files],
          env: childEnv({ E2E_KUBECONFIG: kubeconfig, XDG_CACHE_HOME: home, NO_COLOR: "1" }),
          stdout: "piped",
          stderr: "piped",
        }).output();
        const said = new TextDecoder().decode(bare.stdout) + new TextDecoder().decode(bare.stderr);
        assert.equal(bare.code, 0, said.slice(-6000));
        assert.match(said, /ok \| 0 passed \| 0 failed \| 2 ignored/);
        assert.match(said, /skipped: it needs the local control plane, whose binaries are not built/);
      } finally {
        await Deno.remove(home, { recursive: true });
      }
    } finally {
      await stopped(server, stderr);
    }
  },
});

/**
 * What the tests left on a cluster that is not theirs: namespaces they labelled that are not being deleted, and the
 * cluster-scoped objects that no namespace's deletion removes: the Nodes they labelled, and ClusterRoles and their
 * bindings named `kgr-*`.
 */
async function leftovers(kubeconfig: string): Promise<string[]> {
  const access = await resolveClusterAccess({ kubeconfig });
  const client = await createHttpClient({ tls: access.tls, proxyUrl: access.proxyUrl });
  try {
    const list = async (path: string) => {
      const headers = { authorization: (await access.credentials.authorization()) ?? "" };
      const { response } = await client.fetch(`${access.server}${path}`, { headers });
      assert.equal(response.status, 200, path);
      return ((await response.json()) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] })
        .items.map(({ metadata }) => metadata);
    };
    const labelled = "labelSelector=e2e.kgr-resolver%2Ftest%3Dtrue";
    const left = (await list(`/api/v1/namespaces?${labelled}`))
      .filter((namespace) => !namespace.deletionTimestamp).map(({ name }) => `namespace ${name}`);
    left.push(...(await list(`/api/v1/nodes?${labelled}`)).map(({ name }) => `node ${name}`));
    for (const kind of ["clusterroles", "clusterrolebindings"]) {
      const named = (await list(`/apis/rbac.authorization.k8s.io/v1/${kind}`)).filter(({ name }) =>
        name.startsWith("kgr-")
      );
      left.push(...named.map(({ name }) => `${kind} ${name}`));
    }
    return left;
  } finally {
    client.close();
  }
}

/** The path the server prints on its `kubeconfig <path>` line; `undefined` when it exits first. */
async function firstKubeconfigLine(stdout: ReadableStream<Uint8Array>): Promise<string | undefined> {
  let text = "";
  for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    const line = text.match(/^kubeconfig (.+)$/m);
    if (line) return line[1];
  }
  return undefined;
}

/** Closes the server's input (it then stops the control plane), waits for it, and returns what it logged. */
async function stopped(server: Deno.ChildProcess, stderr: Promise<string>): Promise<string> {
  await server.stdin.close().catch(() => {});
  await server.status;
  return await stderr;
}
