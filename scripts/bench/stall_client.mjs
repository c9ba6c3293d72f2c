// One grpc-js stall client, started by scripts/bench/burst.ts with one JSON
// argument; runs on Deno, Bun and Node. It dials kubernetes:///<service>
// through our resolver (the fake API server lives in the parent process, so
// that the server's own work never lands in this process's heartbeat) and
// measures how long the event loop stops: the longest gap of a 20 ms
// setInterval heartbeat, minus 20 ms. monitorEventLoopDelay under-reports
// such stalls, and is not on every runtime.
//
// The endpoints are loopback addresses where nothing listens (the parent
// checks the port), so every connection is refused at once: grpc-js creates
// a subchannel per address, fails, and reconnects with backoff.
//
// Output, one line each:
//   go                                  the first-resolution window ended; the parent writes the burst now
//   window <name> <json>                what one window measured (see `measure`)
// It exits after the burst window, or when its stdin closes.
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";

const config = JSON.parse(process.argv[2]);
const { server, namespace, service, policy, subsetSize, firstWindowMs, burstWindowMs } = config;
const HEARTBEAT_MS = 20;
const write = (line) => process.stdout.write(line + "\n");
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

register({ grpc, cluster: { server }, loadBalancing: policy, ...(subsetSize ? { subsetSize } : {}) });

let current = newWindow();
let last = performance.now();
const heartbeat = setInterval(() => {
  const now = performance.now();
  current.gaps.push(now - last);
  current.ends.push(now - current.startedAt);
  last = now;
}, HEARTBEAT_MS);

function newWindow() {
  return { startedAt: performance.now(), cpu: process.cpuUsage(), gaps: [], ends: [], failedAt: undefined };
}

/**
 * Ends a window: the longest stall, how many heartbeats came more than 50 ms late, how long
 * the loop was stopped in all (late time beyond 50 ms), and CPU time against wall time.
 */
function measure(name) {
  const wallMs = performance.now() - current.startedAt;
  const cpu = process.cpuUsage(current.cpu);
  const stalls = current.gaps.map((gap) => Math.max(0, gap - HEARTBEAT_MS));
  const late = stalls.filter((stall) => stall > 50);
  const worst = stalls.indexOf(Math.max(0, ...stalls));
  const result = {
    maxStallMs: Math.max(0, ...stalls),
    // When the longest stall ended, in ms from the window's start.
    maxStallEndMs: worst === -1 ? 0 : current.ends[worst],
    stallsOver50: late.length,
    stalledMs: late.reduce((sum, stall) => sum + stall, 0),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    ...(current.failedAt === undefined ? {} : { transientFailureMs: current.failedAt - current.startedAt }),
  };
  write(`window ${name} ${JSON.stringify(result)}`);
  current = newWindow();
}

const client = new grpc.Client(`kubernetes:///${service}.${namespace}:grpc`, grpc.credentials.createInsecure());
const channel = client.getChannel();
/** Notes when the channel first reports TRANSIENT_FAILURE: every endpoint was tried and refused. */
const watchState = (state) => {
  if (state === grpc.connectivityState.TRANSIENT_FAILURE) {
    current.failedAt ??= performance.now();
    return;
  }
  channel.watchConnectivityState(state, Date.now() + 60_000, () => watchState(channel.getConnectivityState(false)));
};
watchState(channel.getConnectivityState(true));

await new Promise((resolve) => setTimeout(resolve, firstWindowMs));
measure("first");
write("go");
await new Promise((resolve) => setTimeout(resolve, burstWindowMs));
measure("burst");
clearInterval(heartbeat);
client.close();
process.exit(0);
