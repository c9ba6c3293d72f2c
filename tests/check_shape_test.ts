import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const SCRIPT = new URL("../scripts/check_shape.mjs", import.meta.url).pathname;

/** Writes `files` (paths relative to the checkout) into a new folder, runs the script on it, and cleans up. */
async function checkShape(files: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const checkout = await mkdtemp(join(tmpdir(), "check-shape-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(checkout, path)), { recursive: true });
      await writeFile(join(checkout, path), text);
    }
    const result = spawnSync("node", [SCRIPT, checkout], { encoding: "utf8" });
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
