import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { VERSION } from "../src/base/version.ts";
import { DEPENDENCY_RANGES } from "../src/runtime/_lazy_package.ts";

Deno.test("VERSION is the version of package.json and of deno.json", async () => {
  const read = async (name: string) =>
    JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), "utf8")).version;
  assert.equal(await read("package.json"), VERSION);
  assert.equal(await read("deno.json"), VERSION);
});

Deno.test("DEPENDENCY_RANGES are package.json's dependencies and deno.json's imports of the lazily imported packages", async () => {
  const read = async (name: string) => JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), "utf8"));
  const [pkg, deno] = [await read("package.json"), await read("deno.json")];
  for (const [name, range] of Object.entries(DEPENDENCY_RANGES)) {
    assert.equal(pkg.dependencies[name], range, `package.json's ${name}`);
    assert.equal(deno.imports[name], `npm:${name}@${range}`, `deno.json's ${name}`);
  }
});
