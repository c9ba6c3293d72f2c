// A node:http2 server whose session destroys itself from its goaway listener, as grpc-js's server does when a
// client closes its channel; run by deno_goaway_test.ts in a child process, since a crash would end the test's.
import http2 from "node:http2";
import { installDenoGoawayWorkaround } from "../../src/runtime/deno_goaway_workaround.ts";

installDenoGoawayWorkaround();
const server = http2.createServer();
const seen = Promise.withResolvers<string>();
server.on("session", (session) => {
  session.on("goaway", () => {
    session.destroy();
    const inListener = session.destroyed;
    setTimeout(() => seen.resolve(`destroyed in the listener: ${inListener}, after it: ${session.destroyed}`), 10);
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as { port: number };
const client = http2.connect(`http://127.0.0.1:${port}`);
await new Promise((resolve) => client.once("remoteSettings", resolve));
client.goaway();
console.log(await seen.promise);
client.destroy();
server.close();
