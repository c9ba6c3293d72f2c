/**
 * An HTTP CONNECT proxy on 127.0.0.1 that cuts every tunnel idle for longer
 * than its timeout, as load balancers and proxies do (HAProxy's `timeout
 * tunnel`, a cloud load balancer's idle timeout): a watch of a quiet Service
 * carries nothing between the API server's bookmarks, about a minute apart.
 *
 * Test code: it only ever connects to the host and port a client asked for,
 * and the scenarios only ask for the local API server.
 *
 * @module
 */

import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";

/** A running proxy. */
export interface IdleCuttingProxy {
  /** `http://127.0.0.1:<port>`, for a kubeconfig's `proxy-url`. */
  readonly url: string;
  /** How many tunnels it cut for idleness so far. */
  cuts(): number;
  /** Stops it and closes every tunnel. */
  close(): Promise<void>;
}

/**
 * Starts a CONNECT proxy that cuts a tunnel once no byte went either way for `idleMs`.
 *
 * @param idleMs The idle timeout.
 * @returns The proxy, listening.
 */
export async function startIdleCuttingProxy(idleMs: number): Promise<IdleCuttingProxy> {
  let cuts = 0;
  const sockets = new Set<Duplex>();
  const server = createServer((_request, response) => {
    response.writeHead(405).end();
  });
  server.on("connect", (request: IncomingMessage, client: Duplex, head: Uint8Array) => {
    const match = /^(.+):(\d+)$/.exec(request.url ?? "");
    if (!match) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const upstream: Socket = connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ""));
    sockets.add(client).add(upstream);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const kick = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        cuts++;
        end();
      }, idleMs);
    };
    upstream.once("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      kick();
    });
    client.on("data", kick);
    upstream.on("data", kick);
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
