/**
 * The key of an object's `[Symbol.asyncDispose]()` method, in every realm that runs `await using`.
 *
 * @module
 */

/**
 * The key that `await using` looks up on the objects it holds: `Symbol.asyncDispose` where this realm's `Symbol` has
 * it, else `Symbol.for("Symbol.asyncDispose")`. The fallback is for a `vm` context of Node 20 or 22 (Vitest's
 * `vmThreads` and `vmForks` pools and Jest 29 run test files and their packages there; Jest 30 gives its context
 * Node's symbol): Node gives only its main context the
 * symbol, so `[Symbol.asyncDispose]` there names a property "undefined", while the `await using` that Vitest (oxc),
 * esbuild and Babel compile looks for `Symbol.for("Symbol.asyncDispose")` when `Symbol.asyncDispose` is missing.
 * The registry behind `Symbol.for` is shared by every realm of a process. Looked up at each call, so a polyfill
 * that sets `Symbol.asyncDispose` after this module loaded counts. Typed as `Symbol.asyncDispose`, so an object
 * keyed with it still reads as `AsyncDisposable` to TypeScript.
 *
 * @returns The symbol to define an object's async dispose method under.
 *
 * @example An object that `await using` closes
 * ```ts
 * import { asyncDisposeKey } from "./_async_dispose.ts";
 * const resource: AsyncDisposable = { [asyncDisposeKey()]: async () => {} };
 * console.log(typeof resource[Symbol.asyncDispose]); // "function"
 * ```
 */
export function asyncDisposeKey(): typeof Symbol.asyncDispose {
  const own: symbol | undefined = Symbol.asyncDispose;
  return (typeof own === "symbol" ? own : Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
}
