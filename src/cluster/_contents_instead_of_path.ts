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
 * Whether the path of a token file that does not exist may be the token itself, pasted in its place, which a message
 * about the missing file must then not quote: it does not start as a path does (`/`, `~/`, `./`, `../`, `C:\\`, a
 * Windows share's `\\`), nor ends in a file's extension, and one of its parts between `-`, `_`, `.` and `/` (base64
 * has them) has 12 characters or more with a letter and a digit, as tokens have (a static token, GKE's `ya29.…`,
 * OpenShift's `sha256~…`), and a file's name of words and numbers (`tokens/sa-token-20240101`) has not.
 *
 * @param value The path as given.
 * @returns Whether not to quote it.
 *
 * @example A token where its file belongs, and a file of words and numbers
 * ```ts
 * import { mayBeToken } from "./_contents_instead_of_path.ts";
 * console.log(mayBeToken("sha256~Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm")); // true
 * console.log(mayBeToken("tokens/sa-token-20240101")); // false
 * ```
 */
export function mayBeToken(value: string): boolean {
  const startsAsPath = /^(?:~?\/|\.\.?[\\/]|[A-Za-z]:[\\/]|\\\\)/.test(value);
  const endsInExtension = /\.[A-Za-z][A-Za-z0-9]{0,4}$/.test(value);
  const tokenLike = (part: string) => part.length >= 12 && /[A-Za-z]/.test(part) && /\d/.test(part);
  return !startsAsPath && !endsInExtension && value.split(/[-_.\\/]/).some(tokenLike);
}

/** Whether a file's name looks random, as a token or base64 data does, and no name of words and numbers does. */
function looksRandom(name: string): boolean {
  const alphanumeric = name.match(/[A-Za-z0-9]/g)?.length ?? 0;
  if (alphanumeric < 16) return false;
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
