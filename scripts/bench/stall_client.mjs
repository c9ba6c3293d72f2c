// One grpc-js stall client, started by scripts/bench/stall.ts with one JSON
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
import { readFileSync } from "node:fs";
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
let lastCpu = cpuMs();
let lastThread = threadMs();
const heartbeat = setInterval(() => {
  const now = performance.now();
  const cpu = cpuMs();
  const thread = threadMs();
  current.gaps.push(now - last);
  current.gapCpu.push(cpu - lastCpu);
  if (thread && lastThread) current.gapThread.push([thread[0] - lastThread[0], thread[1] - lastThread[1]]);
  current.ends.push(now - current.startedAt);
  last = now;
  lastCpu = cpu;
  lastThread = thread;
}, HEARTBEAT_MS);

/** CPU time of the whole process so far (every thread), in ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The calling thread's (this JavaScript thread's) time on CPU and time waiting for a core so far, in ms, or
 * undefined where Linux's `/proc/thread-self/schedstat` cannot be read. A stall is the loop's own work as far as the
 * thread ran; the process's CPU time also counts the runtime's helper threads (compiler, garbage collector).
 */
function threadMs() {
  try {
    const [run, wait] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ").map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return undefined;
  }
}

function newWindow() {
  return {
    startedAt: performance.now(),
    cpu: cpuMs(),
    gaps: [],
    gapCpu: [],
    gapThread: [],
    ends: [],
    failedAt: undefined,
  };
}

/**
 * Ends a window: the longest stall and the CPU time the process used meanwhile (about the stall or
 * more when the loop was busy; much less when the machine did not run the process), how long this
 * thread ran and waited for a core meanwhile (on Linux), how many heartbeats came more than 50 ms
 * late and their lateness in all, and CPU time against wall time.
 */
function measure(name) {
  const wallMs = performance.now() - current.startedAt;
  const stalls = current.gaps.map((gap) => Math.max(0, gap - HEARTBEAT_MS));
  const late = stalls.filter((stall) => stall > 50);
  const worst = stalls.indexOf(Math.max(0, ...stalls));
  const result = {
    maxStallMs: Math.max(0, ...stalls),
    // When the longest stall ended, in ms from the window's start.
    maxStallEndMs: worst === -1 ? 0 : current.ends[worst],
    maxStallCpuMs: worst === -1 ? 0 : current.gapCpu[worst],
    // What this thread did in that gap: ran (the loop's own work) and waited for a core (Linux only).
    ...(current.gapThread.length === current.gaps.length && worst !== -1
      ? { maxStallRunMs: current.gapThread[worst][0], maxStallWaitMs: current.gapThread[worst][1] }
      : {}),
    stallsOver50: late.length,
    stalledMs: late.reduce((sum, stall) => sum + stall, 0),
    cpuMs: cpuMs() - current.cpu,
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
