/**
 * Paths of configured files: a name joined to a folder, and a kubeconfig's
 * relative path resolved against that kubeconfig's folder.
 *
 * @module
 */

import { absolutePath } from "../runtime/files.ts";

/**
 * Resolves a path from a kubeconfig against the folder of that kubeconfig,
 * made absolute at once as client-go's `ResolveLocalPaths` does, so that a
 * token file re-read later does not move with the working folder; absolute
 * paths and paths from an object stay as they are.
 *
 * @param file The kubeconfig; `undefined` for an object from `cluster.kubeconfig`.
 * @param path The path it holds.
 * @returns The path to use.
 *
 * @example A CA file next to the kubeconfig
 * ```ts
 * import { resolveAgainst } from "./_paths.ts";
 * console.log(resolveAgainst("/root/.kube/config", "ca.crt")); // /root/.kube/ca.crt
 * ```
 */
export function resolveAgainst(file: string | undefined, path: string): string {
  if (file === undefined || isAbsolute(path)) return path;
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return absolutePath(`${file.slice(0, cut + 1)}${path}`);
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") ||
    /^[A-Za-z]:[\\/]/.test(path);
}

/**
 * Joins a folder and a name with one separator.
 *
 * @param folder The folder, with or without a trailing separator.
 * @param name The name inside it.
 * @returns The path.
 *
 * @example The service account token
 * ```ts
 * import { joinPath } from "./_paths.ts";
 * console.log(joinPath("/var/run/secrets/kubernetes.io/serviceaccount/", "token"));
 * ```
 */
export function joinPath(folder: string, name: string): string {
  return folder.endsWith("/") || folder.endsWith("\\") ? `${folder}${name}` : `${folder}/${name}`;
}
