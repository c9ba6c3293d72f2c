import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { childEnv } from "./_child_env.mjs";

const SCRIPT = new URL("../scripts/check_shape.mjs", import.meta.url).pathname;

/** Writes `files` (paths relative to the checkout) into a new folder, runs the script on it, and cleans up. */
async function checkShape(files: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const checkout = await mkdtemp(join(tmpdir(), "check-shape-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(checkout, path)), { recursive: true });
      await writeFile(join(checkout, path), text);
    }
    const result = spawnSync("node", [SCRIPT, checkout], { env: childEnv(), encoding: "utf8" });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    await rm(checkout, { recursive: true, force: true });
  }
}

Deno.test("check_shape.mjs passes imports that point one way, whatever the JSDoc examples import", async () => {
  const { status, output } = await checkShape({
    "src/top.ts": 'import { low } from "./layer/low.ts";\nexport const top = () => import("./lazy.ts").then(low);\n',
    "src/lazy.ts": "export const lazy = 1;\n",
    "src/layer/low.ts": [
      "/**",
      " * @example",
      " * ```ts",
      ' * import { top } from "../top.ts";',
      " * ```",
      " */",
      "export interface Low {",
      '  /** Read by `import { top } from "../top.ts"`. */',
      "  value: number;",
      "}",
      "export const low = () => 1;",
      "",
    ].join("\n"),
    "src/top_test.ts": 'import { top } from "./top.ts";\nconsole.log(top);\n',
    "src/long.ts": "// line\n".repeat(600),
  });
  assert.equal(status, 0, output);
  assert.match(output, /check_shape: 4 files in src\/, no import cycle, none over 600 lines/);
});

Deno.test("check_shape.mjs names a cycle of type imports, side-effect and dynamic imports, and a long file", async () => {
  const { status, output } = await checkShape({
    "src/a.ts": 'import type { B } from "./b.ts";\nexport type A = B;\n',
    "src/b.ts": 'import "./c.ts";\nexport type B = string;\n',
    "src/c.ts": 'export const c = () => import("./a.ts");\n',
    "src/self.ts": 'export { self } from "./self.ts";\n',
    "src/long.ts": "// line\n".repeat(601),
  });
  assert.equal(status, 1, output);
  assert.match(output, /import cycle: src\/a\.ts -> src\/b\.ts -> src\/c\.ts -> src\/a\.ts\n/);
  assert.match(output, /import cycle: src\/self\.ts -> src\/self\.ts\n/);
  assert.match(output, /too long: src\/long\.ts has 601 lines \(at most 600\)/);
  assert.match(output, /check_shape: 3 problems/);
});

Deno.test("check_shape.mjs holds imports to the layers of scripts/src_layers.json", async () => {
  const layers = {
    layers: [
      { name: "bottom", files: ["errors.ts"] },
      { name: "core", files: ["core.ts", "watch/"] },
      { name: "surfaces", files: ["adapters/", "cli/"], apart: true },
    ],
    grpc: { packages: ["@grpc/grpc-js"], only: ["adapters/"] },
  };
  const { status, output } = await checkShape({
    "scripts/src_layers.json": JSON.stringify(layers),
    "src/errors.ts": 'import type { Core } from "./core.ts";\nexport type E = Core;\n',
    "src/core.ts": 'import "./watch/reflector.ts";\nimport * as grpc from "@grpc/grpc-js";\nexport type Core = 1;\n',
    "src/watch/reflector.ts": "export const reflector = 1;\n",
    "src/adapters/grpc_js.ts": 'import * as grpc from "@grpc/grpc-js";\nimport "../cli/table.ts";\n',
    "src/cli/table.ts": 'import "../core.ts";\n',
    "src/stray.ts": "export const stray = 1;\n",
  });
  assert.equal(status, 1, output);
  assert.match(output, /import up: src\/errors\.ts \(bottom\) imports src\/core\.ts \(core\)\n/);
  assert.match(
    output,
    /import across: src\/adapters\/grpc_js\.ts imports src\/cli\/table\.ts; adapters\/, cli\/ stay apart/,
  );
  assert.match(output, /gRPC import: src\/core\.ts imports @grpc\/grpc-js; only adapters\/ may/);
  assert.match(output, /no layer: src\/stray\.ts is in none of scripts\/src_layers\.json/);
  assert.match(output, /check_shape: 4 problems/);
});

Deno.test("check_shape.mjs names an entry of scripts/src_layers.json that matches no file in src/", async () => {
  const layers = {
    layers: [
      { name: "bottom", files: ["errors.ts", "gone.ts", "base/"] },
      { name: "surfaces", files: ["adapters/", "empty/"], apart: true },
    ],
    grpc: { packages: ["@grpc/grpc-js"], only: ["adapters/", "old_adapters/"] },
  };
  const { status, output } = await checkShape({
    "scripts/src_layers.json": JSON.stringify(layers),
    "src/errors.ts": "export const e = 1;\n",
    "src/base/util.ts": "export const u = 1;\n",
    "src/adapters/grpc_js.ts": 'import "../errors.ts";\n',
    "src/empty/README.md": "no source here\n",
  });
  assert.equal(status, 1, output);
  assert.match(
    output,
    /no file: "gone\.ts" \(layer bottom\) in scripts\/src_layers\.json matches no file in src\/ \(remove or rename it\)\n/,
  );
  assert.match(
    output,
    /no file: "empty\/" \(layer surfaces\) in scripts\/src_layers\.json matches no file in src\/ \(remove or rename it\)\n/,
  );
  assert.match(
    output,
    /no file: "old_adapters\/" \(grpc\.only\) in scripts\/src_layers\.json matches no file in src\/ \(remove or rename it\)\n/,
  );
  assert.match(output, /check_shape: 3 problems/);
});
