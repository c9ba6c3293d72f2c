// A TLS echo pod for the cross-runtime scenarios, run with Node whatever the runtime under test: grpc-js TLS
// servers fail every handshake on Deno (README, known issues). Serves tests/fixtures/server.pem (localhost,
// 127.0.0.1) on the host and port given, prints "ready", and exits when its standard input closes.
// Usage: node _tls_echo_backend.mjs NAME HOST PORT
import { readFileSync } from "node:fs";
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { EchoService } from "../../scripts/echo_service.mjs";

const [name, host, port] = process.argv.slice(2);
const fixture = (file) => readFileSync(new URL(`../fixtures/${file}`, import.meta.url));
const server = new grpc.Server();
server.addService(EchoService, {
  echo: (call, callback) => callback(null, { message: `${name}:${call.request.message}` }),
});
const credentials = grpc.ServerCredentials.createSsl(null, [{
  private_key: fixture("server-key.pem"),
  cert_chain: fixture("server.pem"),
}]);
server.bindAsync(`${host}:${port}`, credentials, (error) => {
  if (error) throw error;
  console.log("ready");
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
