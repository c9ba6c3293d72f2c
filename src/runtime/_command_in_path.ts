/**
 * Where a plugin's bare command name is found: in this process's `PATH`, as client-go looks it up before it sets
 * the plugin's environment, so a `PATH` in the plugin's `env` changes what the plugin runs with, not which
 * program runs.
 *
 * @module
 */

import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/**
 * The file that a bare command name runs from `path` (a `PATH` value): the first executable file of that name in
 * an absolute directory. A name with a directory in it, or none found (or none readable), is left as it is.
 *
 * @param command The command, as the kubeconfig spells it.
 * @param path The `PATH` to look it up in.
 * @returns The file to run, or `command` unchanged.
 *
 * @example Looking up `sh`
 * ```ts ignore
 * import { commandInPath } from "./_command_in_path.ts";
 * console.log(commandInPath("sh", "/usr/bin:/bin")); // /usr/bin/sh
 * ```
 */
export function commandInPath(command: string, path: string | undefined): string {
  if (!path || /[\\/]/.test(command)) return command;
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const file = join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return command;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
