/**
 * The fake API server's TLS port as kube-apiserver's answers plain HTTP: Go's `400` "Client sent an HTTP request to
 * an HTTPS server.", where `node:https` reset the connection (Node, Bun) or wrote a TLS alert (Deno). A TCP listener
 * reads each connection's first five bytes and answers them itself when they start a plain HTTP request, or passes the
 * connection on to the HTTPS server on a loopback port of its own. The HTTPS server is not handed the socket
 * itself: Node's TLS reads the socket's handle, past the bytes put back (measured: the handshake stalled), and Bun's
 * refuses a stream wrapped around the socket, which Node's and Deno's take. Other plain requests (PATCH, DELETE)
 * are closed without a byte written, as kube-apiserver v1.36.3 closes them (measured): Go takes only the five starts
 * below for plain HTTP and drops any other first record that is no TLS handshake, where Node and Bun reset the
 * connection and Deno wrote a TLS alert.
 * Private to the package.
 *
 * @module
 */

import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { Buffer } from "node:buffer";

/** The request starts that Go's TLS server takes for plain HTTP (crypto/tls, on the first record header it reads). */
const PLAIN_HTTP_STARTS = new Set(["GET /", "HEAD ", "POST ", "PUT /", "OPTIO"]);

/** The TLS record types a first record may have: alert (21) and handshake (22), as Go's crypto/tls checks them. */
const FIRST_RECORD_TYPES = new Set([21, 22]);

/** What kube-apiserver v1.36.3 writes to those before it closes the connection (measured). */
const PLAIN_HTTP_ANSWER = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/**
 * A listener, not yet listening, that answers plain HTTP as kube-apiserver's TLS port does and passes every other
 * connection on to `https`, which must listen on loopback by the first connection.
 *
 * @param https The HTTPS server.
 * @param track Called with each socket either side of a connection, for the fake's `close()`.
 * @returns The listener.
 *
 * @example
 * ```ts
 * import { createServer } from "node:https";
 * import { plainHttpFront } from "./_plain_http_front.ts";
 * const [cert, key] = [await Deno.readTextFile("tests/fixtures/server.pem"), await Deno.readTextFile("tests/fixtures/server-key.pem")];
 * const https = createServer({ cert, key }, (_req, res) => res.end("ok"));
 * const front = plainHttpFront(https, () => {});
 * front.listen(0, "127.0.0.1", () => https.listen(0, "127.0.0.1", () => front.close(() => https.close())));
 * ```
 */
export function plainHttpFront(https: Server, track: (socket: Socket) => void): Server {
  return createServer((socket) => {
    track(socket);
    socket.on("error", () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 5) return;
      socket.off("data", onData);
      if (PLAIN_HTTP_STARTS.has(head.subarray(0, 5).toString("latin1"))) return void socket.end(PLAIN_HTTP_ANSWER);
      // Not a TLS handshake (a record type other than alert or handshake, or a version byte of 0x10 and up): closed
      // with nothing written. The socket keeps flowing with no listener, so what else arrives is read and dropped.
      if (!FIRST_RECORD_TYPES.has(head[0]) || head[1] >= 0x10) return void socket.end();
      socket.pause();
      const { port, address } = https.address() as AddressInfo;
      const inner = connect(port, address);
      track(inner);
      inner.on("error", () => socket.destroy());
      socket.on("close", () => inner.destroy());
      inner.write(head);
      socket.pipe(inner);
      inner.pipe(socket);
    };
    socket.on("data", onData);
  });
}
