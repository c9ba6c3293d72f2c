/**
 * `/var/run` is a link to `/run` on Linux, but Deno and Node's permission model check a path as it is written: a
 * process granted the service account's folder as `/run/secrets/...` is refused `/var/run/secrets/...`, the path
 * client-go and this package read. This tells a refusal of that kind apart, so that the message says which spelling
 * to grant.
 *
 * @module
 */

import process from "node:process";
import { runtimeKey } from "./runtime.ts";
import { denoReadGranted } from "./_deno_read_granted.ts";

/** Node's permission model, as far as it is used here (absent when it is off, and on Bun). */
interface NodePermission {
  has(scope: "fs.read", reference: string): boolean;
}

/** Each prefix, and the one it is the same folder as. */
const ALIASES = [["/var/run/", "/run/"], ["/run/", "/var/run/"]] as const;

/**
 * What to add to the advice for a refused read of `path` when the same file under its other spelling (`/run/...`
 * for `/var/run/...`, and back) may be read: the grant names the wrong one.
 *
 * @param path The path that was refused, as it was asked for.
 * @returns Such as `: the grant names it under /run/, but Deno checks the path as written (under /var/run/), not
 * where a link points: grant it under /var/run/`, or an empty string. The path itself is never repeated (a caller may hide it).
 *
 * @example
 * ```ts ignore
 * runAliasNote("/var/run/secrets/kubernetes.io/serviceaccount/token"); // with --allow-read=/run/secrets/...
 * ```
 */
export function runAliasNote(path: string): string {
  const [asked, other] = ALIASES.find(([prefix]) => path.startsWith(prefix)) ?? [];
  if (asked === undefined || other === undefined) return "";
  const alias = other + path.slice(asked.length);
  let granted = false;
  let runtime = "Node";
  try {
    if (runtimeKey() === "deno") {
      runtime = "Deno";
      granted = denoReadGranted(alias);
    } else {
      const permission = (process as unknown as { permission?: NodePermission }).permission;
      granted = permission?.has("fs.read", alias) ?? false;
    }
  } catch {
    return "";
  }
  if (!granted) return "";
  return `: the grant names it under ${other}, but ${runtime} checks the path as written (under ${asked}), not ` +
    `where a link points: grant it under ${asked}`;
}
