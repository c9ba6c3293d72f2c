// Run by tests/node_http_client_test.ts on Node and Bun, against the built package: a watch whose server ended it
// and then closed the connection, as kube-apiserver (Go) closes one idle for its IdleTimeout, while this process was
// stopped (SIGSTOP, a frozen container: here 500 ms of a busy loop); at once, the next request. Prints both answers
// and how many connections the server accepted.
import { createServer } from "node:net";
import { nodeHttpClient } from "../../dist/src/runtime/node_http_client.js";

let connections = 0;
const server = createServer((socket) => {
  const connection = ++connections;
  socket.on("error", () => {});
  socket.on("data", (data) => {
    if (!String(data).includes("\r\n\r\n")) return;
    const body = `{"connection":${connection}}`;
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    socket.write(`${head}${body.length.toString(16)}\r\n${body}\r\n`);
    // The end of the watch, then the idle connection's close.
    setTimeout(() => socket.end("0\r\n\r\n"), 100);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const client = nodeHttpClient({ caSource: "none" });
const url = `http://127.0.0.1:${server.address().port}/`;
try {
  const { response } = await client.fetch(url, {});
  const until = performance.now() + 500;
  while (performance.now() < until) {
    // Stopped: the end of the answer and the close of the connection wait in the socket.
  }
  const first = await response.text();
  const second = await client.fetch(url, {}).then(({ response }) => response.text(), (error) => error.code);
  console.log(`answers: ${first} ${second}, connections: ${connections}`);
} finally {
  client.close();
  server.close();
}
