// The yaml package and undici are imported at first use. A bundle can break that import two ways its user cannot
// see: a one-file bundle that runs its entry's top-level await before the modules it inlined are defined (rollup's
// inlineDynamicImports) hands back undefined, which the kubeconfig loader reported as "the YAML is malformed: fix the
// file" for a good file; and a bundle deployed without its chunk files fails to find './1.app.cjs', for which the
// advice was to install the package. Both now say what happened and what to do.
import assert from "node:assert/strict";
import { importedPackage, lazyPackage } from "../src/runtime/_lazy_package.ts";
import { childEnv } from "./_child_env.mjs";
import { tempDir } from "./_temp_dir.ts";

const root = new URL("../", import.meta.url).pathname;
const SECTION = 'README: "Bundles and single executables"';

/** The message `importedPackage()` throws for `load`, or undefined when it resolves. */
async function failure(load: () => Promise<unknown>, calls = ["parse"]): Promise<string | undefined> {
  try {
    await importedPackage("yaml", "reads YAML", load, calls);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A program that imports yaml with `importedPackage()` from `lazyPackage` (a path), through the `load` that `importer`
 * exports, and prints the message it throws as JSON.
 */
function failedImportProgram(lazyPackage: string, importer: string, role = "reads YAML", call = "parse"): string {
  return `import { importedPackage } from "${lazyPackage}";\nimport { load } from "${importer}";\n` +
    `try { await importedPackage("yaml", "${role}", load, ["${call}"]); } catch (error) {\n` +
    "  console.log(JSON.stringify(error.message));\n}\n";
}

/** The message a {@linkcode failedImportProgram} printed, else what it wrote to stderr. */
function printedMessage({ stdout, stderr }: Deno.CommandOutput): string {
  return JSON.parse(new TextDecoder().decode(stdout) || JSON.stringify(new TextDecoder().decode(stderr)));
}

Deno.test("importedPackage() hands back a module that has the functions we call", async () => {
  const yaml = await importedPackage("yaml", "reads YAML", () => import("yaml"), ["parse", "visit"]);
  assert.deepEqual(yaml.parse("a: 1"), { a: 1 });
});

Deno.test("importedPackage() says a module that came undefined or without its functions did not load, not why", async () => {
  const advice = "a one-file bundle does so when it runs its entry before the modules it holds are defined " +
    "(rollup's `inlineDynamicImports` with a top-level `await` in the entry): start the program from a function " +
    `the entry does not await at the top level, or let the bundler write more than one file (${SECTION})`;
  assert.equal(
    await failure(() => Promise.resolve(undefined)),
    `the yaml package, which reads YAML, did not load (its import gave undefined): ${advice}`,
  );
  assert.equal(
    await failure(() => Promise.resolve({ parse: () => {} }), ["parse", "visit", "isMap"]),
    `the yaml package, which reads YAML, did not load (its import gave a module without visit and 1 more of its ` +
      `functions): ${advice}`,
  );
  // With `const` bindings, the module is read before its initialization.
  assert.equal(
    await failure(() => Promise.reject(new ReferenceError("Cannot access 'yaml' before initialization"))),
    "the yaml package, which reads YAML, cannot be imported (Cannot access 'yaml' before initialization): " + advice,
  );
});

Deno.test("lazyPackage() keeps a good import, and tries again after a failed one", async () => {
  let loads = 0;
  const yaml = { parse: () => 1 };
  const get = lazyPackage("yaml", "reads YAML", () => {
    loads++;
    return loads === 1 ? Promise.reject(new Error("Cannot find package 'yaml'")) : Promise.resolve(yaml);
  }, ["parse"]);
  await assert.rejects(get(), /cannot be imported \(Cannot find package 'yaml'\)/);
  assert.equal(await get(), yaml);
  assert.equal(await get(), yaml);
  assert.equal(loads, 2);
});

Deno.test("lazyPackage() forgets only the import that failed, not a fresh one a caller started meanwhile", async () => {
  // Two callers of an import that fails each forgot the kept import: the second one forgot the fresh import that a
  // third caller had started in between, and a fourth caller imported the package once more.
  let loads = 0;
  const yaml = { parse: () => 1 };
  let fail!: (error: Error) => void;
  const first = new Promise<typeof yaml>((_, reject) => fail = reject);
  const get = lazyPackage("yaml", "reads YAML", () => ++loads === 1 ? first : Promise.resolve(yaml), ["parse"]);
  // Each caller's outcome, in the order they called.
  const call = () => get().then(() => "imported", () => "failed");
  const callers = [call()];
  // Runs after the import saw its failure, before the first caller did: a caller queued behind the first, and a
  // second caller of the failed import, which learns it after both.
  first.catch(() => {
    queueMicrotask(() => callers.push(call()));
    callers.push(call());
  });
  fail(new Error("Cannot find package 'yaml'"));
  // Every microtask has run by a timer's turn: the three callers are there.
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(await Promise.all(callers), ["failed", "failed", "imported"]);
  assert.equal(await get(), yaml);
  assert.equal(loads, 2);
});

Deno.test("importedPackage() tells a bundle's missing chunk file from a missing package", async () => {
  const deploy = ": the bundle's file %, which holds it, is missing: deploy the bundle's other files with it (its " +
    `whole output folder), or build it as one file (${SECTION})`;
  for (
    const [message, file] of [
      ["Cannot find module './1.app.cjs'\nRequire stack:\n- /srv/app.cjs", "./1.app.cjs"],
      ["Cannot find module '/srv/752.index.mjs' imported from /srv/index.mjs", "/srv/752.index.mjs"],
      ["Cannot find module 'C:\\srv\\1.app.cjs'", "C:\\srv\\1.app.cjs"],
      // Deno's words, for ncc's output run by Deno.
      ['Module not found "file:///srv/752.index.mjs".', "file:///srv/752.index.mjs"],
    ]
  ) {
    assert.equal(
      await failure(() => Promise.reject(new Error(message))),
      `the yaml package, which reads YAML, cannot be imported (${message})${deploy.replace("%", file)}`,
    );
  }
  const install = "install it beside @kgr/resolver (`npm install` puts it back; it is a dependency: `npm ls --all`)";
  // A copy without its files, which `npm install` leaves as it is.
  const broken = "install it beside @kgr/resolver (it is a dependency: `npm ls --all`)";
  const bundled = "keep it inside the bundle, or install it beside the bundle, in the range @kgr/resolver " +
    'asks for (`npm i "yaml@^2.8.0"`)';
  for (
    const [message, advice] of [
      // Imported by one of our modules as installed: no bundle to keep it in.
      [
        "Cannot find package 'yaml' imported from /srv/node_modules/@kgr/resolver/dist/src/cluster/_kubectl_yaml.js",
        install,
      ],
      // From source (a checkout run by Node or Bun): the CLI's RBAC YAML and the fake API server import it too.
      ["Cannot find package 'yaml' imported from /srv/kgr/src/cli/rbac_yaml.ts", install],
      ["Cannot find package 'yaml' imported from /srv/kgr/src/testing/_review_body.ts", install],
      // Imported by a bundle that left it out (external).
      ["Cannot find package 'yaml' imported from /srv/index.mjs", bundled],
      ["Cannot find module 'yaml'\nRequire stack:\n- /srv/app.cjs", bundled],
      // An installed copy that lacks its entry file (a broken install, a pnpm store cleaned under it), in Node's words
      // for require() and for import(): the file is the package's, in node_modules, not one of a bundle's.
      [
        "Cannot find module '/srv/node_modules/yaml/dist/index.js'. Please verify that the package.json has a valid " +
        '"main" entry',
        broken,
      ],
      [
        "Cannot find module '/srv/node_modules/.pnpm/yaml@2.8.1/node_modules/yaml/dist/index.js' imported from " +
        "/srv/node_modules/@kgr/resolver/dist/src/cluster/_kubectl_yaml.js",
        broken,
      ],
      ["Cannot find module 'C:\\srv\\node_modules\\yaml\\dist\\index.js'", broken],
      [
        'Module not found "file:///srv/node_modules/yaml/dist/index.js".',
        // Both packages, though Deno names one: such a folder comes without either, and the other fails next.
        "run `deno install`; for @kgr/resolver from a `file:` folder, which Deno links without its dependencies, add " +
        "them to your package.json too, in the ranges @kgr/resolver asks for " +
        '(`deno add "npm:undici@^7.16.0" "npm:yaml@^2.8.0"`)',
      ],
      // Nothing tells which.
      ["Cannot find package 'yaml'", `${install}; for a bundle, ${bundled}`],
    ]
  ) {
    assert.equal(
      await failure(() => Promise.reject(new Error(message))),
      `the yaml package, which reads YAML, cannot be imported (${message})${
        advice.startsWith(":") ? "" : ": "
      }${advice}`,
    );
  }
});

Deno.test("importedPackage() of a package that Deno did not install says so in one line, in Deno's words", async () => {
  // Deno's message ends in a newline after the importing module's place, which showed as a stray line, and the advice
  // was npm's (`npm ls undici`) and a bundle's, to a user of @kgr/resolver from a `file:` folder, which `deno install`
  // links without its dependencies. Deno's real words: a package.json that names yaml, a node_modules without it.
  await using dir = await tempDir("kgr-lazy-package-");
  await Deno.mkdir(`${dir.path}/node_modules`);
  await Deno.mkdir(`${dir.path}/dist/src/cluster`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/package.json`, JSON.stringify({ dependencies: { yaml: "^2.8.0" } }));
  const importer = `${dir.path}/dist/src/cluster/_kubectl_yaml.js`;
  await Deno.writeTextFile(importer, 'export const load = () => import("yaml");\n');
  await Deno.writeTextFile(
    `${dir.path}/main.ts`,
    failedImportProgram(`${root}src/runtime/_lazy_package.ts`, "./dist/src/cluster/_kubectl_yaml.js"),
  );
  const message = printedMessage(
    await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--quiet", "--node-modules-dir=manual", "main.ts"],
      cwd: dir.path,
      env: childEnv(),
    }).output(),
  );
  assert.match(
    message,
    new RegExp(
      '^the yaml package, which reads YAML, cannot be imported \\(Could not resolve "yaml"[^\\n]* at ' +
        `file://${importer}:\\d+:\\d+\\): run \`deno install\`; for @kgr/resolver from a \`file:\` folder, which ` +
        "Deno links without its dependencies, add them to your package.json too, in the ranges @kgr/resolver " +
        'asks for \\(`deno add "npm:undici@\\^7\\.16\\.0" "npm:yaml@\\^2\\.8\\.0"`\\)$',
    ),
  );
});

// Deno running @kgr/resolver from a project's node_modules (npm installed it; `rm -rf node_modules/yaml`) says "Could
// not find package 'yaml' from referrer 'file:///...'.", which the Deno pattern missed: npm's advice, to a Deno user.
// Deno 2.9.6's real words, by default and with --node-modules-dir=manual (auto gave the same words here).
Deno.test("importedPackage() run by Deno from a project's node_modules without yaml gives Deno's advice", async () => {
  await using dir = await tempDir("kgr-lazy-package-");
  const ours = `${dir.path}/node_modules/@kgr/resolver`;
  await Deno.mkdir(`${ours}/dist/src/cli`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/package.json`, JSON.stringify({ name: "app", type: "module" }));
  await Deno.writeTextFile(`${ours}/package.json`, JSON.stringify({ name: "@kgr/resolver", type: "module" }));
  const importer = `${ours}/dist/src/cli/rbac_yaml.js`;
  await Deno.writeTextFile(importer, 'export const load = () => import("yaml");\n');
  await Deno.writeTextFile(
    `${dir.path}/main.ts`,
    failedImportProgram(
      `${root}src/runtime/_lazy_package.ts`,
      "./node_modules/@kgr/resolver/dist/src/cli/rbac_yaml.js",
      "writes YAML",
      "Document",
    ),
  );
  for (const flags of [[], ["--node-modules-dir=manual"]]) {
    const message = printedMessage(
      await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", "--quiet", ...flags, "main.ts"],
        cwd: dir.path,
        env: childEnv(),
      }).output(),
    );
    assert.equal(
      message,
      `the yaml package, which writes YAML, cannot be imported (Could not find package 'yaml' from referrer ` +
        `'file://${importer}'.): run \`deno install\`; for @kgr/resolver from a \`file:\` folder, which Deno links ` +
        "without its dependencies, add them to your package.json too, in the ranges @kgr/resolver asks for " +
        '(`deno add "npm:undici@^7.16.0" "npm:yaml@^2.8.0"`)',
      flags.join(" "),
    );
  }
});

// Under Bun, a bundle that left the yaml package out was told to `npm i "yaml@^2.8.0"` beside it, and a project that
// `bun install` filled to `npm ls yaml`: npm's commands, to a user of Bun's. Bun's real words, without auto-install
// (which would fetch the package from the registry).
Deno.test("importedPackage() under Bun gives Bun's commands to a bundle, and to a project Bun installed", async () => {
  await using dir = await tempDir("kgr-lazy-package-");
  // A bundle, outside any node_modules: the runtime's commands.
  await Deno.writeTextFile(`${dir.path}/bundle.mjs`, 'export const load = () => import("yaml");\n');
  // A project that Bun installed without yaml: our modules in its node_modules, beside bun.lock.
  const installed = `${dir.path}/app/node_modules/@kgr/resolver`;
  await Deno.mkdir(`${installed}/dist/src/cluster`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/app/bun.lock`, "{}\n");
  await Deno.writeTextFile(
    `${installed}/dist/src/cluster/_kubectl_yaml.js`,
    'export const load = () => import("yaml");\n',
  );
  assert.ok(
    (await new Deno.Command("cp", { args: ["-r", `${root}src`, installed], env: childEnv() }).output()).success,
  );
  await Deno.writeTextFile(
    `${dir.path}/bundled.mjs`,
    failedImportProgram(`${root}src/runtime/_lazy_package.ts`, "./bundle.mjs"),
  );
  await Deno.writeTextFile(
    `${dir.path}/app/main.mjs`,
    failedImportProgram(
      "./node_modules/@kgr/resolver/src/runtime/_lazy_package.ts",
      "./node_modules/@kgr/resolver/dist/src/cluster/_kubectl_yaml.js",
    ),
  );
  const bunSays = async (cwd: string, script: string) =>
    printedMessage(
      await new Deno.Command(`${root}node_modules/.bin/bun`, { args: ["--no-install", script], cwd, env: childEnv() })
        .output(),
    );
  assert.match(
    await bunSays(dir.path, "bundled.mjs"),
    /^the yaml package, which reads YAML, cannot be imported \(Cannot find package 'yaml' [^)]*\): keep it inside the bundle, or install it beside the bundle, in the range @kgr\/resolver asks for \(`bun add "yaml@\^2\.8\.0"`\)$/,
  );
  assert.match(
    await bunSays(`${dir.path}/app`, "main.mjs"),
    /^the yaml package, which reads YAML, cannot be imported \(Cannot find package 'yaml' [^)]*\): install it beside @kgr\/resolver \(`bun install` puts it back; it is a dependency: `bun why yaml`\)$/,
  );
});

// The advice for a project whose node_modules lacks yaml pointed to `npm ls yaml` to show it is a dependency, but
// npm 11.19 prints `└── (empty)` (exit 0) for a package that is not on disk, the very case: as if it were none.
// The command the advice gives, run in such a project (npm ls reads node_modules alone: no registry is asked).
Deno.test("importedPackage() for a project npm installed gives a command that names yaml as missing", async () => {
  await using dir = await tempDir("kgr-lazy-package-npm-");
  const app = { name: "app", version: "1.0.0", private: true, dependencies: { "@kgr/resolver": "0.1.0" } };
  const ours = { name: "@kgr/resolver", version: "0.1.0", dependencies: { yaml: "^2.8.0" } };
  await Deno.mkdir(`${dir.path}/node_modules/@kgr/resolver`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/package.json`, JSON.stringify(app));
  await Deno.writeTextFile(`${dir.path}/node_modules/@kgr/resolver/package.json`, JSON.stringify(ours));
  const message = await failure(() =>
    Promise.reject(
      new Error(
        `Cannot find package 'yaml' imported from ${dir.path}/node_modules/@kgr/resolver/dist/src/cluster/x.js`,
      ),
    )
  );
  const command = /; it is a dependency: `([^`]+)`\)$/.exec(message ?? "")?.[1];
  assert.ok(command !== undefined && command.startsWith("npm "), message);
  const { stdout, stderr } = await new Deno.Command("sh", { args: ["-c", command], cwd: dir.path, env: childEnv() })
    .output();
  const said = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.match(said, /missing: yaml@\^2\.8\.0, required by @kgr\/resolver@0\.1\.0/, `${command}:\n${said}`);
});

// "Install it beside @kgr/resolver" named no command, and the plain one fails two of them: after yaml's folder or link
// was removed, `yarn install` (Yarn 1.22) said "Already up-to-date" and `pnpm install` (pnpm 9.15) "Done", both
// leaving it out; `yarn install --check-files` and `pnpm install --force` put it back, as `npm install`, Yarn 4.18's
// `yarn install` and `bun install` (1.4.5) do. Our module as installed by each, its marks beside it.
Deno.test("importedPackage() for a project names the install that puts yaml back, in its package manager's words", async () => {
  await using dir = await tempDir("kgr-lazy-package-restore-");
  const cases = [
    ["npm", "node_modules/@kgr/resolver", ["package-lock.json", "node_modules/.package-lock.json"], "npm install"],
    ["pnpm", "node_modules/.pnpm/@kgr+resolver@0.1.0/node_modules/@kgr/resolver", [], "pnpm install --force"],
    [
      "yarn1",
      "node_modules/@kgr/resolver",
      ["yarn.lock", "node_modules/.yarn-integrity"],
      "yarn install --check-files",
    ],
    ["yarn4", "node_modules/@kgr/resolver", ["yarn.lock", "node_modules/.yarn-state.yml"], "yarn install"],
    ["bun", "node_modules/@kgr/resolver", ["bun.lock"], "bun install"],
  ] as const;
  for (const [project, ours, marks, restore] of cases) {
    const installed = `${dir.path}/${project}/${ours}`;
    await Deno.mkdir(installed, { recursive: true });
    for (const mark of marks) await Deno.writeTextFile(`${dir.path}/${project}/${mark}`, "{}\n");
    // As built (npm run build): Deno strips no types under node_modules.
    await Deno.mkdir(`${installed}/dist`);
    assert.ok(
      (await new Deno.Command("cp", { args: ["-r", `${root}dist/src`, `${installed}/dist`], env: childEnv() }).output())
        .success,
    );
    await Deno.writeTextFile(`${installed}/package.json`, '{ "name": "@kgr/resolver", "type": "module" }\n');
    const { importedPackage: copied } = await import(`file://${installed}/dist/src/runtime/_lazy_package.js`);
    const said = `Cannot find package 'yaml' imported from ${installed}/dist/src/cluster/_kubectl_yaml.js`;
    const message = await copied("yaml", "reads YAML", () => Promise.reject(new Error(said)), ["parse"]).then(
      () => "",
      (error: Error) => error.message,
    );
    assert.match(
      message,
      new RegExp(`: install it beside @kgr/resolver \\(\`${restore}\` puts it back; it is `),
      `${project}: ${message}`,
    );
  }
});

Deno.test("importedPackage() gives Deno's coloured words with a hint on one line, without their colour codes", async () => {
  // Deno 2.9.6's words for a module that imports the package statically (a bundle's chunk that left it external), as
  // it colours them even off a terminal: the codes and the hint's line reached the message as they were.
  const esc = String.fromCharCode(27);
  const colour = (code: number, text: string) => `${esc}[0m${esc}[${code}m${text}${esc}[0m`;
  const message = `Import "yaml" not a dependency\n  ${colour(36, "hint:")} If you want to use the npm package, try ` +
    `running \`deno add npm:yaml\`\n    at ${colour(36, "file:///srv/out/chunk-x.js")}:${colour(33, "1")}:` +
    `${colour(33, "15")}\n`;
  assert.equal(
    await failure(() => Promise.reject(new Error(message))),
    'the yaml package, which reads YAML, cannot be imported (Import "yaml" not a dependency; hint: If you want to ' +
      "use the npm package, try running `deno add npm:yaml` at file:///srv/out/chunk-x.js:1:15): keep it inside the " +
      'bundle, or install it beside the bundle, in the range @kgr/resolver asks for (`deno add "npm:yaml@^2.8.0"`)',
  );
});

Deno.test("importedPackage() says an ES module bundle of the package's CommonJS code needs a require, not to install it", async () => {
  // esbuild --format=esm --splitting puts the yaml package in a chunk whose require('process') esbuild's shim refuses
  // at the first kubeconfig read (seen with esbuild 0.28 on Node 20); the package is in the bundle.
  // Node's ReferenceError for a bundle that left require() calls as they were is not one of a bundle run out of order.
  for (
    const cause of [
      new Error('Dynamic require of "process" is not supported'),
      new ReferenceError("require is not defined in ES module scope, you can use import instead"),
    ]
  ) {
    assert.equal(
      await failure(() => Promise.reject(cause)),
      `the yaml package, which reads YAML, cannot be imported (${cause.message}): the bundle is an ES module without ` +
        "the require() that the package's CommonJS code in it calls: emit CommonJS, or give the bundle a require " +
        `(esbuild's --banner:js with createRequire) (${SECTION})`,
    );
  }
});

/** What `program` prints, run by Deno in a child whose import map sends `name` to an empty module. */
async function withEmptyPackage(name: string, program: string): Promise<string[]> {
  await using dir = await tempDir("kgr-lazy-package-");
  await Deno.writeTextFile(`${dir.path}/empty.mjs`, "export {};\n");
  const { imports } = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as { imports: Record<string, string> };
  const mapped = Object.fromEntries(
    Object.entries(imports).map(([name, to]) => [name, to.startsWith("./") ? `${root}${to.slice(2)}` : to]),
  );
  mapped[name] = `${dir.path}/empty.mjs`;
  await Deno.writeTextFile(`${dir.path}/map.json`, JSON.stringify({ imports: mapped }));
  await Deno.writeTextFile(`${dir.path}/main.ts`, program);
  const { stdout, stderr, code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "--quiet", `--import-map=${dir.path}/map.json`, `${dir.path}/main.ts`],
    cwd: root,
    env: childEnv(),
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim().split("\n");
}

Deno.test("a kubeconfig read where the yaml package's import gives a module without its functions is not called malformed", async () => {
  // As a one-file bundle that runs before defining the package: the import resolves, to nothing usable. An import
  // map in a child process stands in, mapping "yaml" to an empty module. A later read imports it again.
  const said = await withEmptyPackage(
    "yaml",
    `import { parseKubeconfig } from "${root}src/cluster/kubeconfig_load.ts";\n` +
      `for (let i = 0; i < 2; i++) {\n` +
      `  try { await parseKubeconfig("current-context: x\\n", "/srv/config"); console.log("read"); }\n` +
      "  catch (error) { console.log(`${error.name}: ${error.message}`); }\n}\n",
  );
  const expected = "ConfigError: Cannot load kubeconfig /srv/config: the yaml package, which reads YAML, did not " +
    "load (its import gave a module without parseAllDocuments and 6 more of its functions): a one-file bundle does " +
    "so when it runs its entry before the modules it holds are defined";
  assert.equal(said.length, 2);
  for (const line of said) assert.ok(line.startsWith(expected), line);
});

Deno.test("an HTTP client made where undici's import gives a module without its functions says undici did not load", async () => {
  // Deno always makes its requests through undici (Node through a proxy), imported when the first client is made.
  const [said] = await withEmptyPackage(
    "undici",
    `import { createHttpClient } from "${root}src/runtime/http_client.ts";\n` +
      "try { (await createHttpClient({ tls: {} })).close(); console.log('made'); }\n" +
      "catch (error) { console.log(`${error.name}: ${error.message}`); }\n",
  );
  assert.ok(
    said.startsWith(
      "ConfigError: Cannot make requests to the API server: the undici package, which makes the requests to the API server on Deno, and through a proxy on Node, " +
        "did not load (its import gave a module without Agent and 4 more of its functions): a one-file bundle does so",
    ),
    said,
  );
});

Deno.test("a watch whose HTTP client cannot load undici reports a ConfigError that says so, not an unreachable server", async () => {
  // The failed import reached the request's network-error reading, which said "cannot reach the API server ... check
  // that the address is right and the server is up" around it: advice about a server that was never asked.
  const [name, message] = await withEmptyPackage(
    "undici",
    `import { startFakeApiServer } from "${root}testing.ts";\n` +
      `import { subscribeEndpoints } from "${root}src/endpoint_subscription.ts";\n` +
      "const api = await startFakeApiServer();\n" +
      "const failed = Promise.withResolvers();\n" +
      "const unsubscribe = subscribeEndpoints({ scheme: 'kubernetes', service: 'echo', namespace: 'prod', port: 'grpc' },\n" +
      "  { cluster: { kubeconfig: api.kubeconfig() }, backoff: { initialMs: 10, maxMs: 50 } },\n" +
      "  { onEndpoints: () => {}, onError: failed.resolve });\n" +
      "const error = await failed.promise;\n" +
      "unsubscribe();\nawait api.close();\n" +
      "console.log(error.name);\nconsole.log(error.message);\n",
  );
  assert.equal(name, "ConfigError");
  assert.ok(
    message.startsWith(
      "Cannot make requests to the API server: the undici package, which makes the requests to the API server on " +
        "Deno, and through a proxy on Node, did not load (its import gave a module without Agent and 4 more of its " +
        "functions): a one-file bundle does so",
    ),
    message,
  );
});

Deno.test("check whose HTTP client cannot load undici fails the server step, not the credentials'", async () => {
  // The ConfigError of a failed undici load was read as an exec plugin's: "the credentials could not be obtained".
  const [code, stdout] = await withEmptyPackage(
    "undici",
    `import { startFakeApiServer } from "${root}testing.ts";\n` +
      `import { runCli } from "${root}src/cli/main.ts";\n` +
      "const api = await startFakeApiServer();\n" +
      "const file = await Deno.makeTempFile({ suffix: '.json' });\n" +
      "await Deno.writeTextFile(file, JSON.stringify(api.kubeconfig()));\n" +
      "let out = '';\n" +
      "const output = (write) => ({ write, isTTY: false, size: () => undefined });\n" +
      "const code = await runCli({ args: ['check', '--kubeconfig', file, 'kubernetes:///echo.prod:grpc'],\n" +
      "  env: () => undefined, stdout: output((text) => out += text), stderr: output(() => {}),\n" +
      "  onInterrupt: () => () => {}, exit: () => Promise.reject(new Error('not here')) });\n" +
      "await api.close();\nawait Deno.remove(file);\n" +
      "console.log(code);\nconsole.log(JSON.stringify(out));\n",
  );
  assert.equal(code, "1");
  const lines = (JSON.parse(stdout) as string).split("\n");
  const failed = lines.filter((line) => line.startsWith("FAILED"));
  assert.equal(failed.length, 2, lines.join("\n"));
  assert.match(failed[0], /^FAILED\s+server\s+Cannot make requests to the API server: the undici package/);
  assert.match(failed[1], /^FAILED: requests to the API server cannot be made; fix the step marked above$/);
});

// The fake API server imported yaml for a YAML review body without lazyPackage: an empty module (a one-file bundle
// that runs before defining it) made the body "not valid YAML" (400), and a missing package a 500 with the runtime's
// raw words, without what to do.
Deno.test("the fake API server that cannot load yaml for a YAML review body says so in its 500, not a malformed body", async () => {
  const [first, second] = await withEmptyPackage(
    "yaml",
    `import { startFakeApiServer } from "${root}testing.ts";\n` +
      "const api = await startFakeApiServer({ token: 't' });\n" +
      "const { server } = api.kubeconfig().clusters[0].cluster;\n" +
      "for (let i = 0; i < 2; i++) {\n" +
      "  const res = await fetch(`${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {\n" +
      "    method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/yaml' },\n" +
      "    body: 'apiVersion: authentication.k8s.io/v1\\nkind: SelfSubjectReview\\n' });\n" +
      "  console.log(JSON.stringify([res.status, (await res.json()).message]));\n}\n" +
      "await api.close();\n",
  );
  const expected = [
    500,
    "Internal error occurred: Error: the yaml package, which reads YAML request bodies, did not load (its import " +
    "gave a module without parse): a one-file bundle does so",
  ];
  // Each body tries the import again.
  for (const line of [first, second]) {
    const [status, message] = JSON.parse(line) as [number, string];
    assert.deepEqual([status, message.slice(0, expected[1].toString().length)], expected, message);
  }
});

// The CLI imported yaml statically for check's RBAC YAML: an import that gives no Document (or none at all) stopped
// every command before it started. Now only that YAML fails, with a message, and a later call tries again.
Deno.test("the RBAC YAML of check, where the yaml package's import gives a module without Document, says it did not load", async () => {
  const said = await withEmptyPackage(
    "yaml",
    `import { rbacYaml, subjectOf } from "${root}src/cli/rbac_yaml.ts";\n` +
      "const grants = [{ verbs: ['list', 'watch'], group: 'discovery.k8s.io', resource: 'endpointslices', " +
      "namespace: 'prod' }];\n" +
      "for (let i = 0; i < 2; i++) {\n" +
      "  try { await rbacYaml(grants, subjectOf('alice')); console.log('written'); }\n" +
      "  catch (error) { console.log(error.message.slice(0, 105)); }\n}\n",
  );
  const expected = "the yaml package, which writes YAML, did not load (its import gave a module without Document): " +
    "a one-file";
  assert.deepEqual(said, [expected, expected]);
});
