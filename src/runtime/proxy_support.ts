/**
 * The proxy schemes the current runtime's HTTP client (`http_client.ts`) can
 * use: Bun goes through a proxy with its `fetch`, which speaks HTTP and HTTPS
 * proxies only; undici on Node and Deno also SOCKS5, through our own connector.
 *
 * @module
 */

import { runtimeKey } from "./runtime.ts";

/** What the runtime's HTTP client can use as a proxy. */
export interface ProxySupport {
  /** The runtime, for messages: `Deno`, `Bun` or `Node`. */
  runtime: string;
  /** URL schemes without the colon, e.g. `["http", "https"]`. */
  schemes: readonly string[];
}

/**
 * Tells which proxies the current runtime's HTTP client can use.
 *
 * @returns The runtime's name and its proxy schemes.
 *
 * @example Checking for SOCKS5 support
 * ```ts
 * import { proxySupport } from "./proxy_support.ts";
 * const { runtime, schemes } = proxySupport();
 * console.log(runtime, schemes.includes("socks5"));
 * ```
 */
export function proxySupport(): ProxySupport {
  switch (runtimeKey()) {
    case "bun":
      return { runtime: "Bun", schemes: ["http", "https"] };
    case "deno":
      return { runtime: "Deno", schemes: ["http", "https", "socks5"] };
    case "node":
      return { runtime: "Node", schemes: ["http", "https", "socks5"] };
  }
}
