// A Deno Web Worker that does what echo_thread.mjs does, for workers_test.ts: register(), dial, call once, post the
// answer, and keep its channel open until it is terminated.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

const scope = self as unknown as { onmessage: (event: MessageEvent) => void; postMessage(answer: string): void };
scope.onmessage = async (event: MessageEvent) => {
  register({ grpc, cluster: { kubeconfig: event.data } });
  const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
  const client = new Echo("kubernetes:///echo.workers:grpc", grpc.credentials.createInsecure());
  try {
    scope.postMessage(await echoCaller(client)("hi"));
  } catch (error) {
    scope.postMessage(`failed ${(error as Error).message}`);
  }
};
