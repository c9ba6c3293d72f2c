// `deno task demo`: the embedded fake API server, real gRPC echo backends on
// 127.0.0.1 (each on a port and in a slice of its own, so that it runs where
// only 127.0.0.1 answers, as on macOS), and a grpc-js client dialing
// kubernetes:///echo.demo:grpc while the Service scales up, rolls one pod and
// scales down. Then a client in zone a of a Service with topology hints
// (PreferSameZone): its calls stay in zone a, fail over to the other zones
// while zone a is down, and come back. Prints how the calls spread over the
// pods in each phase; exits 1 if any call failed.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer, startLoad } from "./echo_service.mjs";

const NAMESPACE = "demo";
const HOST = "127.0.0.1";
const PHASE_MS = 2500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Backend = Awaited<ReturnType<typeof startEchoServer>>;
interface Pod {
  backend: Backend;
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

const api = await startFakeApiServer({ token: "demo-token" });
const pods = new Map<string, Pod>();

/** Writes a pod's slice: the resolver merges a Service's slices, as in a cluster. */
function publish(name: string): void {
  const pod = pods.get(name)!;
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "echo",
    name,
    port: { name: "grpc", port: pod.backend.port },
    endpoints: [{ ip: HOST, pod: name, ...pod.conditions }],
  }));
}

async function startPod(name: string): Promise<void> {
  pods.set(name, { backend: await startEchoServer(grpc, { name, host: HOST, port: 0 }), conditions: {} });
  publish(name);
}

async function deletePod(name: string): Promise<void> {
  const pod = pods.get(name)!;
  pod.conditions = { ready: false, serving: true, terminating: true };
  publish(name);
  await sleep(300);
  pods.delete(name);
  api.deleteSlice(NAMESPACE, name);
  await sleep(300);
  await pod.backend.stop();
}

register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) } });
console.log(`fake API server at ${api.url}; echo pods listen on ${HOST}, each on a port of its own`);
console.log(`dialing kubernetes:///echo.${NAMESPACE}:grpc (kubernetes_round_robin, the default)\n`);

for (let i = 0; i < 3; i++) await startPod(`echo-${i}`);
const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
const client = new Echo(`kubernetes:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
const load = startLoad(echoCaller(client), { intervalMs: 10, maxCalls: 2000 });

const phases: [string, Record<string, number>][] = [];
const phase = async (name: string, action: () => Promise<void>) => {
  await action();
  await sleep(PHASE_MS);
  phases.push([name, load.take()]);
};

await phase("3 pods", async () => {});
await phase("scaled to 4", () => startPod("echo-3"));
await phase("rolled echo-0", async () => {
  await startPod("echo-0b");
  await deletePod("echo-0");
});
await phase("scaled to 3", () => deletePod("echo-3"));
await load.stop();
client.close();

printPhases(phases, load);

// Part 2: topology. Three pods in three zones, hinted as the EndpointSlice controller does for a
// Service with `trafficDistribution: PreferSameZone`, and a client that runs in zone a.
const zoned = new Map<string, Backend>();
/** Starts zone `letter`'s pod, on `port` when it comes back (its slice keeps listing it meanwhile). */
const startZonePod = async (letter: string, port = 0) => {
  const name = `zone-${letter}-0`;
  const backend = await startEchoServer(grpc, { name, host: HOST, port });
  zoned.set(name, backend);
  return backend;
};
for (const letter of "abc") {
  const { port } = await startZonePod(letter);
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "zoned",
    name: `zone-${letter}-0`,
    port: { name: "grpc", port },
    trafficDistribution: "PreferSameZone", // hinted for its zone, as the EndpointSlice controller does
    endpoints: [{ ip: HOST, pod: `zone-${letter}-0`, zone: `zone-${letter}` }],
  }));
}
register({
  grpc,
  scheme: "kubernetes-zone-a",
  locality: { zone: "zone-a" },
  cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) },
});
console.log(`\na client in zone a dialing kubernetes:///zoned.${NAMESPACE}:grpc (kubernetes_round_robin):\n`);
// Zone a's pod returns within a reconnect backoff: keep it short here (grpc-js's default grows to 2 minutes).
const zoneClient = new Echo(`kubernetes-zone-a:///zoned.${NAMESPACE}:grpc`, grpc.credentials.createInsecure(), {
  "grpc.max_reconnect_backoff_ms": 1000,
});
const zoneLoad = startLoad(echoCaller(zoneClient, 1000), { intervalMs: 10, maxCalls: 2000 });
const zonePhases: [string, Record<string, number>][] = [];
const zonePhase = async (name: string, action: () => Promise<void>) => {
  await action();
  await sleep(PHASE_MS);
  zonePhases.push([name, zoneLoad.take()]);
};
await zonePhase("zone a up", async () => {});
await zonePhase("zone a down", () => zoned.get("zone-a-0")!.stop());
await zonePhase("zone a back", async () => void await startZonePod("a", zoned.get("zone-a-0")!.port));
await zoneLoad.stop();
zoneClient.close();
printPhases(zonePhases, zoneLoad);

await Promise.all([...pods.values()].map((pod) => pod.backend.stop()));
await Promise.all([...zoned.values()].map((backend) => backend.stop()));
await api.close();
Deno.exit(load.failures.length + zoneLoad.failures.length === 0 ? 0 : 1);

/** Prints calls per pod per phase, and the failures. */
function printPhases(phases: [string, Record<string, number>][], load: ReturnType<typeof startLoad>): void {
  const names = [...new Set(phases.flatMap(([, counts]) => Object.keys(counts)))].sort();
  const width = Math.max(...phases.map(([name]) => name.length));
  const column = Math.max(8, ...names.map((name) => name.length));
  console.log(["phase".padEnd(width), ...names.map((name) => name.padStart(column))].join("  "));
  for (const [name, counts] of phases) {
    console.log([name.padEnd(width), ...names.map((pod) => String(counts[pod] ?? "-").padStart(column))].join("  "));
  }
  console.log(`\n${load.calls} calls, ${load.failures.length} failed`);
  for (const failure of load.failures.slice(0, 5)) console.log(`  ${failure}`);
}
