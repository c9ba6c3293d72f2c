// A fake cluster in a process of its own, so that a client's exit time is the
// client's alone: the fake API server and three echo pods on 127.0.0.x
// (Service "echo"), and a Service "multi" whose port cannot be chosen.
// Prints one JSON line ({ kubeconfig, hosts, port }) once ready; reads
// commands from stdin ("pods N": the Service has the first N pods ready) and
// stops when stdin closes. Used by tests/process_exit_test.ts.
import process from "node:process";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { freePort, startEchoServer } from "../../scripts/echo_service.mjs";

const hosts = [0, 1, 2].map((i) => `127.0.0.${90 + i}`);
const port = await freePort(hosts);
const pods = await Promise.all(hosts.map((host, i) => startEchoServer(grpc, { name: `echo-${i}`, host, port })));
const api = await startFakeApiServer({ token: "exit-token" });
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
console.log(JSON.stringify({ kubeconfig: api.kubeconfig({ namespace: "acc" }), hosts, port }));

for await (const line of createInterface({ input: process.stdin })) {
  const [command, count] = line.split(" ");
  if (command === "pods") publish(Number(count));
}
await Promise.all(pods.map((pod) => pod.stop()));
await api.close();
