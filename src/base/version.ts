/**
 * The version of this package, as `package.json` and `deno.json` give it
 * (a test keeps the three equal).
 *
 * @module
 */

/**
 * The package's version.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`@kgr/resolver ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
