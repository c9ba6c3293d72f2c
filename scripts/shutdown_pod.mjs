// A pod's gRPC server for scripts/shutdown_rollout.ts, run in a network namespace:
// `node scripts/shutdown_pod.mjs NAME IP PORT MODE`. Unary /s.S/Echo answers NAME after 5 ms; server-streaming
// /s.S/Watch sends NAME every 100 ms for `count` messages. Prints "ready" once listening. What SIGTERM does is MODE:
//   exit       exits at once (a container without a SIGTERM handler, or one that calls process.exit)
//   try        tryShutdown(): in-flight calls finish, new ones are refused (GOAWAY)
//   prestop    serves on for PRESTOP_MS (3000, a preStop sleep), then tryShutdown()
//   age        like try, and every connection gets a GOAWAY at grpc.max_connection_age_ms (AGE_MS, 1000) with
//              grpc.max_connection_age_grace_ms (AGE_GRACE_MS, 5000)
//   drain      server.drain(port, DRAIN_GRACE_MS (5000)): a GOAWAY to every connection, still listening; then
//              tryShutdown() after PRESTOP_MS
// It exits by itself 30 s after SIGTERM and 300 s after start. On exit after SIGTERM it prints to stderr one JSON
// line: the unary calls begun since SIGTERM, per client and 100 ms step.
import process from "node:process";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";

const [name, ip, port, mode] = process.argv.slice(2);
const env = process.env;
const json = { serialize: (v) => Buffer.from(JSON.stringify(v)), deserialize: (b) => JSON.parse(b.toString()) };
const options = mode === "age"
  ? {
    "grpc.max_connection_age_ms": Number(env.AGE_MS ?? 1000),
    "grpc.max_connection_age_grace_ms": Number(env.AGE_GRACE_MS ?? 5000),
  }
  : {};
const server = new grpc.Server(options);
let terminatedAt;
/** Unary calls begun since SIGTERM, per client (the request's `client`) and 100 ms step after SIGTERM. */
const callsAfterSigterm = {};
server.register(
  "/s.S/Echo",
  (call, callback) => {
    if (terminatedAt !== undefined) {
      const key = `${call.request.client} +${Math.floor((performance.now() - terminatedAt) / 100) * 100}ms`;
      callsAfterSigterm[key] = (callsAfterSigterm[key] ?? 0) + 1;
    }
    setTimeout(() => callback(null, { pod: name, n: call.request.n }), 5);
  },
  json.serialize,
  json.deserialize,
  "unary",
);
server.register(
  "/s.S/Watch",
  (call) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (call.cancelled) return clearInterval(timer);
      call.write({ pod: name, sent: ++sent });
      if (sent >= call.request.count) {
        clearInterval(timer);
        call.end();
      }
    }, 100);
    call.on("cancelled", () => clearInterval(timer));
  },
  json.serialize,
  json.deserialize,
  "serverStream",
);
const address = `${ip}:${port}`;
await new Promise((resolve, reject) =>
  server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => e ? reject(e) : resolve())
);
const stop = () => server.tryShutdown(() => process.exit(0));
const preStopMs = Number(env.PRESTOP_MS ?? 3000);
process.on("exit", () => {
  if (terminatedAt !== undefined) process.stderr.write(`${JSON.stringify({ pod: name, callsAfterSigterm })}\n`);
});
process.on("SIGTERM", () => {
  terminatedAt = performance.now();
  setTimeout(() => process.exit(0), 30_000);
  if (mode === "exit") process.exit(0);
  else if (mode === "prestop") setTimeout(stop, preStopMs);
  else if (mode === "drain") {
    server.drain(address, Number(env.DRAIN_GRACE_MS ?? 5000));
    setTimeout(stop, preStopMs);
  } else stop();
});
setTimeout(() => process.exit(0), 300_000).unref();
process.stdout.write("ready\n");
