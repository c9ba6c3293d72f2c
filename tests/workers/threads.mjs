// Run by workers_test.ts on Node, Bun and Deno: three worker threads that each call the Service through their own
// watch, then are terminated one by one, as a pool recycles its workers. Prints one JSON line: what the API server saw.
import { Worker } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { startEchoServer } from "../../scripts/echo_service.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(String(reason)));
const api = await startFakeApiServer();
// Port 0, bound at once, as in main_and_workers.mjs: a port probed free may be taken before it is bound.
const pod = await startEchoServer(grpc, { name: "pod-0", host: "127.0.0.1", port: 0 });
api.applySlice(endpointSlice({
  namespace: "workers",
  service: "echo",
  port: { name: "grpc", port: pod.port },
  endpoints: [{ ip: "127.0.0.1", pod: "pod-0" }],
}));
const kubeconfig = api.kubeconfig({ namespace: "workers" });
const start = () => {
  const worker = new Worker(new URL("./echo_thread.mjs", import.meta.url), { workerData: { kubeconfig } });
  const answer = new Promise((resolve) => {
    // A thread that died or hangs posts no answer (on Deno, an error it throws comes as an unhandled rejection):
    // without a bound, the test would wait for one forever.
    const bound = setTimeout(() => resolve("no answer within 30 s"), 30_000);
    const settle = (text) => {
      clearTimeout(bound);
      resolve(text);
    };
    worker.on("message", (message) => message.unhandled ? unhandled.push(message.unhandled) : settle(message.answer));
    worker.on("error", (error) => {
      unhandled.push(`worker error ${error.message}`);
      settle(`worker error ${error.message}`);
    });
  });
  return { worker, answer };
};
/** The open watches, once they are `count` or 2 s have passed. */
const openWatches = async (count) => {
  for (let i = 0; i < 100 && api.openWatches !== count; i++) await sleep(20);
  return api.openWatches;
};
const workers = [start(), start(), start()];
const answers = await Promise.all(workers.map((each) => each.answer));
const seen = { answers, watches: await openWatches(3) };
await workers[0].worker.terminate();
seen.afterOne = await openWatches(2);
const replacement = start();
seen.replacement = await replacement.answer;
seen.withReplacement = await openWatches(3);
await Promise.all([...workers.slice(1), replacement].map((each) => each.worker.terminate()));
seen.afterAll = await openWatches(0);
seen.unhandled = unhandled;
await pod.stop();
await api.close();
console.log(JSON.stringify(seen));
