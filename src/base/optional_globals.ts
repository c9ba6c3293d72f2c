/**
 * The types of globals that a TypeScript project's `lib` and `types` may lack, for our public declarations: each is
 * the global's own type where the project declares it, and a stand-in where it does not, so that a project with
 * `"lib": ["es2022"]`, `"types": []` and no `skipLibCheck` compiles against them (TS2304 "Cannot find name
 * 'AsyncDisposable'" before).
 *
 * @module
 */

/**
 * `AsyncDisposable` where the project declares `Symbol.asyncDispose` (lib `esnext.disposable` or `esnext`, the types
 * of Node, Deno or Bun), so that `await using` holds the object and closes it when the block ends; else an object
 * type with no member (a project without `Symbol.asyncDispose` has no `await using` either).
 *
 * @example Holding a disposable for the length of a block
 * ```ts
 * import type { AsyncDisposableWhereDeclared } from "@kgr/resolver";
 * const resource: AsyncDisposableWhereDeclared = { [Symbol.asyncDispose]: async () => {} };
 * const disposable: AsyncDisposable = resource;
 * await disposable[Symbol.asyncDispose]();
 * ```
 */
export type AsyncDisposableWhereDeclared = Record<
  SymbolConstructor extends { readonly asyncDispose: infer Dispose extends symbol } ? Dispose : never,
  () => Promise<void>
>;

/**
 * `AbortSignal` where the project declares it (lib `dom`, Node's, Deno's and Bun's types), else `never` (a project
 * without it has no signal to give).
 *
 * @example A signal that aborts after a minute
 * ```ts
 * import type { AbortSignalWhereDeclared } from "@kgr/resolver";
 * const signal: AbortSignalWhereDeclared = AbortSignal.timeout(60_000);
 * console.log(signal.aborted); // false
 * ```
 */
export type AbortSignalWhereDeclared = typeof globalThis extends { AbortSignal: { prototype: infer Signal } } ? Signal
  : never;
