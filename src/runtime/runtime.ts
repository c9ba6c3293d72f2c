/**
 * The one place that tells which JavaScript runtime runs us.
 *
 * @module
 */

/** The runtimes we support. */
export type RuntimeKey = "deno" | "bun" | "node";

/**
 * Tells which runtime runs this code.
 *
 * @returns `deno`, `bun` or `node`.
 *
 * @example Branching on the runtime
 * ```ts
 * import { runtimeKey } from "./runtime.ts";
 * if (runtimeKey() === "deno") console.log("Deno");
 * ```
 */
export function runtimeKey(): RuntimeKey {
  const global = globalThis as Record<string, unknown>;
  if (typeof global.Deno === "object") return "deno";
  if (typeof global.Bun === "object") return "bun";
  return "node";
}
