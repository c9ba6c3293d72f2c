/**
 * Each package manager's command words, and whose words a message about a module gives: the package manager's that
 * installed it, else the runtime's own. The one table that every piece of advice naming a command reads.
 *
 * @module
 */

import { installedBy, type PackageManager } from "./installed_by.ts";
import type { RuntimeKey } from "./runtime.ts";

/** Each package manager's words (see {@linkcode commandsOf}). */
interface Words {
  /** Adds a package. */
  add: string;
  /** What goes before an npm package's name in `add` (Deno's `npm:`). */
  from: string;
  /** Shows which packages bring an installed package. */
  why: string;
  /** Shows a dependency missing from node_modules as one, where `why` does not. */
  whyMissing?: string;
  /** Puts back what the lockfile holds and node_modules lacks. */
  restore: string;
}

/**
 * Each package manager's words. pnpm's, Yarn's and Bun's `why` read the lockfile (checked with pnpm 9.15, Yarn 1.22
 * and 4.18, Bun 1.4.5), where npm 11.19's `npm ls yaml` prints `(empty)` for a missing one and only `npm ls --all`
 * says `missing: yaml@^2.8.0, required by @kgr/resolver@0.1.0`. After a package's folder or link was removed, Yarn
 * 1.22's `yarn install` says "Already up-to-date" and pnpm 9.15's `pnpm install` "Done" without putting it back:
 * their `--check-files` and `--force` do, as the others' plain install does (Deno 2.9.6's too).
 */
const WORDS: Record<PackageManager, Words> = {
  npm: { add: "npm i", from: "", why: "npm ls", whyMissing: "npm ls --all", restore: "npm install" },
  pnpm: { add: "pnpm add", from: "", why: "pnpm why", restore: "pnpm install --force" },
  "yarn-classic": { add: "yarn add", from: "", why: "yarn why", restore: "yarn install --check-files" },
  "yarn-berry": { add: "yarn add", from: "", why: "yarn why", restore: "yarn install" },
  bun: { add: "bun add", from: "", why: "bun why", restore: "bun install" },
  deno: { add: "deno add", from: "npm:", why: "deno why", restore: "deno install" },
};

/** The package manager each runtime comes with, whose words stand in where none left its mark. */
const RUNTIMES_OWN: Record<RuntimeKey, PackageManager> = { node: "npm", bun: "bun", deno: "deno" };

/** A package manager's commands, in its own words. */
export interface PackageManagerCommands {
  /** Adds packages (`npm i "yaml@^2.8.0"`, `deno add npm:@grpc/grpc-js@latest`), quoted where a shell reads them. */
  add: (...wanted: string[]) => string;
  /** Lists every installed copy of a package with the packages that bring each (`npm ls @grpc/grpc-js`). */
  why: (name: string) => string;
  /** Shows a dependency missing from node_modules as one (`npm ls --all`, `pnpm why yaml`). */
  whyMissing: (name: string) => string;
  /** Puts back what the lockfile holds and node_modules lacks (`pnpm install --force`). */
  restore: string;
}

/**
 * A package manager's commands.
 *
 * @param manager The package manager.
 * @returns Its commands.
 *
 * @example The command that adds yaml with npm
 * ```ts
 * import { commandsOf } from "./package_manager_commands.ts";
 * console.log(commandsOf("npm").add("yaml@^2.8.0")); // npm i "yaml@^2.8.0"
 * ```
 */
export function commandsOf(manager: PackageManager): PackageManagerCommands {
  const { add, from, why, whyMissing, restore } = WORDS[manager];
  return {
    add: (...wanted) => [add, ...wanted.map((one) => shellWord(`${from}${one}`))].join(" "),
    why: (name) => `${why} ${name}`,
    whyMissing: (name) => whyMissing ?? `${why} ${name}`,
    restore,
  };
}

/**
 * Whose commands a message about the module at `moduleUrl` gives: the package manager's that installed it, else the
 * one that `runtime` comes with (npm for Node).
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`.
 * @param runtime The runtime whose package manager stands in.
 * @returns The package manager.
 *
 * @example Advice in the commands of whoever installed this module
 * ```ts ignore
 * console.log(commandsOf(packageManagerFor(import.meta.url, runtimeKey())).restore);
 * ```
 */
export function packageManagerFor(moduleUrl: string | undefined, runtime: RuntimeKey): PackageManager {
  return installedBy(moduleUrl) ?? RUNTIMES_OWN[runtime];
}

/** `word` as a shell reads it: in double quotes when it holds more than letters, digits and `@/.:_-` (`^2.8.0`). */
function shellWord(word: string): string {
  return /^[\w@/.:-]+$/.test(word) ? word : `"${word}"`;
}
