/**
 * Whether Deno grants read access to a path already, asked without a prompt (`Deno.permissions.querySync`).
 *
 * @module
 */

/** Deno's permission query, as far as it is used here. */
interface DenoPermissions {
  permissions: { querySync(descriptor: { name: "read"; path: string | URL }): { state: string } };
}

/**
 * Whether this Deno process may read `path` now, without asking on a terminal. Call it on Deno only.
 *
 * @param path The file or folder, as a path or a `file:` URL.
 * @returns `true` when read access to it is granted.
 *
 * @example
 * ```ts ignore
 * denoReadGranted("/var/run/secrets/kubernetes.io/serviceaccount/token"); // false under --allow-read=/run
 * ```
 */
export function denoReadGranted(path: string | URL): boolean {
  const { permissions } = (globalThis as unknown as { Deno: DenoPermissions }).Deno;
  return permissions.querySync({ name: "read", path }).state === "granted";
}
