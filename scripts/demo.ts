// `deno task demo`: the embedded fake API server, real gRPC echo backends on
// 127.0.0.1 (each on a port and in a slice of its own, so that it runs where
// only 127.0.0.1 answers, as on macOS), and a grpc-js client dialing
// kubernetes:///echo.demo:grpc while the Service scales up, rolls one pod and
// scales down. Then a client in zone zone-a of a Service with topology hints
// (PreferSameZone): its calls stay in zone-a, fail over to the other zones
// while zone-a is down, and come back. Prints how the calls spread over the
// pods in each phase; exits 1 if any call failed.
//
// It writes a kubeconfig for the fake API server and prints how to point kubectl and kgr-resolver at it. With
// `--serve` (`npm run demo -- --serve`) it waits for Enter before the phases, so that a watch started in another
// terminal sees them, and keeps serving after them until Ctrl-C (or SIGTERM, or its terminal closing).
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer, startLoad } from "./echo_service.mjs";

const NAMESPACE = "demo";
const HOST = "127.0.0.1";
const PHASE_MS = 2500;
/** The zone of the second part's client: its pods' zones are zone-a, zone-b and zone-c. */
const CLIENT_ZONE = "zone-a";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Backend = Awaited<ReturnType<typeof startEchoServer>>;
interface Pod {
  backend: Backend;
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

const SERVE = Deno.args.includes("--serve");
const unknownArgs = Deno.args.filter((arg) => arg !== "--serve");
if (unknownArgs.length > 0) {
  console.error(`Cannot run the demo with ${JSON.stringify(unknownArgs[0])}: its only option is --serve`);
  Deno.exit(2);
}

// No token: kubectl sends no credentials to an http:// server, and the fake refuses anonymous
// requests when it has a token (kubectl said only "Error from server (Forbidden): unknown").
const api = await startFakeApiServer();
const pods = new Map<string, Pod>();
const kubeconfigDir = await Deno.makeTempDir({ prefix: "kgr-demo-" });
const kubeconfigFile = join(kubeconfigDir, "kubeconfig");
await Deno.writeTextFile(kubeconfigFile, JSON.stringify(api.kubeconfig({ namespace: NAMESPACE }), null, 2));
/** The demo's exit code once its phases are done; until then Ctrl-C exits 130 (SIGHUP 129, SIGTERM 143). */
const outcome: { exitCode?: number } = {};
// At once, synchronously: on Ctrl-C, `deno task` (under `npm run`) ends this process soon after the signal.
// SIGHUP when its terminal closes, as a demo that serves until Ctrl-C may well be left to end.
for (const [signal, code] of [["SIGINT", 130], ["SIGHUP", 129], ["SIGTERM", 143]] as const) {
  Deno.addSignalListener(signal, () => endDemo(code));
}

/** Removes the kubeconfig and ends the demo: with its outcome once the phases are done, else with `code`. */
function endDemo(code: number): never {
  Deno.removeSync(kubeconfigDir, { recursive: true });
  Deno.exit(outcome.exitCode ?? code);
}

/** Creates a Service, as `kubectl get svc` and `kgr-resolver check` expect to find one; returns its uid. */
function createService(name: string, selector: string): string {
  return api.applyService({
    metadata: { namespace: NAMESPACE, name },
    spec: { ports: [{ name: "grpc", port: 50051 }], selector: { app: selector } },
  }).metadata.uid;
}
const echoUid = createService("echo", "echo");

/** Writes a pod's slice: the resolver merges a Service's slices, as in a cluster. */
function publish(name: string): void {
  const pod = pods.get(name)!;
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "echo",
    serviceUid: echoUid,
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
// Bare commands, no comments after them: zsh (macOS's shell) reads `#` as a word unless interactive_comments is set.
console.log(
  `watch it from another terminal in this folder${
    SERVE ? "" : " (it runs about 20 s: npm run demo -- --serve waits)"
  }:\nkubectl (in namespace ${NAMESPACE}, the kubeconfig's) and kgr-resolver (the pods the resolver uses)\n` +
    `  export KUBECONFIG=${kubeconfigFile}\n` +
    `  kubectl get endpointslices -w\n` +
    `  npx deno task cli kubernetes:///echo.${NAMESPACE}:grpc\n` +
    `and, for the zoned Service that follows the echo phases, kgr-resolver as a client in zone ${CLIENT_ZONE}\n` +
    `  npx deno task cli --zone ${CLIENT_ZONE} kubernetes:///zoned.${NAMESPACE}:grpc\n`,
);
for (let i = 0; i < 3; i++) await startPod(`echo-${i}`);
if (SERVE) await waitForEnter();
console.log(`dialing kubernetes:///echo.${NAMESPACE}:grpc (kubernetes_round_robin, the default)\n`);
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
// Service with `trafficDistribution: PreferSameZone`, and a client that runs in zone zone-a.
const zoned = new Map<string, Backend>();
/** Starts zone `letter`'s pod, on `port` when it comes back (its slice keeps listing it meanwhile). */
const startZonePod = async (letter: string, port = 0) => {
  const name = `zone-${letter}-0`;
  const backend = await startEchoServer(grpc, { name, host: HOST, port });
  zoned.set(name, backend);
  return backend;
};
const zonedUid = createService("zoned", "zoned");
for (const letter of "abc") {
  const { port } = await startZonePod(letter);
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "zoned",
    serviceUid: zonedUid,
    name: `zone-${letter}-0`,
    port: { name: "grpc", port },
    trafficDistribution: "PreferSameZone", // hinted for its zone, as the EndpointSlice controller does
    endpoints: [{ ip: HOST, pod: `zone-${letter}-0`, zone: `zone-${letter}` }],
  }));
}
// A scheme of its own: this process's `kubernetes` resolver has no locality (nothing sets NODE_NAME or ZONE here).
const zoneScheme = `kubernetes-${CLIENT_ZONE}`;
register({
  grpc,
  scheme: zoneScheme,
  locality: { zone: CLIENT_ZONE },
  cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) },
});
const zoneTarget = `${zoneScheme}:///zoned.${NAMESPACE}:grpc`;
console.log(
  `\na client in zone ${CLIENT_ZONE} dialing ${zoneTarget} (kubernetes_round_robin), a scheme\n` +
    `that the demo registers with locality: { zone: "${CLIENT_ZONE}" }; in a pod, ZONE or the zone label of ` +
    `NODE_NAME's\nNode sets the zone, and kgr-resolver takes --zone ${CLIENT_ZONE}\n`,
);
// Zone a's pod returns within a reconnect backoff: keep it short here (grpc-js's default grows to 2 minutes).
const zoneClient = new Echo(zoneTarget, grpc.credentials.createInsecure(), {
  "grpc.max_reconnect_backoff_ms": 1000,
});
const zoneLoad = startLoad(echoCaller(zoneClient, 1000), { intervalMs: 10, maxCalls: 2000 });
const zonePhases: [string, Record<string, number>][] = [];
const zonePhase = async (name: string, action: () => Promise<void>) => {
  await action();
  await sleep(PHASE_MS);
  zonePhases.push([name, zoneLoad.take()]);
};
await zonePhase("zone-a up", async () => {});
await zonePhase("zone-a down", () => zoned.get("zone-a-0")!.stop());
await zonePhase("zone-a back", async () => void await startZonePod("a", zoned.get("zone-a-0")!.port));
await zoneLoad.stop();
zoneClient.close();
// The slice lists zone-a's pod throughout: its calls come back once the client has reconnected to it.
const [, back] = zonePhases[zonePhases.length - 1];
printPhases(zonePhases, zoneLoad, backNote(back));

outcome.exitCode = load.failures.length + zoneLoad.failures.length === 0 ? 0 : 1;
if (SERVE) {
  // The fake API server and the pods keep the process alive until a signal ends it (above).
  console.log(`\nstill serving ${api.url} (KUBECONFIG=${kubeconfigFile}): Ctrl-C to stop`);
} else {
  await Promise.all([...pods.values()].map((pod) => pod.backend.stop()));
  await Promise.all([...zoned.values()].map((backend) => backend.stop()));
  await api.close();
  await Deno.remove(kubeconfigDir, { recursive: true });
  Deno.exit(outcome.exitCode);
}

/** Waits for a line on standard input (Enter), or for its end; a terminal that closed ends the demo. */
async function waitForEnter(): Promise<void> {
  console.log("press Enter to run the phases");
  const buffer = new Uint8Array(1024);
  for (;;) {
    // A closed terminal fails the read (EIO) before the SIGHUP it sends reaches the listener above.
    const read = await Deno.stdin.read(buffer).catch(() => endDemo(129));
    if (read === null || buffer.subarray(0, read).includes(10)) return;
  }
}

/**
 * The line under the zone table when calls of the row "zone-a back" went to other zones: the zones that had them, and
 * whether the client reconnected to zone-a-0 within the phase (it got calls) or not yet.
 */
function backNote(back: Record<string, number>): string | undefined {
  const away = ["zone-b", "zone-c"].filter((zone) => (back[`${zone}-0`] ?? 0) > 0);
  if (away.length === 0) return undefined;
  const zones = away.join(" and ");
  return (back["zone-a-0"] ?? 0) > 0
    ? `zone-a back: calls went to ${zones} until the client reconnected to zone-a-0`
    : `zone-a back: calls went to ${zones}, as the client had not reconnected to zone-a-0 by the end of the phase`;
}

/** Prints calls per pod per phase under a caption that says so, a note under them when given, and the failures. */
function printPhases(
  phases: [string, Record<string, number>][],
  load: ReturnType<typeof startLoad>,
  note?: string,
): void {
  const names = [...new Set(phases.flatMap(([, counts]) => Object.keys(counts)))].sort();
  const width = Math.max(...phases.map(([name]) => name.length));
  const column = Math.max(8, ...names.map((name) => name.length));
  console.log("calls per pod in each phase:");
  console.log(["phase".padEnd(width), ...names.map((name) => name.padStart(column))].join("  "));
  for (const [name, counts] of phases) {
    console.log([name.padEnd(width), ...names.map((pod) => String(counts[pod] ?? "-").padStart(column))].join("  "));
  }
  if (note !== undefined) console.log(note);
  console.log(`\n${load.calls} calls, ${load.failures.length} failed`);
  for (const failure of load.failures.slice(0, 5)) console.log(`  ${failure}`);
}
