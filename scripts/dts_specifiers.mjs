// Rewrites the relative import specifiers of the emitted declarations (`from "./src/x.ts"`, `import("./x.ts")`) to
// `.js`, after `tsc -p tsconfig.build.json` (npm run build). tsc's rewriteRelativeImportExtensions rewrites them in
// the .js files only; TypeScript before 5.0 refuses a `.ts` specifier in a .d.ts (TS2691, "An import path cannot end
// with a '.ts' extension"), and every later version reads `.js` as well.
// Usage: node scripts/dts_specifiers.mjs dist
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** `from "` or `import("`, then a relative path ending in `.ts"`: the path without its extension is group 2. */
const RELATIVE_TS = /(\bfrom\s+"|\bimport\(")(\.\.?\/[^"]*)\.ts"/g;

/** Rewrites the relative `.ts` specifiers of every .d.ts under `dir`. */
async function rewriteUnder(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, "utf8");
    const rewritten = text.replace(RELATIVE_TS, '$1$2.js"');
    if (rewritten !== text) await writeFile(path, rewritten);
  }
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/dts_specifiers.mjs <folder of the emitted declarations, e.g. dist>");
  process.exit(2);
}
await rewriteUnder(dir);
