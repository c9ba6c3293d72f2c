// How long a Node client's event loop stops when a channel with thousands of
// endpoints lets go of its load-balancing policy: at `channel.close()`, when
// the channel goes idle (`grpc.client_idle_timeout_ms`), and when it leaves
// idle again, with our `kubernetes_round_robin` and at close with grpc-js's
// `round_robin`. Needs `npm run build` first.
//
//   node scripts/bench/teardown_stall.mjs [runs=5] [endpoints=5000]
//
// The fake API server runs in a child process of its own and each
// measurement in a fresh client process, so that neither the server's work
// nor an earlier run's garbage lands in the heartbeat. The endpoints are
// loopback addresses on port 1, where nothing listens (checked first): every
// connection is refused at once. A long reconnect backoff keeps the refused
// subchannels quiet, so the windows see the teardown alone. Each line gives
// the longest stall of a window (the heartbeat's gap minus its period) and
// the CPU time the process used during it (much less than the stall when the
// machine did not run the process).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { childEnv } from "../../tests/_child_env.mjs";

const PORT = 1;
const HEARTBEAT_MS = 20;
const NAMESPACE = "bench";
const SERVICE = "teardown";
/** The longest wait for the first resolution and every refused connection; the idle timeout is longer. */
const SETTLE_MS = 12_000;
const IDLE_TIMEOUT_MS = 15_000;
/** How long after an event its window lasts (the policy may destroy children over later turns). */
const WINDOW_MS = 1500;
/**
 * A window after that one long enough for grpc-js's subchannel pool to sweep once (every 10 s): it releases at once
 * every subchannel that only the pool still holds.
 */
const SWEEP_WINDOW_MS = 10_500;

const [mode = "main", arg] = process.argv.slice(2);
if (mode === "server") await serve(Number(arg));
else if (mode === "client") await client(JSON.parse(arg));
else await main(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 5000));

/** Throws when anything listens on the port in this network namespace: the clients must meet refused connections. */
function checkPortIsClosed() {
  const hex = PORT.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "0A" && local?.endsWith(`:${hex}`)) {
        throw new Error(`Cannot run: a socket listens on port ${PORT} (${table}): stop that listener`);
      }
    }
  }
}

/** Serves `endpoints` loopback endpoints in slices of 100 and prints the server's URL. */
async function serve(endpoints) {
  const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
  const api = await startFakeApiServer();
  for (let s = 0; s < endpoints / 100; s++) {
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: SERVICE,
      name: `${SERVICE}-${s}`,
      port: { name: "grpc", port: PORT },
      endpoints: Array.from(
        { length: 100 },
        (_, e) => ({ ip: `127.${10 + s}.0.${e + 1}`, pod: `p-${s}-${e}`, ready: true }),
      ),
    }));
  }
  process.stdout.write(api.url + "\n");
  process.stdin.on("end", () => api.close().then(() => process.exit(0)));
  process.stdin.resume();
}

/** Runs one client; resolves with its output and how long it took to exit after its last output. */
function runChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
      env: childEnv(),
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    let lastOutputAt = performance.now();
    child.stdout.on("data", (chunk) => {
      out += chunk;
      lastOutputAt = performance.now();
    });
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`client exited with ${code}: ${out}`));
      resolve({ out, exitMs: performance.now() - lastOutputAt });
    });
  });
}

async function main(runs, endpoints) {
  checkPortIsClosed();
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), "server", String(endpoints)], {
    env: childEnv(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await new Promise((resolve) => server.stdout.once("data", (chunk) => resolve(String(chunk).trim())));
  const scenarios = [
    { policy: "kubernetes_round_robin", mode: "close" },
    { policy: "round_robin", mode: "close" },
    { policy: "kubernetes_round_robin", mode: "idle" },
    { policy: "kubernetes_round_robin", mode: "exit" },
  ];
  const results = {};
  try {
    for (let run = 0; run < runs; run++) {
      for (const scenario of scenarios) {
        const { out, exitMs } = await runChild(["client", JSON.stringify({ server: url, ...scenario })]);
        const measured = JSON.parse(out.trim().split("\n").at(-1));
        if (scenario.mode === "exit") measured.exitAfterCloseMs = exitMs;
        for (const [name, value] of Object.entries(measured)) {
          const key = `${scenario.policy} ${scenario.mode} ${name}`;
          (results[key] ??= []).push(value);
        }
        console.error(`run ${run + 1} ${scenario.policy} ${scenario.mode}: ${JSON.stringify(measured)}`);
      }
    }
  } finally {
    server.stdin.end();
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`${endpoints} endpoints, ${runs} runs, median (runs) in ms:`);
  for (const [key, values] of Object.entries(results)) {
    console.log(`  ${key}: ${median(values).toFixed(1)} (${values.map((v) => v.toFixed(1)).join(", ")})`);
  }
}

/**
 * One measurement. `close`: the stall at `channel.close()` and after it; `idle`: at the idle timeout, after it, and
 * when the channel leaves idle; `exit`: `close()`, then nothing keeps the process alive but what the channel left.
 */
async function client({ server, policy, mode }) {
  const grpc = await import("@grpc/grpc-js");
  const { register } = await import("@kgr/resolver");
  const gaps = [];
  const cpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  let last = performance.now();
  let lastCpu = cpuMs();
  /** Called on every heartbeat, before the gap is recorded. */
  let onBeat = () => {};
  const heartbeat = setInterval(() => {
    const now = performance.now();
    const cpu = cpuMs();
    gaps.push({ end: now, stall: now - last - HEARTBEAT_MS, cpu: cpu - lastCpu });
    last = now;
    lastCpu = cpu;
    onBeat(now);
  }, HEARTBEAT_MS);
  /** The longest stall of the gaps that ended in [from, to], and the CPU time the process used meanwhile. */
  const maxStall = (from, to) =>
    gaps.filter(({ end }) => end >= from && end <= to).reduce(
      (worst, gap) => gap.stall > worst.stall ? gap : worst,
      { stall: 0, cpu: 0 },
    );
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  register({ grpc, cluster: { server }, loadBalancing: policy });
  const channel = new grpc.Channel(`kubernetes:///${SERVICE}.${NAMESPACE}:grpc`, grpc.credentials.createInsecure(), {
    "grpc.initial_reconnect_backoff_ms": 60_000,
    "grpc.max_reconnect_backoff_ms": 60_000,
    ...(mode === "idle" ? { "grpc.client_idle_timeout_ms": IDLE_TIMEOUT_MS } : {}),
  });
  const { TRANSIENT_FAILURE, IDLE } = grpc.connectivityState;
  const settle = async () => {
    const started = performance.now();
    while (channel.getConnectivityState(false) !== TRANSIENT_FAILURE) {
      if (performance.now() - started > SETTLE_MS) {
        throw new Error(`Cannot measure: no TRANSIENT_FAILURE in ${SETTLE_MS} ms`);
      }
      await sleep(100);
    }
    await sleep(1000);
  };
  const result = {};
  const record = (name, { stall, cpu }) => {
    result[`${name}Ms`] = stall;
    result[`${name}CpuMs`] = cpu;
  };
  channel.getConnectivityState(true);
  await settle();
  record("quiet", maxStall(performance.now() - 1000, performance.now()));
  if (mode === "exit") {
    channel.close();
    clearInterval(heartbeat);
    // The parent times how long the process lives on after this line.
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  if (mode === "close") {
    await sleep(HEARTBEAT_MS / 2);
    const start = performance.now();
    const startCpu = cpuMs();
    channel.close();
    result.closeCallMs = performance.now() - start;
    result.closeCallCpuMs = cpuMs() - startCpu;
    await sleep(WINDOW_MS + SWEEP_WINDOW_MS);
    record("closeStall", maxStall(start, start + WINDOW_MS));
    record("afterCloseStall", maxStall(start + WINDOW_MS, performance.now()));
  } else {
    // The heartbeat that first sees IDLE ends the gap the idle teardown fell in.
    const idleAt = await new Promise((resolve) => {
      onBeat = (now) => {
        if (channel.getConnectivityState(false) === IDLE) resolve(now);
      };
    });
    onBeat = () => {};
    await sleep(WINDOW_MS + SWEEP_WINDOW_MS);
    record("idleStall", maxStall(idleAt - 1, idleAt + WINDOW_MS));
    record("afterIdleStall", maxStall(idleAt + WINDOW_MS, performance.now()));
    const start = performance.now();
    channel.getConnectivityState(true);
    await settle();
    record("reExitStall", maxStall(start, performance.now()));
    channel.close();
  }
  clearInterval(heartbeat);
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
