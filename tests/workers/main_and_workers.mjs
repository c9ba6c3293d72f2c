// Run by workers_main_channel_test.ts: `main_and_workers.mjs threads|web`. The main thread registers and calls the
// Service, two workers (worker_threads, or Web Workers) call it too, then are terminated one at a time while they
// call. Prints one JSON line: the watches and the API server's established connections at each step, and the
// main thread's answers after.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer } from "../../scripts/echo_service.mjs";

const mode = process.argv[2];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(String(reason)));
const api = await startFakeApiServer();
const apiPort = Number(new URL(api.url).port);
const pods = [];
for (const name of ["pod-0", "pod-1"]) {
  // Port 0: the kernel's pick, bound at once. A port probed free and bound after could be taken in between by the
  // sockets of whatever runs beside (the end-to-end suite runs at the same time).
  const pod = await startEchoServer(grpc, { name, host: "127.0.0.1", port: 0 });
  pods.push(pod);
  api.applySlice(endpointSlice({
    namespace: "workers",
    service: "echo",
    name,
    port: { name: "grpc", port: pod.port },
    endpoints: [{ ip: "127.0.0.1", pod: name }],
  }));
}
const kubeconfig = api.kubeconfig({ namespace: "workers" });
/** Established TCP connections whose local port is the API server's: its side of each client connection (Linux). */
const connections = () => {
  const lines = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) => readFileSync(file, "utf8").split("\n").slice(1));
  return lines.filter((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[3] === "01" && parseInt(fields[1]?.split(":").at(-1) ?? "", 16) === apiPort;
  }).length;
};
/** Polls until `done()` or `ms` have passed; what it returns then. */
const waitFor = async (done, ms) => {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(10);
  return done();
};

register({ grpc, cluster: { kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const main = new Echo("kubernetes:///echo.workers:grpc", grpc.credentials.createInsecure());
const call = echoCaller(main);
await call("m");
await sleep(200);
const alone = connections();
const messages = [[], []];
const start = async (index) => {
  const url = new URL("./calling_worker.mjs", import.meta.url);
  const record = (message) => messages[index].push(message);
  if (mode === "threads") {
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker(url, { workerData: { threads: true } });
    worker.on("message", record).on("error", (error) => record({ failure: `worker error ${error.message}` }));
    worker.postMessage(kubeconfig);
    return worker;
  }
  const worker = new Worker(url.href, { type: "module" });
  worker.onmessage = (event) => record(event.data);
  worker.onerror = (event) => record({ failure: `worker error ${event.message}` });
  worker.postMessage(kubeconfig);
  return worker;
};
const workers = [await start(0), await start(1)];
await waitFor(() => messages.every((list) => list.length > 0), 20_000);
const seen = { watches: api.openWatches, alone };
await sleep(300); // mid-watch, mid-call
await workers[0].terminate();
seen.oneEnded = await waitFor(() => api.openWatches === 2, 2000);
seen.mainBetween = await call("m");
await workers[1].terminate();
seen.bothEnded = await waitFor(() => api.openWatches === 1, 2000);
// Idle connections close on their own timers: none of a terminated worker may stay.
seen.connectionsBack = await waitFor(() => connections() <= alone, 10_000);
const after = [];
for (let i = 0; i < 4; i++) after.push(await call("m").catch((error) => error.message));
seen.mainAfter = [...new Set(after)].sort();
seen.workersAnswered = messages.map((list) => list.some((message) => message.answer));
seen.failures = messages.flat().filter((message) => message.failure);
seen.unhandled = unhandled;
main.close();
for (const pod of pods) await pod.stop();
await api.close();
console.log(JSON.stringify(seen));
