/**
 * The only runtime-specific part of finding configuration: reading a text
 * file, absolute paths, the home directory and environment variables.
 * `node:fs/promises`, `node:path`, `node:os` and `node:process` work the same
 * on Deno, Bun and Node.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve } from "node:path";
import process from "node:process";
import { denoHolder, envReadable, grantOrListAdvice, noteEnvStateBeforeRead } from "./deno_permission_advice.ts";
import { denoReadGranted } from "./_deno_read_granted.ts";
import { runAliasNote } from "./_run_alias.ts";
import { runtimeKey } from "./runtime.ts";

/**
 * The most that a configuration file (a kubeconfig, a token, a certificate, a
 * CA bundle) may hold, in bytes (16 MiB): reading stops past it. A path to a
 * device (`/dev/zero`) or to a log took 2 GiB of memory before the runtime
 * gave up.
 */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

/** Refusals of {@linkcode readTextFile} whose path the runtime grants under its other spelling (see `_run_alias.ts`). */
const runAliasNotes = new WeakMap<object, string>();

/**
 * Reads a UTF-8 text file of at most {@linkcode MAX_CONFIG_FILE_BYTES}.
 *
 * @param path The file to read.
 * @returns Its text, or `undefined` when the file does not exist.
 * @throws {Error} Other failures of the file system (permission denied, a
 * folder instead of a file), as the runtime reports them, and one with code
 * `EFBIG` for a file larger than the limit.
 *
 * @example Reading a file that may be missing
 * ```ts
 * import { readTextFile } from "./files.ts";
 * const text = await readTextFile("/no/such/file");
 * console.log(text === undefined);
 * ```
 */
export async function readTextFile(path: string): Promise<string | undefined> {
  let file;
  try {
    file = await open(path, "r");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (typeof error === "object" && error !== null && (refusedByRuntime(error) || refusedByNode(error))) {
      const note = runAliasNote(path);
      if (note) runAliasNotes.set(error, note);
    }
    throw error;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    // A buffer of the size the file has (as Node's readFile and Go's os.ReadFile size theirs), then one byte to see its
    // end: a fixed 1 MiB a read made 500 watches, starting at once and each reading its kubeconfig and certificate
    // files, hold gigabytes. A file that tells no size (under /proc) or grows past it is read on in 64 KiB steps.
    let expected = (await file.stat()).size;
    for (;;) {
      const wanted = expected > total ? expected - total : expected > 0 ? 1 : 1 << 16;
      // One byte more than the limit tells a file of exactly the limit from a larger one.
      const room = Math.min(wanted, MAX_CONFIG_FILE_BYTES + 1 - total);
      const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(room), 0, room, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > expected) expected = 0;
      if (total > MAX_CONFIG_FILE_BYTES) {
        throw Object.assign(new Error(`${path} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`), { code: "EFBIG" });
      }
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } finally {
    await file.close();
  }
}

/**
 * Makes a path absolute against the current working folder, as it is now.
 *
 * @param path A path, relative or absolute.
 * @returns The absolute path.
 *
 * @example Fixing a relative path before the working folder changes
 * ```ts
 * import { absolutePath } from "./files.ts";
 * console.log(absolutePath("config")); // e.g. /home/me/config
 * ```
 */
export function absolutePath(path: string): string {
  return resolve(path);
}

/**
 * The current user's home directory: `HOME` first, as client-go reads it off
 * Windows, then the runtime's own lookup (on Windows only that: `USERPROFILE`,
 * where kubectl finds the kubeconfig too). On Deno, reading `HOME` needs only
 * `--allow-env`; the runtime's lookup needs `--allow-sys=homedir`.
 *
 * @returns The path, or `undefined` when the runtime cannot tell.
 *
 * @example Locating the default kubeconfig
 * ```ts
 * import { homeDirectory } from "./files.ts";
 * console.log(`${homeDirectory()}/.kube/config`);
 * ```
 */
export function homeDirectory(): string | undefined {
  const home = process.platform === "win32" ? undefined : environmentVariable("HOME");
  if (home) return home;
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an error is the runtime refusing what the process was not granted
 * (Deno's `NotCapable`: no `--allow-read`, `--allow-env`, `--allow-sys` for
 * it), rather than the operating system failing it.
 *
 * @param error A caught error.
 * @returns `true` for a refused permission.
 *
 * @example A Deno permission error
 * ```ts
 * import { refusedByRuntime } from "./files.ts";
 * console.log(refusedByRuntime(Object.assign(new Error("no"), { name: "NotCapable" }))); // true
 * ```
 */
export function refusedByRuntime(error: unknown): boolean {
  return (error as Error | undefined)?.name === "NotCapable";
}

/**
 * Whether an error is Node's permission model refusing what the process was
 * not granted (`node --permission`, `--experimental-permission` on Node 20:
 * a file outside its `--allow-fs-read`, a child process without
 * `--allow-child-process`), rather than the operating system failing it.
 *
 * @param error A caught error.
 * @returns `true` for a refused permission.
 *
 * @example A Node permission error
 * ```ts
 * import { refusedByNode } from "./files.ts";
 * console.log(refusedByNode(Object.assign(new Error("no"), { code: "ERR_ACCESS_DENIED" }))); // true
 * ```
 */
export function refusedByNode(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "ERR_ACCESS_DENIED";
}

/**
 * What to grant a refused read for, when a message may name it: the file itself, or a folder that holds it and the
 * files read beside it (the service account's), so that one run tells the whole grant.
 *
 * @example The service account's folder
 * ```ts
 * import type { ReadGrant } from "./files.ts";
 * const grant: ReadGrant = { path: "/var/run/secrets/kubernetes.io/serviceaccount", what: "the folder" };
 * ```
 */
export interface ReadGrant {
  /** The path for `--allow-read=`, as the configuration writes it (Deno checks the path as written). */
  path: string;
  /** How the advice names it: `the file`, `the service account's folder`. */
  what: string;
}

/**
 * What to say of a file that the runtime refused to read: the problem and
 * the flag that grants it (Deno's `--allow-read`, with the path to grant when
 * the caller may show it, Node's `--allow-fs-read`), and, for a refusal of
 * {@linkcode readTextFile} whose file is granted under `/run/` for
 * `/var/run/` (or back), that the grant must name it as asked. Only `grant`
 * names a path: the caller leaves it out for one it hides (a token pasted as
 * one).
 *
 * @param error A caught error.
 * @param grant What Deno's flag may name, or none.
 * @returns The problem and what to do, or `undefined` when the runtime did
 * not refuse it.
 *
 * @example Deno without --allow-read for the file
 * ```ts
 * import { readRefusal } from "./files.ts";
 * const refusal = readRefusal(Object.assign(new Error("no"), { name: "NotCapable" }));
 * console.log(refusal?.fix); // run it with --allow-read, or add the file to its list
 * ```
 */
export function readRefusal(error: unknown, grant?: ReadGrant): { problem: string; fix: string } | undefined {
  const note = typeof error === "object" && error !== null ? runAliasNotes.get(error) ?? "" : "";
  if (refusedByRuntime(error)) {
    return {
      problem: `cannot be read by ${denoHolder()}`,
      fix: `${grantOrListAdvice("read", grant?.path, grant?.what ?? "the file")}${note}`,
    };
  }
  if (refusedByNode(error)) {
    return {
      problem: "cannot be read by this Node process (its permission model is on)",
      fix: `run it with --allow-fs-read for the file, or for a folder that holds it${note}`,
    };
  }
  return undefined;
}

/**
 * The files among `paths` that this Deno process may not read without asking, found by a permission query (nothing
 * is read): what a message about one refused file can name beside it, so that one run tells every grant.
 *
 * @param paths The files.
 * @returns Those Deno does not grant read access to, in their order; none off Deno.
 *
 * @example Files a kubeconfig names
 * ```ts
 * import { ungrantedReads } from "./files.ts";
 * console.log(ungrantedReads(["/k/ca.crt", "/k/client.key"])); // both, under --allow-read=/k/config
 * ```
 */
export function ungrantedReads(paths: readonly string[]): string[] {
  return runtimeKey() === "deno" ? paths.filter((path) => !denoReadGranted(path)) : [];
}

/**
 * Whether the runtime refuses to read an environment variable, or, for
 * `"homedir"`, to look the home directory up (asked when `HOME` gave none), so
 * that a message can name the missing Deno permission instead of calling it
 * unset.
 *
 * @param name A variable, or `"homedir"`.
 * @returns `true` when refused.
 *
 * @example Checking KUBECONFIG
 * ```ts
 * import { refusedToRead } from "./files.ts";
 * console.log(refusedToRead("KUBECONFIG")); // false with --allow-env (and on Node and Bun)
 * ```
 */
export function refusedToRead(name: string): boolean {
  if (name === "homedir") {
    try {
      homedir();
      return false;
    } catch (error) {
      return refusedByRuntime(error);
    }
  }
  noteEnvStateBeforeRead(name);
  try {
    void process.env[name];
    return false;
  } catch (error) {
    return refusedByRuntime(error);
  }
}

/**
 * Looks up an environment variable.
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when unset or not readable (Deno
 * without `--allow-env`).
 *
 * @example Reading KUBECONFIG
 * ```ts
 * import { environmentVariable } from "./files.ts";
 * console.log(environmentVariable("KUBECONFIG") ?? "unset");
 * ```
 */
export function environmentVariable(name: string): string | undefined {
  noteEnvStateBeforeRead(name);
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/**
 * Looks up an environment variable without making Deno ask for it: on a
 * terminal, Deno would stop the program until answered, for a setting that
 * has a default or only helps a message.
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when unset or when Deno has not
 * granted it already.
 *
 * @example Reading DENO_TLS_CA_STORE for a message
 * ```ts
 * import { grantedEnvironmentVariable } from "./files.ts";
 * console.log(grantedEnvironmentVariable("DENO_TLS_CA_STORE") ?? "unset or not granted");
 * ```
 */
export function grantedEnvironmentVariable(name: string): string | undefined {
  return envReadable(name) ? environmentVariable(name) : undefined;
}

/**
 * Runs `run` with the environment variables `names` unset, and sets them back
 * after it; `run` must be synchronous, so that nothing else sees them unset.
 *
 * @param names The variables.
 * @param run What runs without them.
 * @returns What `run` returns.
 *
 * @example Parsing without a library's debug switch
 * ```ts
 * import { withoutEnvironmentVariables } from "./files.ts";
 * console.log(withoutEnvironmentVariables(["LOG_TOKENS"], () => "parsed"));
 * ```
 */
export function withoutEnvironmentVariables<T>(names: readonly string[], run: () => T): T {
  const set = names.flatMap((name) => {
    const value = environmentVariable(name);
    return value === undefined ? [] : [[name, value] as const];
  });
  for (const [name] of set) delete process.env[name];
  try {
    return run();
  } finally {
    for (const [name, value] of set) process.env[name] = value;
  }
}

/**
 * The separator of path lists such as `KUBECONFIG`: `;` on Windows, `:`
 * elsewhere.
 *
 * @returns The separator.
 *
 * @example Splitting KUBECONFIG
 * ```ts
 * import { pathListSeparator } from "./files.ts";
 * console.log("/a:/b".split(pathListSeparator()));
 * ```
 */
export function pathListSeparator(): string {
  return process.platform === "win32" ? ";" : ":";
}
