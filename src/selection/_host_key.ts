/**
 * The key endpoint selection counts a host by. Private to `endpoint_selection.ts`.
 *
 * @module
 */

/**
 * The key of a host in selection's counts: a dotted-decimal IPv4 address in its one canonical spelling (no leading
 * zero, each part 0-255: as Kubernetes writes them) is its 32-bit number, any other host is the string itself. Two
 * hosts have the same key only if they are the same string (a number is never equal to a string in a `Map`).
 *
 * Why: a burst counts thousands of hosts, each a string the decoder has just made, and a `Map` hashes each such string
 * the first time it sees it. Deno 2.9 (V8 15.0) took 1.2-1.8 µs per fresh address string for that (Node 20: 0.2-0.25),
 * so that counting a burst's 5,000 new hosts took 3.9-4.2 ms on a loaded machine; keyed by their numbers, 1.0-1.5
 * (Node: 1.0-1.1 either way).
 *
 * @param host An endpoint's host.
 * @returns Its key.
 */
export function hostKey(host: string): string | number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || dots === 3) return host;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (code >= 0x30 && code <= 0x39 && !(digits === 1 && part === 0)) {
      part = part * 10 + code - 0x30;
      digits++;
      if (part > 255) return host;
    } else return host;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : host;
}
