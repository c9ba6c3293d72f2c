// The type declarations as a strict TypeScript project compiles against them: tests/types/consumer.ts, against
// declarations emitted from the source now (scripts/pack_check.sh checks the same file against the packed tarball).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

Deno.test(
  "a project with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and no skipLibCheck compiles its " +
    "use of every entry point, and builds snapshots, endpoints and the fake server's objects from maybe-undefined values",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "kgr-declarations-"));
    try {
      const emitted = await tsc(["-p", "tsconfig.build.json", "--emitDeclarationOnly", "--outDir", dir]);
      assert.equal(emitted.code, 0, emitted.output);
      const entry = (file: string) => [join(dir, file)];
      const config = {
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          skipLibCheck: false,
          noEmit: true,
          target: "es2022",
          lib: ["es2022", "dom"],
          module: "esnext",
          moduleResolution: "bundler",
          types: ["node"],
          typeRoots: [`${root}node_modules/@types`],
          paths: {
            "@kgr/resolver": entry("mod.d.ts"),
            "@kgr/resolver/nice-grpc": entry("nice_grpc.d.ts"),
            "@kgr/resolver/testing": entry("testing.d.ts"),
            // The declarations, outside the repository, find its peers there.
            "nice-grpc": [`${root}node_modules/nice-grpc`],
          },
        },
        files: [`${root}tests/types/consumer.ts`],
      };
      await writeFile(join(dir, "tsconfig.json"), JSON.stringify(config));
      const checked = await tsc(["-p", join(dir, "tsconfig.json")]);
      // An error names the user's line and the field of ours that refused it.
      assert.equal(checked.output.replaceAll(root, ""), "");
      assert.equal(checked.code, 0);
    } finally {
      await rm(dir, { recursive: true });
    }
  },
);
