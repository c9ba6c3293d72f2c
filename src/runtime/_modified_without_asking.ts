/**
 * When a file was last written, and what a folder holds, without Deno asking for read access on a terminal: a look
 * that has a fallback must not stop the program until someone answers a prompt.
 *
 * @module
 */

import { readdirSync, statSync } from "node:fs";
import { runtimeKey } from "./runtime.ts";
import { denoReadGranted } from "./_deno_read_granted.ts";

/**
 * When the file at `url` was last written, in ms since the epoch; `undefined` where it does not exist or may not be
 * read (Deno without read access to it, which is not asked for).
 *
 * @param url The file's URL.
 * @returns Its modification time, or `undefined` when it is missing or its time could not be told.
 *
 * @example
 * ```ts ignore
 * modifiedWithoutAsking(new URL("file:///app/node_modules/.yarn-integrity")); // 1765000000000, or undefined
 * ```
 */
export function modifiedWithoutAsking(url: URL): number | undefined {
  try {
    if (!mayRead(url)) return undefined;
    return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The names in the folder at `url`; none where it does not exist, is no folder or may not be read (Deno without read
 * access to it, which is not asked for).
 *
 * @param url The folder's URL.
 * @returns The names of the files and folders in it, in no set order.
 *
 * @example
 * ```ts ignore
 * namesWithoutAsking(new URL("file:///app/node_modules/")); // [".package-lock.json", "@grpc", "yaml", ...], or []
 * ```
 */
export function namesWithoutAsking(url: URL): string[] {
  try {
    return mayRead(url) ? readdirSync(url) : [];
  } catch {
    return [];
  }
}

/** Whether the file at `url` may be read without asking: on Deno, only if read access to it is granted already. */
function mayRead(url: URL): boolean {
  return runtimeKey() !== "deno" || denoReadGranted(url);
}
