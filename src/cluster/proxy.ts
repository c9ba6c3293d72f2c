/**
 * Which proxy reaches the API server. A kubeconfig's `proxy-url` wins, for
 * every request, as in client-go. Otherwise the environment is read as Go's
 * `net/http` (and so kubectl) reads it:
 *
 * - `HTTPS_PROXY` for `https://` servers, `HTTP_PROXY` for `http://` ones; the
 *   upper-case name first, then the lower-case one; a value without a scheme
 *   is an `http://` proxy.
 * - `NO_PROXY` (else `no_proxy`): comma-separated `*`, IP addresses, CIDR
 *   ranges and domain names, each with an optional `:port`; `example.com`
 *   matches it and its subdomains, `.example.com` (or `*.example.com`) only
 *   the subdomains; names match names only, never an IP address, and are
 *   compared in their ASCII (IDNA) form.
 * - `localhost` and loopback addresses (127.0.0.0/8, `::1`) never go through
 *   an environment proxy. Bun's and Deno's own `fetch` would send them there.
 *
 * Proxy URLs are checked when the cluster is loaded: schemes `http`, `https`
 * and `socks5`, as client-go accepts in `proxy-url`, and `socks5h` from the
 * environment, as Go's `net/http` accepts it there (the same as `socks5`: the
 * proxy resolves the server's name), of which the runtime must support the
 * one given (Bun has no SOCKS5). Go's `net/http` speaks HTTP to an
 * environment proxy of any other scheme, so `ftp://proxy:3128` there is taken
 * as `http://proxy:3128`, as kubectl takes it. A Deno process that may not
 * read a variable that decides the proxy says so on standard error, once.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { ipAddressBytes, isIpv4, isLoopbackHost, samePrefix, unbracketedHost } from "../base/ip_address.ts";
import { type ProxySupport, proxySupport } from "../runtime/proxy_support.ts";
import { trace, warnOnce } from "../runtime/trace.ts";
import { quoteUrl } from "./server_url.ts";
import { denoHolder, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";
import { wordList } from "../base/_word_list.ts";
import { urlPort } from "../base/_url_port.ts";

/**
 * A proxy chosen from the environment, and the variable that named it.
 *
 * @example Naming where a proxy came from
 * ```ts
 * import type { EnvironmentProxy } from "./proxy.ts";
 * const proxy: EnvironmentProxy = { url: "http://proxy.corp:3128", variable: "HTTPS_PROXY" };
 * ```
 */
export interface EnvironmentProxy {
  /** The proxy URL, with a scheme. */
  url: string;
  /** The variable it came from, e.g. `HTTPS_PROXY`. */
  variable: string;
  /** Where it came from, for messages: the variable, and how its URL was taken when not as written. */
  source?: string;
}

/** The schemes client-go accepts in `proxy-url`. */
const KNOWN_SCHEMES = ["http", "https", "socks5"];

/** Go's `net/http` takes `socks5h` too from `HTTPS_PROXY` and the like, as `socks5` (the proxy resolves names). */
const ENVIRONMENT_SCHEMES = [...KNOWN_SCHEMES, "socks5h"];

/**
 * Chooses the environment's proxy for an API server, as Go's
 * `http.ProxyFromEnvironment` does.
 *
 * @param server The API server URL, `https://host:port`.
 * @param env Looks up an environment variable.
 * @returns The proxy, or `undefined` to connect directly.
 *
 * @example A corporate proxy, and a server it is not used for
 * ```ts
 * import { proxyFromEnvironment } from "./proxy.ts";
 * const env = (name: string) => ({ HTTPS_PROXY: "proxy.corp:3128", NO_PROXY: ".internal" })[name];
 * console.log(proxyFromEnvironment("https://api.example.com:6443", env)?.url); // http://proxy.corp:3128
 * console.log(proxyFromEnvironment("https://k8s.internal:6443", env)); // undefined
 * console.log(proxyFromEnvironment("https://127.0.0.1:6443", env)); // undefined
 * ```
 */
export function proxyFromEnvironment(
  server: string,
  env: (name: string) => string | undefined,
): EnvironmentProxy | undefined {
  const url = new URL(server);
  const secure = url.protocol === "https:";
  const chosen = firstSet(env, secure ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"]);
  if (!chosen) return undefined;
  if (isLoopbackHost(url)) return undefined;
  const host = unbracketedHost(url.hostname);
  const port = String(urlPort(url));
  const ip = ipAddressBytes(host);
  const noProxy = firstSet(env, ["NO_PROXY", "no_proxy"]);
  if (noProxy && excluded(noProxy.value, host, port, ip)) return undefined;
  const value = chosen.value.trim();
  return { url: /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`, variable: chosen.name };
}

/**
 * The variable by which Bun's `fetch` skips any proxy for this server, a `proxy-url` too (Bun 1.3.9 and later), and
 * connects directly: `no_proxy`, else `NO_PROXY` (Bun reads the lower-case one first, Go the upper-case one), when it
 * names the server as {@linkcode proxyFromEnvironment} reads it, except that an entry with a leading dot (`.example.com`,
 * `*.example.com`, with or without a port) names that domain too, and an IPv6 address in brackets without a port
 * (`[fd00::1]`) names that address, as on Bun 1.4.5.
 *
 * @param server The API server URL, `https://host:port`.
 * @param env Looks up an environment variable.
 * @returns `no_proxy` or `NO_PROXY`, or `undefined` when Bun's `fetch` takes the proxy.
 *
 * @example A proxy-url that Bun's fetch does not use
 * ```ts
 * import { bunNoProxyVariable } from "./proxy.ts";
 * const env = (name: string) => ({ NO_PROXY: "10.0.0.0/8" })[name];
 * console.log(bunNoProxyVariable("https://10.0.0.1:6443", env)); // NO_PROXY
 * ```
 */
export function bunNoProxyVariable(
  server: string,
  env: (name: string) => string | undefined,
): string | undefined {
  const url = new URL(server);
  const host = unbracketedHost(url.hostname);
  const noProxy = firstSet(env, ["no_proxy", "NO_PROXY"]);
  if (!noProxy) return undefined;
  const port = String(urlPort(url));
  // Bun measured: ".localhost" and "*.localhost:<port>" skipped the proxy for localhost, where Go's reads name only
  // its subdomains ("..localhost" and "*localhost" did not), and "[::1]" for [::1], which Go's reads as no address.
  const asBunReads = noProxy.value.split(",").flatMap((entry) => {
    const alsoNamed = /^\*?\.([^.].*)$/.exec(entry.trim()) ?? /^\[([^\]]*)\]$/.exec(entry.trim());
    return alsoNamed ? [entry, alsoNamed[1]] : [entry];
  });
  return excluded(asBunReads.join(","), host, port, ipAddressBytes(host)) ? noProxy.name : undefined;
}

/**
 * The variable of the hosts that skip the environment's proxy, as {@linkcode proxyFromEnvironment} and kubectl read
 * it: `NO_PROXY`, or `no_proxy` where it alone is set (a `NO_PROXY` set beside it would hide it). A server added there
 * skips the proxy on Bun too, where we connect directly when either reading names it.
 *
 * @param env Looks up an environment variable.
 * @returns `NO_PROXY` or `no_proxy`.
 *
 * @example A user's lower-case variable
 * ```ts
 * import { noProxyVariable } from "./proxy.ts";
 * console.log(noProxyVariable((name) => ({ no_proxy: "localhost" })[name])); // no_proxy
 * ```
 */
export function noProxyVariable(env: (name: string) => string | undefined): string {
  return firstSet(env, ["NO_PROXY", "no_proxy"])?.name ?? "NO_PROXY";
}

/**
 * Chooses the environment's proxy for an API server with
 * {@linkcode proxyFromEnvironment}, and checks it as {@linkcode proxyUrlProblem} does.
 *
 * @param server The API server URL.
 * @param env Looks up an environment variable.
 * @returns The proxy and its variable, or `undefined` to connect directly.
 * @throws {ConfigError} When the chosen proxy is not a URL, its scheme is unknown or unsupported here, or it is
 *   HTTP_PROXY in a CGI program (REQUEST_METHOD set).
 *
 * @example Resolving the proxy when a cluster is loaded
 * ```ts
 * import { environmentProxy } from "./proxy.ts";
 * const env = (name: string) => ({ HTTPS_PROXY: "http://proxy.corp:3128" })[name];
 * console.log(environmentProxy("https://10.0.0.1:6443", env)); // { url: "http://proxy.corp:3128", variable: "HTTPS_PROXY" }
 * ```
 */
export function environmentProxy(
  server: string,
  env: (name: string) => string | undefined,
): Required<EnvironmentProxy> | undefined {
  const found = proxyFromEnvironment(server, env);
  if (!found) return undefined;
  // In a CGI program, a request's `Proxy:` header becomes HTTP_PROXY ("httpoxy"): its clients would choose the proxy
  // that gets the API server's requests, credentials included. Go's net/http refuses the variable there.
  if (found.variable.toUpperCase() === "HTTP_PROXY" && env("REQUEST_METHOD")) {
    throw new ConfigError(
      `Cannot resolve cluster access: ${found.variable} is not used where REQUEST_METHOD is set (a CGI program, ` +
        "whose clients set HTTP_PROXY with a Proxy header), and kubectl refuses it there too: give the proxy as " +
        "proxy-url in the kubeconfig, or unset it",
      { field: found.variable },
    );
  }
  const proxy = asKubectlTakesIt(found);
  const problem = proxyUrlProblem(proxy.url, proxySupport(), { environment: true });
  if (problem) {
    throw new ConfigError(`Cannot resolve cluster access: ${proxy.variable} ${problem}, or unset it`, {
      field: proxy.variable,
    });
  }
  trace(`the API server ${server} is reached through ${proxyForDisplay(proxy.url)} from ${proxy.source}`);
  return proxy;
}

/**
 * An environment proxy as Go's `net/http` uses it: a scheme other than `http`, `https`, `socks5` and `socks5h` is
 * spoken to as an HTTP proxy, so such a URL with a port becomes `http://`, its source saying so. Without a port Go
 * dials port 0; that URL is kept for {@linkcode proxyUrlProblem} to refuse.
 */
function asKubectlTakesIt(proxy: EnvironmentProxy): Required<EnvironmentProxy> {
  const written = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(proxy.url);
  const scheme = written?.[1].toLowerCase();
  if (!written || !scheme || ENVIRONMENT_SCHEMES.includes(scheme) || !/:\d+$/.test(written[2])) {
    return { ...proxy, source: proxy.variable };
  }
  const source = `${proxy.variable} (${scheme}:// taken as http://, as kubectl takes it)`;
  return { url: `http://${written[2]}${written[3]}`, variable: proxy.variable, source };
}

/**
 * Tells what is wrong with a proxy URL for a runtime, if anything.
 *
 * @param text The proxy URL.
 * @param support The runtime and the proxy schemes its HTTP client can use.
 * @param from `environment: true` for a proxy from `HTTPS_PROXY` and the like, which may also be `socks5h://`.
 * @returns The problem, worded to follow the name of the setting, or `undefined`.
 *
 * @example Checking a proxy URL for Bun
 * ```ts
 * import { proxyUrlProblem } from "./proxy.ts";
 * const bun = { runtime: "Bun", schemes: ["http", "https"] };
 * console.log(proxyUrlProblem("http://proxy.corp:3128", bun)); // undefined
 * console.log(proxyUrlProblem("socks5://127.0.0.1:1080", bun)); // uses socks5, which Bun cannot ...
 * ```
 */
export function proxyUrlProblem(
  text: string,
  support: ProxySupport = proxySupport(),
  from: { environment?: boolean } = {},
): string | undefined {
  const environment = from.environment === true;
  const shown = proxyForDisplay(text);
  const usable = wordList(support.schemes.map((scheme) => `${scheme}://`), "or");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `is not a URL: current value is ${shown}; use a proxy URL such as http://host:port`;
  }
  const scheme = url.protocol.slice(0, -1);
  if (environment && !ENVIRONMENT_SCHEMES.includes(scheme)) {
    return `has scheme "${scheme}" and no port, which kubectl takes as an http:// proxy on no port, and cannot ` +
      `connect to: current value is ${shown}; use an ${usable} URL with a port`;
  }
  if (!environment && !KNOWN_SCHEMES.includes(scheme)) {
    return `has scheme "${scheme}", which kubectl refuses as well: current value is ${shown}; use an ${usable} URL`;
  }
  if (!support.schemes.includes(scheme === "socks5h" ? "socks5" : scheme)) {
    return `uses ${scheme}, which ${support.runtime} cannot use as a proxy: current value is ${shown}; ` +
      `use an ${usable} proxy`;
  }
  if (!url.hostname) return `has no host: current value is ${shown}; use ${scheme}://host:port`;
  if (url.port === "0") {
    const port = urlPort({ port: "", protocol: url.protocol });
    return `has port 0, on which no proxy listens: current value is ${shown}; write the proxy's port, or leave it ` +
      `out for ${port}`;
  }
  for (const [part, value] of [["user name", url.username], ["password", url.password]]) {
    try {
      decodeURIComponent(value);
    } catch {
      const kubectl = environment
        ? "does not take as a URL (it ignores the variable and connects directly)"
        : "refuses as well";
      return `has a ${part} with a "%" that starts no escape, which kubectl ${kubectl}: current value is ` +
        `${shown}; write a "%" in it as %25`;
    }
  }
  return undefined;
}

/**
 * A proxy URL for messages and traces: its user name and password, and its query, are never shown.
 *
 * @param text The proxy URL.
 * @returns Text safe to show.
 *
 * @example Hiding a proxy password
 * ```ts
 * import { proxyForDisplay } from "./proxy.ts";
 * console.log(proxyForDisplay("http://user:secret@proxy:3128")); // http://proxy:3128/ (its user name and password not shown)
 * ```
 */
export function proxyForDisplay(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Not a URL: shown unless it may hold a password.
  }
  if (url && (url.username || url.password)) {
    url.username = "";
    url.password = "";
    url.search = url.hash = "";
    return `${url.href} (its user name and password not shown)`;
  }
  return quoteUrl(text);
}

/**
 * Says, on standard error (once per variable) and in the trace, that the runtime refuses to read variables that
 * decide whether the environment's proxy reaches an API server (Deno with an `--allow-env` list that leaves them
 * out): a proxy they name would be skipped silently, and the server found unreachable. Names only the variables,
 * never a proxy URL.
 *
 * @param server The API server URL.
 * @param env Looks up an environment variable.
 * @param refused Whether the runtime refuses to read a variable.
 *
 * @example A Deno process that may read KUBECONFIG only
 * ```ts
 * import { warnOfUnreadProxyVariables } from "./proxy.ts";
 * // Warns: this Deno process may not read HTTPS_PROXY or https_proxy, so ...
 * warnOfUnreadProxyVariables("https://10.0.0.1:6443", () => undefined, (name) => name !== "KUBECONFIG");
 * ```
 */
export function warnOfUnreadProxyVariables(
  server: string,
  env: (name: string) => string | undefined,
  refused: (name: string) => boolean,
): void {
  const message = unreadProxyVariables(server, env, refused);
  if (message === undefined) return;
  warnOnce(message.names, message.text);
}

/**
 * The variables {@linkcode proxyFromEnvironment} would read for `server` but may not, and what that does: only
 * those before the first one set count (an unread `https_proxy` after a set `HTTPS_PROXY` changes nothing),
 * `NO_PROXY` only once a proxy is chosen, and `REQUEST_METHOD` only once `HTTP_PROXY` is used (set, it would refuse it).
 */
function unreadProxyVariables(
  server: string,
  env: (name: string) => string | undefined,
  refused: (name: string) => boolean,
): { names: string[]; text: string } | undefined {
  const url = new URL(server);
  if (isLoopbackHost(url)) return undefined;
  const proxyNames = url.protocol === "https:" ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"];
  const unreadProxy = unreadBeforeSet(proxyNames, env, refused);
  const chosen = firstSet(env, proxyNames);
  const unreadNoProxy = chosen ? unreadBeforeSet(["NO_PROXY", "no_proxy"], env, refused) : [];
  // Read as unset, REQUEST_METHOD lets HTTP_PROXY through in a CGI program, where environmentProxy() refuses it.
  const cgiUnread = chosen?.name.toUpperCase() === "HTTP_PROXY" && refused("REQUEST_METHOD") &&
    proxyFromEnvironment(server, env) !== undefined;
  const names = [...unreadProxy, ...unreadNoProxy, ...(cgiUnread ? ["REQUEST_METHOD"] : [])];
  if (names.length === 0) return undefined;
  const though = wordList(
    [
      unreadProxy.length > 0 ? "name another proxy" : "",
      unreadNoProxy.length > 0 ? "exempt it" : "",
      cgiUnread
        ? "say that this is a CGI program, where a client's Proxy header sets HTTP_PROXY and it is not used"
        : "",
    ].filter(Boolean),
    "or",
  );
  const how = chosen
    ? `through the proxy from ${chosen.name}, though ${names.length > 1 ? "they" : "it"} may ${though}`
    : `directly, though ${names.length > 1 ? "they" : "it"} may name a proxy`;
  return {
    names,
    text: `${denoHolder()} may not read ${wordList(names, "or")}, so the API server at ${server} is reached ${how}: ` +
      refusedEnvAdvice(names, wordList(names)),
  };
}

/** The variables among `names` that the runtime refuses to read, up to the first one set. */
function unreadBeforeSet(
  names: string[],
  env: (name: string) => string | undefined,
  refused: (name: string) => boolean,
): string[] {
  const unread: string[] = [];
  for (const name of names) {
    if (env(name)) break;
    if (refused(name)) unread.push(name);
  }
  return unread;
}

function firstSet(
  env: (name: string) => string | undefined,
  names: string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env(name);
    if (value) return { name, value };
  }
  return undefined;
}

/** Whether a `NO_PROXY` list names the host (a lowercase name or an IP address without brackets). */
function excluded(list: string, host: string, port: string, ip: Uint8Array | undefined): boolean {
  for (const raw of list.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const range = ipAddressBytes(cidr[1]);
      const bits = Number(cidr[2]) + (range && !cidr[1].includes(":") ? 96 : 0);
      // As Go's IPNet.Contains: an IPv4 server only in an IPv4 (or IPv4-mapped) range, so ::/0 names no IPv4 one.
      if (ip && range && bits <= 128 && isIpv4(ip) === isIpv4(range) && samePrefix(ip, range, bits)) return true;
      continue;
    }
    // As Go's net.SplitHostPort: `[fd00::1]:6443` and `[fd00::1]:` (any port) name fd00::1, but `[fd00::1]` alone
    // is no host and port, and so in Go's httpproxy a name with brackets, which matches no server.
    const withPort = /^(\[[^\]]*\]|[^:]*):(\d*)$/.exec(entry);
    const name = withPort ? unbracketedHost(withPort[1]) : entry;
    if (withPort && withPort[2] !== "" && withPort[2] !== port) continue;
    // As Go's net.ParseIP, no IPv4 part with a leading zero (a CIDR range is read sloppily above, as client-go does).
    const entryIp = /^\d+\.\d+\.\d+\.\d+$/.test(name) && /(^|\.)0\d/.test(name) ? undefined : ipAddressBytes(name);
    if (entryIp) {
      if (ip && samePrefix(ip, entryIp, 128)) return true;
      continue;
    }
    // As Go's httpproxy: an IP address is matched only by IP and CIDR entries (`.0.1` does not name 10.0.0.1).
    if (!name || ip) continue;
    const domain = asciiDomain(name.startsWith("*.") ? name.slice(1) : name);
    if (domain.startsWith(".") ? host.endsWith(domain) : host === domain || host.endsWith(`.${domain}`)) {
      return true;
    }
  }
  return false;
}

/**
 * A domain entry of `NO_PROXY` in ASCII (`.xn--bcher-kva.example` for `.bücher.example`), as Go's httpproxy writes
 * it with IDNA; the URL parser has already so written the server's host. Kept as written when it is no host name.
 */
function asciiDomain(domain: string): string {
  if (!/[^ -~]/.test(domain) || /[\s/?#@:\\[\]%]/.test(domain)) return domain;
  const dot = domain.startsWith(".") ? "." : "";
  try {
    return dot + new URL(`http://${domain.slice(dot.length)}`).hostname;
  } catch {
    return domain;
  }
}
