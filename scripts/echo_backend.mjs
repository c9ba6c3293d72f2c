// A pod-like echo backend in its own process: `node scripts/echo_backend.mjs NAME HOST PORT`.
// Prints "ready" once listening. On SIGTERM it shuts down gracefully
// (tryShutdown sends HTTP/2 GOAWAY to every client) and stays up, like a pod
// in its termination grace period, until it is killed; it exits by itself
// after 5 min at most.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { startEchoServer } from "./echo_service.mjs";

const [name, host, port] = process.argv.slice(2);
const backend = await startEchoServer(grpc, { name, host, port: Number(port) });
process.on("SIGTERM", () => backend.stop());
process.stdout.write("ready\n");
// Only a bound for a backend whose test died without killing it: a data path test on a loaded machine kept its
// first pods in service for more than the 60 s this was, and their exit failed the calls in flight (ECONNRESET).
setTimeout(() => process.exit(0), 300_000).unref?.();
