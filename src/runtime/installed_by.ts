/**
 * Which package manager installed a module, from the marks each leaves in the project's `node_modules` and the
 * lockfile beside it, whichever runtime then runs the code: for advice in that package manager's commands.
 *
 * @module
 */

import { modifiedWithoutAsking, namesWithoutAsking } from "./_modified_without_asking.ts";

/** The package managers whose installs {@linkcode installedBy} tells apart (Deno's `deno install` among them). */
export type PackageManager = "npm" | "pnpm" | "yarn-classic" | "yarn-berry" | "bun" | "deno";

/**
 * The file each package manager writes into the node_modules it fills (checked with pnpm 9, Yarn 1.22 and 4.5), and
 * the lockfile it writes beside: npm and Bun installing into that node_modules leave the mark (npm 11.19 and Bun
 * 1.4.5 after Yarn 1.22), so a mark whose lockfile is gone where another's lies tells no more.
 */
const MARKS: ReadonlyArray<readonly [mark: string, PackageManager, lockfile: string]> = [
  [".modules.yaml", "pnpm", "pnpm-lock.yaml"],
  [".yarn-state.yml", "yarn-berry", "yarn.lock"],
  [".yarn-integrity", "yarn-classic", "yarn.lock"],
];

/**
 * The files a project's root holds beside its node_modules: the walk up from a workspace member's own node_modules
 * to the folder whose node_modules bears the mark stops at the first, a project of its own. Bun leaves no mark in
 * the node_modules it hoists (checked with Bun 1.4), and npm's mark counts only beside its lockfile: their lockfiles
 * tell them. The others only end the walk: Yarn and pnpm always leave their mark (pnpm 9.15 isolated and hoisted,
 * Yarn 1.22 and 4.18), so their lockfile without it means another tool filled node_modules: Bun, which installs a
 * Yarn or pnpm project from its lockfile and writes bun.lock beside it, or one that leaves no sign, for which the
 * runtime's advice stands in. The third column is npm's mark, whose time tells its last install: npm 11.19 rewrites
 * `node_modules/.package-lock.json` at each install, even one that changes nothing, and npm 7 and later always write
 * it, so its lockfile without it (a clone that Bun or Yarn installed) tells no install of npm's. Bun 1.4.5 writes
 * bun.lock when an install changes anything, and leaves it when none does: its time stands in.
 */
const LOCKFILES: ReadonlyArray<readonly [string, PackageManager | undefined, mark?: string]> = [
  ["package-lock.json", "npm", "node_modules/.package-lock.json"],
  ["npm-shrinkwrap.json", "npm", "node_modules/.package-lock.json"],
  ["yarn.lock", undefined],
  ["pnpm-lock.yaml", undefined],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["deno.lock", undefined],
];

/**
 * A package in pnpm 10's global virtual store (`enable-global-virtual-store`), to which the project's node_modules
 * links it, and from where runtimes run it: `<store>/v10/links/<scope>/<name>/<version>/<hash>/node_modules/<package>/`
 * (checked with pnpm 10.34, which puts unscoped packages under the scope `@`: `links/@/nice-grpc/2.1.18/<hash>/`),
 * outside the project, whose marks the walk up would not find.
 */
const PNPM_GLOBAL_VIRTUAL_STORE = /\/v\d+\/links\/(?:@[^/]*\/)?[^/]+\/[^/]+\/[0-9a-f]{64}\/node_modules\//;

/**
 * The package manager that filled the node_modules a module lies in, from the mark it left there: in the
 * node_modules the module's path names first, or, for a workspace member's own node_modules, in that of a folder
 * above it, up to the first folder with a lockfile, which tells npm's and Bun's; where the files there tell two
 * package managers (a project that moved to another and kept the old lockfile), the one that installed last. pnpm's
 * and Bun's isolated layouts are told by their paths too (`node_modules/.pnpm/`, `node_modules/.bun/`), as are
 * pnpm's global virtual store (`<store>/v10/links/`) and Deno's layout
 * (`node_modules/.deno/`, where `deno install` puts each package and links it from node_modules), Yarn 2+'s
 * Plug'n'Play by its zip archives and unplugged folders, and its pnpm linker by its store
 * (`node_modules/.store/<package>/package/`). A module outside node_modules (a bundle, Deno's cache) has none.
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`; `undefined` in a CommonJS bundle that left `import.meta`
 * empty (esbuild's), which tells none.
 * @returns The package manager, or `undefined` when no mark is found.
 *
 * @example A package that Yarn 1 installed
 * ```ts ignore
 * installedBy("file:///app/node_modules/@kgr/resolver/dist/mod.js"); // "yarn-classic" beside node_modules/.yarn-integrity
 * ```
 */
export function installedBy(moduleUrl: string | undefined): PackageManager | undefined {
  if (typeof moduleUrl !== "string" || !moduleUrl.startsWith("file:")) return undefined;
  const at = moduleUrl.indexOf("/node_modules/");
  if (at === -1) return undefined;
  if (moduleUrl.includes("/node_modules/.pnpm/") || PNPM_GLOBAL_VIRTUAL_STORE.test(moduleUrl)) return "pnpm";
  if (moduleUrl.includes("/node_modules/.bun/")) return "bun";
  // Node and Bun running what `deno install` laid out got npm's or Bun's advice, which would lay it out anew.
  if (moduleUrl.includes("/node_modules/.deno/")) return "deno";
  const before = moduleUrl.slice(0, at);
  if (before.endsWith(".zip") || before.includes("/.yarn/unplugged/")) return "yarn-berry";
  // Yarn 2+'s pnpm linker leaves no .yarn-state.yml; its store holds each package in a `package` folder, where npm's
  // linked install strategy nests node_modules.
  if (/\/node_modules\/\.store\/[^/]+\/package\//.test(moduleUrl)) return "yarn-berry";
  // Deno without read access there is not asked for it: the runtime's advice stands in.
  let folder = new URL(moduleUrl.slice(0, at + 1));
  for (;;) {
    const lockfiles = LOCKFILES.filter(([file]) => modifiedWithoutAsking(new URL(file, folder)) !== undefined);
    // A project that moved to another package manager and kept the old lockfile: the one that installed last.
    const files = lockfiles.map(([file]) => file);
    let last: readonly [PackageManager, number] | undefined;
    for (const install of lastInstalls(folder, files)) {
      if (last === undefined || install[1] > last[1]) last = install;
    }
    const bunLocked = files.includes("bun.lock") || files.includes("bun.lockb");
    if (last !== undefined && last[0] !== "bun" && bunLocked && taggedByBunAfter(folder, last[1])) return "bun";
    if (last !== undefined) return last[0];
    if (lockfiles.length > 0) return undefined;
    const above = new URL("../", folder);
    // The file system's root is its own parent.
    if (above.href === folder.href) return undefined;
    folder = above;
  }
}

/**
 * Each package manager whose install `folder`'s files tell, with the time of its last install there: each mark in its
 * node_modules beside its own lockfile (or beside none), and each lockfile that tells its manager. Marks come first,
 * then npm's lockfiles before Bun's, so that of two installs told at the same time the earlier one listed wins. A Bun
 * install that the package folders it tagged tell is looked for only after the last of these (`taggedByBunAfter()`).
 *
 * Bun's lockfile tells no later install than node_modules' own time: git writes it too (a pull after npm's install),
 * and each install that changes anything moves node_modules' time (npm 11.19, Yarn 1.22 and 4.5 to their mark's, Bun
 * 1.4.5 to within 4 ms before bun.lock's), so a Bun install after another's leaves both later than that one's mark.
 * A time ahead of now (files unpacked from a machine whose clock was ahead) tells an install but not when: it counts
 * as the epoch's, before any install made here and after npm's lockfile without its mark.
 */
function lastInstalls(folder: URL, lockfiles: readonly string[]): Array<readonly [PackageManager, number]> {
  const installs: Array<readonly [PackageManager, number]> = [];
  for (const [mark, manager, lockfile] of MARKS) {
    const time = modifiedWithoutAsking(new URL(`node_modules/${mark}`, folder));
    if (time !== undefined && (lockfiles.length === 0 || lockfiles.includes(lockfile))) installs.push([manager, time]);
  }
  const filled = modifiedWithoutAsking(new URL("node_modules", folder)) ?? Infinity;
  for (const [file, manager, mark] of LOCKFILES) {
    if (manager === undefined || !lockfiles.includes(file)) continue;
    // Without its mark, npm did not fill this node_modules: any other install told was later.
    const time = mark === undefined
      ? modifiedWithoutAsking(new URL(file, folder))
      : modifiedWithoutAsking(new URL(mark, folder)) ?? -Infinity;
    if (time !== undefined) installs.push([manager, mark === undefined ? Math.min(time, filled) : time]);
  }
  return installs.map(([manager, time]) => [manager, asTold(time)]);
}

/** An install's time as told: one ahead of now tells an install but not when, and counts as the epoch's. */
function asTold(time: number): number {
  return time > Date.now() ? 0 : time;
}

/**
 * Whether Bun put a package it extracted from a tarball or checked out from git into `folder`'s node_modules later
 * than `after`, the time of the last install that `lastInstalls()` told otherwise: the time of the newest package
 * folder there (scoped ones included) that holds the `.bun-tag` Bun writes beside such a package's files (the
 * tarball's integrity or the commit; checked with Bun 1.4.5, which writes none for packages from the registry or
 * `file:` folders), capped as bun.lock's is and told as it is. Bun installing again re-extracts a `file:` tarball
 * dependency that another package manager's install left in place, and leaves bun.lock as it was: this tells that
 * install. Another install that keeps the folder leaves its time, one that replaces it leaves no tag.
 *
 * No package folder is looked into when node_modules' own time, which caps theirs, is no later than `after`: an
 * install of npm 11.19 or Yarn 1.22 and 4.5 that changed anything moved it to their mark's, and npm's that changed
 * nothing rewrote its mark after it. Elsewhere the look ends at the first tagged folder that tells a later install.
 * Looking into each of 1,500 package folders took Deno 2.9 120-150 ms and Bun 1.4 about 8 ms.
 */
function taggedByBunAfter(folder: URL, after: number): boolean {
  // Capped as bun.lock's is: a copy that keeps no times (cp -r) fills a folder after node_modules' own entries, and
  // Bun 1.4.5 re-extracting one moved node_modules' time too.
  const filled = modifiedWithoutAsking(new URL("node_modules", folder)) ?? Infinity;
  if (filled <= after) return false;
  const nodeModules = new URL("node_modules/", folder);
  const now = Date.now();
  let newest: number | undefined;
  for (const name of namesWithoutAsking(nodeModules)) {
    if (name.startsWith(".")) continue;
    const packages = name.startsWith("@")
      ? namesWithoutAsking(new URL(`${name}/`, nodeModules)).map((inScope) => `${name}/${inScope}/`)
      : [`${name}/`];
    for (const path of packages) {
      if (modifiedWithoutAsking(new URL(`${path}.bun-tag`, nodeModules)) === undefined) continue;
      // A folder no newer than `after` cannot tell a later install.
      const time = modifiedWithoutAsking(new URL(path, nodeModules));
      if (time === undefined || time <= after) continue;
      // Capped at node_modules' own time, later than `after` too; only one ahead of now needs the newest folder.
      if (filled <= now) return true;
      if (newest === undefined || time > newest) newest = time;
    }
  }
  return newest !== undefined && asTold(Math.min(newest, filled)) > after;
}
