/**
 * The packages imported only when first needed (the YAML parser at the first kubeconfig file, undici on Deno or
 * through a proxy): what a failed or half-done import says, for a bundle as much as for a `node_modules`.
 *
 * @module
 */

import { commandsOf, packageManagerFor } from "./package_manager_commands.ts";
import { runtimeKey } from "./runtime.ts";

/** README's section on bundles, which every message of a bundle at fault points to. */
const BUNDLES_SECTION = 'README: "Bundles and single executables"';

/**
 * The ranges of the packages imported at first use, as package.json's `dependencies` and deno.json's `imports` give
 * them (a test keeps them equal), for the install command a message gives.
 */
export const DEPENDENCY_RANGES = { undici: "^7.16.0", yaml: "^2.8.0" } as const;

/** A package imported at first use. */
export type LazyPackageName = keyof typeof DEPENDENCY_RANGES;

/**
 * Imports a package with `load`, and checks that what came has the functions we call.
 *
 * @param name The package, as users install it.
 * @param role What it does for us, to follow "which" in a message ("reads YAML").
 * @param load Its `import()`.
 * @param calls The exports we call.
 * @returns The package.
 * @throws {Error} When the import fails (a message that tells a missing package from a bundle's missing chunk file),
 * or gives a module without those exports (a one-file bundle that runs code before the package's module is defined),
 * with the import's error as `cause`.
 *
 * @example A package that is there
 * ```ts
 * import { importedPackage } from "./_lazy_package.ts";
 * const yaml = await importedPackage("yaml", "reads YAML", () => import("yaml"), ["parse"]);
 * console.log(yaml.parse("a: 1")); // { a: 1 }
 * ```
 */
export async function importedPackage<T>(
  name: LazyPackageName,
  role: string,
  load: () => Promise<T>,
  calls: readonly string[],
): Promise<T> {
  let loaded: T;
  try {
    loaded = await load();
  } catch (cause) {
    throw new Error(unimportable(name, role, cause), { cause });
  }
  const lacking = calls.filter((call) => typeof (loaded as Record<string, unknown> | undefined)?.[call] !== "function");
  if (lacking.length > 0) {
    const got = loaded === undefined || loaded === null
      ? `${loaded}`
      : `a module without ${lacking[0]}${lacking.length > 1 ? ` and ${lacking.length - 1} more of its functions` : ""}`;
    throw new Error(
      `the ${name} package, which ${role}, did not load (its import gave ${got}): ${OUT_OF_ORDER_ADVICE}`,
    );
  }
  return loaded;
}

/**
 * A package imported at the first call and kept once it came whole (see {@linkcode importedPackage}): a failed
 * import is forgotten, so that a later call tries again (one that came too early may come whole then), and only
 * that import: one that a caller started meanwhile is kept.
 *
 * @param name The package, as users install it.
 * @param role What it does for us, to follow "which" in a message ("reads YAML").
 * @param load Its `import()`.
 * @param calls The exports we call.
 * @returns What gives the package, importing it at its first call.
 *
 * @example The yaml package, imported once a first parse asks for it
 * ```ts
 * import { lazyPackage } from "./_lazy_package.ts";
 * const yamlPackage = lazyPackage("yaml", "reads YAML", () => import("yaml"), ["parse"]);
 * console.log((await yamlPackage()).parse("a: 1")); // { a: 1 }
 * ```
 */
export function lazyPackage<T>(
  name: LazyPackageName,
  role: string,
  load: () => Promise<T>,
  calls: readonly string[],
): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return async () => {
    const imported = kept ??= importedPackage(name, role, load, calls);
    try {
      return await imported;
    } catch (error) {
      // Only this import: a caller that learns of its failure late must not forget a fresh one started meanwhile.
      if (kept === imported) kept = undefined;
      throw error;
    }
  };
}

/**
 * A one-file bundle whose code runs before the modules it inlined are defined: rollup's `inlineDynamicImports` places
 * them after the entry, whose top-level `await` then meets them undefined (or, with `const` bindings, before their
 * initialization).
 */
const OUT_OF_ORDER_ADVICE = "a one-file bundle does so when it runs its entry before the modules it holds are " +
  "defined (rollup's `inlineDynamicImports` with a top-level `await` in the entry): start the program from a function " +
  `the entry does not await at the top level, or let the bundler write more than one file (${BUNDLES_SECTION})`;

/** A colour code of a terminal (`ESC [ 36 m`). */
const COLOUR_CODE = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, "g");

/** The message of an import of `name` that failed with `cause`. */
function unimportable(name: LazyPackageName, role: string, cause: unknown): string {
  const given = (cause as Error | undefined)?.message;
  // Deno colours its words, even off a terminal, where it gives a hint.
  const message = typeof given === "string" ? given.replace(COLOUR_CODE, "") : given;
  // Deno's words end in a newline, after the importing module's place on a line of its own, and may have a hint on a
  // line between: one line here.
  const why = typeof message === "string"
    ? message.trim().replace(/\n\s*hint:\s*/, "; hint: ").replace(/\n\s+at (?=\S+$)/, " at ")
    : cause;
  const said = `the ${name} package, which ${role}, cannot be imported (${why})`;
  // esbuild's stand-in for `require` in an ES module bundle, or Node's words for none, met at the package's chunk.
  if (/^(?:Dynamic require of ".*" is not supported|require is not defined)/.test(String(why))) {
    return `${said}: the bundle is an ES module without the require() that the package's CommonJS code in it calls: ` +
      `emit CommonJS, or give the bundle a require (esbuild's --banner:js with createRequire) (${BUNDLES_SECTION})`;
  }
  if (cause instanceof ReferenceError) return `${said}: ${OUT_OF_ORDER_ADVICE}`;
  const missing = missingFile(cause);
  if (missing !== undefined) {
    return `${said}: the bundle's file ${missing}, which holds it, is missing: deploy the bundle's other files with ` +
      `it (its whole output folder), or build it as one file (${BUNDLES_SECTION})`;
  }
  return `${said}: ${uninstalledAdvice(name, String(message ?? ""))}`;
}

/**
 * What to do about a package that is not there, by the words of the runtime that says so (Deno's, or Node's and
 * Bun's) and by the module that imported it: one of ours, as installed (a bundle would hold it), or a bundle's file;
 * either, when the error names none. The commands are those of the package manager that installed our module, else
 * the runtime's own (npm's for Node).
 */
function uninstalledAdvice(name: LazyPackageName, message: string): string {
  const deno =
    /\n\s+at \S+\s*$|^(?:Could not resolve|Import|Module not found|Relative import path) "|^Could not find package '/
      .test(message);
  const from = importingModule(message);
  // Else an installed copy that lacks its entry file (a broken install) names that file, in `node_modules`.
  const installed = from !== undefined ? OUR_MODULE.test(from) : /[\\/]node_modules[\\/]/.test(message) || undefined;
  // Node's and Bun's words are alike: the runtime tells them apart. Words not Deno's under Deno are Node's (its
  // node: layer, a bundle's require()): npm's stand in, where the one-copy advice of the adapters gives Deno's own.
  const { add, whyMissing, restore } = commandsOf(
    deno ? "deno" : packageManagerFor(import.meta.url, runtimeKey() === "bun" ? "bun" : "node"),
  );
  const range = `in the range @kgr/resolver asks for (\`${add(`${name}@${DEPENDENCY_RANGES[name]}`)}\`)`;
  // `deno install` links a `file:` folder without its dependencies, and Deno's words ask "Did you forget to run `deno
  // install`?" after it ran. Such a folder comes without any of them: each is named, lest the next fail in turn.
  const addEvery = commandsOf("deno").add(
    ...Object.entries(DEPENDENCY_RANGES).map(([dependency, asked]) => `${dependency}@${asked}`),
  );
  const putBack = brokenCopy(message) ? "" : `\`${restore}\` puts it back; `;
  const install = deno
    ? `run \`deno install\`; for @kgr/resolver from a \`file:\` folder, which Deno links without its dependencies, ` +
      `add them to your package.json too, in the ranges @kgr/resolver asks for (\`${addEvery}\`)`
    : `install it beside @kgr/resolver (${putBack}it is a dependency: \`${whyMissing(name)}\`)`;
  const bundled = `keep it inside the bundle, or install it beside the bundle, ${range}`;
  return installed === true ? install : installed === false ? bundled : `${install}; for a bundle, ${bundled}`;
}

/**
 * Whether Node's or Bun's words name a file of an installed copy, in `node_modules` (`Cannot find module
 * '/srv/node_modules/yaml/dist/index.js'`): a copy without its files, which npm 11.19's `npm install` leaves as it is.
 * Deno's words for one (`Module not found "file:///srv/node_modules/..."`) get Deno's advice, which has no restore.
 */
function brokenCopy(message: string): boolean {
  return /^Cannot find module '[^']*[\\/]node_modules[\\/]/.test(message);
}

/** Our modules that import the packages, installed (in `node_modules`, or a folder of `dist/src/`) or from source. */
const OUR_MODULE = /[\\/]node_modules[\\/]|[\\/]src[\\/](?:cli|cluster|runtime|testing)[\\/]\w+\.[jt]s$/;

/**
 * The module whose import failed, as the error names it: Node's and Bun's `imported from /srv/index.mjs` or the
 * first of `Require stack:`, Deno's `at file:///srv/index.mjs:3:20` (without its line and column), or Deno's `from
 * referrer 'file:///srv/node_modules/...'` for a package's own import in `node_modules`.
 */
function importingModule(message: string): string | undefined {
  const named = / imported from (.+)$|^Require stack:\n- (.+)$|^\s+at (\S+?)(?::\d+:\d+)?\s*$| from referrer '([^']+)'/m
    .exec(message);
  return named?.slice(1).find(Boolean);
}

/**
 * The file that a "Cannot find module" error (Node's and Bun's words; Deno's are `Module not found "file:///..."`)
 * names, when it names a file (`./1.app.cjs`, `/srv/752.index.mjs`, `file:///...`), as a bundle's loader of its own
 * chunk files asks for them; not a package name (`yaml`), nor a file in `node_modules`, which Node names for an
 * installed copy that lacks its entry file (a broken install).
 */
function missingFile(cause: unknown): string | undefined {
  const message = (cause as Error | undefined)?.message;
  if (typeof message !== "string") return undefined;
  const named = /^(?:Cannot find module '([^']+)'|Module not found "([^"]+)")/.exec(message)?.slice(1).find(Boolean);
  if (named === undefined || /[\\/]node_modules[\\/]/.test(named)) return undefined;
  return /^(?:\.{1,2}[\\/]|\/|[A-Za-z]:[\\/]|file:)/.test(named) ? named : undefined;
}
