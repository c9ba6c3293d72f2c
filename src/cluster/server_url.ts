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

/**
 * Checks and normalises an API server URL: adds `https://` when there is no
 * scheme (see {@linkcode hasScheme} for when kubectl uses `http://`), drops a
 * trailing slash, brackets IPv6 hosts.
 *
 * @param text The URL as configured.
 * @param fail Makes the error for a problem (e.g. `is not a valid URL: ...`).
 * @returns The URL, `https://host[:port][/path]`.
 * @throws {Error} The error `fail` makes (a `ConfigError` in this library).
 *
 * @example Normalising a server
 * ```ts
 * import { ConfigError } from "../errors.ts";
 * import { normalizeServer } from "./server_url.ts";
 * console.log(normalizeServer("https://[fd00::1]:6443/", (problem) => new ConfigError(problem))); // https://[fd00::1]:6443
 * ```
 */
export function normalizeServer(
  text: string,
  fail: (problem: string) => Error,
): string {
  const trimmed = text.trim();
  const withScheme = hasScheme(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw fail(
      `is not a valid URL: current value is ${quoteUrl(trimmed)}; expected https://host:port`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw fail(
      `must start with https:// or http://: current value is ${quoteUrl(trimmed)}`,
    );
  }
  if (url.username || url.password) {
    throw fail(
      "must not hold a user name or password: put credentials in users",
    );
  }
  if (url.search || url.hash) {
    // Not quoted whole: a query may carry a token (`?access_token=...`).
    const before = trimmed.replace(/[?#].*$/s, "");
    throw fail(
      `must not have a query or fragment: current value is ${quoteUrl(before)} followed by one (not shown)`,
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
 * A URL to quote in an error: not at all when it may hold a password (an `@`), and without its query and fragment,
 * which may hold a token.
 *
 * @param text The URL as written.
 * @returns Text safe to show.
 *
 * @example
 * ```ts
 * import { quoteUrl } from "./server_url.ts";
 * console.log(quoteUrl("ftp://k8s:6443/?access_token=x")); // "ftp://k8s:6443/" (its query not shown)
 * ```
 */
export function quoteUrl(text: string): string {
  if (text.includes("@")) return "(not shown: it holds an @)";
  const withoutQuery = text.replace(/[?#][\s\S]*$/, "");
  return withoutQuery === text ? JSON.stringify(text) : `${JSON.stringify(withoutQuery)} (its query not shown)`;
}
