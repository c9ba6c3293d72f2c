/**
 * How to leave one copy of `@grpc/grpc-js`, in the words of the package manager that installed this package: each
 * leaves its own mark in the project's `node_modules`, whichever runtime then runs the code.
 *
 * @module
 */

import { runtimeKey } from "../runtime/runtime.ts";
import type { PackageManager } from "../runtime/installed_by.ts";
import { commandsOf, packageManagerFor } from "../runtime/package_manager_commands.ts";

/** The package whose copies the advice is about. */
const GRPC_JS = "@grpc/grpc-js";

/**
 * Each package manager's commands, each tried here on a project whose app and nice-grpc had two copies: pnpm's
 * dedupe works on its lockfile, whether node_modules is isolated or hoisted (`node-linker=hoisted`); Yarn 1 has no
 * dedupe (`yarn dedupe` says `yarn install` does it, which keeps the two lockfile entries), but upgrading the package
 * resolves every range of it anew; Yarn 2+ dedupes one package by name; Bun 1.4's dedupe rewrites bun.lock, hoisted
 * or isolated (`bun pm ls` lists both copies before). npm's dedupe would walk their trees and write a
 * package-lock.json beside their lockfile. For node_modules no package manager marked, the runtime's: Deno's
 * install shares one copy among the ranges that allow it; node_modules that npm wrote need npm's dedupe.
 */
const ONE_COPY_ADVICE: Record<PackageManager, string> = {
  npm: "run npm dedupe, until npm ls @grpc/grpc-js shows one copy",
  "pnpm": "run pnpm dedupe, until pnpm why @grpc/grpc-js shows one version",
  "yarn-classic": "run yarn upgrade @grpc/grpc-js, until yarn why @grpc/grpc-js finds one copy",
  "yarn-berry": "run yarn dedupe @grpc/grpc-js, until yarn why @grpc/grpc-js shows one version",
  bun: "run bun dedupe, until bun pm ls @grpc/grpc-js shows one copy",
  deno: "run deno install (npm dedupe if npm wrote node_modules), until deno why @grpc/grpc-js (npm ls " +
    "@grpc/grpc-js) shows one copy",
};

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
  return ONE_COPY_ADVICE[installer(moduleUrl)];
}

/**
 * How to install a grpc-js new enough and find the package that brings an older copy, in the commands of the
 * package manager that installed the module at `moduleUrl`, else those of the runtime's own (npm's for Node).
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`.
 * @returns A clause such as `install a newer one (npm i @grpc/grpc-js@latest), and run npm ls @grpc/grpc-js to find
 *   an older copy that another package brings`.
 *
 * @example In a message
 * ```ts ignore
 * console.log(`this @grpc/grpc-js is too old: ${newerGrpcAdvice(import.meta.url)}`);
 * ```
 */
export function newerGrpcAdvice(moduleUrl: string): string {
  const { add, why } = commandsOf(installer(moduleUrl));
  return `install a newer one (${add(`${GRPC_JS}@latest`)}), and run ${why(GRPC_JS)} to find an older copy that ` +
    "another package brings";
}

/**
 * The command that lists every copy of grpc-js with the packages that bring each, in the words of the package
 * manager that installed the module at `moduleUrl`, else those of the runtime's own (npm's for Node).
 *
 * @param moduleUrl The module's URL, e.g. `import.meta.url`.
 * @returns A command such as `npm ls @grpc/grpc-js`.
 *
 * @example In a message
 * ```ts ignore
 * console.log(`${copiesCommand(import.meta.url)} shows the copies`);
 * ```
 */
export function copiesCommand(moduleUrl: string): string {
  return commandsOf(installer(moduleUrl)).why(GRPC_JS);
}

/**
 * The package manager that installed the module at `moduleUrl`, else the runtime's own. Under Deno that is Deno's
 * (whose advice names npm's dedupe too), where `_lazy_package.ts` gives npm's commands for an error in Node's words:
 * a message here follows the runtime that runs the code, one there the runtime whose words the error has.
 */
function installer(moduleUrl: string): PackageManager {
  return packageManagerFor(moduleUrl, runtimeKey());
}
