// A worker thread (node:worker_threads) that does what a user's pool worker does: register() with its own grpc-js,
// dial the Service, call it once, post the answer, and keep its channel open until it is terminated.
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

// As a pool's worker waits for tasks: without a listener, the thread would end once its call has (the watch does not
// hold it, as a dns: target does not), and its watch with it.
parentPort.on("message", () => {});
process.on("unhandledRejection", (reason) => parentPort.postMessage({ unhandled: String(reason) }));
register({ grpc, cluster: { kubeconfig: workerData.kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new Echo("kubernetes:///echo.workers:grpc", grpc.credentials.createInsecure());
try {
  parentPort.postMessage({ answer: await echoCaller(client)("hi") });
} catch (error) {
  parentPort.postMessage({ answer: `failed ${error.message}` });
}
