// A service's client as users ship it: bundled into one file (grpc-js, nice-grpc and this package included) by
// tests/bundle_test.ts, then run on Node away from any node_modules. It starts the fake API server and a real echo
// backend on 127.0.0.2, makes one call through a grpc-js client and one through a nice-grpc channel, prints
// "grpc-js <answer>" and "nice-grpc <answer>", and exits. scripts/pack_check.sh bundles it where nice-grpc has a copy
// of grpc-js of its own, which a bundle cannot share: there createChannel() must throw, saying what to do.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "nice-grpc";
import { register } from "@kgr/resolver";
import { createChannel } from "@kgr/resolver/nice-grpc";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { EchoService, startEchoServer } from "../../scripts/echo_service.mjs";

async function main() {
  const backend = await startEchoServer(grpc, { name: "echo-0", host: "127.0.0.2", port: 0 });
  const api = await startFakeApiServer({ token: "bundle" });
  try {
    api.applySlice(endpointSlice({
      namespace: "demo",
      service: "echo",
      port: { name: "grpc", port: backend.port },
      endpoints: [{ ip: "127.0.0.2", pod: "echo-0" }],
    }));
    const cluster = { kubeconfig: api.kubeconfig({ namespace: "demo" }) };
    register({ grpc, cluster });
    const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
    const client = new Echo("kubernetes:///echo.demo:grpc", grpc.credentials.createInsecure());
    const answer = await new Promise((resolve, reject) =>
      client.echo(
        { message: "hi" },
        { deadline: Date.now() + 5000 },
        (error, reply) => error ? reject(error) : resolve(reply),
      )
    );
    client.close();
    console.log(`grpc-js ${answer.message}`);
    const channel = createChannel("kubernetes:///echo.demo:grpc", undefined, { resolver: { cluster } });
    const nice = createClient(EchoService, channel);
    console.log(`nice-grpc ${(await nice.echo({ message: "hi" }, { signal: AbortSignal.timeout(5000) })).message}`);
    channel.close();
  } finally {
    await backend.stop();
    await api.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
