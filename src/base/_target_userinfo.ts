/**
 * A target's user information (`user:password@`, a token before an `@`) and its query or fragment (`?token=…`) kept
 * out of what we print: no target has either, so a target that does is refused, and every message, trace and field
 * that quotes it shows `***` in place of the first and `…` in place of the second.
 *
 * @module
 */

/** The scheme and the slashes after it (`kubernetes:///`), which stay readable; none when no slash follows. */
const SCHEME_AND_SLASHES = /^[A-Za-z][A-Za-z0-9+.-]*:(?=\/)\/*/;

/**
 * `text` with everything between its scheme's slashes and its last `@` shown as `***`: where a URL has its user name
 * and password. The last `@`, as a password may hold one, or a `/` written unencoded.
 *
 * `kubernetes://user:pw@host/echo.prod:grpc` gives `kubernetes://***@host/echo.prod:grpc`; a text with no `@`, itself.
 */
function withoutUserinfo(text: string): string {
  const at = text.lastIndexOf("@");
  if (at === -1) return text;
  const start = SCHEME_AND_SLASHES.exec(text)?.[0].length ?? 0;
  return `${text.slice(0, start)}***${text.slice(at)}`;
}

/**
 * `text` as a message may quote it: without its user information (see {@linkcode withoutUserinfo}), and cut after the
 * `?` or `#` that starts a query or fragment, which may hold a token (`?token=eyJ…`); with both an `@` and a `?` or
 * `#`, only its scheme.
 *
 * @param text A target as given, or any text that may be one.
 * @returns The text as it may be printed.
 *
 * @example A token in a target's query
 * ```ts
 * import { targetForDisplay } from "./_target_userinfo.ts";
 * targetForDisplay("kubernetes:///echo.prod:grpc?token=s3cr3t"); // "kubernetes:///echo.prod:grpc?…"
 * ```
 */
export function targetForDisplay(text: string): string {
  const query = text.search(/[?#]/);
  if (query === -1) return withoutUserinfo(text);
  // With both, neither cut is safe alone: a password may hold a "?" (`admin:s3c?r@echo`), a query an "@"
  // (`?user=me@example.com&token=…`). Only the scheme is shown, when the text starts with one and "//".
  if (text.includes("@")) return `${/^[A-Za-z][A-Za-z0-9+.-]*:(?=\/\/)/.exec(text)?.[0] ?? ""}…`;
  return `${text.slice(0, query + 1)}…`;
}

/** What is wrong with a target that has user information, and where credentials go instead. */
export const USERINFO_PROBLEM = 'target must not hold a user name, password or token (the part up to "@", shown ' +
  "as ***): remove it: a target names a Service, and the cluster's credentials belong in the kubeconfig " +
  "(its user's token, client certificate or exec plugin)";
