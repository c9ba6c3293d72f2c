/**
 * IP addresses as 16 bytes (IPv4 as `::ffff:a.b.c.d`), for the proxy choice
 * (`NO_PROXY` ranges, loopback) and the SOCKS5 connector. Web standards only.
 *
 * @module
 */

/**
 * A host as a URL writes it, without the brackets around an IPv6 literal (`[fd00::1]` is `fd00::1`).
 *
 * @param host A URL's `hostname`, or a host name or address written as one.
 * @returns The host, unbracketed; any other host as it is.
 *
 * @example An IPv6 literal and a name
 * ```ts
 * import { unbracketedHost } from "./ip_address.ts";
 * console.log(unbracketedHost("[fd00::1]"), unbracketedHost("example.com")); // fd00::1 example.com
 * ```
 */
export function unbracketedHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Reads an IP address as 16 bytes; IPv4 addresses become `::ffff:a.b.c.d`.
 *
 * @param text An IPv4 address, or an IPv6 address without brackets.
 * @returns The bytes, or `undefined` when the text is not an IP address.
 *
 * @example Reading addresses
 * ```ts
 * import { ipAddressBytes } from "./ip_address.ts";
 * console.log(ipAddressBytes("10.0.0.1")?.subarray(12)); // Uint8Array(4) [ 10, 0, 0, 1 ]
 * console.log(ipAddressBytes("::1")?.at(15)); // 1
 * console.log(ipAddressBytes("example.com")); // undefined
 * ```
 */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((part) => part > 255)) return undefined;
    return Uint8Array.from([...IPV4_MAPPED.subarray(0, 12), ...parts]);
  }
  if (!text.includes(":")) return undefined;
  let canonical: string;
  try {
    // The URL parser validates and compresses IPv6 (and writes an embedded IPv4 part in hex).
    canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head, tail] = canonical.includes("::") ? canonical.split("::") : [canonical, undefined];
  const groups = (part: string | undefined) => part ? part.split(":").map((group) => parseInt(group, 16)) : [];
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 255]));
}

/** `::ffff:0:0/96`, where IPv4 addresses live in {@linkcode ipAddressBytes}' form. */
const IPV4_MAPPED = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0]);
/** `::1`. */
const IPV6_LOOPBACK = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/**
 * Whether an address from {@linkcode ipAddressBytes} is an IPv4 one: written as such, or IPv4-mapped
 * (`::ffff:10.0.0.1`, `::ffff:a00:1`), as Go's `net.IP.To4` and `netip.Addr.Is4In6` tell.
 *
 * @param ip The address.
 * @returns True for an address in `::ffff:0:0/96`.
 *
 * @example
 * ```ts
 * import { ipAddressBytes, isIpv4 } from "./ip_address.ts";
 * console.log(isIpv4(ipAddressBytes("10.0.0.1")!), isIpv4(ipAddressBytes("::ffff:a00:1")!)); // true true
 * console.log(isIpv4(ipAddressBytes("fd00::1")!)); // false
 * ```
 */
export function isIpv4(ip: Uint8Array): boolean {
  return samePrefix(ip, IPV4_MAPPED, 96);
}

/** Whether an address from {@linkcode ipAddressBytes} is a loopback address: 127.0.0.0/8 or `::1`. */
function isLoopback(ip: Uint8Array): boolean {
  return isIpv4(ip) ? ip[12] === 127 : samePrefix(ip, IPV6_LOOPBACK, 128);
}

/**
 * Whether a URL names this machine: `localhost`, or a loopback address (brackets of an IPv6 one left aside).
 *
 * @param url The URL.
 * @returns True for `localhost`, 127.0.0.0/8 and `::1`.
 *
 * @example Telling loopback URLs apart
 * ```ts
 * import { isLoopbackHost } from "./ip_address.ts";
 * console.log(isLoopbackHost(new URL("http://[::1]:8080")), isLoopbackHost(new URL("http://10.0.0.1"))); // true false
 * ```
 */
export function isLoopbackHost(url: URL): boolean {
  const host = unbracketedHost(url.hostname);
  const ip = ipAddressBytes(host);
  return host === "localhost" || (ip !== undefined && isLoopback(ip));
}

/**
 * Whether two addresses share their first `bits` bits.
 *
 * @param a An address from {@linkcode ipAddressBytes}.
 * @param b Another one.
 * @param bits The prefix length, 0-128 (an IPv4 `/n` is `96 + n` here).
 * @returns True when the prefixes are equal.
 *
 * @example Matching a CIDR range
 * ```ts
 * import { ipAddressBytes, samePrefix } from "./ip_address.ts";
 * console.log(samePrefix(ipAddressBytes("10.1.2.3")!, ipAddressBytes("10.0.0.0")!, 96 + 8)); // true
 * ```
 */
export function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 255 : (0xff00 >> (bits - bit)) & 255;
    if ((a[bit / 8] & mask) !== (b[bit / 8] & mask)) return false;
  }
  return true;
}
