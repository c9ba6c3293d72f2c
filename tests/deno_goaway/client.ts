// The Deno crash scenario from the core issue, through our resolver: round_robin
// over three backends in separate Node processes; after 1 s one is removed from
// the Service, at 1.4 s it gets SIGTERM and shuts down gracefully (GOAWAY).
// Without the workaround in register() this process died with SIGSEGV/SIGABRT
// in 9 of 10 runs. Exits 0 when every call succeeded and the process ended.
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startLoad } from "../../scripts/echo_service.mjs";
import { childEnv } from "../_child_env.mjs";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hosts = ["127.0.0.61", "127.0.0.62", "127.0.0.63"];
const port = await freePort(hosts);
const backendScript = new URL("../../scripts/echo_backend.mjs", import.meta.url).pathname;
const backends = await Promise.all(hosts.map((host, i) =>
  new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
    const child = spawn("node", [backendScript, `pod-${i}`, host, String(port)], {
      env: childEnv(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout!.once("data", () => resolve(child));
    child.once("error", reject);
  })
));

const api = await startFakeApiServer();
const publish = (pods: number[]) =>
  api.applySlice(endpointSlice({
    namespace: "crash",
    service: "echo",
    port: { name: "grpc", port },
    endpoints: pods.map((i) => ({ ip: hosts[i], pod: `pod-${i}` })),
  }));
publish([0, 1, 2]);
register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: "crash" }) } });

const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new Echo("kubernetes:///echo.crash:grpc", grpc.credentials.createInsecure());
const load = startLoad(echoCaller(client), { intervalMs: 10, maxCalls: 400 });
await sleep(1000);
publish([1, 2]);
await sleep(400);
backends[0].kill("SIGTERM");
await sleep(1100);
await load.stop();
client.close();
for (const backend of backends) backend.kill("SIGKILL");
await api.close();
console.log(`${load.calls} calls, ${load.failures.length} failed`);
Deno.exit(load.failures.length === 0 && load.calls > 100 ? 0 : 1);
