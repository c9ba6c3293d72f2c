/**
 * The versions of `@grpc/grpc-js` that the installed nice-grpc asks for, read from its own package.json, so that a
 * message about two copies names the range to install rather than "a version that nice-grpc accepts".
 *
 * @module
 */

import * as nodeModule from "node:module";

/**
 * The installed nice-grpc's version and its `dependencies["@grpc/grpc-js"]` range, as found from the first of `bases`
 * that resolves nice-grpc; `undefined` when none does (a bundle that holds nice-grpc, say) or its package.json names
 * no range.
 *
 * @param bases Module URLs or paths to resolve nice-grpc from, the first first.
 * @returns Its version and the range, e.g. `{ version: "2.1.18", range: "^1.14.0" }`.
 *
 * @example In a message
 * ```ts ignore
 * const asked = niceGrpcRange([import.meta.url]);
 * console.log(asked ? `nice-grpc ${asked.version} asks for @grpc/grpc-js ${asked.range}` : "unknown");
 * ```
 */
export function niceGrpcRange(bases: readonly string[]): { version: string; range: string } | undefined {
  for (const base of bases) {
    try {
      const manifest = nodeModule.createRequire(base)("nice-grpc/package.json");
      const range = manifest?.dependencies?.["@grpc/grpc-js"];
      if (typeof range === "string" && range !== "") return { version: String(manifest.version), range };
    } catch {
      // Not resolvable from there: try the next.
    }
  }
  return undefined;
}
