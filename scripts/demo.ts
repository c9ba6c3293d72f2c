// `deno task demo`: the embedded fake API server, real gRPC echo backends on
// 127.0.0.x, and a grpc-js client dialing kubernetes:///echo.demo:grpc while
// the Service scales up, rolls one pod and scales down. Then a client in zone a
// of a Service with topology hints (PreferSameZone): its calls stay in zone a,
// fail over to the other zones while zone a is down, and come back. Prints how
// the calls spread over the pods in each phase; exits 1 if any call failed.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startEchoServer, startLoad } from "./echo_service.mjs";

const NAMESPACE = "demo";
const PHASE_MS = 2500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Backend = Awaited<ReturnType<typeof startEchoServer>>;
interface Pod {
  host: string;
  backend: Backend;
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

const api = await startFakeApiServer({ token: "demo-token" });
const hosts = Array.from({ length: 5 }, (_, i) => `127.0.0.${i + 1}`);
const port = await freePort(hosts);
const pods = new Map<string, Pod>();

function publish(): void {
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "echo",
    name: "echo-7d9f",
    port: { name: "grpc", port },
    endpoints: [...pods].map(([name, pod]) => ({ ip: pod.host, pod: name, ...pod.conditions })),
  }));
}

async function startPod(name: string, host: string): Promise<void> {
  pods.set(name, { host, backend: await startEchoServer(grpc, { name, host, port }), conditions: {} });
  publish();
}

async function deletePod(name: string): Promise<void> {
  const pod = pods.get(name)!;
  pod.conditions = { ready: false, serving: true, terminating: true };
  publish();
  await sleep(300);
  pods.delete(name);
  publish();
  await sleep(300);
  await pod.backend.stop();
}

register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) } });
console.log(`fake API server at ${api.url}; echo pods listen on port ${port}`);
console.log(`dialing kubernetes:///echo.${NAMESPACE}:grpc (kubernetes_round_robin, the default)\n`);

for (let i = 0; i < 3; i++) await startPod(`echo-${i}`, hosts[i]);
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
await phase("scaled to 4", () => startPod("echo-3", hosts[3]));
await phase("rolled echo-0", async () => {
  await startPod("echo-0b", hosts[4]);
  await deletePod("echo-0");
});
await phase("scaled to 3", () => deletePod("echo-3"));
await load.stop();
client.close();

printPhases(phases, load);

// Part 2: topology. Three pods in three zones, hinted as the EndpointSlice controller does for a
// Service with `trafficDistribution: PreferSameZone`, and a client that runs in zone a.
const zones = ["zone-a", "zone-b", "zone-c"];
const zoned = new Map<string, Backend>();
const zoneHosts = Array.from({ length: 3 }, (_, i) => `127.0.0.${i + 11}`);
const zonePort = await freePort(zoneHosts);
const startZonePod = async (i: number) =>
  void zoned.set(
    `zone-${"abc"[i]}-0`,
    await startEchoServer(grpc, { name: `zone-${"abc"[i]}-0`, host: zoneHosts[i], port: zonePort }),
  );
for (let i = 0; i < 3; i++) await startZonePod(i);
const slice = endpointSlice({
  namespace: NAMESPACE,
  service: "zoned",
  name: "zoned-5c8b",
  port: { name: "grpc", port: zonePort },
  endpoints: zones.map((zone, i) => ({ ip: zoneHosts[i], pod: `zone-${"abc"[i]}-0`, zone })),
});
api.applySlice({
  ...slice,
  endpoints: slice.endpoints!.map((endpoint) => ({ ...endpoint, hints: { forZones: [{ name: endpoint.zone! }] } })),
});
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
await zonePhase("zone a back", () => startZonePod(0));
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
