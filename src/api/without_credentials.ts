/**
 * Credentials taken out of what a server or proxy said, before we quote it: an API server or proxy that echoes the
 * request's Authorization header or the proxy's login must not make us print them.
 *
 * @module
 */

import {
  encodeBase64,
  literalPattern,
  MASKED_ANYWHERE,
  SHORTEST_MASKED,
  withoutSecretForms,
  withoutWord,
} from "../base/_util.ts";

/** Basic auth's `user:password`, user name and password, as the kubeconfig holds them; none for other headers. */
function basicAuthParts(authorization: string | undefined): string[] {
  const encoded = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(authorization ?? "")?.[1];
  if (encoded === undefined) return [];
  try {
    const pair = new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
    const colon = pair.indexOf(":");
    return colon < 0 ? [pair] : [pair, pair.slice(0, colon), pair.slice(colon + 1)];
  } catch {
    return [];
  }
}

/**
 * The pattern of a character escaped by its code: `\uXXXX` for each of its UTF-16 units (two for one beyond the BMP,
 * as Python writes an emoji: `\ud83d\ude00`), hex digits in either case.
 */
function codeEscapePattern(character: string): string {
  let pattern = "";
  for (let unit = 0; unit < character.length; unit++) {
    const hex = character.charCodeAt(unit).toString(16).padStart(4, "0");
    pattern += `\\\\u${hex.replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`)}`;
  }
  return pattern;
}

/**
 * A pattern of `secret` inside a JSON string, as a dump of the request's headers writes it: any character may be
 * escaped by its code (`\u002B`, hex digits in either case), some also by a letter (`\"`, `\\`, `\/`, `\n`).
 * JavaScript escapes only `"`, `\` and control characters; Go's `encoding/json` also `&`, `<` and `>`; PHP `/`; .NET
 * `+`; Java's Gson `=`; Python any character beyond ASCII.
 */
function jsonStringPattern(secret: string): RegExp {
  const characters = Array.from(secret, (character) => {
    // As it is, as JSON.stringify writes it (`\"`, `\n`), as PHP writes a slash, and by its code.
    const forms = new Set([character, JSON.stringify(character).slice(1, -1), ...(character === "/" ? ["\\/"] : [])]);
    return `(?:${[...[...forms].map(literalPattern), codeEscapePattern(character)].join("|")})`;
  });
  return new RegExp(characters.join(""), "gi");
}

/**
 * `text` without the credentials a request carried: the Authorization header's value, its secret alone (for basic
 * auth, also the user name and password it encodes) when it is long enough to be told apart from ordinary text, and
 * the proxy's user name and password, as written, decoded and as the `Proxy-Authorization: Basic` header sends them;
 * each also percent-encoded, in base64 and JSON-escaped, in any case (`bearer ...`). A token or password of 4 to 7 characters is masked where it stands as a
 * word (`token s3cr3t is invalid`), not inside one (a token `prod` leaves `products`).
 *
 * @param text What a server or proxy said.
 * @param authorization The Authorization header the request carried, if any.
 * @param proxyUrl The proxy it went through, if any.
 * @returns The text, each credential replaced by `[redacted]`.
 *
 * @example An echoed bearer token
 * ```ts
 * import { withoutCredentials } from "./without_credentials.ts";
 * console.log(withoutCredentials("got Bearer s3cr3t-t0ken", "Bearer s3cr3t-t0ken", undefined)); // got [redacted]
 * ```
 */
export function withoutCredentials(
  text: string,
  authorization: string | undefined,
  proxyUrl: string | undefined,
): string {
  // Also as sent: fetch strips a header value's leading and trailing tabs and spaces, so a token that ends in one
  // (a quoted kubeconfig value, an exec plugin's output) reaches the server, and comes back, without it.
  const sent = authorization?.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  const secrets = [authorization, authorization?.replace(/^\S+\s+/, ""), sent, sent?.replace(/^\S+\s+/, "")];
  const basic = basicAuthParts(authorization);
  secrets.push(...basic);
  // The secrets alone, masked as words when short: a user name is no secret (RBAC's 403 names it), a password is.
  const alone = [secrets[1], secrets[3], basic[2]];
  if (proxyUrl !== undefined) {
    const { username, password } = new URL(proxyUrl);
    // A user name alone can be the secret: some proxies take an API key as the user name, with no password.
    if (username || password) {
      // As written too: a proxy URL that does not decode is refused before any request, and may still be quoted.
      secrets.push(password, username);
      alone.push(password || username);
      try {
        const [user, secret] = [username, password].map(decodeURIComponent);
        secrets.push(secret, user, encodeBase64(`${user}:${secret}`));
        alone.push(secret || user);
      } catch {
        // Not percent-encoding: only the password as written can have been sent.
      }
    }
  }
  let redacted = text;
  for (const secret of secrets) {
    if (!secret || secret.length < MASKED_ANYWHERE) continue;
    // Percent-encoded too, as a server that quotes a URL or a form writes it (a token's "+", "/" and "="), and in
    // base64 and any case, as a server that logs a token encoded or lower-cases the header writes it.
    redacted = withoutSecretForms(redacted, secret);
    // Escaped in a JSON string: only where a backslash is, as the pattern costs milliseconds for a long token.
    if (redacted.includes("\\")) redacted = redacted.replace(jsonStringPattern(secret), "[redacted]");
  }
  // After the long ones: a header or pair that holds the short one is masked whole.
  for (const secret of alone) {
    if (secret === undefined || secret.length < SHORTEST_MASKED || secret.length >= MASKED_ANYWHERE) continue;
    redacted = withoutWord(redacted, secret);
  }
  return redacted;
}
