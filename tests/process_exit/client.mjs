// A grpc-js client as users write it, run on Deno, Bun or Node by
// tests/process_exit_test.ts: `client.mjs close|keep LOAD_MS`, with
// cluster.mjs's JSON line in the CLUSTER environment variable. Two channels
// to kubernetes:///echo.acc:grpc make calls for LOAD_MS and wait for them;
// then, with "close", the script closes both channels. Either way it prints
// "done <epoch ms>" and leaves nothing else behind: the process must end by
// itself.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService, startLoad } from "../../scripts/echo_service.mjs";

const [mode, loadMs] = process.argv.slice(2);
register({ grpc, cluster: { kubeconfig: JSON.parse(process.env.CLUSTER).kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const clients = [0, 1].map(() => new Echo("kubernetes:///echo.acc:grpc", grpc.credentials.createInsecure()));
const loads = clients.map((client) => startLoad(echoCaller(client), { intervalMs: 10, maxCalls: Number(loadMs) / 10 }));
await new Promise((resolve) => setTimeout(resolve, Number(loadMs)));
await Promise.all(loads.map((load) => load.stop()));
const failures = loads.flatMap((load) => load.failures);
if (failures.length > 0) throw new Error(`${failures.length} calls failed, the first with ${failures[0]}`);
// A long-running process collects garbage by now; make it happen here, so that
// whatever only survives until a collection is gone before the channels close.
globalThis.gc?.();
globalThis.Bun?.gc(true);
if (mode === "close") { for (const client of clients) client.close(); }
console.log(`done ${Date.now()}`);
