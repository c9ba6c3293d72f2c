// Run by tests/node_http_client_test.ts on Node with NODE_DEBUG=http, against the built package: one GET with a bearer
// token and a proxy's credentials to a loopback server. Prints which credentials the server received; Node's debug
// output (on stderr) must show neither.
import { createServer } from "node:http";
import { nodeHttpClient } from "../../dist/src/runtime/node_http_client.js";

const token = process.argv[2];
let received = "";
const server = createServer((request, response) => {
  received = `authorization: ${request.headers.authorization === `Bearer ${token}`}, ` +
    `proxy-authorization: ${request.headers["proxy-authorization"] === `Basic ${token}`}`;
  response.end("{}");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const client = nodeHttpClient({ caSource: "none" }, 1000);
try {
  const headers = {
    accept: "application/json",
    authorization: `Bearer ${token}`,
    "proxy-authorization": `Basic ${token}`,
  };
  await (await client.fetch(`http://127.0.0.1:${server.address().port}/`, { headers })).response.text();
  console.log(received);
} finally {
  client.close();
  server.close();
}
