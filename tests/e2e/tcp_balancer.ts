/**
 * A TCP load balancer on 127.0.0.1, as an HA control plane has in front of
 * its API servers (HAProxy in `mode tcp`, a cloud network load balancer):
 * each new connection goes to the next backend in turn, bytes pass
 * untouched (TLS ends at the API server), and a backend can be drained (no
 * new connections), cut (its open connections closed too) or left in the
 * rotation while nothing listens there (its share of connections is refused,
 * as behind a balancer whose health check has not noticed yet). With one
 * backend and `pause`, it is a link that stops carrying bytes (between an
 * API server and etcd: that server's watch cache falls behind).
 *
 * Test code: it only ever connects to the loopback ports it was given.
 *
 * @module
 */

import { createServer, type Server, type Socket } from "node:net";
import { connect } from "node:net";

/** A running balancer. */
export interface TcpBalancer {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Connections sent to each backend so far (refused ones included), by backend index. */
  connections(): number[];
  /** Connections each backend refused so far. */
  refused(): number[];
  /** Stops (`true`) or resumes (`false`) sending new connections to a backend. */
  drain(index: number, drained: boolean): void;
  /** Closes the open connections of a backend (both sides at once, as a balancer that drops them). */
  cut(index: number): number;
  /** Stops (`true`) or resumes (`false`) carrying bytes on every connection, open and new ones. */
  pause(paused: boolean): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a round-robin TCP balancer on 127.0.0.1 in front of `backends`, each a port on 127.0.0.1.
 *
 * @param backends The backends' ports.
 * @returns The balancer, listening.
 */
export async function startTcpBalancer(backends: number[]): Promise<TcpBalancer> {
  const drained = backends.map(() => false);
  const counts = backends.map(() => 0);
  const refusals = backends.map(() => 0);
  const open = backends.map(() => new Set<Socket>());
  let next = 0;
  let paused = false;
  const server: Server = createServer((client) => {
    const candidates = backends.map((_, index) => (next + index) % backends.length).filter((i) => !drained[i]);
    if (candidates.length === 0) {
      client.destroy();
      return;
    }
    const index = candidates[0];
    next = (index + 1) % backends.length;
    counts[index]++;
    const upstream = connect(backends[index], "127.0.0.1");
    const pair = [client, upstream];
    for (const socket of pair) open[index].add(socket);
    let connected = false;
    upstream.once("connect", () => connected = true);
    const end = () => {
      for (const socket of pair) {
        socket.destroy();
        open[index].delete(socket);
      }
    };
    upstream.on("error", () => {
      if (!connected) refusals[index]++;
      end();
    });
    client.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
    client.pipe(upstream).pipe(client);
    if (paused) { for (const socket of pair) socket.pause(); }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const cut = (index: number) => {
    const sockets = [...open[index]];
    for (const socket of sockets) socket.destroy();
    open[index].clear();
    return sockets.length / 2;
  };
  return {
    port,
    connections: () => [...counts],
    refused: () => [...refusals],
    drain(index, value) {
      drained[index] = value;
    },
    cut,
    pause(value) {
      paused = value;
      for (const sockets of open) for (const socket of sockets) value ? socket.pause() : socket.resume();
    },
    async close() {
      for (let index = 0; index < backends.length; index++) cut(index);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
