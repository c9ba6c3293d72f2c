/**
 * One error for every PEM file of a kubeconfig context that Deno may not read: the refusal of one (the CA, the client
 * certificate, its key) names the others Deno does not grant either, in one `--allow-read` list, rather than one file
 * per run.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { wordList } from "../base/_word_list.ts";
import { denoHolder, grantAdvice, listedGrant, listsEvery } from "../runtime/deno_permission_advice.ts";
import { ungrantedReads } from "../runtime/files.ts";
import { mayBeSecretPath } from "./_contents_instead_of_path.ts";
import { kubeconfigError } from "./_kubeconfig_fields.ts";
import { resolveAgainst } from "./_paths.ts";
import type { KubeconfigEntry } from "./kubeconfig_schema.ts";

/** A file that a kubeconfig entry names: the field (`users[0].user.client-key`), the kubeconfig, the path resolved. */
export interface NamedFile {
  /** The field that names it, as an error's `field` gives it. */
  field: string;
  /** The kubeconfig that holds the field. */
  file?: string;
  /** The file's path, resolved against the kubeconfig's folder. */
  path: string;
}

/**
 * The files that `entry`'s fields `keys` name and its readers read: those without a `KEY-data` beside them, skipping
 * a value that holds a file's contents instead of a path (refused before any read), or that may be a credential
 * (which no message quotes, this list included).
 *
 * @param entry A cluster's or a user's entry.
 * @param keys The fields, such as `certificate-authority`.
 * @returns The files, in the order of `keys`.
 *
 * @example A cluster's CA
 * ```ts
 * import { namedPemFiles } from "./_refused_kubeconfig_files.ts";
 * const entry = { value: { "certificate-authority": "ca.crt" }, file: "/k/config", field: "clusters[0].cluster" };
 * console.log(namedPemFiles(entry, ["certificate-authority"])[0].path); // /k/ca.crt
 * ```
 */
export function namedPemFiles(entry: KubeconfigEntry, keys: readonly string[]): NamedFile[] {
  return keys.flatMap((key) => {
    const written = entry.value[key];
    const data = entry.value[`${key}-data`];
    if (typeof written !== "string" || written === "" || (typeof data === "string" && data !== "")) return [];
    const path = resolveAgainst(entry.file, written);
    // Refused before any read (a file's contents), or never to be quoted (a credential, maybe): its own error says it.
    if (mayBeSecretPath(path, written)) return [];
    return [{ field: `${entry.field}.${key}`, file: entry.file, path }];
  });
}

/**
 * The error for a file of `files` that Deno refused to read, naming the others it may not read either; any other
 * error as it is. A file Deno does not grant can fail only at its read: the other faults of its field (a pasted PEM,
 * a `-data` beside it) come before, and those of its contents after.
 *
 * @param error What reading the kubeconfig's cluster or user threw.
 * @param files The files the context names.
 * @returns The error to throw.
 *
 * @example Nothing refused
 * ```ts
 * import { withEveryRefusedFile } from "./_refused_kubeconfig_files.ts";
 * const error = new Error("other");
 * console.log(withEveryRefusedFile(error, []) === error); // true
 * ```
 */
export function withEveryRefusedFile(error: unknown, files: readonly NamedFile[]): unknown {
  if (!(error instanceof ConfigError)) return error;
  const refused = files.find((file) => file.field === error.field && file.file === error.file);
  if (refused === undefined || ungrantedReads([refused.path]).length === 0) return error;
  const others = files.filter((file) => file !== refused && ungrantedReads([file.path]).length > 0);
  if (others.length === 0) return error;
  const named = others.map(({ field, file, path }) =>
    `${path} (${field}${file === refused.file || file === undefined ? "" : ` of ${file}`})`
  );
  const paths = [...new Set([refused, ...others].map(({ path }) => path))];
  // Deno's flag list cannot hold a path with a comma (a Worker's array can): then only the flag without a list
  // grants them all.
  const fix = listsEvery(paths)
    ? `${grantAdvice("read")}, or add them to its list (${listedGrant("read", paths)})`
    : `${grantAdvice("read")} (a comma in a name keeps it out of --allow-read's list)`;
  return kubeconfigError(
    error.file,
    error.field,
    `${refused.field} names ${refused.path}, which cannot be read by ${denoHolder()}, and neither can ` +
      `${wordList(named, "or")}: ${fix}`,
  );
}
