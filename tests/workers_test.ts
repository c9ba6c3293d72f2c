// README, "Worker threads and process clusters": each worker registers and watches on its own, and ending a worker
// ends its watch. Node and Bun import the built package: run `npm run build` first.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { freePort, startEchoServer } from "../scripts/echo_service.mjs";
import { lastJsonLine } from "./_bounded_child.ts";

const root = new URL("../", import.meta.url).pathname;
const threads = new URL("./workers/threads.mjs", import.meta.url).pathname;
const runtimes = {
  Node: ["node"],
  Bun: [`${root}node_modules/.bin/bun`],
  Deno: [Deno.execPath(), "run", "-A"],
};

for (const [runtime, command] of Object.entries(runtimes)) {
  Deno.test(`${runtime} worker threads: one watch each, ended with the worker, and a new one resolves`, async () => {
    const { seen } = await lastJsonLine(runtime, command, threads);
    assert.deepEqual(seen, {
      answers: ["pod-0:hi", "pod-0:hi", "pod-0:hi"],
      watches: 3,
      afterOne: 2,
      replacement: "pod-0:hi",
      withReplacement: 3,
      afterAll: 0,
      unhandled: [],
    });
  });
}

Deno.test("Deno Web Workers: one watch each, ended by terminate()", async () => {
  const api = await startFakeApiServer();
  const port = await freePort(["127.0.0.1"]);
  const pod = await startEchoServer(grpc, { name: "pod-0", host: "127.0.0.1", port });
  const workers: Worker[] = [];
  try {
    api.applySlice(endpointSlice({
      namespace: "workers",
      service: "echo",
      port: { name: "grpc", port },
      endpoints: [{ ip: "127.0.0.1", pod: "pod-0" }],
    }));
    const answers = await Promise.all([0, 1].map(() => {
      const worker = new Worker(new URL("./workers/web_worker.ts", import.meta.url), { type: "module" });
      workers.push(worker);
      return new Promise<string>((resolve) => {
        worker.onmessage = (event: MessageEvent<string>) => resolve(event.data);
        worker.postMessage(api.kubeconfig({ namespace: "workers" }));
      });
    }));
    assert.deepEqual(answers, ["pod-0:hi", "pod-0:hi"]);
    assert.equal(api.openWatches, 2);
    for (const [index, worker] of workers.entries()) {
      worker.terminate();
      const end = Date.now() + 2000;
      while (api.openWatches > workers.length - index - 1 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(api.openWatches, workers.length - index - 1);
    }
  } finally {
    for (const worker of workers) worker.terminate();
    await pod.stop();
    await api.close();
  }
});
