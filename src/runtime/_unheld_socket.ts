/**
 * Sockets that never keep the process alive: the library's connections to the API server leave its lifetime to the
 * caller's watches and channels (README, "Process lifetime").
 *
 * @module
 */

import type { Socket } from "node:net";

/**
 * Lets the process end while `socket` is open, for good: a pool that refs a socket again when it reuses it (Node's
 * agent, undici's) finds `ref()` doing nothing.
 *
 * @param socket A socket of ours.
 *
 * @example A connection that does not hold the process
 * ```ts ignore
 * import { connect } from "node:net";
 * import { neverHoldProcess } from "./_unheld_socket.ts";
 * neverHoldProcess(connect(6443, "127.0.0.1"));
 * ```
 */
export function neverHoldProcess(socket: Socket): void {
  socket.unref();
  socket.ref = () => socket;
}
