// A pod-like echo backend in its own Node process: on SIGTERM it shuts down
// gracefully (tryShutdown sends HTTP/2 GOAWAY to every client) and stays up,
// like a pod in its termination grace period, until it is killed.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { startEchoServer } from "../../scripts/echo_service.mjs";

const [name, host, port] = process.argv.slice(2);
const backend = await startEchoServer(grpc, { name, host, port: Number(port) });
process.on("SIGTERM", () => backend.stop());
process.stdout.write("ready\n");
setTimeout(() => process.exit(0), 60_000).unref?.();
