// A grpc-js client of Service "multi" (cluster.mjs), dialed without a port:
// the resolver cannot read the Service for its first port, so the one call
// fails with UNAVAILABLE and the resolver keeps retrying the read. The script
// never closes its channel and prints "done <epoch ms>" after the call; it
// must exit by itself, as with a dns: target. Run by tests/process_exit_test.ts.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { echoCaller, EchoService } from "../../scripts/echo_service.mjs";

register({ grpc, cluster: { kubeconfig: JSON.parse(process.env.CLUSTER).kubeconfig } });
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new Echo("kubernetes:///multi.acc", grpc.credentials.createInsecure());
const error = await echoCaller(client)("hi").then(() => undefined, (error) => error);
if (error?.code !== grpc.status.UNAVAILABLE) throw new Error(`Expected UNAVAILABLE, got ${error ?? "an answer"}`);
console.log(`done ${Date.now()}`);
