/**
 * The command a user runs for the CLI's `check`, in the words of the runtime this runs on and of the package it was
 * loaded from (the README's forms).
 *
 * @module
 */

import type { RuntimeKey } from "../runtime/runtime.ts";

/**
 * Where a module of the npm package lies: in its folder under node_modules (`node_modules/@kgr/resolver/`, or
 * Deno's `node_modules/.deno/@kgr+resolver@<version>/`), or in Deno's cache of an npm registry
 * (`<DENO_DIR>/npm/registry.npmjs.org/@kgr/resolver/<version>/`, a registry's path may add folders). JSR's modules
 * come from `https://jsr.io/`, Deno's cache of it, which keeps no such path, or JSR's npm compatibility layer
 * (`node_modules/@jsr/kgr__resolver/`): installed from JSR, they get JSR's form.
 */
const NPM_PACKAGE_PATH =
  /\/node_modules\/(?:@kgr\/resolver|\.deno\/@kgr\+resolver@[^/]+)\/|\/npm\/.+\/@kgr\/resolver\/\d/;

/**
 * How a user of `runtime` runs the CLI's check on a target: plain bunx runs the bin with Node, and Deno runs the npm
 * package's bin (`npm:@kgr/resolver`) when that is what it loaded, else JSR's `cli` export. Reads no file.
 *
 * @param runtime The runtime this runs on.
 * @param moduleUrl The URL of a module of this package, e.g. `import.meta.url`; `undefined` tells JSR's form.
 * @returns The command, with `TARGET` for the target.
 *
 * @example Deno running the npm package
 * ```ts
 * import { checkCommand } from "./_check_command.ts";
 * console.log(checkCommand("deno", "file:///app/node_modules/@kgr/resolver/dist/mod.js"));
 * // deno run -A npm:@kgr/resolver check TARGET
 * ```
 */
export function checkCommand(runtime: RuntimeKey, moduleUrl: string | undefined): string {
  if (runtime === "node") return "npx kgr-resolver check TARGET";
  if (runtime === "bun") return "bunx --bun kgr-resolver check TARGET";
  return NPM_PACKAGE_PATH.test(moduleUrl ?? "")
    ? "deno run -A npm:@kgr/resolver check TARGET"
    : "deno run -A jsr:@kgr/resolver/cli check TARGET";
}
