// A Deno Web Worker that calls the echo Service of the fake API server through grpc-js (the kubeconfig comes in the
// first message) and posts back the answer or the error; started by worker_child.ts with some permissions left out.
import * as grpc from "@grpc/grpc-js";
import { register } from "../../mod.ts";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

const scope = self as unknown as { onmessage: (event: MessageEvent) => void; postMessage(line: string): void };
scope.onmessage = async (event: MessageEvent) => {
  register({ grpc, cluster: { kubeconfig: event.data } });
  const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
  const client = new Echo("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
  try {
    scope.postMessage(`answered ${await echoCaller(client, 3000)("hi")}`);
  } catch (error) {
    scope.postMessage(`failed ${(error as Error).message}`);
  } finally {
    client.close();
  }
};
