// What the published packages (npm's `files`, JSR's `publish.include`) hold, against what their
// README sends a reader to.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFile(new URL(path, root), "utf8");

Deno.test("both packages ship every document of the repository root that the README names", async () => {
  const readme = await read("README.md");
  const named = new Set([...readme.matchAll(/`([A-Z][A-Z_]*\.md)`/g)].map((match) => match[1]));
  assert.ok(named.has("SECURITY.md"), "the README names SECURITY.md (for stallTimeoutMs)");
  const npmFiles: string[] = JSON.parse(await read("package.json")).files;
  const jsrFiles: string[] = JSON.parse(await read("deno.json")).publish.include;
  for (const document of named) {
    await read(document); // it exists
    assert.ok(npmFiles.includes(document), `package.json "files" lacks ${document}, which the README names`);
    assert.ok(jsrFiles.includes(document), `deno.json "publish.include" lacks ${document}, which the README names`);
  }
});
