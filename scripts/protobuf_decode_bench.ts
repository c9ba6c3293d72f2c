/**
 * Decode time of one set of EndpointSlices as kube-apiserver sends it in protobuf and in JSON, for the
 * protobuf milestone of issue 12 (PROTO_NOTES.md): medians over bounded rounds, in the runtime it runs in.
 *
 * ```sh
 * deno run -A scripts/protobuf_decode_bench.ts DIR   # DIR: list.pb, list.json, watch.pb, watch.ndjson
 * bun scripts/protobuf_decode_bench.ts DIR
 * ```
 *
 * (Node 20 cannot run TypeScript: compile it first, e.g. `tsc --outDir /tmp/pbbench` with tsconfig.build.json's
 * options, then `node /tmp/pbbench/scripts/protobuf_decode_bench.js DIR`.) The files are the answers to one LIST
 * and to one streaming-list watch (`sendInitialEvents=true`), each with `Accept: application/vnd.kubernetes.protobuf`
 * and with JSON; PROTO_NOTES.md says how the 50-slice set was made.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { FrameSplitter } from "../src/api/protobuf/frame_splitter.ts";
import { decodeEndpointSliceList, decodeWatchEvent } from "../src/api/protobuf/messages.ts";

const dir = process.argv[process.argv.length - 1];
const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const listPb = read("list.pb");
const listJson = read("list.json");
const watchPb = read("watch.pb");
const watchJson = read("watch.ndjson");
const decoder = new TextDecoder();
const listText = decoder.decode(listJson);
const watchLines = splitLines(watchJson);
const watchTexts = watchLines.map((line) => decoder.decode(line));

function splitLines(body: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < body.length;) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (end > start) lines.push(body.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** Every case returns a count, checked equal between forms, so nothing is optimised away. */
const cases: Record<string, () => number> = {
  "LIST protobuf decode": () => decodeEndpointSliceList(listPb).items.length,
  "LIST JSON.parse (string)": () => JSON.parse(listText).items.length,
  "LIST UTF-8 decode + JSON.parse": () => JSON.parse(decoder.decode(listJson)).items.length,
  "watch protobuf frames + decode": () => {
    const splitter = new FrameSplitter();
    const frames = splitter.push(watchPb);
    splitter.end();
    return frames.map((frame) => decodeWatchEvent(frame)).length;
  },
  "watch JSON.parse per line (strings)": () => watchTexts.map((text) => JSON.parse(text)).length,
  "watch lines + UTF-8 decode + JSON.parse": () =>
    splitLines(watchJson).map((line) => JSON.parse(decoder.decode(line))).length,
};

const WARMUP = 20;
const ROUNDS = 51;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : `node ${process.version}`;
console.log(
  `${runtime}: list ${listPb.length} B protobuf / ${listJson.length} B JSON; watch ${watchPb.length} B / ${watchJson.length} B`,
);
const counts = new Set<number>();
const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
// Cases take turns within each round, so that each pays its share of the collections the others cause.
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = performance.now();
    counts.add(run());
    if (round >= WARMUP) times[name].push(performance.now() - start);
  }
}
for (const [name, list] of Object.entries(times)) {
  list.sort((a, b) => a - b);
  const at = (share: number) => list[Math.floor(share * (ROUNDS - 1))].toFixed(2);
  console.log(`${name.padEnd(42)} median ${at(0.5)} ms  (p10 ${at(0.1)}, p90 ${at(0.9)})`);
}
console.log(`items/events decoded per round: ${[...counts].join(", ")}`);
