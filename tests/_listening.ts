// A test server on 127.0.0.1 whose close() also ends the connections it accepted (a plain close would wait for
// them, and a server that never answers keeps them open).
import type { Server, Socket } from "node:net";

/**
 * Starts `server` on a free port of 127.0.0.1.
 *
 * @param server A `node:net`, `node:http` or `node:https` server, not yet listening.
 * @returns Its port, and a close() that destroys its connections first.
 */
export async function listening(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
