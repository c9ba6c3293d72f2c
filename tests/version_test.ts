import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { VERSION } from "../src/base/version.ts";

Deno.test("VERSION is the version of package.json and of deno.json", async () => {
  const read = async (name: string) =>
    JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), "utf8")).version;
  assert.equal(await read("package.json"), VERSION);
  assert.equal(await read("deno.json"), VERSION);
});
