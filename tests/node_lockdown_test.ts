// Node locked down as some platforms run it. Its permission model (`node --permission`, `--experimental-permission`
// on Node 20): a file or a program it refuses gets a message that names the flag to add, not "check its
// permissions" or "check that the command is an executable program", and a refused token file is no missing one.
// `--frozen-intrinsics` (prototypes and `console` frozen): the watch works and a kubeconfig loads.
// Node imports the built package: run `npm run build` first.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv } from "./_child_env.mjs";
import { cleanEnvOutput } from "./_deno_output.ts";

const REPO = new URL("..", import.meta.url).pathname;
const CHILD = new URL("./node_lockdown/find_cluster_child.mjs", import.meta.url).pathname;
const FROZEN_CHILD = new URL("./node_lockdown/frozen_intrinsics_child.mjs", import.meta.url).pathname;

/** The flag that turns the permission model on: `--permission` from Node 22.13 and 23.5, before that its old name. */
async function permissionFlag(): Promise<string> {
  const { success } = await new Deno.Command("node", {
    env: childEnv(),
    args: ["--permission", "-e", "0"],
    stderr: "null",
  }).output();
  return success ? "--permission" : "--experimental-permission";
}

/** Runs the child on Node, allowed to read only the package, its dependencies and `readable`. */
async function findCluster(env: Record<string, string>, readable: string[] = [], args: string[] = []) {
  // Node checks the real path: node_modules may be a link to another checkout's.
  const allowed = [REPO, Deno.realPathSync(join(REPO, "node_modules")), ...readable];
  return await cleanEnvOutput(
    "node",
    [await permissionFlag(), ...allowed.map((path) => `--allow-fs-read=${path}`), CHILD, ...args],
    env,
  );
}

/** A kubeconfig with one cluster and `user`, whose context names `namespace` (none when empty). */
function kubeconfig(user: Record<string, unknown>, namespace = "prod"): string {
  return JSON.stringify({
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u", ...(namespace ? { namespace } : {}) } }],
  });
}

const FILE_ADVICE = "cannot be read by this Node process (its permission model is on): run it with " +
  "--allow-fs-read for the file, or for a folder that holds it";

Deno.test({
  name: "Node's permission model: a refused file or exec plugin names the flag to add",
  ignore: !existsSync(join(REPO, "dist/mod.js")),
  async fn() {
    const dir = await mkdtemp(join(tmpdir(), "kgr-node-permission-"));
    try {
      const config = join(dir, "config");
      const tokenFile = join(dir, "token");
      await writeFile(tokenFile, "from-file\n");

      // The kubeconfig: "the file cannot be read (ERR_ACCESS_DENIED): check its permissions", though its mode was fine.
      await writeFile(config, kubeconfig({ token: "inline" }));
      assert.equal(
        await findCluster({ KUBECONFIG: config }),
        `failed Cannot load kubeconfig ${config}: the file ${FILE_ADVICE}`,
      );
      assert.equal(
        await findCluster({ KUBECONFIG: config }, [config]),
        `found kubeconfig ${config} (context "c") in namespace prod: Bearer`,
      );

      // A refused token file is no missing one: the inline token was sent without a word.
      await writeFile(config, kubeconfig({ token: "inline", tokenFile }));
      assert.equal(
        await findCluster({ KUBECONFIG: config }, [config]),
        `failed Cannot read the token of user "u" (kubeconfig ${config}): ${tokenFile} ${FILE_ADVICE}`,
      );

      // The exec plugin: "it could not be started (ERR_ACCESS_DENIED): check that the command is an executable program".
      const exec = { apiVersion: "client.authentication.k8s.io/v1", command: "true", interactiveMode: "Never" };
      await writeFile(config, kubeconfig({ exec }));
      assert.equal(
        await findCluster({ KUBECONFIG: config }, [config]),
        `failed Cannot get credentials for user "u" (kubeconfig ${config}) from exec plugin "true": this Node ` +
          "process may not start it (its permission model is on): run it with --allow-child-process",
      );

      // In a pod, a refused namespace file is not "default": another namespace's Service of that name.
      const account = join(dir, "serviceaccount");
      await Deno.mkdir(account);
      for (const [name, text] of Object.entries({ token: "t", "ca.crt": "", namespace: "prod" })) {
        await writeFile(join(account, name), text);
      }
      await writeFile(config, kubeconfig({ token: "inline" }, ""));
      const inPod = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "1", KUBECONFIG: config };
      assert.equal(
        await findCluster(inPod, [config], [account]),
        `failed Cannot read the pod's namespace: ${join(account, "namespace")} ${FILE_ADVICE} ` +
          "(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set, as in a pod; where no service account is " +
          'mounted, the namespace is then "default"); fix it, or name the namespace in the target ' +
          "(kubernetes:///SERVICE.NAMESPACE:PORT) or pass cluster.namespace",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "under node --frozen-intrinsics, a watch starts and ends, and a kubeconfig loads without printing its token",
  ignore: !existsSync(join(REPO, "dist/mod.js")),
  async fn() {
    const dir = await mkdtemp(join(tmpdir(), "kgr-frozen-"));
    try {
      const config = join(dir, "config");
      await writeFile(config, kubeconfig({ token: "secret-token-123" }));
      // The yaml package prints every token it reads when LOG_TOKENS is set: a frozen console cannot be silenced.
      for (const env of [{}, { LOG_TOKENS: "1", LOG_STREAM: "1" }] as Record<string, string>[]) {
        const stdout = await cleanEnvOutput("node", ["--frozen-intrinsics", FROZEN_CHILD, config], env);
        // It threw "Cannot assign to read only property 'return' of object '[object AsyncGenerator]'", and the
        // kubeconfig was "malformed" (silencing the console threw).
        assert.equal(
          stdout,
          `left\nfound kubeconfig ${config} (context "c")`,
          JSON.stringify(env),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
