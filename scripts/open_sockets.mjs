// How many sockets this process holds open, read from /proc/self/fd (Linux): the soak and rollout-memory scripts
// sample it to see connections that pile up.
import { readdirSync, readlinkSync } from "node:fs";

/**
 * Counts this process's open sockets.
 *
 * @returns {number} The number of file descriptors that are sockets.
 */
export function openSockets() {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) count++;
    } catch { /* closed meanwhile */ }
  }
  return count;
}
