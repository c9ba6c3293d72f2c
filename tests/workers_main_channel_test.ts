// README, "Worker threads and process clusters": two workers call the Service beside a main thread that calls it too,
// and are terminated one at a time mid-watch: each watch ends, none of their connections to the API server stays,
// and the main thread's channel keeps calling both pods. worker_threads on Node, Bun and Deno; Web Workers on Bun
// and Deno. Node and Bun import the built package: run `npm run build` first.
import assert from "node:assert/strict";
import { lastJsonLine } from "./_bounded_child.ts";

const root = new URL("../", import.meta.url).pathname;
const script = new URL("./workers/main_and_workers.mjs", import.meta.url).pathname;
const bun = `${root}node_modules/.bin/bun`;
const cases: [string, string[], "threads" | "web"][] = [
  ["Node worker_threads", ["node"], "threads"],
  ["Bun worker_threads", [bun], "threads"],
  ["Bun Web Workers", [bun], "web"],
  ["Deno worker_threads", [Deno.execPath(), "run", "-A"], "threads"],
  ["Deno Web Workers", [Deno.execPath(), "run", "-A"], "web"],
];

for (const [name, command, mode] of cases) {
  Deno.test(`${name}: terminated mid-watch, they leave no watch or API connection, and the main channel calls on`, async () => {
    // Each case took 4-14 s with the load average at 18-20.
    const { seen, stderr } = await lastJsonLine(name, command, script, [mode]);
    assert.deepEqual({ ...seen, alone: undefined }, {
      watches: 3,
      alone: undefined,
      oneEnded: true,
      mainBetween: seen.mainBetween,
      bothEnded: true,
      connectionsBack: true,
      mainAfter: ["pod-0:m", "pod-1:m"],
      workersAnswered: [true, true],
      failures: [],
      unhandled: [],
    }, stderr);
    assert.match(String(seen.mainBetween), /^pod-[01]:m$/);
  });
}
