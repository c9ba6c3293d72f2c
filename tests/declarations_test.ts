// The type declarations as strict TypeScript projects compile against them: tests/types/consumer.ts with Node's
// types, and tests/types/es2022_consumer.ts and esnext_consumer.ts without, against declarations emitted from the
// source now (scripts/pack_check.sh checks the same files against the packed tarball).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { childEnv } from "./_child_env.mjs";

const root = new URL("../", import.meta.url).pathname;
const TSC = `${root}node_modules/.bin/tsc`;

/** Runs tsc with `args` in the repository; resolves to its exit code and output. */
async function tsc(args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(TSC, {
    env: childEnv(),
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, output: decode(stdout) + decode(stderr) };
}

/** Emits the declarations of the entry points into a new temporary folder; returns it. */
async function emitDeclarations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kgr-declarations-"));
  const emitted = await tsc(["-p", "tsconfig.build.json", "--emitDeclarationOnly", "--outDir", dir]);
  assert.equal(emitted.code, 0, emitted.output);
  return dir;
}

/**
 * Type-checks `file` (in tests/types/) against the declarations in `dir` as a strict project with no skipLibCheck,
 * with the given `lib` and `types`, and asserts that it compiles.
 */
async function assertCompiles(dir: string, file: string, lib: string[], types: string[]): Promise<void> {
  const entry = (name: string) => [join(dir, name)];
  const config = {
    compilerOptions: {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      skipLibCheck: false,
      noEmit: true,
      target: "es2022",
      lib,
      module: "esnext",
      moduleResolution: "bundler",
      types,
      typeRoots: [`${root}node_modules/@types`],
      paths: {
        "@kgr/resolver": entry("mod.d.ts"),
        "@kgr/resolver/nice-grpc": entry("nice_grpc.d.ts"),
        "@kgr/resolver/testing": entry("testing.d.ts"),
        // The declarations, outside the repository, find its peers there.
        "nice-grpc": [`${root}node_modules/nice-grpc`],
      },
    },
    files: [`${root}tests/types/${file}`],
  };
  const tsconfig = join(dir, `tsconfig.${file}.${lib.join("+")}.json`);
  await writeFile(tsconfig, JSON.stringify(config));
  const checked = await tsc(["-p", tsconfig]);
  // An error names the user's line and the field of ours that refused it.
  const declarations = relative(root, dir);
  assert.equal(
    checked.output.replaceAll(declarations, "<declarations>").replaceAll(root, ""),
    "",
    `${file}, lib ${lib}`,
  );
  assert.equal(checked.code, 0);
}

Deno.test(
  "a project with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and no skipLibCheck compiles its " +
    "use of every entry point, and builds snapshots, endpoints and the fake server's objects from maybe-undefined values",
  async () => {
    const dir = await emitDeclarations();
    try {
      // With lib dom (target es2022's default lib), and without, as Node projects compile (AbortSignal from Node's
      // types alone).
      await Promise.all([
        assertCompiles(dir, "consumer.ts", ["es2022", "dom"], ["node"]),
        assertCompiles(dir, "consumer.ts", ["es2022"], ["node"]),
      ]);
    } finally {
      await rm(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a project without Node's types compiles its use of watchEndpoints() and the fake server under lib es2022, " +
    "and its await using of both under lib esnext",
  async () => {
    const dir = await emitDeclarations();
    try {
      await Promise.all([
        assertCompiles(dir, "es2022_consumer.ts", ["es2022"], []),
        assertCompiles(dir, "esnext_consumer.ts", ["esnext"], []),
      ]);
    } finally {
      await rm(dir, { recursive: true });
    }
  },
);
