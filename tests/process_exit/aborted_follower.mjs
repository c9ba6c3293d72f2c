// Reads the first snapshot of a Service with watchEndpoints(), then aborts the
// signal without asking for another one, as a script that wants the current
// endpoints once writes it; run on Deno, Bun or Node by
// tests/process_exit_test.ts with cluster.mjs's JSON line in CLUSTER. Prints
// "aborted <epoch ms>"; nothing should keep the process alive after that.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const { kubeconfig } = JSON.parse(process.env.CLUSTER);
const controller = new AbortController();
const snapshots = watchEndpoints("kubernetes:///echo.acc:grpc", { cluster: { kubeconfig }, signal: controller.signal });
const { value } = await snapshots.next();
console.log(`snapshot ${value.endpoints.length}`);
controller.abort();
console.log(`aborted ${Date.now()}`);
