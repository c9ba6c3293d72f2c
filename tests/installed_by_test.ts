// Which package manager filled the node_modules a module lies in, from the mark it left there.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { installedBy } from "../src/runtime/installed_by.ts";
import { oneCopyAdvice } from "../src/adapters/_one_copy_advice.ts";
import { adviceScript, project } from "./_installed_project.ts";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);
const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

Deno.test("installedBy() tells pnpm, Yarn 1 and Yarn 2+ apart by their marks in node_modules", async () => {
  for (
    const [mark, manager] of [
      [".modules.yaml", "pnpm"],
      [".yarn-integrity", "yarn-classic"],
      [".yarn-state.yml", "yarn-berry"],
      [".package-lock.json", undefined],
      [undefined, undefined],
    ] as const
  ) {
    const { folder, moduleUrl } = await project(mark);
    try {
      assert.equal(installedBy(moduleUrl), manager, String(mark));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
});

Deno.test("installedBy() takes pnpm's and Deno's layouts by their paths, and a module outside node_modules by none", () => {
  assert.equal(
    installedBy("file:///app/node_modules/.pnpm/@kgr+resolver@0.1.0/node_modules/@kgr/resolver/x.js"),
    "pnpm",
  );
  // pnpm 10's global virtual store (enable-global-virtual-store=true) links node_modules/@kgr/resolver to its store,
  // where Node and Bun run it from (pnpm 10.34); a custom store-dir keeps the v10/links/ layout.
  for (const store of ["/root/.local/share/pnpm/store", "/srv/pnpm-store"]) {
    assert.equal(
      installedBy(
        `file://${store}/v10/links/@kgr/resolver/0.1.0/${"a5".repeat(32)}/node_modules/@kgr/resolver/dist/mod.js`,
      ),
      "pnpm",
    );
  }
  // The store puts an unscoped package under `@/` (pnpm 10.34: links/@/nice-grpc/2.1.18/<hash>/), on Windows too.
  for (const store of ["/srv/pnpm-store", "/C:/Users/me/AppData/Local/pnpm/store"]) {
    assert.equal(
      installedBy(`file://${store}/v10/links/@/nice-grpc/2.1.18/${"c3".repeat(32)}/node_modules/nice-grpc/lib/x.js`),
      "pnpm",
    );
  }
  // A project in folders that happen to be named so is no store: no hash names the folder above its node_modules.
  assert.equal(installedBy("file:///home/me/v10/links/app/node_modules/@kgr/resolver/x.js"), undefined);
  assert.equal(installedBy("file:///home/me/v10/links/@/app/1.0.0/node_modules/@kgr/resolver/x.js"), undefined);
  // Deno's install into node_modules (`deno install` with a package.json) lays packages out so, run on Node or Bun too.
  assert.equal(
    installedBy("file:///app/node_modules/.deno/@kgr+resolver@0.1.0/node_modules/@kgr/resolver/x.js"),
    "deno",
  );
  assert.equal(installedBy("file:///root/.cache/deno/npm/registry.npmjs.org/@kgr/resolver/0.1.0/x.js"), undefined);
  assert.equal(installedBy("https://jsr.io/@kgr/resolver/0.1.0/src/adapters/nice_grpc.ts"), undefined);
  // A CommonJS bundle whose import.meta is empty (esbuild's) has no module URL.
  assert.equal(installedBy(undefined), undefined);
});

Deno.test("installedBy() takes Yarn 2+'s Plug'n'Play by its zip archives and unplugged folders, its pnpm linker by its store", () => {
  // Yarn 4's default linker serves the package from its cache, where node_modules lies inside a zip archive.
  for (
    const url of [
      "file:///app/.yarn/cache/@kgr-resolver-npm-0.1.0-0123456789-10c0.zip/node_modules/@kgr/resolver/dist/x.js",
      "file:///app/.yarn/__virtual__/@kgr-resolver-virtual-abcdef/4/home/u/.yarn/berry/cache/" +
      "@kgr-resolver-npm-0.1.0-0123456789-10c0.zip/node_modules/@kgr/resolver/dist/x.js",
      "file:///app/.yarn/unplugged/@kgr-resolver-npm-0.1.0-0123456789/node_modules/@kgr/resolver/dist/x.js",
    ]
  ) assert.equal(installedBy(url), "yarn-berry", url);
  // Its pnpm linker (nodeLinker: pnpm) leaves no .yarn-state.yml: a package lies in the store's `package` folder
  // (Yarn 4.18), where npm's linked install strategy nests node_modules (and writes package-lock.json).
  assert.equal(
    installedBy("file:///app/node_modules/.store/@kgr-resolver-virtual-e4cf111167/package/x.js"),
    "yarn-berry",
  );
  const npmLinked = "file:///app/node_modules/.store/@kgr/resolver@0.1.0-8bQrqsK2E3Lq/node_modules/@kgr/resolver/x.js";
  assert.notEqual(installedBy(npmLinked), "yarn-berry");
});

Deno.test("installedBy() finds the mark at a workspace's root, and stops at a project's lockfile", async () => {
  // A workspace member's own node_modules (a version the root could not share) has no mark: the root's has.
  const root = await mkdtemp(join(tmpdir(), "kgr-one-copy-"));
  try {
    const member = join(root, "packages", "app");
    const dist = join(member, "node_modules", "@kgr", "resolver", "dist");
    await mkdir(dist, { recursive: true });
    const moduleUrl = pathToFileURL(join(dist, "nice_grpc.js")).href;
    for (
      const [mark, manager] of [
        [".yarn-integrity", "yarn-classic"],
        [".yarn-state.yml", "yarn-berry"],
        [".modules.yaml", "pnpm"],
      ] as const
    ) {
      await mkdir(join(root, "node_modules"), { recursive: true });
      await writeFile(join(root, "node_modules", mark), "");
      assert.equal(installedBy(moduleUrl), manager, mark);
      // A project of its own (its lockfile beside it) is not told by a folder above it; Bun's lockfile tells Bun.
      for (
        const [lockfile, own] of [["package-lock.json", "npm"], ["bun.lock", "bun"], [
          "deno.lock",
          undefined,
        ]] as const
      ) {
        await writeFile(join(member, lockfile), "");
        assert.equal(installedBy(moduleUrl), own, `${mark} above ${lockfile}`);
        await rm(join(member, lockfile));
      }
      await rm(join(root, "node_modules"), { recursive: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

// npm and Bun leave another package manager's mark in the node_modules they install into: a Yarn 1 project moved
// to npm (yarn.lock removed, npm i) kept node_modules/.yarn-integrity and was told to run yarn upgrade, which would
// write a yarn.lock again (npm 11.19, Yarn 1.22).
Deno.test("installedBy() passes over a mark whose lockfile is gone where another package manager's lies", async () => {
  for (
    const [mark, lockfiles, manager] of [
      [".yarn-integrity", ["package-lock.json"], "npm"],
      [".yarn-state.yml", ["package-lock.json"], "npm"],
      [".yarn-integrity", ["bun.lock"], "bun"],
      [".modules.yaml", ["bun.lock"], "bun"],
      [".yarn-integrity", ["deno.lock"], undefined],
      // Its own lockfile beside it, or none at all, keeps the mark.
      [".yarn-integrity", ["yarn.lock"], "yarn-classic"],
      [".modules.yaml", [], "pnpm"],
    ] as const
  ) {
    const { folder, moduleUrl } = await project(mark);
    try {
      for (const lockfile of lockfiles) await writeFile(join(folder, lockfile), "");
      assert.equal(installedBy(moduleUrl), manager, `${mark} beside ${lockfiles.join(" ")}`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
});

// A project that moved to another package manager and kept the old lockfile has both lockfiles, and the old one's mark
// stays in node_modules (npm 11.19 and Bun 1.4.5 leave Yarn's, Bun leaves npm's): a Yarn 1 project installed with
// Bun was told to run yarn upgrade, and an npm project installed with Bun npm dedupe. Each install leaves its time:
// npm rewrites node_modules/.package-lock.json, Yarn and pnpm their marks, Bun (no mark) its bun.lock when it
// changes anything.
Deno.test("installedBy() takes the package manager that installed last where two lockfiles lie", async () => {
  const npm = ["package-lock.json", "node_modules/.package-lock.json"];
  const yarn1 = ["yarn.lock", "node_modules/.yarn-integrity"];
  const yarn4 = ["yarn.lock", "node_modules/.yarn-state.yml"];
  const pnpm = ["pnpm-lock.yaml", "node_modules/.modules.yaml"];
  const bun = ["bun.lock"];
  for (
    const [first, last, told] of [
      // [the files the first install wrote, those the last one wrote, whose commands are given]
      [yarn1, bun, "bun"],
      [bun, yarn1, "yarn-classic"],
      [npm, bun, "bun"],
      [bun, npm, "npm"],
      [yarn4, npm, "npm"],
      [npm, yarn4, "yarn-berry"],
      [pnpm, npm, "npm"],
      [npm, pnpm, "pnpm"],
      // npm (7 and later) always leaves its mark: package-lock.json without it means another filled node_modules,
      // however new the lockfile (a clone, where git wrote package-lock.json after bun.lock, then bun install,
      // which changed nothing and left bun.lock as it was).
      [bun, ["package-lock.json"], "bun"],
      [yarn1, ["package-lock.json"], "yarn-classic"],
    ] as const
  ) {
    const { folder, moduleUrl } = await project(undefined);
    try {
      const now = Date.now() / 1000;
      for (const [files, time] of [[first, now - 3600], [last, now - 60]] as const) {
        for (const file of files) {
          await writeFile(join(folder, file), "");
          await utimes(join(folder, file), time, time);
        }
      }
      assert.equal(installedBy(moduleUrl), told, `${first.join(" ")}, then ${last.join(" ")}`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
});

/**
 * A project whose files (node_modules among them) were last written the given seconds ago (less than 0: ahead of
 * now), and the URL of a module of the package inside it.
 */
async function projectWritten(ages: Record<string, number>): Promise<{ folder: string; moduleUrl: string }> {
  const made = await project(undefined);
  const now = Date.now() / 1000;
  for (const file of Object.keys(ages)) {
    const path = join(made.folder, file);
    // Folders (node_modules, a package's) are made, or left as they are; every other name is an empty file.
    if (file === "node_modules" || !basename(file).includes(".")) {
      await mkdir(path, { recursive: true });
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, "");
  }
  for (const [file, age] of Object.entries(ages)) await utimes(join(made.folder, file), now - age, now - age);
  return made;
}

/** Asserts that a project whose files were last written `ages` seconds ago ({@linkcode projectWritten}) is told `told`. */
async function assertInstalledBy(ages: Record<string, number>, told: string): Promise<void> {
  const { folder, moduleUrl } = await projectWritten(ages);
  try {
    assert.equal(installedBy(moduleUrl), told, JSON.stringify(ages));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

// Bun leaves no mark, so bun.lock's time stands in, but git writes it too: a `git pull` that rewrote bun.lock after
// npm's last install gave Bun's advice. Each install that changed anything moved node_modules' own time (npm 11.19,
// Yarn 1.22 and 4.5, Bun 1.4.5 installing this package's tarball): npm's and Yarn's to their mark's time to the
// nanosecond, Bun's to within 4 ms before bun.lock's; a Bun install that changed nothing moved neither.
Deno.test("installedBy() takes no later time for Bun's install than node_modules' own", async () => {
  const npm = { "package-lock.json": 3600, "node_modules/.package-lock.json": 3600, node_modules: 3600 };
  const yarn1 = { "yarn.lock": 3600, "node_modules/.yarn-integrity": 3600, node_modules: 3600 };
  for (
    const [ages, told] of [
      [{ ...npm, "bun.lock": 60 }, "npm"],
      [{ ...npm, "bun.lockb": 60 }, "npm"],
      [{ ...yarn1, "bun.lock": 60 }, "yarn-classic"],
      [{ "yarn.lock": 3600, "node_modules/.yarn-state.yml": 3600, node_modules: 3600, "bun.lock": 60 }, "yarn-berry"],
      // Bun's install after npm's moves node_modules' time with bun.lock's.
      [{ ...npm, "bun.lock": 60, node_modules: 60 }, "bun"],
      [{ ...yarn1, "bun.lock": 60, node_modules: 60 }, "bun"],
    ] as const
  ) {
    await assertInstalledBy(ages, told);
  }
});

// Bun re-extracts a tarball dependency (a `file:` one, this package's own, say) that npm's install left in place, and
// leaves bun.lock as it was: only the package's folder, where Bun writes `.bun-tag` beside the package's files, tells
// that install (Bun 1.4.5 after npm 11.19: npm's advice, whose dedupe would lay node_modules out anew).
Deno.test("installedBy() takes a package's folder that Bun tagged for Bun's install, after npm's", async () => {
  const npm = { "package-lock.json": 3600, "node_modules/.package-lock.json": 600, node_modules: 60, "bun.lock": 7200 };
  const copied = { "package-lock.json": 2, "node_modules/.package-lock.json": 2, node_modules: 2, "bun.lock": 2 };
  for (
    const [ages, told] of [
      [{ ...npm, "node_modules/@kgr/resolver/.bun-tag": 7200, "node_modules/@kgr/resolver": 60 }, "bun"],
      [{ ...npm, "node_modules/local-lib/.bun-tag": 7200, "node_modules/local-lib": 60 }, "bun"],
      // npm's install after Bun's leaves the tagged folder as it was.
      [{ ...npm, "node_modules/@kgr/resolver/.bun-tag": 7200, "node_modules/@kgr/resolver": 7200 }, "npm"],
      // Without Bun's lockfile the tag tells no install of this project's.
      [{ ...npm, "bun.lock": undefined, "node_modules/local-lib/.bun-tag": 7200, "node_modules/local-lib": 60 }, "npm"],
      // A copy that keeps no times (cp -r of npm's install) fills the tagged folder after node_modules' own entries:
      // no install of Bun's, whose re-extraction moves node_modules' time too (Bun 1.4.5).
      [{ ...copied, "node_modules/local-lib/.bun-tag": 1, "node_modules/local-lib": 1 }, "npm"],
      // A tagged folder as old as npm's mark tells no later install: the tie goes to the mark.
      [{ ...npm, "node_modules/local-lib/.bun-tag": 7200, "node_modules/local-lib": 600 }, "npm"],
      // A project unpacked from a machine whose clock was ahead, with a folder Bun tagged there, then installed here
      // with npm, which kept the folder: a time ahead of now tells no install later than npm's.
      [{
        "package-lock.json": 60,
        "node_modules/.package-lock.json": 60,
        "bun.lock": -86400,
        node_modules: -86400,
        "node_modules/local-lib/.bun-tag": -86400,
        "node_modules/local-lib": -86400,
      }, "npm"],
    ] as const
  ) {
    await assertInstalledBy(
      Object.fromEntries(Object.entries(ages).filter((entry): entry is [string, number] => entry[1] !== undefined)),
      told,
    );
  }
});

Deno.test("installedBy() on Deno with read access to the project alone caps Bun's time at node_modules', without asking", async () => {
  const { folder, moduleUrl } = await projectWritten({
    "package-lock.json": 3600,
    "node_modules/.package-lock.json": 3600,
    node_modules: 3600,
    "bun.lock": 60,
  });
  try {
    const script = await adviceScript(folder, "installedBy", moduleUrl);
    const { stdout } = await run(deno, ["run", "--no-prompt", "--no-config", `--allow-read=${folder}`, script], {
      env: childEnv(Deno.env.toObject()),
    });
    assert.equal(stdout, "npm\n");
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

// On a terminal Deno asks before a read it has no access for, and waits for an answer: run on one (script(1) gives a
// pseudo-terminal) with read access to the project's lockfiles and npm's mark alone, the look into node_modules for
// folders Bun tagged must pass over what it may not read, and print no question.
Deno.test({
  name: "installedBy() on Deno on a terminal with read access to the lockfiles alone asks nothing",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const { folder, moduleUrl } = await projectWritten({
      "package-lock.json": 3600,
      "node_modules/.package-lock.json": 600,
      node_modules: 60,
      "bun.lock": 7200,
      "node_modules/local-lib/.bun-tag": 7200,
      "node_modules/local-lib": 60,
    });
    try {
      const script = await adviceScript(folder, "installedBy", moduleUrl);
      const readable = ["package-lock.json", "bun.lock", "node_modules/.package-lock.json"].map((file) =>
        join(folder, file)
      );
      const command = [deno, "run", "--no-config", `--allow-read=${readable.join(",")}`, script]
        .map((word) => `'${word}'`).join(" ");
      // A question left unanswered would hold the run until the timeout kills it.
      const { stdout } = await run("script", ["-qec", command, "/dev/null"], {
        env: childEnv(Deno.env.toObject()),
        timeout: 60_000,
      });
      assert.doesNotMatch(stdout, /requests read access/);
      assert.match(stdout, /^npm\r?$/m);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  },
});

// Two installs told at the same time: npm's and Yarn's installs leave node_modules' time at their mark's, so a later
// bun.lock, capped at node_modules' time, ties with the mark where Bun changed nothing after that install.
// A time ahead of now (an unpacked tarball from a machine whose clock was ahead) tells an install but not when: it
// beat every install made here, as bun.lock's did after npm's install, which rewrites its mark in place.
Deno.test("installedBy() gives a tie to the mark, and counts a time ahead of now before any install made here", async () => {
  for (
    const [ages, told] of [
      [{ "package-lock.json": 60, "node_modules/.package-lock.json": 60, "bun.lock": 60, node_modules: 60 }, "npm"],
      [{ "yarn.lock": 60, "node_modules/.yarn-integrity": 60, "bun.lock": 60, node_modules: 60 }, "yarn-classic"],
      // A project unpacked with its node_modules, then installed here with npm, which rewrote its mark in place.
      [{
        "package-lock.json": 60,
        "node_modules/.package-lock.json": 60,
        "bun.lock": -86400,
        node_modules: -86400,
      }, "npm"],
      [{
        "package-lock.json": 60,
        "node_modules/.package-lock.json": 60,
        "yarn.lock": 60,
        "node_modules/.yarn-integrity": -86400,
      }, "npm"],
      [{
        "yarn.lock": 60,
        "node_modules/.yarn-integrity": 60,
        "pnpm-lock.yaml": 60,
        "node_modules/.modules.yaml": -3600,
      }, "yarn-classic"],
      // Alone, it still tells the install; npm's lockfile without its mark tells none.
      [{ "bun.lock": -86400, node_modules: -86400 }, "bun"],
      [{ "yarn.lock": -86400, "node_modules/.yarn-integrity": -86400, "package-lock.json": 60 }, "yarn-classic"],
    ] as const
  ) {
    await assertInstalledBy(ages, told);
  }
});

// Bun leaves no mark in the node_modules it hoists: a Bun project got npm's advice on Node (npm dedupe, which
// writes a package-lock.json beside bun.lock) and Deno's on Deno. Bun 1.4's dedupe left one copy, tried on
// nice-grpc 2.1.12 beside an app's ^1.10.11 locked at 1.10.11, hoisted and isolated.
Deno.test("installedBy() takes Bun by its lockfile beside node_modules, and its isolated layout by its path", async () => {
  for (
    const [lockfiles, manager] of [
      [["bun.lock"], "bun"],
      [["bun.lockb"], "bun"],
      [["package-lock.json"], "npm"],
      // Bun installs a Yarn or pnpm project from its lockfile, leaves it, and writes bun.lock beside it (Bun 1.4.5 on
      // a Yarn 1 project): their lockfile without their mark in node_modules does not tell who installed it.
      [["yarn.lock", "bun.lock"], "bun"],
      [["pnpm-lock.yaml", "bun.lock"], "bun"],
    ] as const
  ) {
    const { folder, moduleUrl } = await project(undefined);
    try {
      for (const lockfile of lockfiles) await writeFile(join(folder, lockfile), "");
      assert.equal(installedBy(moduleUrl), manager, lockfiles.join(" "));
      // Whichever runtime runs it: npm's commands for a project npm installed and Bun runs.
      assert.equal(
        oneCopyAdvice(moduleUrl),
        manager === "bun"
          ? "run bun dedupe, until bun pm ls @grpc/grpc-js shows one copy"
          : "run npm dedupe, until npm ls @grpc/grpc-js shows one copy",
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  assert.equal(installedBy("file:///app/node_modules/.bun/@kgr+resolver@0.1.0/node_modules/@kgr/resolver/x.js"), "bun");
});
