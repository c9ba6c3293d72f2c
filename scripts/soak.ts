// Long run: 10,000 watch restarts and 100,000 events in one process against
// the embedded fake API server, through the public watchEndpoints(), then a
// check that resident memory, open sockets and active timers/handles return
// to their baseline (resident memory: stops growing once the allocator has
// reached its high-water mark in the first half). A script, not a unit test:
//
//   ./node_modules/.bin/deno run -A scripts/soak.ts [restarts] [events]
//
// Exits 1 when something did not return to its baseline.
import process from "node:process";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { watchEndpoints } from "@kgr/resolver";
import { openSockets } from "./open_sockets.mjs";

const RESTARTS = Number(Deno.args[0] ?? 10_000);
const EVENTS = Number(Deno.args[1] ?? 100_000);
const LIMIT_MS = 10 * 60_000;

interface Sample {
  rssMiB: number;
  heapMiB: number;
  sockets: number;
  handles: string;
}

function handles(): string {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].sort().map(([name, count]) => `${name}=${count}`).join(" ") || "none";
}

async function sample(): Promise<Sample> {
  // Let closes and timers settle, then collect garbage when the runtime allows (--v8-flags=--expose-gc).
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  (globalThis as { gc?: () => void }).gc?.();
  const memory = Deno.memoryUsage();
  return {
    rssMiB: Math.round(memory.rss / 2 ** 20 * 10) / 10,
    heapMiB: Math.round(memory.heapUsed / 2 ** 20 * 10) / 10,
    sockets: openSockets(),
    handles: handles(),
  };
}

function print(label: string, value: Sample): void {
  console.log(
    `${
      label.padEnd(10)
    } rss ${value.rssMiB} MiB, heap ${value.heapMiB} MiB, sockets ${value.sockets}, handles ${value.handles}`,
  );
}

const started = Date.now();
const deadline = AbortSignal.timeout(LIMIT_MS);

/** One round: a fresh server and watch, `restarts` restarts and `events` events, then everything stopped. */
async function round(restarts: number, events: number, report: boolean) {
  const api = await startFakeApiServer({ bookmarkIntervalMs: 1000 });
  const slice = (generation: number) =>
    endpointSlice({
      namespace: "soak",
      service: "echo",
      name: `echo-${generation % 4}`,
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: `10.1.${generation % 4}.${generation % 200 + 1}`, pod: `echo-${generation % 4}` }],
    });
  for (let i = 0; i < 4; i++) api.applySlice(slice(i));
  const controller = new AbortController();
  const stop = () => controller.abort();
  deadline.addEventListener("abort", stop);
  let snapshots = 0;
  let errors = 0;
  let lastVersion = "";
  const watching = (async () => {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.soak:grpc", {
        cluster: { kubeconfig: api.kubeconfig() },
        signal: controller.signal,
        backoff: { initialMs: 1, maxMs: 4 },
        onError: () => errors++,
      })
    ) {
      snapshots++;
      lastVersion = snapshot.resourceVersion;
    }
  })();
  const waitFor = async (condition: () => boolean, what: string) => {
    const end = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > end || deadline.aborted) throw new Error(`Soak stuck waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await waitFor(() => api.openWatches === 1, "the first watch");
  const eventsPerRestart = Math.ceil(events / Math.max(restarts, 1));
  let sent = 0;
  let generation = 4;
  for (let restart = 0; restart < restarts; restart++) {
    for (let i = 0; i < eventsPerRestart && sent < events; i++, sent++) api.applySlice(slice(generation++));
    // Mostly abrupt drops (a network failure, then backoff), every 10th a compaction (410, relist).
    if (restart % 10 === 9) api.compact();
    api.dropWatches();
    await waitFor(() => api.openWatches === 1, `watch ${restart + 2}`);
    if (report && restart % 1000 === 999) {
      console.log(`  ${restart + 1} restarts, ${sent} events, ${snapshots} snapshots, ${Date.now() - started} ms`);
    }
  }
  for (; sent < events; sent++) api.applySlice(slice(generation++));
  // Read now: the fake's resourceVersion moves on by itself after a quiet bookmark interval.
  const lastWrite = api.resourceVersion;
  await waitFor(() => lastVersion === lastWrite, "the last event to arrive");
  controller.abort();
  await watching;
  deadline.removeEventListener("abort", stop);
  const requests = api.requests;
  await api.close();
  return {
    watches: requests.filter((request) => request.kind === "watch").length,
    lists: requests.filter((request) => request.kind === "list").length,
    snapshots,
    errors,
    sent,
  };
}

// A short warm-up round loads every module and JIT-compiles the hot paths, so the baseline is fair.
await round(50, 500, false);
const baseline = await sample();
print("baseline", baseline);
// Two halves: the first sets the allocator's high-water mark (V8 and malloc keep freed pages for reuse, so resident
// memory does not fall back at once); a leak shows as growth in the second half.
const first = await round(RESTARTS / 2, EVENTS / 2, true);
const middle = await sample();
print("half-way", middle);
const second = await round(RESTARTS / 2, EVENTS / 2, true);
const elapsed = Date.now() - started;
const total = {
  watches: first.watches + second.watches,
  lists: first.lists + second.lists,
  sent: first.sent + second.sent,
  snapshots: first.snapshots + second.snapshots,
  errors: first.errors + second.errors,
};
console.log(
  `ran ${total.watches} watches (${RESTARTS} restarts) and ${total.lists} lists, ${total.sent} events, ` +
    `${total.snapshots} snapshots, ${total.errors} errors reported, in ${elapsed} ms`,
);
const after = await sample();
print("after", after);

const problems: string[] = [];
if (total.watches < RESTARTS) problems.push(`only ${total.watches} watches for ${RESTARTS} restarts`);
if (after.sockets > baseline.sockets) problems.push(`sockets ${baseline.sockets} -> ${after.sockets}`);
if (after.handles !== baseline.handles) problems.push(`handles "${baseline.handles}" -> "${after.handles}"`);
if (after.heapMiB > baseline.heapMiB + 16) problems.push(`heap ${baseline.heapMiB} -> ${after.heapMiB} MiB`);
if (after.rssMiB > middle.rssMiB + 32) {
  problems.push(`rss grew in the second half: ${middle.rssMiB} -> ${after.rssMiB} MiB`);
}
if (problems.length > 0) {
  console.log(`NOT back to baseline: ${problems.join("; ")}`);
  Deno.exit(1);
}
console.log("back to baseline (resident memory: no growth after the first half)");
