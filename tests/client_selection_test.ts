import assert from "node:assert/strict";
import { createClientSelectionMemo, selectForClient } from "../src/selection/client_selection.ts";
import type { EndpointSlice, SliceEndpoint } from "../src/base/endpoint_slice.ts";
import type { Locality } from "../src/selection/topology.ts";

function pod(name: string, ip: string, zone: string): SliceEndpoint {
  return { addresses: [ip], zone, hints: { forZones: [{ name: zone }] }, targetRef: { kind: "Pod", name } };
}

const SLICES = new Map<string, EndpointSlice>([["echo-a", {
  metadata: { name: "echo-a", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 50051 }],
  endpoints: [pod("echo-0", "10.1.0.1", "eu-1a"), pod("echo-1", "10.1.0.2", "eu-1b")],
}]]);

function select(slices: ReadonlyMap<string, EndpointSlice>, port: number | string, locality: Locality = {}) {
  return selectForClient(slices, port, {
    locality,
    memo: createClientSelectionMemo(),
    service: "echo",
    namespace: "prod",
  });
}

Deno.test("selectForClient() gives the usable endpoints of a named port, without notes", () => {
  const { endpoints, topology, emptyReason, portNote } = select(SLICES, "grpc");
  assert.deepEqual(endpoints.map((endpoint) => endpoint.addresses[0]), [
    { host: "10.1.0.1", port: 50051 },
    { host: "10.1.0.2", port: 50051 },
  ]);
  assert.equal(topology, "none");
  assert.equal(emptyReason, undefined);
  assert.equal(portNote, undefined);
});

Deno.test("selectForClient() prefers the endpoints hinted for the client's zone", () => {
  const { endpoints, topology } = select(SLICES, "grpc", { zone: "eu-1b" });
  assert.equal(topology, "zone");
  assert.deepEqual(endpoints.map((endpoint) => [endpoint.podName, endpoint.preferred]), [
    ["echo-0", false],
    ["echo-1", true],
  ]);
});

Deno.test("selectForClient() says why a Service without slices gives no endpoint", () => {
  const { endpoints, emptyReason } = select(new Map(), "grpc");
  assert.deepEqual(endpoints, []);
  assert.match(emptyReason ?? "", /^it has no EndpointSlice: check that the Service exists in namespace prod/);
});

Deno.test("selectForClient() notes a port number that none of the slices gives the pods", () => {
  const { endpoints, portNote } = select(SLICES, 80);
  assert.equal(endpoints.length, 2);
  assert.match(portNote ?? "", /^port 80 is none of the ports/);
  assert.equal(select(SLICES, 50051).portNote, undefined);
});

Deno.test("selectForClient() keeps its port note while the slices' ports stay, and reads it again when they change", () => {
  const memo = createClientSelectionMemo();
  const slices = new Map(SLICES);
  const selectWithMemo = (port: number | string) =>
    selectForClient(slices, port, { locality: {}, memo, service: "echo", namespace: "prod" }).portNote;
  const echoA = SLICES.get("echo-a")!;
  assert.match(selectWithMemo(80) ?? "", /^port 80 is none of the ports/);
  // A new object of the slice with other endpoints and the same ports: the same note.
  slices.set("echo-a", { ...echoA, endpoints: [pod("echo-2", "10.1.0.3", "eu-1a")] });
  assert.match(selectWithMemo(80) ?? "", /^port 80 is none of the ports/);
  // The slice's port now has the number: no note.
  slices.set("echo-a", { ...echoA, ports: [{ name: "grpc", port: 80 }] });
  assert.equal(selectWithMemo(80), undefined);
  // Its port becomes UDP only: the note for a port gRPC cannot dial over TCP.
  slices.set("echo-a", { ...echoA, ports: [{ name: "grpc", port: 80, protocol: "UDP" }] });
  assert.match(selectWithMemo(80) ?? "", /^port 80 is UDP in the Service's EndpointSlices/);
  // A second slice with a TCP port of that number: no note.
  slices.set("echo-b", {
    ...echoA,
    metadata: { name: "echo-b", namespace: "prod" },
    ports: [{ name: "grpc", port: 80 }],
  });
  assert.equal(selectWithMemo(80), undefined);
  // It leaves again, and so does the UDP slice: the note of a port none of the slices has comes back.
  slices.delete("echo-b");
  slices.set("echo-a", echoA);
  assert.match(selectWithMemo(80) ?? "", /^port 80 is none of the ports/);
  // Another port with the same memo: its own note.
  assert.equal(selectWithMemo(50051), undefined);
  // An address type changed to FQDN: such slices give no port, so none is noted.
  slices.set("echo-a", { ...echoA, addressType: "FQDN" });
  assert.equal(selectWithMemo(80), undefined);
});

// Seen on kube-proxy v1.36.3: the only ready pod lacked the admin port, and the reason said that no pod was ready.
Deno.test("selectForClient() says the fallback has no topology for want of a ready pod with the port, when one lacks it", () => {
  const leaving = { conditions: { ready: false, serving: true, terminating: true } };
  const slices = new Map<string, EndpointSlice>([
    ["fb-a", {
      metadata: { name: "fb-a", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "admin", port: 9000 }, { name: "grpc", port: 8080 }],
      endpoints: [{ ...pod("f-a1", "10.1.0.1", "eu-1a"), ...leaving }],
    }],
    ["fb-b", {
      metadata: { name: "fb-b", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 8080 }],
      endpoints: [pod("f-b1", "10.1.0.2", "eu-1b")],
    }],
  ]);
  const admin = select(slices, "admin", { zone: "eu-1a" });
  assert.deepEqual(admin.endpoints.map((endpoint) => endpoint.podName), ["f-a1"]);
  assert.equal(
    admin.topologyReason,
    'no pod with a port named "admin" is ready; the serving-terminating fallback has no topology',
  );
  // Without the pod that lacks the port, no pod is ready at all: the old words.
  const alone = new Map([["fb-a", slices.get("fb-a")!]]);
  assert.equal(
    select(alone, "admin", { zone: "eu-1a" }).topologyReason,
    "no pod is ready; the serving-terminating fallback has no topology",
  );
});

// The pod hinted for the client's zone is ready, but its slice lacks the target's port: kubectl shows it ready, and
// the trace said only that no ready pod was hinted for the zone.
Deno.test("selectForClient() names the ready pod hinted for the client's zone that lacks the port", () => {
  const slices = new Map<string, EndpointSlice>([
    ["fb-a", {
      metadata: { name: "fb-a", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "admin", port: 9000 }],
      endpoints: [pod("f-b1", "10.1.0.2", "eu-1b")],
    }],
    ["fb-b", {
      metadata: { name: "fb-b", namespace: "prod" },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 8080 }],
      endpoints: [pod("f-a1", "10.1.0.1", "eu-1a")],
    }],
  ]);
  const admin = select(slices, "admin", { zone: "eu-1a" });
  assert.deepEqual(admin.endpoints.map((endpoint) => endpoint.podName), ["f-b1"]);
  assert.equal(admin.topologyReason, 'the ready pod hinted for zone eu-1a (f-a1) has no port named "admin"');
  assert.equal(
    select(slices, "admin", { zone: "eu-1c" }).topologyReason,
    "no ready pod is hinted for zone eu-1c, only for zone eu-1b (zone eu-1a only on pods without the target's port)",
  );
});
