// Forwards every connection from one socket to another, byte for byte:
// `node tests/e2e/socket_bridge.mjs LISTEN CONNECT`, each `tcp:PORT` (127.0.0.1 of the
// network namespace it runs in) or `unix:PATH`. Prints "ready" once listening.
//
// kube_proxy.ts runs two: `unix:… tcp:<API port>` in the root namespace, and
// `tcp:<API port> unix:…` inside each kube-proxy's network namespace, so that kube-proxy
// reaches the API server on loopback (a Unix socket is a file, visible from every network
// namespace) and nothing else crosses the namespace's boundary.
import net from "node:net";
import process from "node:process";

/** @param {string} spec */
function parse(spec) {
  const [kind, value] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
  if (kind === "tcp" && /^\d+$/.test(value)) return { port: Number(value), host: "127.0.0.1" };
  if (kind === "unix" && value) return { path: value };
  throw new Error(`Cannot use socket "${spec}": expected tcp:PORT or unix:PATH`);
}

const [listen, connect] = process.argv.slice(2).map(parse);
const server = net.createServer((incoming) => {
  const outgoing = net.connect(connect);
  incoming.pipe(outgoing).pipe(incoming);
  incoming.on("error", () => outgoing.destroy());
  outgoing.on("error", () => incoming.destroy());
  incoming.on("close", () => outgoing.destroy());
  outgoing.on("close", () => incoming.destroy());
});
server.listen(listen, () => process.stdout.write("ready\n"));
