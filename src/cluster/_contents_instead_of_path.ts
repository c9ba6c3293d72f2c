/**
 * Spotting a file's contents pasted where its path belongs (PEM text, a
 * token, a kubeconfig), and saying so without quoting the value, which may be
 * a credential.
 *
 * @module
 */

import { isPem } from "./_pem.ts";

/**
 * What a value given as a file's path holds when it cannot be one: the file's
 * contents pasted in (PEM text, a token, a kubeconfig). No message may quote
 * such a value, as it may be a credential.
 *
 * @param value The value given as a path.
 * @returns What it looks like (`PEM text`, `a kubeconfig`, ...), or `undefined` when it may be a path.
 *
 * @example A private key where its path belongs
 * ```ts
 * import { contentsInsteadOfPath } from "./_contents_instead_of_path.ts";
 * console.log(contentsInsteadOfPath("-----BEGIN PRIVATE KEY-----\nMIIE...")); // PEM text
 * console.log(contentsInsteadOfPath("/etc/kubernetes/pki/client.key")); // undefined
 * ```
 */
export function contentsInsteadOfPath(value: string): string | undefined {
  if (isPem(value)) return "PEM text";
  // A top-level kubeconfig key as YAML or JSON writes it; never in a path list such as /home/users:/etc/config.
  if (/(^|[\s{,"'])(apiVersion|clusters|contexts|users|current-context)["']?\s*:([\s[{"']|$)/m.test(value)) {
    return "a kubeconfig's contents";
  }
  if (/^\s*eyJ[\w-]*\.[\w-]+\.[\w-]*\s*$/.test(value)) return "a token (a JSON Web Token)";
  if (/^\s*[a-z0-9]{6}\.[a-z0-9]{16}\s*$/.test(value)) return "a token (a bootstrap token)";
  if (/[\r\n]/.test(value)) return "text of several lines";
  // No file system takes a name of more than 255 bytes: a token or base64 data.
  if (value.split(/[\\/]/).some((name) => name.length > 255)) return "a name of over 255 characters (a token or data)";
  // A key's body without its BEGIN/END lines, as CI secret stores keep it (its "/" cut it into names).
  const data = (value.match(/[A-Za-z0-9+/=]{64,}/g) ?? []).find((run) => run.split("/").some(looksRandom));
  if (data) return `base64 data (${data.length} characters: a key's or a token's)`;
  return undefined;
}

/**
 * Whether a value given as a credential's file's path (a key, a token, a kubeconfig) may be the credential itself,
 * which a message must then not quote. The rule: it holds a file's contents ({@linkcode contentsInsteadOfPath}); or
 * it ends in base64's `=` or joins letters or digits with a `+`; or one of its names between `/` (only the last one
 * when it starts as a path does: a CI runner's folder may be random) looks random: 20 letters and digits or more that
 * change case or between letters and digits at least 6 times, one change in 4, or 32 or more in a run without a
 * separator (a static token, OpenShift's `sha256~…`, base64url); or it is a bare name (no folder, no extension) with
 * a digit and either a capital letter or 24 characters, or with a run of 8 digits (`SECRET-WRONG-tok777`,
 * `kgr-secret-token-0123456789`); or it does not start as a path does (`/`, `~/`, `./`, `../`, `C:\`, `\\`) nor end
 * in a file's extension, and one of its parts between `-`, `_`, `.` and `/` has 12 characters or more with a letter
 * and a digit (GKE's `ya29.…`). A path of words, numbers and extensions (`~/.kube/config`,
 * `/etc/kubernetes/admin.conf`, `tokens/sa-token-20240101`, `..2026_12_05_01_02_03.123456789/token`,
 * `/home/runner/work/_temp/<a uuid>/kubeconfig`, `config-2`, `kubeconfig-prod-01`, `kind-config-2024`) stays quoted.
 * A short token of lower-case words (`wrong-tok777`) is not told from a path.
 *
 * @param value The path as given.
 * @returns Whether not to quote it.
 *
 * @example A token where its file belongs, and a file of words and numbers
 * ```ts
 * import { mayBeSecret } from "./_contents_instead_of_path.ts";
 * console.log(mayBeSecret("sha256~Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm")); // true
 * console.log(mayBeSecret("/home/me/.kube/config")); // false
 * ```
 */
export function mayBeSecret(value: string): boolean {
  if (contentsInsteadOfPath(value) !== undefined) return true;
  if (/=$|[A-Za-z0-9]\+[A-Za-z0-9]/.test(value)) return true;
  const startsAsPath = /^(?:~?\/|\.\.?[\\/]|[A-Za-z]:[\\/]|\\\\)/.test(value);
  // In a path that starts as one, only its file's name: a CI runner's folder may be random (.../_temp/<uuid>/config).
  const names = value.split(/[\\/]/);
  if ((startsAsPath ? names.slice(-1) : names).some(looksRandom)) return true;
  const endsInExtension = /\.(?:[A-Za-z][A-Za-z0-9]{0,4}|kubeconfig)$/.test(value);
  // A bare name (no folder, no extension) with a digit and a capital letter, or with a digit and 24 characters, or
  // with a run of 8 digits: a token (SECRET-WRONG-tok777, kgr-secret-token-0123456789), not a file's name
  // (Kubeconfig, kind-config-KinD, config-2, kubeconfig-prod-01, staging-cluster-eu1, kind-config-2024).
  const bare = !/[\\/]/.test(value) && !endsInExtension;
  const tokenShaped = /\d/.test(value) && (/[A-Z]/.test(value) || value.length >= 24) || /\d{8}/.test(value);
  if (bare && tokenShaped) return true;
  const tokenLike = (part: string) => part.length >= 12 && /[A-Za-z]/.test(part) && /\d/.test(part);
  return !startsAsPath && !endsInExtension && value.split(/[-_.\\/]/).some(tokenLike);
}

/**
 * Whether a path may be a credential, as resolved or as written (see {@linkcode mayBeSecret}): a random name in the
 * value written may be a folder once resolved against a kubeconfig's.
 *
 * @param path The path, as given or resolved against a kubeconfig's folder.
 * @param written The value as written, before it was resolved.
 * @returns Whether not to quote it.
 *
 * @example
 * ```ts
 * import { mayBeSecretPath } from "./_contents_instead_of_path.ts";
 * console.log(mayBeSecretPath("/home/me/.kube/config", "config")); // false
 * ```
 */
export function mayBeSecretPath(path: string, written = path): boolean {
  return mayBeSecret(path) || (written !== path && mayBeSecret(written));
}

/**
 * A path for a message: as it is, or its length only when it may be a credential (see {@linkcode mayBeSecretPath}).
 *
 * @param path The path, as given or resolved against a kubeconfig's folder.
 * @param written The value as written, before it was resolved: a random name in it may be a folder once resolved.
 * @returns The path, or `<a path of N characters, not shown: it may be a credential>`.
 *
 * @example
 * ```ts
 * import { shownPath } from "./_contents_instead_of_path.ts";
 * console.log(shownPath("/etc/kubernetes/admin.conf")); // /etc/kubernetes/admin.conf
 * ```
 */
export function shownPath(path: string, written = path): string {
  return mayBeSecretPath(path, written)
    ? `<a path of ${written.length} characters, not shown: it may be a credential>`
    : path;
}

/**
 * A file's path for an error: as its message names it ({@linkcode shownPath}, or the path itself when the file is
 * there: no credential pasted in a path's place names a file), and the error's `file` field, left out when hidden.
 *
 * @param path The path.
 * @param there Whether the file is known to be there (it could not be read, or is no PEM).
 * @returns The text for the message, and the fields for the error.
 *
 * @example
 * ```ts
 * import { pathForError } from "./_contents_instead_of_path.ts";
 * console.log(pathForError("/etc/kubernetes/admin.conf").fields); // { file: "/etc/kubernetes/admin.conf" }
 * ```
 */
export function pathForError(path: string, there = false): { text: string; fields: { file?: string } } {
  const text = there ? path : shownPath(path);
  return { text, fields: text === path ? { file: path } : {} };
}

/** Whether a file's name looks random, as a token or base64 data does, and no name of words and numbers does. */
function looksRandom(name: string): boolean {
  const alphanumeric = name.match(/[A-Za-z0-9]/g)?.length ?? 0;
  if (alphanumeric < 20) return false;
  if (/[A-Za-z0-9]{32}/.test(name)) return true;
  const kind = (c: string) => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /\d/.test(c) ? 3 : 0);
  let changes = 0;
  for (let i = 1; i < name.length; i++) {
    const before = kind(name[i - 1]), after = kind(name[i]);
    if (before !== 0 && after !== 0 && before !== after) changes++;
  }
  return changes >= 6 && changes * 4 >= alphanumeric;
}

/**
 * The problem of a path option that holds a file's contents, for a message
 * that never quotes the value (see {@linkcode contentsInsteadOfPath}).
 *
 * @param field The option or kubeconfig field, e.g. `cluster.keyFile`.
 * @param what What the value looks like.
 * @param fix What to do, e.g. `pass the PEM as cluster.key`.
 * @returns The problem, e.g. `cluster.keyFile holds PEM text where a file's path belongs (not shown: ...): ...`.
 *
 * @example
 * ```ts
 * import { contentsProblem } from "./_contents_instead_of_path.ts";
 * console.log(contentsProblem("cluster.tokenFile", "a token", "pass it as cluster.token"));
 * ```
 */
export function contentsProblem(field: string, what: string, fix: string): string {
  return `${field} holds ${what} where a file's path belongs (not shown: it may be a credential): ${fix}`;
}
