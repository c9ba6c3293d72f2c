/**
 * Whether a file exists, without Deno asking for read access on a terminal: a look that has a fallback must not stop
 * the program until someone answers a prompt.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { runtimeKey } from "./runtime.ts";

/** Deno's permission query, as far as it is used here. */
interface DenoPermissions {
  permissions: { querySync(descriptor: { name: "read"; path: URL }): { state: string } };
}

/**
 * Whether the file at `url` exists; `false` where it may not be read (Deno without read access to it, which is not
 * asked for).
 *
 * @param url The file's URL.
 * @returns Whether it exists and its existence could be told.
 *
 * @example
 * ```ts ignore
 * existsWithoutAsking(new URL("file:///app/node_modules/.yarn-integrity"));
 * ```
 */
export function existsWithoutAsking(url: URL): boolean {
  try {
    if (runtimeKey() === "deno") {
      const { permissions } = (globalThis as unknown as { Deno: DenoPermissions }).Deno;
      if (permissions.querySync({ name: "read", path: url }).state !== "granted") return false;
    }
    return existsSync(url);
  } catch {
    return false;
  }
}
