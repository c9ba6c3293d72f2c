// Run by tests/node_http_client_test.ts on Node, against the built package: two requests 400 ms apart, with a 150 ms
// idle timeout, to a server that, as kube-apiserver (Go), gives no Keep-Alive hint, and that resets a connection's
// second request, as a connection a load balancer dropped while idle. The first answer stays quiet for 400 ms, as a
// watch does. Prints both answers and how many connections the server accepted.
import { createServer } from "node:net";
import { nodeHttpClient } from "../../dist/src/runtime/node_http_client.js";

let connections = 0;
const server = createServer((socket) => {
  connections++;
  let requests = 0;
  socket.on("error", () => {});
  socket.on("data", (data) => {
    if (!String(data).includes("\r\n\r\n")) return;
    if (++requests > 1) return socket.resetAndDestroy();
    socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n");
    setTimeout(() => socket.write("0\r\n\r\n"), 400);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const client = nodeHttpClient({ caSource: "none" }, 1000, 150);
const get = async () => await (await client.fetch(`http://127.0.0.1:${server.address().port}/`, {})).response.text();
try {
  const first = await get();
  await new Promise((resolve) => setTimeout(resolve, 400));
  console.log(`answers: ${first} ${await get()}, connections: ${connections}`);
} finally {
  client.close();
  server.close();
}
