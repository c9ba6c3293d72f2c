// A fake cluster in a process of its own, so that a client's exit time is the
// client's alone: the fake API server and three echo pods on 127.0.0.x
// (Service "echo"), and a Service "multi" whose port cannot be chosen. With
// the argument "https-proxy", the API server speaks TLS and the kubeconfig
// reaches it through an https:// CONNECT proxy on 127.0.0.1 (proxy-url) that
// the cluster's CA also issued the certificate of. Prints one JSON line ({ kubeconfig, hosts, port }) once ready; reads
// commands from stdin ("pods N": the Service has the first N pods ready) and
// stops when stdin closes. Used by tests/process_exit_test.ts.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { connect } from "node:net";
import process from "node:process";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { freePort, startEchoServer } from "../../scripts/echo_service.mjs";

const hosts = [0, 1, 2].map((i) => `127.0.0.${90 + i}`);
const port = await freePort(hosts);
const pods = await Promise.all(hosts.map((host, i) => startEchoServer(grpc, { name: `echo-${i}`, host, port })));
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const tls = { cert: fixture("server.pem"), key: fixture("server-key.pem") };
const throughProxy = process.argv[2] === "https-proxy";
const api = await startFakeApiServer({ token: "exit-token", tls: throughProxy ? tls : undefined });
const proxy = throughProxy ? await startHttpsProxy() : undefined;
const publish = (count) =>
  api.applySlice(endpointSlice({
    namespace: "acc",
    service: "echo",
    port: { name: "grpc", port },
    endpoints: pods.slice(0, count).map((pod, i) => ({ ip: pod.host, pod: `echo-${i}` })),
  }));
publish(pods.length);
// A Service with two ports and no Service object: a target without a port cannot choose one.
api.applySlice({
  ...endpointSlice({ namespace: "acc", service: "multi", endpoints: [{ ip: pods[0].host, pod: "multi-0" }] }),
  ports: [{ name: "grpc", protocol: "TCP", port }, { name: "http", protocol: "TCP", port: port + 1 }],
});
const kubeconfig = api.kubeconfig({ namespace: "acc", ca: throughProxy ? fixture("ca.pem") : undefined });
if (proxy) kubeconfig.clusters[0].cluster["proxy-url"] = proxy.url;
console.log(JSON.stringify({ kubeconfig, hosts, port }));

for await (const line of createInterface({ input: process.stdin })) {
  const [command, count] = line.split(" ");
  if (command === "pods") publish(Number(count));
}
await Promise.all(pods.map((pod) => pod.stop()));
await api.close();
proxy?.close();

/** An https:// CONNECT proxy on 127.0.0.1 that tunnels to 127.0.0.1 only. */
async function startHttpsProxy() {
  const sockets = new Set();
  const server = createServer(tls);
  server.on("connect", (request, client, head) => {
    const upstream = connect(Number(request.url.split(":").pop()), "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
