/**
 * TCP keepalive on the connections to the API server, so that one that died
 * without a word (a control-plane node lost, a NAT entry expired: packets
 * dropped, no reset) fails its watch in about the time client-go takes to
 * notice, rather than at `stallTimeoutMs`. client-go's watches are on HTTP/2,
 * which pings a connection silent for 30 s and gives up 15 s later; ours are
 * on HTTP/1.1, which cannot ping, so the kernel probes instead. After
 * {@linkcode KEEPALIVE_IDLE_MS} of silence, Node's libuv and Bun send a probe
 * each second and drop the connection after 10 unanswered (about 40 s in
 * all). Deno sets the delay only: its probes follow the system's
 * `net.ipv4.tcp_keepalive_intvl` and `tcp_keepalive_probes` (75 s and 9 by
 * default, so the stall comes first, or the watch's minutely bookmark,
 * missed for 75 s once it had one); README, "A connection that dies
 * without a word", says how to set them for a pod.
 *
 * @module
 */

import type { Socket } from "node:net";

/** How long a connection may be silent before the kernel probes it, in ms: client-go's HTTP/2 `ReadIdleTimeout`. */
const KEEPALIVE_IDLE_MS = 30_000;

/**
 * The keepalive options of undici's `buildConnector()` (and of a `ProxyAgent`'s `proxyTls`), whose own delay is
 * 60 s.
 */
export const undiciKeepAlive = { keepAlive: true, keepAliveInitialDelay: KEEPALIVE_IDLE_MS } as const;

/**
 * Turns TCP keepalive on for `socket`, with a first probe after {@linkcode KEEPALIVE_IDLE_MS} of silence.
 *
 * @param socket A connection to the API server, or to the proxy on the way.
 * @returns The socket.
 *
 * @example A connection probed once silent for 30 s
 * ```ts ignore
 * import { connect } from "node:net";
 * import { keepAlive } from "./tcp_keepalive.ts";
 * const socket = keepAlive(connect(6443, "127.0.0.1"));
 * ```
 */
export function keepAlive(socket: Socket): Socket {
  return socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
}
