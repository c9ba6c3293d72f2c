// A pod-like echo backend in its own process: `node scripts/echo_backend.mjs NAME HOST PORT`.
// Prints "ready" once listening. On SIGTERM it shuts down gracefully
// (tryShutdown sends HTTP/2 GOAWAY to every client) and stays up, like a pod
// in its termination grace period, until it is killed; it exits by itself
// after 5 min at most. Each time its event loop did not run for over 500 ms it
// prints a line {"stall":{"from","to","cpuMs"}} (ms since the epoch, and the CPU
// it used meanwhile): calls that miss their deadline on a backend the machine
// did not run are told apart from the product's failures that way.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { startEchoServer } from "./echo_service.mjs";

const [name, host, port] = process.argv.slice(2);
const backend = await startEchoServer(grpc, { name, host, port: Number(port) });
process.on("SIGTERM", () => backend.stop());
process.stdout.write("ready\n");
reportStalls();
// Only a bound for a backend whose test died without killing it: a data path test on a loaded machine kept its
// first pods in service for more than the 60 s this was, and their exit failed the calls in flight (ECONNRESET).
setTimeout(() => process.exit(0), 300_000).unref?.();

/** Prints a line for each stall of the event loop over 500 ms: a tick every 100 ms that comes late. */
function reportStalls() {
  let last = Date.now();
  let cpu = process.cpuUsage();
  setInterval(() => {
    const now = Date.now();
    const used = process.cpuUsage(cpu);
    if (now - last > 600) {
      const stall = { from: last, to: now, cpuMs: Math.round((used.user + used.system) / 1000) };
      process.stdout.write(JSON.stringify({ stall }) + "\n");
    }
    last = now;
    cpu = process.cpuUsage();
  }, 100).unref?.();
}
