// What the published packages (npm's `files`, JSR's `publish.include`) hold, against what their
// README sends a reader to.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { childEnv } from "./_child_env.mjs";

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

Deno.test("both packages ship every file that a shipped document links to or shows as an image", async () => {
  const npmFiles: string[] = JSON.parse(await read("package.json")).files;
  const jsrFiles: string[] = JSON.parse(await read("deno.json")).publish.include;
  const documents = npmFiles.filter((file) => file.endsWith(".md"));
  assert.ok(documents.includes("README.md"));
  for (const document of documents) {
    const text = await read(document);
    // Markdown links and images, `[text](target)` and `![alt](target)`, to a file of the package (no URL, no anchor alone).
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1])
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
    for (const target of targets) {
      await read(target); // it exists
      assert.ok(npmFiles.includes(target), `package.json "files" lacks ${target}, which ${document} links to`);
      assert.ok(jsrFiles.includes(target), `deno.json "publish.include" lacks ${target}, which ${document} links to`);
    }
  }
});

Deno.test("the scoped npm package is published public: npm publishes a scoped package restricted by default", async () => {
  const manifest = JSON.parse(await read("package.json"));
  assert.ok(manifest.name.startsWith("@"), manifest.name);
  // Without it, a first `npm publish` without --access public fails (or makes it private on a paid account).
  assert.equal(manifest.publishConfig?.access, "public");
});

// Tools that read a package's manifest (bundlers, license checkers, version reporters) resolve
// "@kgr/resolver/package.json", which an "exports" map without it refuses (ERR_PACKAGE_PATH_NOT_EXPORTED on Node).
Deno.test("the npm package lets require.resolve() and import.meta.resolve() reach its package.json", async () => {
  const project = await mkdtemp(join(tmpdir(), "kgr-manifest-"));
  try {
    await mkdir(join(project, "node_modules", "@kgr"), { recursive: true });
    await symlink(fileURLToPath(root), join(project, "node_modules", "@kgr", "resolver"), "dir");
    const script = 'const { createRequire } = await import("node:module"); ' +
      'const require = createRequire(process.cwd() + "/"); ' +
      'console.log(require.resolve("@kgr/resolver/package.json")); ' +
      'console.log(import.meta.resolve("@kgr/resolver/package.json"));';
    const { stdout } = await promisify(execFile)("node", ["--input-type=module", "-e", script], {
      cwd: project,
      env: childEnv(),
    });
    const [required, imported] = stdout.trim().split("\n");
    assert.equal(required, fileURLToPath(new URL("package.json", root)));
    assert.equal(fileURLToPath(imported), required);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});
