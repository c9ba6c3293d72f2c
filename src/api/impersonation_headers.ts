/**
 * The request headers of an impersonation, as client-go's impersonating
 * round tripper (`transport/round_trippers.go`) writes them.
 *
 * @module
 */

import type { Impersonation } from "../cluster/types.ts";

/** The bytes a header name may hold unescaped: an RFC 9110 token's, less `%` (Go's `isTokenTable`). */
const TOKEN_BYTE = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * The headers that make the API server act as `impersonation`: `Impersonate-User`, `Impersonate-Uid` when set, one
 * `Impersonate-Group` per group and one `Impersonate-Extra-<key>` per value, the key's bytes that a header name may
 * not hold (and `%`) percent-encoded, which the API server decodes. Values are ASCII (see `readImpersonation()`).
 *
 * @param impersonation Whom to act as.
 * @returns Name and value pairs, in order; a name repeats for each of its values.
 *
 * @example A user, a group and an extra value
 * ```ts
 * import { impersonationHeaders } from "./impersonation_headers.ts";
 * const headers = impersonationHeaders({ user: "jane", groups: ["dev"], extra: { "example.com/team": ["a"] } });
 * console.log(headers);
 * // [["impersonate-user", "jane"], ["impersonate-group", "dev"], ["impersonate-extra-example.com%2Fteam", "a"]]
 * ```
 */
export function impersonationHeaders(impersonation: Impersonation): [string, string][] {
  const headers: [string, string][] = [["impersonate-user", impersonation.user]];
  if (impersonation.uid !== undefined && impersonation.uid !== "") {
    headers.push(["impersonate-uid", impersonation.uid]);
  }
  for (const group of impersonation.groups) headers.push(["impersonate-group", group]);
  for (const [key, values] of Object.entries(impersonation.extra)) {
    for (const value of values) headers.push([`impersonate-extra-${escapeKey(key)}`, value]);
  }
  return headers;
}

/** Percent-encodes each byte of the key's UTF-8 that no header name may hold, and `%`. */
function escapeKey(key: string): string {
  let escaped = "";
  for (const byte of new TextEncoder().encode(key)) {
    const char = String.fromCharCode(byte);
    escaped += TOKEN_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return escaped;
}
