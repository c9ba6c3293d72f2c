/**
 * What `kgr-resolver check` says of a target that grpc-js would send to an HTTP proxy rather than to the resolver.
 * grpc-js 1.14 reads `grpc_proxy`, else `https_proxy`, else `http_proxy` (lower case only) at each channel's creation;
 * when one holds an `http:` URL, a target whose path is a host with a port number or with none (not a port name),
 * and whose host `no_grpc_proxy` (else `no_proxy`) does not list, is resolved by DNS as the proxy's address, past any
 * custom resolver: calls fail on a proxy that does not answer, and all go through one that does.
 *
 * @module
 */

/** The variables grpc-js takes a proxy from, the first set one winning. */
const PROXY_VARIABLES = ["grpc_proxy", "https_proxy", "http_proxy"] as const;

/** A target's parts as grpc-js splits them: scheme, authority, then the path. */
const GRPC_URI = /^(?:([A-Za-z0-9+.-]+):)?(?:\/\/([^/]*)\/)?(.+)$/;

/**
 * Why channels in an environment like this one would not reach the resolver for `input`: a grpc-js proxy variable
 * is set and the target's path has a port number or none. The advice names the variable, never its value (a proxy
 * URL may hold a password).
 *
 * @param input The target as given.
 * @param env Reads an environment variable (the CLI's process's).
 * @returns The advice, without a newline; `undefined` when grpc-js would resolve the target with the resolver.
 *
 * @example
 * ```ts
 * import { grpcProxyAdvice } from "./grpc_proxy_advice.ts";
 * const env = (name: string) => (name === "https_proxy" ? "http://proxy.corp:3128" : undefined);
 * console.log(grpcProxyAdvice("kubernetes:///echo.shop:8080", env)?.startsWith("https_proxy is set")); // true
 * console.log(grpcProxyAdvice("kubernetes:///echo.shop:grpc", env)); // undefined
 * ```
 */
export function grpcProxyAdvice(input: string, env: (name: string) => string | undefined): string | undefined {
  const variable = PROXY_VARIABLES.find((name) => env(name));
  if (variable === undefined || !isHttpUrl(env(variable)!)) return undefined;
  const path = GRPC_URI.exec(input)?.[3];
  const host = path === undefined ? undefined : hostWithNumericPortOrNone(path);
  if (host === undefined) return undefined;
  const exclusions = env("no_grpc_proxy") ? "no_grpc_proxy" : "no_proxy";
  const list = env(exclusions);
  // grpc-js splits a list that is set at its commas as they are: an empty entry (a trailing comma) matches any host.
  if (list && list.split(",").some((entry) => excludes(entry, host))) return undefined;
  return `${variable} is set: grpc-js sends a channel to ${input} through that proxy, not through the resolver ` +
    "(a target with a port number or none; calls fail, or all go through the proxy): use the port's name in the " +
    `target, add ${host} to ${exclusions}, or give the channel the option "grpc.enable_http_proxy": 0 ` +
    "(withResolverOptions() and nice-grpc's createChannel() from @kgr/resolver/nice-grpc do)";
}

/** Whether grpc-js takes `value` as a proxy: a URL of scheme `http:` (it ignores others, with an error). */
function isHttpUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "http:";
  } catch {
    return false;
  }
}

/** The host of a path that is a host with a port number or with none, as grpc-js splits it; else `undefined`. */
function hostWithNumericPortOrNone(path: string): string | undefined {
  if (path.startsWith("[")) {
    const end = path.indexOf("]");
    const host = path.slice(1, end);
    if (end === -1 || !host.includes(":")) return undefined;
    const rest = path.slice(end + 1);
    return rest === "" || /^:\d+$/.test(rest) ? host : undefined;
  }
  const parts = path.split(":");
  if (parts.length === 1) return path;
  if (parts.length === 2) return /^\d+$/.test(parts[1]) ? parts[0] : undefined;
  // Several colons: a bare IPv6 address without a port.
  return path;
}

/** Whether one entry of a no-proxy list covers `host`, as grpc-js matches it: a suffix, or an IPv4 CIDR. */
function excludes(entry: string, host: string): boolean {
  const [address, prefix, extra] = entry.split("/");
  if (prefix !== undefined && extra === undefined && isIpv4(address) && isIpv4(host)) {
    const bits = Number.parseInt(prefix, 10);
    if (!(bits >= 0 && bits <= 32)) return host.endsWith(entry);
    const mask = bits === 0 ? 0 : -1 << (32 - bits);
    return (ipv4Number(address) & mask) === (ipv4Number(host) & mask);
  }
  return host.endsWith(entry);
}

/** Whether `text` is a dotted IPv4 address. */
function isIpv4(text: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text) && text.split(".").every((part) => +part <= 255);
}

/** A dotted IPv4 address as a 32-bit number. */
function ipv4Number(address: string): number {
  return address.split(".").reduce((number, part) => (number << 8) + Number(part), 0);
}
