// Run by tests/node_http_client_test.ts on Node, against the built package: three requests, each on a new connection
// (the server closes every one, as a restarting API server ends a watch), with a CA and a client certificate. Prints
// how many answered and how many TLS contexts node:tls built for them.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import tls from "node:tls";
import { syncBuiltinESMExports } from "node:module";

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const server = createServer(
  { cert: fixture("server.pem"), key: fixture("server-key.pem"), ca: fixture("ca.pem"), requestCert: true },
  (_req, res) => res.writeHead(200, { connection: "close" }).end("{}"),
);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
// Counted from here: the server's own context is built already.
const createSecureContext = tls.createSecureContext;
let contexts = 0;
tls.createSecureContext = (...args) => {
  contexts++;
  return createSecureContext(...args);
};
syncBuiltinESMExports();
const { nodeHttpClient } = await import("../../dist/src/runtime/node_http_client.js");
const client = nodeHttpClient({
  ca: fixture("ca.pem"),
  caSource: "ca.pem",
  cert: fixture("client.pem"),
  key: fixture("client-key.pem"),
  serverName: "localhost",
});
try {
  let answers = 0;
  for (let i = 0; i < 3; i++) {
    const { response } = await client.fetch(`https://127.0.0.1:${server.address().port}/`, {});
    if (await response.text() === "{}") answers++;
  }
  console.log(`answers: ${answers}, TLS contexts: ${contexts}`);
} finally {
  client.close();
  server.close();
}
