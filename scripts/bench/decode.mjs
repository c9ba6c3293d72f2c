// Decode throughput of a recorded watch stream of large EndpointSlices (100
// endpoints each), cut into network-sized chunks: our decoder
// (src/watch/watch_decoder.ts) vs the line splitter @kubernetes/client-node 1.x uses
// (node:readline over the response stream, then JSON.parse of each line) vs
// JSON.parse of the same lines alone (a reference, not a bound). Runs on Deno, Bun and Node;
// prints one JSON line of results.
//
//   deno run -A scripts/bench/decode.mjs [events] [chunkBytes] [rounds]
import process from "node:process";
import { Readable } from "node:stream";
import { createInterface } from "node:readline";

const EVENTS = Number(process.argv[2] ?? 1000);
const CHUNK_BYTES = Number(process.argv[3] ?? 16 * 1024);
const ROUNDS = Number(process.argv[4] ?? 5);
const onDeno = typeof globalThis.Deno === "object";
const { parseWatchEvent, readWatchLines } = await import(
  onDeno ? "../../src/watch/watch_decoder.ts" : "../../dist/src/watch/watch_decoder.js"
);

/** A watch event shaped like a real API server's (managedFields, ownerReferences, hints, annotations). */
function sliceEvent(index) {
  const endpoints = [];
  for (let i = 0; i < 100; i++) {
    endpoints.push({
      addresses: [`10.${(index >> 8) & 255}.${index & 255}.${i + 1}`],
      conditions: { ready: i % 17 !== 0, serving: true, terminating: false },
      hints: { forZones: [{ name: `zone-${"abc"[i % 3]}` }] },
      nodeName: `node-${(i * 7) % 23}`,
      targetRef: {
        kind: "Pod",
        name: `echo-7d9c8b5f4-${(index * 131 + i * 977).toString(36).padStart(5, "x")}`,
        namespace: "prod",
        uid: `6f1c2d3e-${String(index).padStart(4, "0")}-4a5b-8c9d-${String(i).padStart(12, "0")}`,
      },
      zone: `zone-${"abc"[i % 3]}`,
    });
  }
  return {
    type: "MODIFIED",
    object: {
      kind: "EndpointSlice",
      apiVersion: "discovery.k8s.io/v1",
      metadata: {
        name: `echo-${(index % 50).toString(36)}x7k2`,
        generateName: "echo-",
        namespace: "prod",
        uid: `0a1b2c3d-4e5f-6789-abcd-${String(index % 50).padStart(12, "0")}`,
        resourceVersion: String(1_000_000 + index),
        generation: index + 1,
        creationTimestamp: "2025-11-20T10:00:00Z",
        labels: {
          "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
          "kubernetes.io/service-name": "echo",
          "app.kubernetes.io/name": "echo",
        },
        annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2025-11-26T07:00:00Z" },
        ownerReferences: [{
          apiVersion: "v1",
          kind: "Service",
          name: "echo",
          uid: "9f8e7d6c-5b4a-3210-fedc-ba9876543210",
          controller: true,
          blockOwnerDeletion: true,
        }],
        managedFields: [{
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "discovery.k8s.io/v1",
          time: "2025-11-26T07:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:addressType": {},
            "f:endpoints": {},
            "f:metadata": { "f:labels": { ".": {} } },
            "f:ports": {},
          },
        }],
      },
      addressType: "IPv4",
      endpoints,
      ports: [{ name: "grpc", protocol: "TCP", port: 50051 }],
    },
  };
}

const lines = [];
for (let i = 0; i < EVENTS; i++) lines.push(JSON.stringify(sliceEvent(i)));
const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
const chunks = [];
for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
  chunks.push(bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES)));
}

function streamOf(parts) {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (index < parts.length) controller.enqueue(parts[index++]);
      else controller.close();
    },
  }, { highWaterMark: 0 });
}

const peers = {
  /** The reference: JSON.parse of lines already split and decoded (strings made once, before the rounds). */
  "JSON.parse": () => {
    let count = 0;
    for (const line of lines) if (JSON.parse(line).type) count++;
    return count;
  },
  ours: async () => {
    let count = 0;
    await readWatchLines(streamOf(chunks), (line) => {
      if (parseWatchEvent(line).type) count++;
    });
    return count;
  },
  /** @kubernetes/client-node 1.x watch.js: readline.createInterface(body) and JSON.parse(line) per 'line'. */
  "client-node": () =>
    new Promise((resolve, reject) => {
      let count = 0;
      const body = Readable.from(chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)));
      const reader = createInterface(body);
      reader.on("line", (line) => {
        try {
          if (JSON.parse(line.toString()).type) count++;
        } catch {
          // client-node ignores parse errors
        }
      });
      reader.on("close", () => resolve(count));
      body.on("error", reject);
    }),
};

const results = {};
for (const name of Object.keys(peers)) results[name] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(peers)) {
    const begin = performance.now();
    const count = await run();
    const ms = performance.now() - begin;
    if (count !== EVENTS) throw new Error(`Cannot benchmark ${name}: decoded ${count} of ${EVENTS} events`);
    results[name].push(ms);
  }
}
const summary = {};
for (const [name, times] of Object.entries(results)) {
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  summary[name] = { ms, eventsPerSecond: EVENTS / (ms / 1000), mbPerSecond: bytes.length / 1e6 / (ms / 1000) };
}
console.log(JSON.stringify({
  runtime: onDeno ? "Deno" : typeof globalThis.Bun === "object" ? "Bun" : "Node",
  events: EVENTS,
  bytes: bytes.length,
  chunkBytes: CHUNK_BYTES,
  rounds: ROUNDS,
  results: summary,
}));
