import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "./_temp_dir.ts";
import { ownTmpdir } from "./_own_tmpdir.mjs";

Deno.test("tempDir() is removed with what it holds when the test that holds it fails", async () => {
  let path = "";
  await assert.rejects(async () => {
    await using dir = await tempDir("kgr-temp-dir-");
    path = dir.path;
    await Deno.writeTextFile(`${dir.path}/config`, "token: x\n");
    assert.fail("a failed assertion");
  }, /a failed assertion/);
  assert.match(path, /\/kgr-temp-dir-[^/]+$/);
  assert.ok(!existsSync(path), `${path} is left`);
});

Deno.test("ownTmpdir() names what a run left, with what its folders hold, and removes it all", async () => {
  const tmp = await ownTmpdir("the Deno suite");
  try {
    assert.equal(await tmp.leftovers(), undefined);
    await mkdir(join(tmp.path, "0123456789abcdef"));
    await writeFile(join(tmp.path, "0123456789abcdef", "plugin"), "#!/bin/sh\n");
    await writeFile(join(tmp.path, "0123456789abcdef", "config"), "");
    await writeFile(join(tmp.path, "kgr-no-write-probe"), "x");
    assert.equal(
      await tmp.leftovers(),
      "the Deno suite left 2 file(s) in its TMPDIR: each test must remove what it makes there, however it ends " +
        "(tests/_temp_dir.ts does so for a folder):\n  0123456789abcdef/ (config, plugin)\n  kgr-no-write-probe\n",
    );
  } finally {
    await tmp.remove();
  }
  assert.ok(!existsSync(tmp.path), `${tmp.path} is left`);
});
