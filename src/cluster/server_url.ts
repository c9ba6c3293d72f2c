/**
 * The API server URL as configured (kubeconfig `server`, `cluster.server`,
 * the in-cluster host and port): whether it names a scheme, and its checked,
 * normalised form.
 *
 * @module
 */

/**
 * Whether a configured API server names its scheme (`https://10.0.0.1:6443`)
 * or not (`10.0.0.1:6443`). Without one, we use `https://` only when TLS
 * settings apply (a CA, a client certificate or `insecure-skip-tls-verify`),
 * and `http://` otherwise, client-go's rule for a `rest.Config`
 * (`rest.DefaultServerUrlFor`). kubectl itself decides before it reads a
 * kubeconfig's TLS settings, so it always takes `http://` (checked against
 * kubectl 1.36 in `tests/e2e/kubectl_differential_test.ts`).
 *
 * @param text The URL as configured.
 * @returns True when it starts with a scheme.
 *
 * @example A host:port pair
 * ```ts
 * import { hasScheme } from "./server_url.ts";
 * console.log(hasScheme("10.0.0.1:6443"), hasScheme("https://10.0.0.1:6443")); // false true
 * ```
 */
export function hasScheme(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim());
}

/** Options of {@linkcode normalizeServer}. */
export interface NormalizeServerOptions {
  /**
   * Where credentials go, for a URL that holds a user name or password.
   *
   * @default {"put credentials in users"} (a kubeconfig's section)
   */
  credentialsAdvice?: string;
}

/**
 * Checks and normalises an API server URL: adds `https://` when there is no
 * scheme (see {@linkcode hasScheme} for when kubectl uses `http://`), drops a
 * trailing slash, brackets IPv6 hosts.
 *
 * @param text The URL as configured.
 * @param fail Makes the error for a problem (e.g. `is not a valid URL: ...`).
 * @param options `credentialsAdvice`: where credentials go instead of the URL, for one that holds a user name or
 *   password (any `@` before the host; what precedes it is never shown).
 * @returns The URL, `https://host[:port][/path]`.
 * @throws {Error} The error `fail` makes (a `ConfigError` in this library).
 *
 * @example Normalising a server
 * ```ts
 * import { ConfigError } from "../base/errors.ts";
 * import { normalizeServer } from "./server_url.ts";
 * console.log(normalizeServer("https://[fd00::1]:6443/", (problem) => new ConfigError(problem))); // https://[fd00::1]:6443
 * ```
 */
export function normalizeServer(
  text: string,
  fail: (problem: string) => Error,
  options: NormalizeServerOptions = {},
): string {
  const trimmed = text.trim();
  const withScheme = hasScheme(trimmed) ? trimmed : `https://${trimmed}`;
  // Any "@" before the host, where a URL holds a user name and password (the URL API would drop an empty one, as
  // `https://@host`, and fail to parse some others), is refused here: the one place that does, for every source. The
  // URL API drops tabs and newlines and skips any run of "/" and "\" before the host (`https:///admin:pw@host`).
  if (/^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i.test(withScheme.replace(/[\t\n\r]/g, ""))) {
    throw fail(
      `must not hold a user name or password (the part up to "@", not shown): ${
        options.credentialsAdvice ?? "put credentials in users"
      }`,
    );
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // kubectl dials `[fe80::1%25eth0]` (a link-local address on one interface); the URL standard has no zones.
    const zone = /^[a-z][a-z0-9+.-]*:\/\/\[[^\]/]*?(%[^\]/]*)\]/i.exec(withScheme)?.[1];
    if (zone !== undefined) {
      throw fail(
        `has an IPv6 address with a zone (${zone}), which the URLs of JavaScript runtimes cannot hold: current ` +
          `value is ${quoteUrl(trimmed)}; use an address of the server that needs no zone (not a link-local one), ` +
          "or a DNS name",
      );
    }
    throw fail(
      `is not a valid URL: current value is ${quoteUrl(trimmed)}; expected https://host:port`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw fail(
      `must start with https:// or http://: current value is ${quoteUrl(trimmed)}`,
    );
  }
  if (url.search || url.hash) {
    // Not quoted whole: a query may carry a token (`?access_token=...`).
    const before = trimmed.replace(/[?#].*$/s, "");
    throw fail(
      `must not have a query or fragment: current value is ${quoteUrl(before)} followed by one (not shown)`,
    );
  }
  if (!isHostName(url.hostname)) {
    // Not quoted: a token pasted in the place of the server makes a URL too (a JWT's dots make it a host name), and
    // every later message would show it.
    throw fail(
      "has a host that is no DNS name or IP address (not shown: it may be a credential pasted there): " +
        "write the API server as https://host:port",
    );
  }
  if (url.port === "0") {
    // No server listens on port 0: the connection would fail with a refusal that points nowhere near the typo.
    throw fail(
      `has port 0, on which no server listens: current value is ${quoteUrl(trimmed)}; write the API server's port ` +
        (url.protocol === "http:"
          ? "(8001 for kubectl proxy), or leave it out for 80"
          : "(443 or 6443 on most clusters), or leave it out for 443"),
    );
  }
  if (withScheme !== trimmed && url.pathname !== "/") {
    // As client-go's DefaultServerURL: "host must be a URL or a host:port pair".
    throw fail(
      `has no scheme but a path: current value is ${quoteUrl(trimmed)}: write the scheme, e.g. https://host:port/path`,
    );
  }
  // The URL API drops a default port (`:443`); keep it when it was written.
  const port = url.port === "" ? /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1] : undefined;
  const host = port !== undefined ? `${url.host}:${Number(port)}` : url.host;
  return `${url.protocol}//${host}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Whether a parsed URL's host can be an API server's: an IP address (the URL API brackets IPv6) or a DNS name of
 * labels of letters, digits, `-` and `_`, 63 characters at most each.
 */
function isHostName(hostname: string): boolean {
  if (hostname.startsWith("[")) return true;
  return /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i.test(hostname);
}

/**
 * A URL to quote in an error: not at all when it may hold a password (an `@`), without its query and fragment,
 * which may hold a token, and only up to its host when what follows a colon there is no port number (a password
 * written without its user name and `@`, as `https://admin:s3cret`).
 *
 * @param text The URL as written.
 * @returns Text safe to show.
 *
 * @example
 * ```ts
 * import { quoteUrl } from "./server_url.ts";
 * console.log(quoteUrl("ftp://k8s:6443/?access_token=x")); // "ftp://k8s:6443/" (its query not shown)
 * console.log(quoteUrl("https://admin:s3cret")); // "https://admin:" (the rest not shown: it is no port number)
 * ```
 */
export function quoteUrl(text: string): string {
  if (text.includes("@")) return "(not shown: it holds an @)";
  const [, scheme = "", authority = "", rest = ""] = /^([a-z][a-z0-9+.-]*:\/\/)?([^/\\?#]*)([\s\S]*)$/i.exec(text) ??
    [];
  const colon = authority.lastIndexOf(":");
  if (colon !== -1 && !/^\d*$/.test(authority.slice(colon + 1)) && !authority.endsWith("]")) {
    return `${JSON.stringify(`${scheme}${authority.slice(0, colon + 1)}`)} (the rest not shown: it is no port number)`;
  }
  const withoutQuery = `${scheme}${authority}${rest.replace(/[?#][\s\S]*$/, "")}`;
  return withoutQuery === text ? JSON.stringify(text) : `${JSON.stringify(withoutQuery)} (its query not shown)`;
}
