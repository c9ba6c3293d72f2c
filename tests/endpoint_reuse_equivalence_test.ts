// The protobuf watch reuses endpoint objects whose bytes did not change, and selection takes over their entries:
// random watch histories must select exactly what a fresh decode and a fresh selection of the same slices select.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../src/base/endpoint_slice.ts";
import { decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { createClientSelectionMemo, selectForClient } from "../src/selection/client_selection.ts";
import { protobufWatchFrame } from "../src/testing/_protobuf_writer.ts";
import { openWatchCodec } from "../src/watch/watch_codec.ts";
import { seededRandom } from "./_seeded_random.ts";

type SliceObject = Record<string, unknown> & { endpoints: Record<string, unknown>[] };

const NAMES = ["s0", "s1", "s2", "s3"];
const TARGET_PORTS: (string | number)[] = ["grpc", 7, ""];
const LOCALITIES = [{}, { zone: "z1" }, { zone: "z2", nodeName: "n1" }];
const PORT_SETS = [
  [{ name: "grpc", port: 1, protocol: "TCP" }],
  [{ name: "grpc", port: 2, protocol: "TCP" }],
  [{ name: "other", port: 3, protocol: "TCP" }],
  [{ name: "", port: 4, protocol: "TCP" }],
  [{ name: "grpc", port: 1, protocol: "TCP" }, { name: "", port: 5, protocol: "TCP" }],
];

/** A random source of slices and their changes: endpoints added, removed, replaced, reordered, repeated. */
function slices(next: () => number) {
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  const endpoint = (): Record<string, unknown> => {
    const pod = pick(["a", "b", "c", "d", "e", "f", undefined]);
    const result: Record<string, unknown> = {
      addresses: next() < 0.15
        ? [pick(["10.0.0.1", "fd00::1"]), pick(["10.0.0.2", "fd00::2"])]
        : [pick(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "fd00::1"])],
      conditions: { ready: next() < 0.8, serving: next() < 0.9, terminating: next() < 0.15 },
    };
    if (pod) {
      const uid = next() < 0.3 ? { uid: pick(["u1", "u2"]) } : {};
      result.targetRef = { kind: "Pod", name: pod, namespace: pick(["prod", "prod", "other"]), ...uid };
    }
    if (next() < 0.5) Object.assign(result, { zone: pick(["z1", "z2"]), nodeName: pick(["n1", "n2"]) });
    if (next() < 0.3) {
      const forNodes = next() < 0.3 ? { forNodes: [{ name: pick(["n1", "n2"]) }] } : {};
      result.hints = { forZones: [{ name: pick(["z1", "z2"]) }], ...forNodes };
    }
    return result;
  };
  const created = (name: string): SliceObject => ({
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata: { name, namespace: pick(["prod", "prod", "prod", "other"]), resourceVersion: "1" },
    addressType: pick(["IPv4", "IPv4", "IPv6"]),
    ports: pick(PORT_SETS),
    endpoints: Array.from({ length: Math.floor(next() * 6) }, endpoint),
  });
  const changed = (current: SliceObject, others: SliceObject[]): SliceObject => {
    const endpoints = [...current.endpoints];
    const change = Math.floor(next() * 9);
    const at = Math.floor(next() * Math.max(1, endpoints.length));
    if (change === 0 && endpoints.length) endpoints.splice(at, 1);
    else if (change === 1) endpoints.splice(at, 0, endpoint());
    else if (change === 2 && endpoints.length) endpoints[at] = endpoint();
    else if (change === 3) endpoints.reverse();
    else if (change === 4 && endpoints.length) endpoints.push(endpoints[at]);
    else if (change === 5 && others.length && others[0].endpoints.length) endpoints.push(others[0].endpoints[0]);
    return {
      ...current,
      metadata: change === 7 ? { ...current.metadata as object, namespace: pick(["prod", "other"]) } : current.metadata,
      ports: change === 6 ? pick(PORT_SETS) : current.ports,
      addressType: change === 8 && next() < 0.3 ? pick(["IPv4", "IPv6", "FQDN"]) : current.addressType,
      endpoints,
    };
  };
  return { pick, created, changed };
}

const frame = (type: string, object: SliceObject) => protobufWatchFrame(type, object).slice(4);

for (const seed of [1, 2, 3, 4, 5]) {
  Deno.test(`a protobuf watch's reused endpoints select as a fresh decode does (seed ${seed})`, () => {
    const next = seededRandom(seed * 2654435761 >>> 0);
    const { pick, created, changed } = slices(next);
    for (let run = 0; run < 60; run++) {
      const source = new Map<string, SliceObject>();
      const state = new Map<string, EndpointSlice>();
      const memos = TARGET_PORTS.map(() => LOCALITIES.map(() => createClientSelectionMemo()));
      let codec = openWatchCodec("protobuf");
      for (let step = 0; step < 40; step++) {
        for (let events = 1 + Math.floor(next() * 3); events > 0; events--) {
          const name = pick(NAMES);
          const current = source.get(name);
          const type = current === undefined ? "ADDED" : next() < 0.1 ? "DELETED" : "MODIFIED";
          const object = current === undefined
            ? created(name)
            : type === "DELETED"
            ? current
            : changed(current, [...source.values()].filter((other) => other !== current));
          if (type === "DELETED") source.delete(name);
          else source.set(name, object);
          const event = codec.parse(frame(type, object), (text) => text);
          assert.deepEqual(event, decodeWatchEvent(frame(type, object)));
          if (type === "DELETED") state.delete(name);
          else state.set(name, event.object as EndpointSlice);
          if (next() < 0.05) {
            // A new watch, its memory empty; half of the time after a relist of every slice.
            codec = openWatchCodec("protobuf");
            if (next() < 0.5) {
              for (const [key, value] of source) {
                state.set(key, codec.parse(frame("ADDED", value), (text) => text).object as EndpointSlice);
              }
            }
          }
        }
        const fresh = new Map<string, EndpointSlice>();
        for (const [key, value] of source) {
          fresh.set(key, decodeWatchEvent(frame("ADDED", value)).object as EndpointSlice);
        }
        TARGET_PORTS.forEach((port, p) =>
          LOCALITIES.forEach((locality, l) => {
            const options = { locality, service: "echo", namespace: "prod" };
            assert.deepEqual(
              selectForClient(state, port, { ...options, memo: memos[p][l] }),
              selectForClient(fresh, port, { ...options, memo: createClientSelectionMemo() }),
              `run ${run}, step ${step}, port ${JSON.stringify(port)}, locality ${JSON.stringify(locality)}`,
            );
          })
        );
      }
    }
  });
}
