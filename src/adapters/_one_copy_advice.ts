/**
 * How to leave one copy of `@grpc/grpc-js`, in the words of the package manager that installed this package: each
 * leaves its own mark in the project's `node_modules`, whichever runtime then runs the code.
 *
 * @module
 */

import { type RuntimeKey, runtimeKey } from "../runtime/runtime.ts";
import { existsWithoutAsking } from "../runtime/_exists_without_asking.ts";

/** The package managers whose `node_modules` {@linkcode installedBy} tells apart. */
export type PackageManager = "pnpm" | "yarn-classic" | "yarn-berry";

/**
 * Each package manager's commands, each tried here on a project whose app and nice-grpc had two copies: pnpm's
 * dedupe works on its lockfile, whether node_modules is isolated or hoisted (`node-linker=hoisted`); Yarn 1 has no
 * dedupe (`yarn dedupe` says `yarn install` does it, which keeps the two lockfile entries), but upgrading the package
 * resolves every range of it anew; Yarn 2+ dedupes one package by name. npm's dedupe would walk their trees and
 * write a package-lock.json beside their lockfile.
 */
const MANAGER_ADVICE: Record<PackageManager, string> = {
  "pnpm": "run pnpm dedupe, until pnpm why @grpc/grpc-js shows one version",
  "yarn-classic": "run yarn upgrade @grpc/grpc-js, until yarn why @grpc/grpc-js finds one copy",
  "yarn-berry": "run yarn dedupe @grpc/grpc-js, until yarn why @grpc/grpc-js shows one version",
};

/**
 * The commands of the package manager that goes with the runtime, for node_modules no other one marked (each
 * checked with two copies installed). Deno's install shares one copy among the ranges that allow it; node_modules
 * that npm wrote need npm's dedupe.
 */
const RUNTIME_ADVICE: Record<RuntimeKey, string> = {
  node: "run npm dedupe, until npm ls @grpc/grpc-js shows one copy",
  bun: "run bun dedupe, until bun pm ls @grpc/grpc-js shows one copy",
  deno: "run deno install (npm dedupe if npm wrote node_modules), until deno why @grpc/grpc-js (npm ls " +
    "@grpc/grpc-js) shows one copy",
};

/** The file each package manager writes into the node_modules it fills, checked with pnpm 9, Yarn 1.22 and 4.5. */
const MARKS: ReadonlyArray<readonly [string, PackageManager]> = [
  [".modules.yaml", "pnpm"],
  [".yarn-state.yml", "yarn-berry"],
  [".yarn-integrity", "yarn-classic"],
];

/**
 * The files a project's root holds beside its node_modules: the walk up from a workspace member's own node_modules
 * to the folder whose node_modules bears the mark stops at the first, a project of its own.
 */
const LOCKFILES: readonly string[] = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "bun.lockb",
  "deno.lock",
];

/**
 * The package manager that filled the node_modules a module lies in, from the mark it left there: in the
 * node_modules the module's path names first, or, for a workspace member's own node_modules, in that of a folder
 * above it, up to the first folder with a lockfile. pnpm's isolated layout is told by its path too
 * (`node_modules/.pnpm/`), and Yarn 2+'s Plug'n'Play by its zip archives and unplugged folders. A module outside
 * node_modules (a bundle, Deno's cache) or one that npm or Bun installed has none.
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`.
 * @returns The package manager, or `undefined` when no mark is found.
 *
 * @example A package that Yarn 1 installed
 * ```ts ignore
 * installedBy("file:///app/node_modules/@kgr/resolver/dist/mod.js"); // "yarn-classic" beside node_modules/.yarn-integrity
 * ```
 */
export function installedBy(moduleUrl: string): PackageManager | undefined {
  if (!moduleUrl.startsWith("file:")) return undefined;
  const at = moduleUrl.indexOf("/node_modules/");
  if (at === -1) return undefined;
  if (moduleUrl.includes("/node_modules/.pnpm/")) return "pnpm";
  const before = moduleUrl.slice(0, at);
  if (before.endsWith(".zip") || before.includes("/.yarn/unplugged/")) return "yarn-berry";
  // Deno without read access there is not asked for it: the runtime's advice stands in.
  let folder = new URL(moduleUrl.slice(0, at + 1));
  for (;;) {
    const mark = MARKS.find(([file]) => existsWithoutAsking(new URL(`node_modules/${file}`, folder)));
    if (mark !== undefined) return mark[1];
    const above = new URL("../", folder);
    // The file system's root is its own parent.
    if (above.href === folder.href || LOCKFILES.some((file) => existsWithoutAsking(new URL(file, folder)))) {
      return undefined;
    }
    folder = above;
  }
}

/**
 * How to leave one copy of grpc-js: the commands of the package manager that installed the module at `moduleUrl`,
 * else those of the runtime's own (npm's for Node).
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`.
 * @returns A clause such as `run npm dedupe, until npm ls @grpc/grpc-js shows one copy`.
 *
 * @example In a message
 * ```ts ignore
 * console.log(`install a version of @grpc/grpc-js that nice-grpc accepts and ${oneCopyAdvice(import.meta.url)}`);
 * ```
 */
export function oneCopyAdvice(moduleUrl: string): string {
  const manager = installedBy(moduleUrl);
  return manager === undefined ? RUNTIME_ADVICE[runtimeKey()] : MANAGER_ADVICE[manager];
}
