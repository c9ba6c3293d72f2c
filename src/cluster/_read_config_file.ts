/**
 * Reading a file that the configuration names (a kubeconfig, a token, a
 * certificate, the service account's files): a missing file is `undefined`,
 * and one that exists but cannot be read gets a message that says what to do.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { MAX_CONFIG_FILE_BYTES, type ReadGrant, readRefusal } from "../runtime/files.ts";
import type { ReadFile } from "./types.ts";
import { mayBeSecretPath, pathForError } from "./_contents_instead_of_path.ts";

/**
 * What {@linkcode readConfigFile}'s advice may name for Deno's `--allow-read`.
 *
 * @example A token file whose path was written relative to its kubeconfig
 * ```ts
 * import type { ReadGrantOptions } from "./_read_config_file.ts";
 * const options: ReadGrantOptions = { written: "token" };
 * ```
 */
export interface ReadGrantOptions {
  /** The path as written, before it was resolved: one that may be a credential names no file in the advice. */
  written?: string;
  /** What to grant instead of the file (a folder that holds the files read beside it). */
  grant?: ReadGrant;
}

/**
 * Why a file named in the configuration exists but cannot be read, as {@linkcode readConfigFile} hands it on.
 *
 * @example A file this process's user may not read
 * ```ts
 * import type { UnreadableFile } from "./_read_config_file.ts";
 * const failure: UnreadableFile = {
 *   problem: "cannot be read (EACCES)",
 *   fix: "check its permissions",
 *   code: "EACCES",
 *   fileThere: true,
 *   cause: new Error("permission denied"),
 * };
 * ```
 */
export interface UnreadableFile {
  /** What is wrong, after the path: `cannot be read (EACCES)`, `is a folder (EISDIR)`. */
  problem: string;
  /** What to do about it: `check its permissions`, or the flag that grants the read. */
  fix: string;
  /** The failure's `code` (`EACCES`, ...), else its error's name. */
  code: string;
  /**
   * Whether the failure shows that the file is there (permissions, a folder, too large): then its path is named in
   * messages whatever it looks like, since no credential pasted in a path's place names a file. A refusal of the
   * runtime (Deno), or a name too long or looping (`ENAMETOOLONG`, `ELOOP`), tells nothing of that. `EACCES` also
   * comes from a folder on the way that may not be searched, where the file may not exist: a credential pasted as a
   * path under such a folder (`/root/TOKEN` for another user) is then named, a case left as it is.
   */
  fileThere: boolean;
  /** The error caught. */
  cause: unknown;
}

/**
 * Reads a file named in the configuration. A file that exists but cannot be
 * read (permissions, a folder, one larger than 16 MiB) is handed to
 * `unreadable` with the problem `cannot be read (CODE)` and what to do about it
 * (`check its permissions`, or, when Deno or Node's permission model refused
 * it, the flag that grants it; for the others, what they are), the error caught
 * and whether the failure shows the file is there: it returns the error to
 * throw, or `undefined` to go on as if the file did not exist. Deno's flag
 * names the file (`--allow-read=PATH`) when a message may show its path
 * (`mayBeSecretPath()`), or `options.grant`.
 *
 * @param readFile Reads the file; `undefined` when it does not exist.
 * @param path The file.
 * @param unreadable Makes the error for an unreadable file, or returns `undefined`.
 * @param options What the advice may name for Deno's `--allow-read`.
 * @returns The text, or `undefined` when the file does not exist.
 * @throws {Error} The error `unreadable` makes.
 *
 * @example An optional file whose failure only gets traced
 * ```ts
 * import { readConfigFile } from "./_read_config_file.ts";
 * const denied = () => Promise.reject(Object.assign(new Error("denied"), { code: "EACCES" }));
 * const text = await readConfigFile(denied, "/sa/namespace", ({ problem, fix }) => {
 *   console.log(`/sa/namespace ${problem}: ${fix}`); // /sa/namespace cannot be read (EACCES): check its permissions
 *   return undefined;
 * });
 * ```
 */
export async function readConfigFile(
  readFile: ReadFile,
  path: string,
  unreadable: (failure: UnreadableFile) => Error | undefined,
  options: ReadGrantOptions = {},
): Promise<string | undefined> {
  try {
    return await readFile(path);
  } catch (cause) {
    const code = errorCode(cause);
    const said = (problem: string, fix: string) =>
      unreadable({ problem, fix, code, fileThere: FILE_THERE_CODES.has(code), cause });
    const shown = !mayBeSecretPath(path, options.written);
    const refusal = readRefusal(cause, options.grant ?? (shown ? { path, what: "the file" } : undefined));
    const failure = refusal
      ? said(refusal.problem, refusal.fix)
      : code === "EISDIR"
      ? said("is a folder (EISDIR)", "give the path of a file in it")
      : code === "EFBIG"
      ? said(
        `is larger than ${MAX_CONFIG_FILE_BYTES / 1024 / 1024} MiB (EFBIG)`,
        "give the path of the file itself: a kubeconfig, a token or a certificate is far smaller (not a device such " +
          "as /dev/zero, or a log)",
      )
      : said(`cannot be read (${code})`, "check its permissions");
    if (failure) throw failure;
    return undefined;
  }
}

/** The failures of a read that only a file that exists can give. */
const FILE_THERE_CODES = new Set(["EACCES", "EPERM", "EISDIR", "EFBIG"]);

/**
 * Reads a file named in the configuration; a file that cannot be read is a
 * {@linkcode ConfigError} `Cannot read WHAT: PATH cannot be read (CODE): check
 * its permissions` (or, when the runtime refused it, names the flag to add).
 *
 * @param readFile Reads the file; `undefined` when it does not exist.
 * @param path The file.
 * @param what What the file is, for the message (e.g. `the in-cluster CA`).
 * @param grant What Deno's `--allow-read` advice names instead of the file.
 * @returns The text, or `undefined` when the file does not exist.
 * @throws {ConfigError} When the file exists but cannot be read.
 *
 * @example Reading the in-cluster CA
 * ```ts
 * import { readOrFail } from "./_read_config_file.ts";
 * const ca = await readOrFail(() => Promise.resolve(undefined), "/sa/ca.crt", "the in-cluster CA");
 * console.log(ca); // undefined
 * ```
 */
export function readOrFail(
  readFile: ReadFile,
  path: string,
  what: string,
  grant?: ReadGrant,
): Promise<string | undefined> {
  return readConfigFile(
    readFile,
    path,
    ({ problem, fix, fileThere }) => {
      const named = pathForError(path, fileThere);
      return new ConfigError(`Cannot read ${what}: ${named.text} ${problem}: ${fix}`, named.fields);
    },
    grant === undefined ? {} : { grant },
  );
}

/** The `code` of a system error (`ENOENT`, ...), else its name. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  return (error as Error)?.name ?? "error";
}
