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
/**
 * The API server's end of each established client connection (Linux), by socket inode: the sockets whose local
 * address and port are the API server's. The port alone also matched a socket of another process bound to the same
 * port on another address (127.0.0.2, ::1), which the machine's other tests may hold at any moment.
 */
const apiConnections = () => {
  const apiEnd = `0100007F:${apiPort.toString(16).toUpperCase().padStart(4, "0")}`; // 127.0.0.1, as /proc writes it
  const rows = readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1).map((line) => line.trim().split(/\s+/));
  // Columns: 1 the local address, 3 the state ("01" established), 9 the inode.
  return new Set(rows.filter((row) => row[1] === apiEnd && row[3] === "01").map((row) => row[9]));
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
// The main thread's own connections: its watch's, and its GET of the Service's while pooled (4 s after it answered).
const mainOwn = apiConnections();
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
const seen = { watches: api.openWatches, alone: mainOwn.size };
await sleep(300); // mid-watch, mid-call
await workers[0].terminate();
seen.oneEnded = await waitFor(() => api.openWatches === 2, 2000);
seen.mainBetween = await call("m");
await workers[1].terminate();
seen.bothEnded = await waitFor(() => api.openWatches === 1, 2000);
// None of a terminated worker's connections may stay: every one open is one the main thread had before the workers.
// Compared by count, the main thread's pooled GET connection, which closes 4 s after its answer, made room for one
// of a worker's that stayed.
const workersLeft = () => [...apiConnections()].filter((inode) => !mainOwn.has(inode));
seen.connectionsBack = await waitFor(() => workersLeft().length === 0, 10_000);
if (!seen.connectionsBack) {
  console.error(
    `Connections to the API server 10 s after both workers ended that the main thread did not have before: ` +
      `${workersLeft().length} (the main thread's: ${mainOwn.size}); the API server's requests: ` +
      JSON.stringify(api.requests.map(({ kind, path, at }) => ({ kind, path, at }))),
  );
}
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
