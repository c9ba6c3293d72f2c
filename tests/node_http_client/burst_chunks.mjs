// Run by tests/node_http_client_test.ts on Node and Bun, against the built package: a watch burst as kube-apiserver
// sends one, each event a chunk of the transfer encoding, 40 of them in one socket write; a second write after a
// pause. With the argument `tls`, over TLS, as every real API server serves, the burst (48 KB) in several TLS
// records. Prints how many times the pushed body handed chunks over for the two writes, and the bytes of the first.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { nodeHttpClient } from "../../dist/src/runtime/node_http_client.js";

const tls = process.argv[2] === "tls";
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const EVENTS = 40;
const padding = "x".repeat(1150);
const event = (i) => `{"type":"MODIFIED","object":{"metadata":{"name":"s${i}","labels":{"pad":"${padding}"}}}}\n`;
const chunked = (text) => `${text.length.toString(16)}\r\n${text}\r\n`;
const serve = (socket) => {
  socket.on("error", () => {});
  socket.once("data", () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    socket.write(head);
    setTimeout(() => socket.write(Array.from({ length: EVENTS }, (_, i) => chunked(event(i))).join("")), 50);
    setTimeout(() => socket.end(`${chunked(event(EVENTS))}0\r\n\r\n`), 150);
  });
};
const server = tls
  ? createTlsServer({ cert: fixture("server.pem"), key: fixture("server-key.pem") }, serve)
  : createServer(serve);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const client = tls
  ? nodeHttpClient({ ca: fixture("ca.pem"), caSource: "ca.pem" })
  : nodeHttpClient({ caSource: "none" });
try {
  const { chunks } = await client.fetch(`${tls ? "https" : "http"}://127.0.0.1:${server.address().port}/`, {});
  const sizes = [];
  // The bytes of each hand-over (one read's chunks, or a turn's).
  await chunks.push((read) => sizes.push(read.reduce((sum, chunk) => sum + chunk.byteLength, 0)));
  const burst = Array.from({ length: EVENTS }, (_, i) => event(i).length).reduce((sum, n) => sum + n, 0);
  console.log(`chunks: ${sizes.length}, first: ${sizes[0] === burst ? "the whole burst" : `${sizes[0]} bytes`}`);
} finally {
  client.close();
  server.close();
}
