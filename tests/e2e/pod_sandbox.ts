/**
 * Runs a program as in a pod, for the in-cluster scenarios: the service account's token, CA and namespace
 * laid out as the kubelet's projected volume is (each file a symlink through `..data` to a timestamped folder,
 * `..data` swapped atomically on rotation), mounted at /var/run/secrets/kubernetes.io/serviceaccount in a
 * mount namespace of the program's own (a tmpfs over /run, /var/run's target), so that the host's file
 * system is left alone. Needs root and `unshare`.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";
import { mkdir, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";

/** Whether this machine lets us run a process in a mount namespace of its own (root and util-linux). */
export async function canUnshareMounts(): Promise<boolean> {
  if (Deno.uid() !== 0) return false;
  const unshare = new Deno.Command("unshare", { args: ["--mount", "true"], env: childEnv() });
  const { success } = await unshare.output().catch(() => ({ success: false }));
  return success;
}

let versions = 0;

/**
 * Writes `files` as the kubelet's atomic writer does: each in a new timestamped folder, `..data` pointed at it
 * with one rename (so a reader sees the old set or the new one, never a mix), and `name` → `..data/name`.
 * Called again on the same folder, it rotates the files.
 *
 * @param folder The volume's folder.
 * @param files The files' names and contents.
 */
export async function writeProjectedVolume(folder: string, files: Record<string, string>): Promise<void> {
  const version = `..${new Date().toISOString().replace(/[-:T.Z]/g, "_")}${++versions}`;
  await mkdir(join(folder, version), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, version, name), text);
  await symlink(version, join(folder, "..data_tmp"));
  await rename(join(folder, "..data_tmp"), join(folder, "..data"));
  // The links to ..data stay from the first write on: only an existing one is no failure.
  for (const name of Object.keys(files)) {
    await symlink(join("..data", name), join(folder, name)).catch((error) => {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    });
  }
}

/** The shell script that mounts the volume (its first argument) and runs the rest of its arguments. */
const MOUNT_AND_RUN = "mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && " +
  'mount --bind "$1" /run/secrets/kubernetes.io/serviceaccount && shift && exec "$@"';

/** `unshare`'s arguments and environment for `command` in a pod with `volume` and only `env` plus PATH. */
function podCommand(volume: string, command: string[], env: Record<string, string>) {
  return {
    args: ["--mount", "sh", "-c", MOUNT_AND_RUN, "sh", volume, ...command],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
  };
}

/**
 * Runs `command` in a pod until it exits.
 *
 * @param volume The service account's folder (see {@linkcode writeProjectedVolume}).
 * @param command The program and its arguments.
 * @param env Its whole environment, but PATH.
 * @returns Its exit code and output.
 */
export async function runInPod(volume: string, command: string[], env: Record<string, string>) {
  const { args, env: fullEnv } = podCommand(volume, command, env);
  const output = await new Deno.Command("unshare", {
    args,
    env: childEnv(fullEnv),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/**
 * Starts `command` in a pod and leaves it running; its standard input is a pipe (closing it is the program's
 * cue to stop, when it listens for that).
 *
 * @param volume The service account's folder.
 * @param command The program and its arguments.
 * @param env Its whole environment, but PATH.
 * @returns The child process.
 */
export function startInPod(volume: string, command: string[], env: Record<string, string>): ChildProcess {
  const { args, env: fullEnv } = podCommand(volume, command, env);
  return spawnTied("unshare", args, { env: childEnv(fullEnv), stdio: ["pipe", "pipe", "pipe"] });
}
