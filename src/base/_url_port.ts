/**
 * The port a URL connects to: the one it names, else its scheme's. Every place that dials, compares or shows a
 * server's or proxy's port goes through it, so that none takes `https://host` for another port than the others do.
 *
 * @module
 */

/** The port of a SOCKS5 proxy whose URL names none (RFC 1928's, as curl takes it). */
const SOCKS5_DEFAULT_PORT = 1080;

/** The port of each scheme we connect with, when a URL names none. */
const SCHEME_PORTS = new Map([
  ["https:", 443],
  ["http:", 80],
  ["socks5:", SOCKS5_DEFAULT_PORT],
  ["socks5h:", SOCKS5_DEFAULT_PORT],
]);

/**
 * The port of a URL: the one it names, else its scheme's (`https:` 443, `http:` 80, `socks5:` and `socks5h:` 1080).
 *
 * @param url A URL, or anything with its `port` (`""` for none) and `protocol` (`"https:"`), as undici's connect
 *   options.
 * @returns The port; `undefined` for a URL of another scheme that names none.
 *
 * @example
 * ```ts
 * import { urlPort } from "./_url_port.ts";
 * console.log(urlPort(new URL("https://kube.example")), urlPort(new URL("http://proxy.corp:3128"))); // 443 3128
 * ```
 */
export function urlPort({ port, protocol }: { readonly port: string; readonly protocol: string }): number | undefined {
  return port === "" ? SCHEME_PORTS.get(protocol) : Number(port);
}
