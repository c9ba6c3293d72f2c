// Many watches over HTTP/2 on Node or Bun, for tests/e2e/http2_test.ts: `http2_watches.mjs COUNT NAMESPACE PORT`
// watches `svc-0` … `svc-<COUNT-1>` in NAMESPACE (port 50051) with the default options (HTTP/2 on Node and Bun) and
// the environment's KUBECONFIG, prints `{ resolved, ms, connections }` once every Service has its first snapshot
// (connections: this process's established ones to PORT, from `ss`), then `{ changed, ms }` once svc-0's snapshot has
// two endpoints. Gives up after 60 s. Only LIST and WATCH: no address is dialed.
import { execFileSync } from "node:child_process";
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const [count, namespace, port] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const controller = new AbortController();
const timer = setTimeout(() => {
  console.log(JSON.stringify({ error: `${resolved} of ${count} resolved, no change within 60 s` }));
  process.exit(1);
}, 60_000);
const errors = [];
let resolved = 0;
const started = performance.now();
let changedAt;
const loops = [];
for (let i = 0; i < count; i++) {
  loops.push((async () => {
    let first = true;
    const target = `kubernetes:///svc-${i}.${namespace}:50051`;
    const onError = (error) => errors.push(error.message);
    for await (const snapshot of watchEndpoints(target, { signal: controller.signal, onError })) {
      if (first && ++resolved === count) report();
      first = false;
      if (i === 0 && snapshot.endpoints.length === 2) {
        changedAt = performance.now();
        console.log(JSON.stringify({ changed: true, errors }));
        controller.abort();
      }
    }
  })());
}

function report() {
  const ms = Math.round(performance.now() - started);
  // The watches' own requests go out after the lists: give them a moment to be sent.
  setTimeout(() => {
    const connections = execFileSync("ss", ["-tnpH", "state", "established", `( dport = :${port} )`], {
      encoding: "utf8",
    }).split("\n").filter((line) => line.includes(`pid=${process.pid},`)).length;
    console.log(JSON.stringify({ resolved, ms, connections, errors }));
  }, 1_000);
}

await Promise.allSettled(loops);
clearTimeout(timer);
process.exit(changedAt === undefined ? 1 : 0);
