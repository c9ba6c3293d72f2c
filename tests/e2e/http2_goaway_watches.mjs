// Watches started and stopped over HTTP/2 against an API server that sends GOAWAY at random (`--goaway-chance`), for
// tests/e2e/http2_test.ts: `http2_goaway_watches.mjs ROUNDS COUNT NAMESPACE` starts COUNT watches (`svc-0` …, port
// 50051, HTTP/2 as by default, the environment's KUBECONFIG) in each of ROUNDS rounds, waits for each one's first
// snapshot and stops them, then prints `{ resolved, failures, connections }`: failures are the requests the resolver saw fail
// (its traces that start with "Cannot"), which a GOAWAY must not cause. Only LIST and WATCH: no address is dialed.
import process from "node:process";
import tls from "node:tls";
import { watchEndpoints } from "@kgr/resolver";
import { setTraceSink } from "../../dist/src/runtime/trace.js";

const [rounds, count, namespace] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const failures = [];
// The connections opened: one, without GOAWAY (a session outlives the rounds); one more after each GOAWAY.
let connections = 0;
const connect = tls.connect;
tls.connect = function (...args) {
  connections++;
  return connect.apply(this, args);
};
setTraceSink((text) => {
  if (/\bCannot |broke/.test(text)) failures.push(text.slice(0, 300));
});
const timer = setTimeout(() => {
  console.log(JSON.stringify({ error: "not done within 60 s", failures }));
  process.exit(1);
}, 60_000);
let resolved = 0;
for (let round = 0; round < rounds; round++) {
  const controller = new AbortController();
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    const target = `kubernetes:///svc-${i}.${namespace}:50051`;
    for await (const _ of watchEndpoints(target, { signal: controller.signal })) {
      resolved++;
      break;
    }
  }));
  controller.abort();
}
clearTimeout(timer);
console.log(JSON.stringify({ resolved, failures, connections }));
process.exit(0);
