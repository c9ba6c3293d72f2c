/**
 * Test servers on ports that no earlier test server of this process had.
 *
 * The resolver remembers, per API server URL and for the life of the
 * process, that a server refused streaming lists. A server started later on a
 * port the system hands out again would inherit that memory: its client lists
 * where it should stream, and a test that counts requests fails once in a
 * while. Measured: a 403 test failed in CI when its server got the port of an
 * earlier one that refused streaming lists.
 *
 * @module
 */
import type { Server } from "node:net";

/** The ports this process's test servers listened on. */
const usedPorts = new Set<number>();

/**
 * How many listens on port 0 before a used port is taken after all: the system hands one out again rarely, and
 * twenty times in a row never in practice.
 */
const ATTEMPTS = 20;

/**
 * Listens on `port`, or on a free port no earlier caller of this function got when `port` is 0.
 *
 * @param server A server not yet listening.
 * @param port The port to listen on; `0` picks a fresh one.
 * @param hostname The address to listen on.
 * @returns The port it listens on.
 *
 * @example A fresh port
 * ```ts
 * import { createServer } from "node:http";
 * import { listenOnFreshPort } from "./_fresh_port.ts";
 * const server = createServer();
 * console.log(await listenOnFreshPort(server, 0, "127.0.0.1") > 0); // true
 * server.close();
 * ```
 */
export async function listenOnFreshPort(server: Server, port: number, hostname: string): Promise<number> {
  for (let attempt = 1;; attempt++) {
    await listen(server, port, hostname);
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    if (port !== 0 || !usedPorts.has(bound) || attempt === ATTEMPTS) {
      usedPorts.add(bound);
      return bound;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, hostname, () => {
      server.off("error", onError);
      resolve();
    });
  });
}
