// A child process for the scenarios that need their own environment: for each named case, at once, the resolver's
// first result for that case's target with its `cluster` options, every watch kept open until all have one. Prints
// one JSON line: case name → the pod names of the first snapshot, or the first error ("name: message").
// Usage: <runtime> concurrent_results_child.mjs '{"case name": {"target": ..., "cluster": {...}}, ...}'
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const everything = new AbortController();
const timer = setTimeout(() => everything.abort(), 10_000);

/** Each case's first result, once every case has one or after 10 s; a watch with a snapshot stays open meanwhile. */
const cases = Object.entries(JSON.parse(process.argv.at(-1)));
const results = new Map();
const settle = (name, result) => {
  if (!results.has(name)) results.set(name, result);
  if (results.size === cases.length) everything.abort();
};

/** Watches `target` until every case has a result; the first snapshot's pod names or error is its result. */
async function watchCase(name, { target, cluster }) {
  const onError = (failure) => settle(name, `${failure.name}: ${failure.message}`);
  try {
    for await (const snapshot of watchEndpoints(target, { cluster, signal: everything.signal, onError })) {
      settle(name, snapshot.endpoints.map((endpoint) => endpoint.podName));
    }
  } catch (thrown) {
    settle(name, `${thrown.name}: ${thrown.message}`);
  }
}

await Promise.all(cases.map(([name, options]) => watchCase(name, options)));
clearTimeout(timer);
console.log(
  JSON.stringify(Object.fromEntries(cases.map(([name]) => [name, results.get(name) ?? "no result within 10 s"]))),
);
