// What importing an entry point loads before any of it runs: the packages reached by static imports. A package
// needed only on some paths (the YAML parser for a kubeconfig, undici on Deno or behind a proxy) is imported when
// first used, so that a process in a pod, a test against the fake server and each restart of a watch mode do not pay
// for it.
import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

type Dependency = { code?: { specifier: string }; isDynamic?: boolean };
type ModuleGraph = { roots: string[]; modules: { specifier: string; dependencies?: Dependency[] }[] };

/** The npm packages that `entry` loads at once: reached from it by static imports of code, not types. */
async function eagerPackages(entry: string): Promise<string[]> {
  const output = await new Deno.Command(DENO, {
    env: childEnv(),
    args: ["info", "--json", new URL(`../${entry}`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(output.success, `deno info ${entry} failed`);
  const graph: ModuleGraph = JSON.parse(new TextDecoder().decode(output.stdout));
  const modules = new Map(graph.modules.map((module) => [module.specifier, module]));
  const seen = new Set(graph.roots);
  const packages = new Set<string>();
  for (const specifier of seen) {
    const packageName = /\/node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(specifier)?.[1];
    if (packageName) {
      packages.add(packageName);
      continue;
    }
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) seen.add(dependency.code.specifier);
    }
  }
  return [...packages].sort();
}

Deno.test("importing @kgr/resolver loads grpc-js only: the YAML parser waits for a kubeconfig", async () => {
  assert.deepEqual(await eagerPackages("mod.ts"), ["@grpc/grpc-js"]);
});

Deno.test("importing @kgr/resolver/nice-grpc loads grpc-js and nice-grpc only: the YAML parser waits for a kubeconfig", async () => {
  assert.deepEqual(await eagerPackages("nice_grpc.ts"), ["@grpc/grpc-js", "nice-grpc"]);
});

Deno.test("importing @kgr/resolver/testing loads no package: the YAML parser waits for a review sent as YAML", async () => {
  assert.deepEqual(await eagerPackages("testing.ts"), []);
});
