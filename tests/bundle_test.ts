// Services ship bundled: a client that uses every entry point (tests/bundle/client.mjs) is bundled with
// `bun build --target=node` into one ES module and into one CommonJS file, with grpc-js and nice-grpc inside, and
// each runs on Node from a folder without node_modules (and as CommonJS that leaves nice-grpc external, run beside a
// node_modules other than the one it was built with, as deployed); `bun build --compile` makes single executables of
// it and of the CLI, which run there too; a program of the core alone bundles without grpc-js; one that reads a
// kubeconfig file from a top-level await bundles into one file that reads it; one that leaves the yaml package
// external, or is deployed without the chunk file that holds it, says so at a kubeconfig file.
// Bundles the built package: run `npm run build` first.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);
const root = new URL("../", import.meta.url).pathname;
const bun = `${root}node_modules/.bin/bun`;

/** Runs `bun build` with `args` from the project's root (30 s at most). */
function bunBuild(args: string[]) {
  return run(bun, ["build", ...args], { env: childEnv(), cwd: root, timeout: 30_000 });
}

/** Runs Node on `bundle` with `args` from `folder`, as deployed (20 s at most): its standard output. */
async function nodeOutput(folder: string, bundle: string, args: string[] = []): Promise<string> {
  return (await run("node", [bundle, ...args], { env: childEnv(), cwd: folder, timeout: 20_000 })).stdout;
}

for (const [format, extension] of [["cjs", "cjs"], ["esm", "mjs"]]) {
  Deno.test(`a client bundled by bun build --format=${format} for Node makes its calls through both adapters`, async () => {
    const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
    try {
      const bundle = join(folder, `client.${extension}`);
      await bunBuild(["tests/bundle/client.mjs", "--target=node", `--format=${format}`, `--outfile=${bundle}`]);
      const stdout = await nodeOutput(folder, bundle);
      assert.deepEqual(stdout.trim().split("\n"), ["grpc-js echo-0:hi", "nice-grpc echo-0:hi"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
}

/**
 * A deployment's node_modules: copies of nice-grpc and grpc-js (a module's identity is its real path, so these are not
 * the ones the bundle was built beside), and links to the rest of ours.
 */
async function deployedNodeModules(folder: string): Promise<void> {
  const modules = `${root}node_modules`;
  const own = join(folder, "node_modules");
  await mkdir(join(own, "@grpc"), { recursive: true });
  for (const name of await readdir(modules)) {
    if (!["@grpc", "nice-grpc"].includes(name)) await symlink(join(modules, name), join(own, name));
  }
  for (const name of await readdir(join(modules, "@grpc"))) {
    if (name !== "grpc-js") await symlink(join(modules, "@grpc", name), join(own, "@grpc", name));
  }
  for (const name of ["nice-grpc", "@grpc/grpc-js"]) {
    await cp(join(modules, name), join(own, name), { recursive: true, dereference: true });
  }
}

// grpc-js in the bundle, nice-grpc and its grpc-js left in node_modules (`--external nice-grpc`), the bundle run in a
// folder other than the one it was built in, as a deployment does: bun's CommonJS output holds the build's
// import.meta.url (the package's path there), and esbuild's leaves import.meta empty, as --define makes bun's.
for (const [output, define] of [["bun's", []], ["esbuild's", ["--define", "import.meta.url=undefined"]]]) {
  Deno.test(`a CommonJS bundle that leaves nice-grpc external (import.meta as in ${output}) calls through both adapters where it is deployed`, async () => {
    const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
    try {
      await deployedNodeModules(folder);
      const bundle = join(folder, "client.cjs");
      const flags = ["--format=cjs", "--external", "nice-grpc", ...define];
      await bunBuild(["tests/bundle/client.mjs", "--target=node", ...flags, `--outfile=${bundle}`]);
      const stdout = await nodeOutput(folder, bundle);
      assert.deepEqual(stdout.trim().split("\n"), ["grpc-js echo-0:hi", "nice-grpc echo-0:hi"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
}

Deno.test("bun build --compile makes single executables of a client and of the CLI that run without node_modules", async () => {
  const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
  const api = await startFakeApiServer({ token: "compiled" });
  try {
    const compile = (entry: string, name: string) => bunBuild(["--compile", entry, `--outfile=${join(folder, name)}`]);
    await Promise.all([compile("tests/bundle/client.mjs", "client"), compile("dist/cli.js", "kgr-resolver")]);
    const { stdout } = await run(join(folder, "client"), [], { env: childEnv(), cwd: folder, timeout: 20_000 });
    assert.deepEqual(stdout.trim().split("\n"), ["grpc-js echo-0:hi", "nice-grpc echo-0:hi"]);
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      port: { name: "grpc", port: 50051 },
      endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
    }));
    const kubeconfig = join(folder, "kubeconfig.json");
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig()));
    const cli = await run(
      join(folder, "kgr-resolver"),
      ["--once", "--kubeconfig", kubeconfig, "kubernetes:///echo.prod:grpc"],
      { env: childEnv(), cwd: folder, timeout: 20_000 },
    );
    assert.match(cli.stdout, / prod\/echo rv \d+ topology none .*: 1 used: echo-0 10\.0\.0\.1:50051\n$/);
  } finally {
    await api.close();
    await rm(folder, { recursive: true, force: true });
  }
});

Deno.test("a bundle of a program that uses only watchEndpoints leaves grpc-js out, and runs", async () => {
  const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
  try {
    const bundle = join(folder, "core_client.mjs");
    await bunBuild(["tests/bundle/core_client.mjs", "--target=node", `--outfile=${bundle}`]);
    // grpc-js's user agent: only its channel code writes it. The package's "sideEffects" lets bundlers leave it out.
    assert.doesNotMatch(await readFile(bundle, "utf8"), /grpc-node-js/, "the bundle holds grpc-js");
    const stdout = await nodeOutput(folder, bundle);
    assert.equal(stdout.trim(), "pods echo-0");
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

Deno.test("a one-file ES module bundle whose entry awaits at top level reads a kubeconfig file", async () => {
  // The YAML parser is imported at the first kubeconfig file. A bundler that inlines that lazy import places the
  // module after the entry's code (rollup's inlineDynamicImports): a top-level await that reaches the file then finds
  // the parser undefined. bun build keeps it in one file and defines it first; webpack, ncc and rollup's output.dir
  // write it as a chunk beside the bundle (README, "Bundles and single executables").
  const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
  const api = await startFakeApiServer({ token: "bundle" });
  try {
    const bundle = join(folder, "kubeconfig_file_client.mjs");
    await bunBuild(["tests/bundle/kubeconfig_file_client.mjs", "--target=node", `--outfile=${bundle}`]);
    assert.deepEqual(await readdir(folder), ["kubeconfig_file_client.mjs"], "the bundle is one file");
    api.applySlice(endpointSlice({
      namespace: "demo",
      service: "echo",
      port: { name: "grpc", port: 50051 },
      endpoints: [{ ip: "127.0.0.2", pod: "echo-0" }],
    }));
    const kubeconfig = join(folder, "config");
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig({ namespace: "demo" })));
    const stdout = await nodeOutput(folder, bundle, [kubeconfig]);
    assert.equal(stdout.trim(), "pods echo-0");
  } finally {
    await api.close();
    await rm(folder, { recursive: true, force: true });
  }
});

// The yaml package is imported at the first kubeconfig file: a bundle that left it external and runs without it
// said "the YAML is malformed (ERR_MODULE_NOT_FOUND): fix the file" of a good file. A CommonJS one whose import.meta
// is empty, as esbuild's, was told "Cannot read properties of undefined (reading 'startsWith')": the advice asked
// installedBy() about an import.meta.url that is not there.
for (
  const [kind, entry, flags] of [
    ["An ES module", "kubeconfig_file_client.mjs", []],
    ["A CommonJS", "kubeconfig_file_client_cjs.mjs", ["--format=cjs", "--define", "import.meta.url=undefined"]],
  ] as const
) {
  Deno.test(`${kind} bundle that leaves the yaml package out says so at a kubeconfig file, not that the file is malformed`, async () => {
    const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
    try {
      const bundle = join(folder, flags.length === 0 ? "kubeconfig_file_client.mjs" : "kubeconfig_file_client.cjs");
      await bunBuild([`tests/bundle/${entry}`, "--target=node", "--external=yaml", ...flags, `--outfile=${bundle}`]);
      const kubeconfig = join(folder, "config");
      await writeFile(
        kubeconfig,
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\n" +
          "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
      );
      // Under Bun, Bun's command (it was npm's); without Bun's auto-install, which would fetch the package.
      const onNode = await nodeOutput(folder, bundle, [kubeconfig]);
      const onBun = await run(bun, ["--no-install", bundle, kubeconfig], {
        env: childEnv(),
        cwd: folder,
        timeout: 20_000,
      });
      for (const [stdout, install] of [[onNode, "npm i"], [onBun.stdout, "bun add"]]) {
        assert.match(
          stdout.trim(),
          new RegExp(
            `^ConfigError: Cannot load kubeconfig ${kubeconfig}: the yaml package, which reads YAML, cannot be ` +
              "imported \\(Cannot find package 'yaml' imported from .*\\): keep it inside the bundle, or install it " +
              `beside the bundle, in the range @kgr/resolver asks for \\(\`${install} "yaml@\\^2\\.8\\.0"\`\\)$`,
          ),
        );
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
}

Deno.test("a bundle deployed without the chunk file that holds the yaml package says to deploy its other files", async () => {
  // Bundlers that write more than one file (webpack, ncc, rollup's output.dir, bun build --splitting) put the lazily
  // imported yaml package in a chunk file beside the bundle. A bundle copied alone was told to install the package.
  const folder = await mkdtemp(join(tmpdir(), "kgr-bundle-"));
  try {
    await bunBuild(["tests/bundle/kubeconfig_file_client.mjs", "--target=node", "--splitting", `--outdir=${folder}`]);
    const chunks = [];
    for (const file of await readdir(folder)) {
      // The entry names the functions it calls; the chunk defines them.
      if ((await readFile(join(folder, file), "utf8")).includes("function parseAllDocuments(")) chunks.push(file);
    }
    assert.equal(chunks.length, 1, "one chunk file holds the yaml package");
    await rm(join(folder, chunks[0]));
    // The files are ES modules named .js, as an ES module app deploys them: Node before 20.19 (the package takes
    // 20.18.2) and 22.7 does not detect their syntax, and threw "Cannot use import statement outside a module".
    await writeFile(join(folder, "package.json"), '{ "type": "module" }\n');
    const kubeconfig = join(folder, "config");
    await writeFile(kubeconfig, "current-context: x\n");
    const bundle = join(folder, "kubeconfig_file_client.js");
    const stdout = await nodeOutput(folder, bundle, [kubeconfig]);
    const missing = join(folder, chunks[0]);
    assert.equal(
      stdout.trim(),
      `ConfigError: Cannot load kubeconfig ${kubeconfig}: the yaml package, which reads YAML, cannot be imported ` +
        `(Cannot find module '${missing}' imported from ${bundle}): the bundle's file ${missing}, which holds it, ` +
        "is missing: deploy the bundle's other files with it (its whole output folder), or build it as one file " +
        '(README: "Bundles and single executables")',
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

Deno.test("no module of the package imports createRequire by name, which the usual banner of ESM bundles declares", async () => {
  // esbuild users add `import { createRequire } from 'module'; const require = createRequire(import.meta.url);`
  // to ESM bundles of CommonJS code such as grpc-js; a second top-level `createRequire` is a SyntaxError at load.
  const named = /^import\s*\{[^}]*\bcreateRequire\b[^}]*\}\s*from\s*["'](node:)?module["']/m;
  const files = (await readdir(`${root}dist`, { recursive: true })).filter((file) => file.endsWith(".js"));
  assert.ok(files.length > 10, "npm run build wrote dist/");
  for (const file of files) {
    assert.doesNotMatch(await readFile(`${root}dist/${file}`, "utf8"), named, `dist/${file}`);
  }
});
