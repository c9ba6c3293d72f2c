/**
 * Reading the fields of a kubeconfig entry (strings, booleans, and PEM given
 * as a file's path or as `-data`) and naming their faults: every kubeconfig
 * error says which file and field, and never quotes a value.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { typeName } from "../base/_util.ts";
import { contentsInsteadOfPath, contentsProblem, shownPath } from "./_contents_instead_of_path.ts";
import { checkPemFile, isPem } from "./_pem.ts";
import { readConfigFile } from "./_read_config_file.ts";
import type { KubeconfigEntry } from "./kubeconfig_schema.ts";
import type { ReadFile } from "./types.ts";

/**
 * Reads a PEM file that a kubeconfig entry names (`certificate-authority`,
 * `client-certificate`, `client-key`), already resolved against its folder.
 *
 * @param path The file.
 * @param entry The entry that names it.
 * @param key The field, e.g. `client-key`; `KEY-data` is offered as the alternative.
 * @param readFile Reads the file; `undefined` when it does not exist.
 * @param written The field's value as written, before it was resolved (the messages quote neither when it may be a
 *   credential).
 * @returns The PEM text.
 * @throws {ConfigError} When the file cannot be read, does not exist or is not PEM.
 *
 * @example Reading a CA file
 * ```ts
 * import { readKubeconfigPemFile } from "./_kubeconfig_fields.ts";
 * const entry = { value: {}, file: "/k/config", field: "clusters[0].cluster" };
 * const readFile = () => Promise.resolve("-----BEGIN CERTIFICATE-----\n...");
 * const ca = await readKubeconfigPemFile("/k/ca.crt", entry, "certificate-authority", readFile);
 * ```
 */
export async function readKubeconfigPemFile(
  path: string,
  entry: KubeconfigEntry,
  key: string,
  readFile: ReadFile,
  written = path,
): Promise<string> {
  const field = `${entry.field}.${key}`;
  const pasted = contentsInsteadOfPath(written) ?? contentsInsteadOfPath(path);
  if (pasted) {
    throw kubeconfigError(
      entry.file,
      field,
      contentsProblem(field, pasted, `put the file's path there, or the base64 of the PEM in ${key}-data`),
    );
  }
  // A file that exists (unreadable, or not PEM) is named: no credential pasted in its place names one.
  const fail = (problem: string, exists: boolean) =>
    kubeconfigError(entry.file, field, `${field} names ${exists ? path : shownPath(path, written)}, which ${problem}`);
  const text = await readConfigFile(
    readFile,
    path,
    ({ problem, fix, fileThere }) => fail(`${problem}: ${fix}`, fileThere),
    { written },
  );
  return checkPemFile(text, (problem) => fail(problem, text !== undefined), `fix the path or use ${key}-data`);
}

/**
 * Decodes a kubeconfig `-data` field: base64 of a PEM file.
 *
 * @param data The field's value.
 * @param entry The entry that holds it.
 * @param key The field, e.g. `client-key-data`.
 * @param fileKey The field that names a file instead, e.g. `client-key`.
 * @returns The PEM text.
 * @throws {ConfigError} When the value is PEM already, not base64, or not base64 of PEM text.
 *
 * @example Decoding certificate-authority-data
 * ```ts
 * import { decodePemData } from "./_kubeconfig_fields.ts";
 * const entry = { value: {}, field: "clusters[0].cluster" };
 * const pem = decodePemData(btoa("-----BEGIN CERTIFICATE-----\n"), entry, "certificate-authority-data", "certificate-authority");
 * console.log(pem.startsWith("-----BEGIN")); // true
 * ```
 */
export function decodePemData(
  data: string,
  entry: KubeconfigEntry,
  key: string,
  fileKey: string,
): string {
  const field = `${entry.field}.${key}`;
  const fail = (problem: string) => kubeconfigError(entry.file, field, `${field} ${problem}`);
  if (isPem(data)) {
    throw fail(
      `holds PEM text, but it must be base64 of the PEM: encode it, or put the path in ${fileKey}`,
    );
  }
  const compact = data.replace(/\s+/g, "");
  let binary: string;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new Error("alphabet");
    binary = atob(compact);
  } catch {
    throw fail(
      `is not valid base64: it must be base64 of a PEM file (or put the path in ${fileKey})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw fail(
      "does not decode to PEM text: it must be base64 of a PEM file, not of DER",
    );
  }
  if (!isPem(text)) {
    throw fail("does not decode to PEM: it must be base64 of a PEM file");
  }
  return text;
}

/**
 * Reads an optional string field of a kubeconfig entry; `null` counts as unset.
 *
 * @param value The entry's mapping (or a part of it, such as `exec`).
 * @param key The field.
 * @param entry Where the mapping is, for the message.
 * @returns The string, or `undefined`.
 * @throws {ConfigError} When the field is not a string; the message gives its type, never its value.
 *
 * @example Reading a server
 * ```ts
 * import { optionalString } from "./_kubeconfig_fields.ts";
 * const entry = { value: { server: "https://10.0.0.1:6443" }, field: "clusters[0].cluster" };
 * console.log(optionalString(entry.value, "server", entry)); // https://10.0.0.1:6443
 * ```
 */
export function optionalString(
  value: Record<string, unknown>,
  key: string,
  entry: KubeconfigEntry,
): string | undefined {
  const found = value[key];
  if (found === undefined || found === null) return undefined;
  if (typeof found !== "string") {
    // Never print the value: it may be a secret.
    throw kubeconfigError(
      entry.file,
      `${entry.field}.${key}`,
      `${entry.field}.${key} must be a string: current type is ${typeName(found)}`,
    );
  }
  return found;
}

/**
 * Reads an optional boolean field of a kubeconfig entry; `null` counts as unset.
 *
 * @param value The entry's mapping (or a part of it, such as `exec`).
 * @param key The field.
 * @param entry Where the mapping is, for the message.
 * @returns The boolean, or `undefined`.
 * @throws {ConfigError} When the field is not a boolean.
 *
 * @example Reading insecure-skip-tls-verify
 * ```ts
 * import { optionalBoolean } from "./_kubeconfig_fields.ts";
 * const entry = { value: { "insecure-skip-tls-verify": true }, field: "clusters[0].cluster" };
 * console.log(optionalBoolean(entry.value, "insecure-skip-tls-verify", entry)); // true
 * ```
 */
export function optionalBoolean(
  value: Record<string, unknown>,
  key: string,
  entry: KubeconfigEntry,
): boolean | undefined {
  const found = value[key];
  if (found === undefined || found === null) return undefined;
  if (typeof found !== "boolean") {
    throw kubeconfigError(
      entry.file,
      `${entry.field}.${key}`,
      `${entry.field}.${key} must be true or false: current type is ${typeName(found)}`,
    );
  }
  return found;
}

/**
 * The error for a fault in a kubeconfig: `Cannot load kubeconfig FILE: PROBLEM`,
 * with `file` and `field` set.
 *
 * @param file The file at fault; `undefined` for an object from `cluster.kubeconfig`.
 * @param field The field at fault, e.g. `users[0].user.token`.
 * @param problem What is wrong and what to do.
 * @param where The files to name when the fault is in none of them in particular.
 * @returns The error.
 *
 * @example A field of the wrong type
 * ```ts
 * import { kubeconfigError } from "./_kubeconfig_fields.ts";
 * const error = kubeconfigError("/k/config", "current-context", "current-context must be a string");
 * console.log(error.message); // Cannot load kubeconfig /k/config: current-context must be a string
 * ```
 */
export function kubeconfigError(
  file: string | undefined,
  field: string | undefined,
  problem: string,
  where?: string,
): ConfigError {
  const subject = file !== undefined
    ? `kubeconfig ${file}`
    : where !== undefined
    ? `kubeconfig ${where}`
    : "the kubeconfig object given as cluster.kubeconfig";
  return new ConfigError(`Cannot load ${subject}: ${problem}`, {
    ...(file !== undefined ? { file } : {}),
    ...(field !== undefined ? { field } : {}),
  });
}

/**
 * Quotes names for a message, at most ten of them.
 *
 * @param names The names.
 * @returns `"a", "b"`, or `none`.
 *
 * @example Listing contexts
 * ```ts
 * import { quoteList } from "./_kubeconfig_fields.ts";
 * console.log(quoteList(["dev", "prod"])); // "dev", "prod"
 * ```
 */
export function quoteList(names: string[]): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name)).join(
    ", ",
  );
  return names.length > 10 ? `${shown}, ...` : shown;
}
