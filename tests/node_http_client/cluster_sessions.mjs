// Run by tests/node_http_client_test.ts on Node, against the built package: three cluster HTTP clients of one
// cluster (three watches) over HTTP/1.1 (`http2: false`: by default, the HTTP/2 client builds a context of its own
// too), one request each, the server closing every connection. Prints how many answered, how many TLS contexts
// node:tls built for them, and how many of the server's handshakes resumed a session.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import tls from "node:tls";
import { syncBuiltinESMExports } from "node:module";

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
let resumed = 0;
const server = createServer(
  { cert: fixture("server.pem"), key: fixture("server-key.pem"), ca: fixture("ca.pem"), requestCert: true },
  (req, res) => {
    if (req.socket.isSessionReused()) resumed++;
    res.writeHead(200, { connection: "close" }).end("{}");
  },
);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const createSecureContext = tls.createSecureContext;
let contexts = 0;
tls.createSecureContext = (...args) => {
  contexts++;
  return createSecureContext(...args);
};
syncBuiltinESMExports();
const { createClusterHttpClient } = await import("../../dist/src/api/cluster_http_client.js");
const { noCredentials } = await import("../../dist/src/cluster/credentials.js");
const url = `https://127.0.0.1:${server.address().port}`;
const access = () => ({
  server: url,
  namespace: "default",
  tls: {
    ca: fixture("ca.pem"),
    caSource: "ca.pem",
    cert: fixture("client.pem"),
    key: fixture("client-key.pem"),
    serverName: "localhost",
  },
  credentials: noCredentials(),
  identity: url,
  source: "test",
  http2: false,
});
const clients = [access(), access(), access()].map(createClusterHttpClient);
try {
  let answers = 0;
  for (const client of clients) {
    const { response } = await client.fetch(`${url}/`, {});
    if (await response.text() === "{}") answers++;
  }
  console.log(`answers: ${answers}, TLS contexts: ${contexts}, resumed: ${resumed}`);
} finally {
  for (const client of clients) client.close();
  server.close();
}
