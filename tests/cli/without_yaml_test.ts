// The `kgr-resolver` bin, as built (dist/), installed in a project whose node_modules lacks the yaml package (removed,
// or left out by `pnpm install` after an `rm -rf`): it imports yaml only to read a kubeconfig or write check's RBAC
// YAML, and says what to do there. It imported yaml statically, so even `--help` crashed with the runtime's raw
// stack (Node's ERR_MODULE_NOT_FOUND, Bun's "Cannot find package", Deno's "Could not find package").
import assert from "node:assert/strict";
import { childEnv } from "../_child_env.mjs";
import { tempDir } from "../_temp_dir.ts";
import { startCluster, TARGET } from "./_cluster.mjs";

const root = new URL("../../", import.meta.url).pathname;
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

/** A project with @kgr/resolver (this build) and undici in its node_modules, without yaml. */
async function projectWithoutYaml(path: string): Promise<string> {
  const ours = `${path}/node_modules/@kgr/resolver`;
  await Deno.mkdir(ours, { recursive: true });
  await Deno.writeTextFile(
    `${path}/package.json`,
    JSON.stringify({ name: "app", type: "module", dependencies: { "@kgr/resolver": "^0.1.0" } }),
  );
  const copy = await new Deno.Command("cp", {
    args: ["-r", `${root}package.json`, `${root}dist`, ours],
    env: childEnv(),
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  await Deno.symlink(`${root}node_modules/undici`, `${path}/node_modules/undici`);
  return `${ours}/dist/cli.js`;
}

Deno.test({
  name: "kgr-resolver without the yaml package runs --help, and check says what to do where it needs yaml",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir("kgr-without-yaml-");
    const cli = await projectWithoutYaml(dir.path);
    await using cluster = await startCluster();
    // Each runtime's commands, where no lockfile tells a package manager.
    const runtimes: Record<string, [string[], RegExp]> = {
      Node: [["node", cli], /\): install it beside @kgr\/resolver \(`npm install` /],
      Bun: [[bin("bun"), cli], /\): install it beside @kgr\/resolver \(`bun install` /],
      Deno: [[bin("deno"), "run", "-A", cli], /\): run `deno install`; /],
    };
    for (const [runtime, [command, advice]] of Object.entries(runtimes)) {
      const run = async (...args: string[]) => {
        const { code, stdout, stderr } = await new Deno.Command(command[0], {
          args: [...command.slice(1), ...args],
          cwd: dir.path,
          env: childEnv({ ...Deno.env.toObject(), NO_COLOR: "1", KUBECONFIG: "" }),
        }).output();
        return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
      };
      const help = await run("--help");
      assert.equal(help.code, 0, `${runtime}: ${help.stderr}`);
      assert.match(help.stdout, /kgr-resolver check/, runtime);
      // A kubeconfig needs yaml to be read: the cluster step says what to do, on one line, without a stack.
      const check = await run("check", "--kubeconfig", cluster.kubeconfig, TARGET);
      assert.equal(check.code, 1, `${runtime}: ${check.stderr}`);
      assert.equal(check.stderr, "", runtime);
      assert.match(
        check.stdout,
        /^FAILED +cluster +Cannot load kubeconfig [^\n]*: the yaml package, which reads YAML, cannot be imported \([^\n]*\): [^\n]+\n/m,
        `${runtime}: ${check.stdout}`,
      );
      // Each runtime's advice: Deno's words ("Could not find package 'yaml' from referrer") were taken for Node's.
      assert.match(check.stdout, advice, `${runtime}: ${check.stdout}`);
    }
  },
});
