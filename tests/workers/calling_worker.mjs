// A worker for main_and_workers.mjs, a Web Worker (Bun, Deno) or a worker_threads one (`workerData.threads`): on
// the kubeconfig it is sent, it registers with its own grpc-js and calls the Service every 50 ms until it is
// terminated, posting its first answer and every failure.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

const threads = await import("node:worker_threads");
const parent = threads.workerData?.threads ? threads.parentPort : null;
const post = parent ? (message) => parent.postMessage(message) : (message) => self.postMessage(message);
const start = (kubeconfig) => {
  register({ grpc, cluster: { kubeconfig } });
  const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
  const call = echoCaller(new Echo("kubernetes:///echo.workers:grpc", grpc.credentials.createInsecure()));
  let first = true;
  const loop = async () => {
    try {
      const answer = await call("w");
      if (first) post({ answer });
      first = false;
    } catch (error) {
      post({ failure: error.message });
    }
    setTimeout(loop, 50);
  };
  loop();
};
if (parent) parent.once("message", start);
else self.onmessage = (event) => start(event.data);
