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
  // By suffix: grpc-js's CIDR entries match IP addresses only, which no target here is.
  if (list && list.split(",").some((entry) => host.endsWith(entry))) return undefined;
  // `kubernetes://echo.prod:8080` has no path after an authority for grpc-js: its host keeps the slashes, which a
  // no_proxy entry need not have (a suffix matches).
  const listable = host.replace(/^\/\//, "");
  return `${variable} is set: grpc-js sends a channel to ${input} through that proxy, not through the resolver ` +
    "(a target with a port number or none; calls fail, or all go through the proxy): use the port's name in the " +
    `target, add ${listable} to ${exclusions}, or give the channel the option "grpc.enable_http_proxy": 0 ` +
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

/**
 * The host of a path that is a host with a port number or with none, as grpc-js splits it; else `undefined`. The
 * parser's targets name a Service, never an IP address, so grpc-js's bracketed-IPv6 form never comes here.
 */
function hostWithNumericPortOrNone(path: string): string | undefined {
  const [host, port, more] = path.split(":");
  if (more !== undefined) return undefined;
  return port === undefined || /^\d+$/.test(port) ? host : undefined;
}
