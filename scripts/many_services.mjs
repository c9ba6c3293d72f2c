/**
 * One process watching many Services at once, as a gateway does: starts `watchEndpoints()` on `--count` Services
 * (`svc-0` … in `--namespace`, one EndpointSlice each) in the same turn and prints one JSON line: the longest gap
 * of a 20 ms heartbeat (the event loop's worst stall), the time until every Service had its first snapshot, the
 * CPU and RSS it took, the connections to the API server (`ss -tnp`) and the TLS handshakes, full and resumed
 * (counted on `node:tls`'s `connect`; `null` where the runtime's client does not go through it).
 *
 * Runs on Node, Bun (`--module ./dist/mod.js`, after `npm run build`) and Deno (`--module ./mod.ts`, `-A`):
 *
 * ```sh
 * deno run -A tests/e2e/serve_control_plane.ts          # prints the kubeconfig
 * node scripts/many_services.mjs --kubeconfig /tmp/kgr-e2e-.../inline.kubeconfig --count 500 --create
 * node scripts/many_services.mjs --kubeconfig /tmp/kgr-e2e-.../inline.kubeconfig --count 500 --module ./dist/mod.js
 * ```
 *
 * `--create` only creates the namespace, the Services and their slices (with `--kubectl`, default the control
 * plane's `~/.cache/kgr-resolver/kubectl-v1.36.3`); `--per-turn K` starts the loops K a turn rather than all in one;
 * `--http1` sets `cluster.http2: false` (HTTP/1.1 on Node and Bun too, where HTTP/2 is the default); `--settle-ms N`
 * waits N ms, not 2,000, between the last first snapshot and counting the connections.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { setImmediate } from "node:timers";
import tls from "node:tls";
import { childEnv } from "../tests/_child_env.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).join(" ").split("--").filter(Boolean).map((pair) => pair.trim().split(/\s+/)),
);
const count = Number(args.count ?? 100);
const namespace = args.namespace ?? "many";
const limitMs = Number(args["limit-ms"] ?? 60_000);
if ("create" in args) {
  createServices();
  process.exit(0);
}
const { watchEndpoints } = await import(pathToFileURL(resolve(args.module ?? "./dist/mod.js")).href);

const handshakes = { full: 0, resumed: 0, counted: false };
const connect = tls.connect;
try {
  tls.connect = function (...connectArgs) {
    handshakes.counted = true;
    const socket = connect.apply(this, connectArgs);
    socket.once("secureConnect", () => socket.isSessionReused() ? handshakes.resumed++ : handshakes.full++);
    return socket;
  };
} catch {
  // A runtime whose `node:tls` cannot be patched: the handshakes are not counted.
}

let last = performance.now();
let longestGapMs = 0;
const heartbeat = setInterval(() => {
  const now = performance.now();
  longestGapMs = Math.max(longestGapMs, now - last);
  last = now;
}, 20);
await new Promise((done) => setTimeout(done, 300));
longestGapMs = 0;

const controller = new AbortController();
const cluster = { kubeconfig: args.kubeconfig, ...("http1" in args ? { http2: false } : {}) };
const cpuBefore = process.cpuUsage();
const started = performance.now();
let resolved = 0;
let markResolved;
const allResolved = new Promise((done, fail) => {
  const limit = setTimeout(() => fail(new Error(`${resolved} of ${count} resolved in ${limitMs} ms`)), limitMs);
  markResolved = () => {
    if (++resolved < count) return;
    clearTimeout(limit);
    done();
  };
});
// One loop per Service, held until the end: the watch stays while someone iterates. `--per-turn K` starts K a turn.
const perTurn = Number(args["per-turn"] ?? count);
const loops = [];
for (let i = 0; i < count; i++) {
  if (i > 0 && i % perTurn === 0) await new Promise((done) => setImmediate(done));
  loops.push((async () => {
    let first = true;
    const target = `kubernetes:///svc-${i}.${namespace}:grpc`;
    for await (const _ of watchEndpoints(target, { cluster, signal: controller.signal })) {
      if (first) markResolved();
      first = false;
    }
  })());
}
await allResolved;
const allResolvedMs = performance.now() - started;
const stallUntilResolvedMs = longestGapMs;
// The watches' own requests go out after the lists: wait for them to be answered too (`--settle-ms`; over HTTP/1.1
// the connections of requests just answered are still open after 2 s, and only the watches' after 10 s).
await new Promise((done) => setTimeout(done, Number(args["settle-ms"] ?? 2_000)));
const cpu = process.cpuUsage(cpuBefore);
const port = new URL(apiServer(args.kubeconfig)).port;
const connections = execFileSync("ss", ["-tnpH", "state", "established", `( dport = :${port} )`], { encoding: "utf8" })
  .split("\n").filter((line) => line.includes(`pid=${process.pid},`)).length;
const runtime = typeof Deno !== "undefined" ? "deno" : process.versions.bun ? "bun" : "node";
const result = {
  runtime,
  module: args.module,
  // HTTP/2 unless --http1, but never on Deno (a kubeconfig's proxy-url would keep HTTP/1.1 too).
  http2: runtime !== "deno" && !("http1" in args),
  count,
  stallUntilResolvedMs: Math.round(stallUntilResolvedMs),
  stallMs: Math.round(longestGapMs),
  allResolvedMs: Math.round(allResolvedMs),
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  connections,
  handshakes: handshakes.counted ? { full: handshakes.full, resumed: handshakes.resumed } : null,
};
console.log(JSON.stringify(result));
controller.abort();
clearInterval(heartbeat);
await Promise.allSettled(loops);
process.exit(0);

/** Creates `--namespace` and `svc-0` … with one ready endpoint each, in one `kubectl apply`. */
function createServices() {
  const kubectl = args.kubectl ?? `${process.env.HOME}/.cache/kgr-resolver/kubectl-v1.36.3`;
  const items = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }];
  for (let i = 0; i < count; i++) {
    const name = `svc-${i}`;
    const port = { name: "grpc", port: 50051 };
    items.push({ apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: { ports: [port] } });
    items.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${name}-a`,
        namespace,
        labels: { "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": "many-services" },
      },
      addressType: "IPv4",
      ports: [{ ...port, protocol: "TCP" }],
      endpoints: [{ addresses: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`], conditions: { ready: true } }],
    });
  }
  const input = JSON.stringify({ apiVersion: "v1", kind: "List", items });
  execFileSync(kubectl, ["--kubeconfig", args.kubeconfig, "apply", "-f", "-"], {
    env: childEnv(),
    input,
    stdio: ["pipe", "ignore", "inherit"],
  });
}

function apiServer(kubeconfig) {
  const text = execFileSync("cat", [kubeconfig], { encoding: "utf8" });
  return JSON.parse(text).clusters[0].cluster.server;
}
