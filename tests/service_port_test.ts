import assert from "node:assert/strict";
import type { EndpointSlice } from "../src/base/endpoint_slice.ts";
import { KubeApiError } from "../src/base/errors.ts";
import type { Service } from "../src/api/kube_api.ts";
import { createServicePortLookup, portNoteFor, slicePortNames } from "../src/selection/service_port.ts";
import { startFakeApiServer } from "@kgr/resolver/testing";
import { watchEndpoints } from "@kgr/resolver";

function slice(name: string, ports: EndpointSlice["ports"], addressType = "IPv4"): EndpointSlice {
  return { metadata: { name }, addressType, ports, endpoints: [] };
}

/** A lookup whose Service reads are answered by hand, in order. */
function lookupWith(options: { timeoutMs?: number } = {}) {
  const reads: {
    resolve(service: Service): void;
    reject(error: unknown): void;
    signal: AbortSignal;
    pauseTiming?: () => () => void;
  }[] = [];
  const controller = new AbortController();
  let changes = 0;
  const lookup = createServicePortLookup({
    service: "two",
    namespace: "prod",
    api: {
      get: (signal, pauseTiming) =>
        new Promise((resolve, reject) => reads.push({ resolve, reject, signal, pauseTiming })),
    },
    signal: controller.signal,
    timeoutMs: options.timeoutMs,
    backoff: { initialMs: 20, maxMs: 40 },
    onChange: () => changes++,
  });
  return { lookup, reads, controller, changes: () => changes };
}

const twoPorts = [slice("two-a", [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }])];
const service = (...names: string[]): Service => ({
  spec: { ports: names.map((name, i) => ({ name, port: 80 + i })) },
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits until `condition()` holds, for at most 2 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("slicePortNames() lists each name once with its numbers, leaving out FQDN slices and ports without a number", () => {
  const names = slicePortNames([
    slice("a", [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }]),
    slice("b", [{ name: "grpc", port: 9090 }, { name: "all", port: null }]),
    slice("c", [{ name: "dns", port: 53 }], "FQDN"),
    slice("d", null),
  ]);
  assert.deepEqual(names, [{ name: "grpc", numbers: [8080, 9090] }, { name: "http", numbers: [8081] }]);
  assert.deepEqual(slicePortNames([slice("u", [{ port: 80 }]), slice("v", [{ name: null, port: 81 }])]), [
    { name: "", numbers: [80, 81] },
  ]);
});

Deno.test("createServicePortLookup() uses the one name of every slice without reading the Service", () => {
  const { lookup, reads } = lookupWith();
  const slices = [slice("a", [{ name: "grpc", port: 8080 }]), slice("b", [{ name: "grpc", port: 9090 }])];
  assert.equal(lookup.portFor(slices, 1), "grpc");
  assert.equal(lookup.portFor([slice("a", [{ name: "", port: 80 }])], 2), "");
  assert.equal(lookup.portFor([], 3), "");
  assert.equal(reads.length, 0);
});

Deno.test("createServicePortLookup() keeps the name it chose while the slices have no port (a Service scaled to 0)", async () => {
  const { lookup, reads } = lookupWith();
  // No slice has a port yet (no pod): the Service names it, where "" stood for it before (a review: a target's
  // metrics series then started as port="" and stayed at 0 once the name was known).
  // Answered at once while the Service is read (a review: a first answer held 12 s behind a slow read).
  assert.equal(lookup.portFor([], 1), "");
  assert.equal(lookup.named(), false);
  assert.equal(reads.length, 1);
  reads.shift()!.resolve(service("grpc"));
  await settle();
  assert.equal(lookup.portFor([], 1), "grpc");
  assert.equal(lookup.named(), true);
  assert.equal(lookup.portFor([slice("a", [{ name: "grpc", port: 8080 }])], 2), "grpc");
  // The EndpointSlice controller's slice of a Service scaled to 0 (kube-controller-manager v1.36.3): no ports.
  assert.equal(lookup.portFor([slice("a", null)], 3), "grpc");
  assert.equal(lookup.portFor([], 4), "grpc");
  // Renamed in place, then scaled to 0: the new name stands, not the one read before the first pod.
  assert.equal(lookup.portFor([slice("a", [{ name: "web", port: 8080 }])], 41), "web");
  assert.equal(lookup.portFor([slice("a", null)], 42), "web");
  assert.equal(lookup.portFor([slice("a", [{ name: "grpc", port: 8080 }])], 43), "grpc");
  assert.equal(lookup.portFor(twoPorts, 5), undefined);
  reads[0].resolve(service("http", "grpc"));
  await settle();
  assert.equal(lookup.portFor(twoPorts, 5), "http");
  assert.equal(lookup.portFor([slice("two-a", [])], 6), "http");
});

Deno.test("createServicePortLookup() before any port asks a Service that is forbidden once, and one that failed again", async () => {
  const owned = [{ ...slice("a", null), metadata: { name: "a", ownerReferences: [{ kind: "Service", uid: "u1" }] } }];
  const { lookup, reads } = lookupWith();
  assert.equal(lookup.portFor(owned, 1), "");
  reads[0].reject(new KubeApiError('Cannot get services "two": forbidden (403)', { status: 403 }));
  await settle();
  assert.equal(lookup.portFor(owned, 1), "");
  assert.equal(lookup.named(), false);
  await new Promise((resolve) => setTimeout(resolve, 100)); // Past the backoff (20-40 ms).
  assert.equal(lookup.portFor(owned, 2), "");
  assert.equal(reads.length, 1, "a 403 is not asked again: a pod's slice will name the port");
  assert.equal(lookup.portFor([slice("a", [{ name: "grpc", port: 8080 }])], 3), "grpc");
  assert.equal(lookup.named(), true);
  // A failure that may pass (a 500) is read again after the backoff (a review: it never was).
  const other = lookupWith();
  assert.equal(other.lookup.portFor(owned, 1), "");
  other.reads[0].reject(new KubeApiError("Cannot get services: 500", { status: 500 }));
  await until(() => other.changes() >= 2, "the retry's change");
  assert.equal(other.lookup.portFor(owned, 2), "");
  assert.equal(other.reads.length, 2);
  other.reads[1].resolve(service("grpc"));
  await settle();
  assert.equal(other.lookup.portFor(owned, 3), "grpc");
  assert.equal(other.lookup.named(), true);
});

Deno.test("createServicePortLookup() before any pod reads a Service created again, whose first port may be named otherwise", async () => {
  // Was (a review): the old Service's name stood while the new one had no pod, and its metrics series with it.
  const { lookup, reads } = lookupWith();
  const owned = (uid: string) => [
    { ...slice("a", null), metadata: { name: "a", ownerReferences: [{ kind: "Service", uid }] } },
  ];
  assert.equal(lookup.portFor(owned("u1"), 1), "");
  reads[0].resolve(service("grpc"));
  await settle();
  assert.equal(lookup.portFor(owned("u1"), 2), "grpc");
  assert.equal(lookup.portFor(owned("u1"), 3), "grpc", "scaled to 0 again: kept, not read");
  assert.equal(reads.length, 1);
  // Created again: read, the old name answered meanwhile (a review: "" left an unnamed port's series at its last
  // count once its Service was deleted).
  assert.equal(lookup.portFor(owned("u2"), 4), "grpc");
  assert.equal(reads.length, 2);
  reads[1].resolve(service("api"));
  await settle();
  assert.equal(lookup.portFor(owned("u2"), 5), "api");
});

Deno.test("createServicePortLookup() reads the Service once for several names and again only when they change", async () => {
  const { lookup, reads, changes } = lookupWith();
  assert.equal(lookup.portFor(twoPorts, 1), undefined);
  assert.equal(lookup.portFor(twoPorts, 1), undefined);
  assert.equal(reads.length, 1);
  reads[0].resolve(service("grpc", "http"));
  await settle();
  assert.equal(changes(), 1);
  assert.equal(lookup.portFor(twoPorts, 1), "grpc");
  assert.equal(lookup.portFor([...twoPorts, slice("two-b", [{ name: "grpc", port: 8080 }])], 2), "grpc");
  assert.equal(reads.length, 1);
  // The Service's ports were edited: the slices' names change.
  const edited = [slice("two-a", [{ name: "metrics", port: 9090 }, { name: "http", port: 8081 }])];
  assert.equal(lookup.portFor(edited, 3), undefined);
  reads[1].resolve(service("metrics", "http"));
  await settle();
  assert.equal(lookup.portFor(edited, 3), "metrics");
  assert.equal(reads.length, 2);
});

Deno.test("createServicePortLookup() reads the Service again when its slices belong to a new one of the same name", async () => {
  const { lookup, reads } = lookupWith();
  const owned = (uid: string) =>
    twoPorts.map((one) => ({
      ...one,
      metadata: { ...one.metadata, ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "two", uid }] },
    }));
  assert.equal(lookup.portFor(owned("uid-1"), 1), undefined);
  reads[0].resolve(service("http", "grpc"));
  await settle();
  assert.equal(lookup.portFor(owned("uid-1"), 1), "http");
  // Deleted and created again with grpc first: the controller's new slices have the same port names. The
  // watch hands over an iterator of its slices, which can be read once.
  assert.equal(lookup.portFor(owned("uid-2").values(), 2), undefined);
  reads[1].resolve(service("grpc", "http"));
  await settle();
  assert.equal(lookup.portFor(owned("uid-2").values(), 2), "grpc");
  assert.equal(reads.length, 2);
});

Deno.test("createServicePortLookup() reads a Service without a selector again when its mirrored slices belong to a new Endpoints object", async () => {
  const { lookup, reads } = lookupWith();
  // The EndpointSliceMirroring controller's slices name the Endpoints object as their owner, which the API
  // server deletes with the Service.
  const mirrored = (uid: string) =>
    twoPorts.map((one) => ({
      ...one,
      metadata: { ...one.metadata, ownerReferences: [{ apiVersion: "v1", kind: "Endpoints", name: "two", uid }] },
    }));
  assert.equal(lookup.portFor(mirrored("uid-1"), 1), undefined);
  reads[0].resolve(service("http", "grpc"));
  await settle();
  assert.equal(lookup.portFor(mirrored("uid-1"), 1), "http");
  assert.equal(lookup.portFor(mirrored("uid-2"), 2), undefined);
  reads[1].resolve(service("grpc", "http"));
  await settle();
  assert.equal(lookup.portFor(mirrored("uid-2"), 2), "grpc");
  assert.equal(reads.length, 2);
});

Deno.test("createServicePortLookup() reports a failed read naming the ports, and reads again after a backoff when asked", async () => {
  const { lookup, reads, changes } = lookupWith();
  lookup.portFor(twoPorts, 1);
  reads[0].reject(new KubeApiError('Cannot get service "two" in namespace "prod": forbidden (403)', { status: 403 }));
  await settle();
  const error = lookup.portFor(twoPorts, 1);
  assert.ok(error instanceof KubeApiError);
  assert.equal(error.status, 403);
  assert.equal(
    error.message,
    'Cannot choose a port for service "two" in namespace "prod": its EndpointSlices have the ports "grpc" (8080), ' +
      '"http" (8081), a target without a port uses the Service\'s first TCP port, and reading the Service failed: ' +
      "forbidden (403); or name a port in the target, e.g. kubernetes:///two.prod:grpc",
  );
  assert.equal(lookup.portFor(twoPorts, 2), error, "the same error until the backoff is over");
  assert.equal(reads.length, 1);
  const before = changes();
  await until(() => changes() === before + 1, "the end of the backoff to be announced");
  assert.equal(lookup.portFor(twoPorts, 2), undefined);
  assert.equal(reads.length, 2);
  reads[1].resolve(service("http", "grpc"));
  await settle();
  assert.equal(lookup.portFor(twoPorts, 2), "http");
});

Deno.test("createServicePortLookup() does not time a read while it waits for an exec plugin's credentials", async () => {
  const { lookup, reads } = lookupWith({ timeoutMs: 20 });
  lookup.portFor(twoPorts, 1);
  reads[0].signal.addEventListener("abort", () => reads[0].reject(reads[0].signal.reason));
  const resume = reads[0].pauseTiming!();
  await new Promise((resolve) => setTimeout(resolve, 60));
  resume();
  assert.equal(reads[0].signal.aborted, false);
  reads[0].resolve(service("http", "grpc"));
  await until(() => lookup.portFor(twoPorts, 1) !== undefined, "the answer");
  assert.equal(lookup.portFor(twoPorts, 1), "http");
});

Deno.test("createServicePortLookup() waits out a first 429 with Retry-After unreported, and reports a second", async () => {
  const { lookup, reads } = lookupWith();
  const busy = () => new KubeApiError("too many requests", { status: 429, retryAfterSeconds: 0.05 });
  lookup.portFor(twoPorts, 1);
  reads[0].reject(busy());
  await settle();
  // The server asks to wait: the targets wait with it, as client-go does (they failed at once before).
  assert.equal(lookup.portFor(twoPorts, 1), undefined);
  await until(() => reads.length === 2, "the read again after Retry-After");
  reads[1].reject(busy());
  await until(() => lookup.portFor(twoPorts, 1) instanceof KubeApiError, "the second 429 to be reported");
  assert.match(String((lookup.portFor(twoPorts, 1) as KubeApiError).message), /429|too many requests/);
});

Deno.test("createServicePortLookup() reads again at once after a first Retry-After: 0, then backs off", async () => {
  const { lookup, reads } = lookupWith();
  const now = () => new KubeApiError("too many requests", { status: 429, retryAfterSeconds: 0 });
  lookup.portFor(twoPorts, 1);
  reads[0].reject(now());
  await until(() => reads.length === 2, "the read again at once, as client-go's");
  reads[1].reject(now());
  await until(() => lookup.portFor(twoPorts, 1) instanceof KubeApiError, "the second 429 to be reported");
  // A server that always answers so gets no third read before the backoff is over: no loop.
  assert.equal(reads.length, 2);
});

Deno.test("createServicePortLookup() waits out a second 429's Retry-After too, not only its backoff", async () => {
  const { lookup, reads, changes } = lookupWith();
  const busy = () => new KubeApiError("too many requests", { status: 429, retryAfterSeconds: 0.3 });
  lookup.portFor(twoPorts, 1);
  reads[0].reject(busy());
  await until(() => reads.length === 2, "the read again after Retry-After");
  const before = changes();
  reads[1].reject(busy());
  const rejected = Date.now();
  await until(() => changes() > before + 1, "the end of the wait to be announced");
  // The backoff (20-40 ms) is shorter than the server asked: it was read again after 20-40 ms, at 15x the rate asked.
  assert.ok(Date.now() - rejected >= 290, `announced after ${Date.now() - rejected} ms, before the 300 ms asked`);
  assert.equal(lookup.portFor(twoPorts, 1), undefined);
  assert.equal(reads.length, 3);
});

Deno.test("createServicePortLookup() waits out a first 503 with Retry-After unreported, as a 429", async () => {
  const { lookup, reads } = lookupWith();
  lookup.portFor(twoPorts, 1);
  reads[0].reject(new KubeApiError("unavailable", { status: 503, retryAfterSeconds: 0.05 }));
  await settle();
  // It was reported at once, as a 503 without Retry-After is.
  assert.equal(lookup.portFor(twoPorts, 1), undefined);
  await until(() => reads.length === 2, "the read again after Retry-After");
  reads[1].resolve(service("http", "grpc"));
  await until(() => lookup.portFor(twoPorts, 1) !== undefined, "the answer");
  assert.equal(lookup.portFor(twoPorts, 1), "http");
});

Deno.test("createServicePortLookup() fails a read that gets no answer in time", async () => {
  const { lookup, reads } = lookupWith({ timeoutMs: 20 });
  lookup.portFor(twoPorts, 1);
  reads[0].signal.addEventListener("abort", () => reads[0].reject(reads[0].signal.reason));
  await until(() => lookup.portFor(twoPorts, 1) !== undefined, "the read to time out");
  const error = lookup.portFor(twoPorts, 1);
  assert.ok(error instanceof KubeApiError);
  assert.match(error.message, /reading the Service failed: no answer within 20 ms \(stallTimeoutMs\); or name a port/);
});

Deno.test("createServicePortLookup() stops reading and announcing once its signal aborts", async () => {
  const { lookup, reads, controller, changes } = lookupWith();
  lookup.portFor(twoPorts, 1);
  assert.equal(reads[0].signal.aborted, false);
  controller.abort();
  assert.equal(reads[0].signal.aborted, true);
  reads[0].reject(new Error("aborted"));
  await settle();
  assert.equal(changes(), 0);
});

Deno.test("portNoteFor() flags a port number no slice has, and suggests the port's name or the pods' number", () => {
  // Which name the Service's port maps to is not in the slices: every name is offered, none guessed.
  const grpc = [
    slice("a", [{ name: "grpc", port: 8080 }, { name: "metrics", port: 9090 }]),
    slice("b", [{ name: "grpc", port: 50051 }]),
  ];
  // 8080 is one of two numbers of "grpc": the split note (below) says so.
  assert.match(portNoteFor(8080, grpc)!, /^port 8080 is the number of "grpc" for some pods only/);
  assert.equal(portNoteFor(9090, grpc), undefined);
  assert.equal(
    portNoteFor(80, grpc),
    'port 80 is none of the ports the Service\'s EndpointSlices give its pods ("grpc" (8080, 50051), "metrics" (9090)): ' +
      "the pods are dialed on 80 as given; if 80 is the Service's port, name the port in the target instead " +
      "(:grpc or :metrics)",
  );
  assert.match(portNoteFor(80, [slice("u", [{ port: 50051 }])])!, /, give the pods' port instead \(:50051\)$/);
  // Three names read "a, b or c" (they read "a or b or c").
  const three = [
    slice("t", [{ name: "grpc", port: 8080 }, { name: "admin", port: 8081 }, { name: "metrics", port: 9090 }]),
  ];
  assert.match(portNoteFor(80, three)!, /name the port in the target instead \(:admin, :grpc or :metrics\)$/);
  // No numbered port to compare with (a Service scaled to zero, or no slice yet).
  assert.equal(portNoteFor(80, []), undefined);
  assert.equal(portNoteFor(80, [slice("v", [{ name: "grpc", port: null }])]), undefined);
  // A port name is checked against the Service instead.
  assert.equal(portNoteFor("http", grpc), undefined);
});

Deno.test("createServicePortLookup() gives a target without a port the first TCP port: gRPC dials TCP", async () => {
  // A statsd port listed first, as `kubectl get svc` shows: the controller writes both into each slice.
  const udpFirst = [
    slice("mixed-a", [{ name: "grpc", port: 50051, protocol: "TCP" }, { name: "stats", port: 8125, protocol: "UDP" }]),
  ];
  const { lookup, reads } = lookupWith();
  // One TCP port name: no read, whatever else the Service has (kube-dns: "dns" UDP 53 first, "dns-tcp" TCP 53).
  assert.equal(lookup.portFor(udpFirst, 1), "grpc");
  const kubeDns = [slice("dns-a", [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }])];
  assert.equal(lookup.portFor(kubeDns, 2), "dns-tcp");
  assert.equal(reads.length, 0);
  // Several TCP ports after an SCTP one: the Service's first TCP port.
  const sctpFirst = [slice("sig-a", [
    { name: "http", port: 8080, protocol: "TCP" },
    { name: "sig", port: 3868, protocol: "SCTP" },
    { name: "grpc", port: 50051, protocol: "TCP" },
  ])];
  assert.equal(lookup.portFor(sctpFirst, 3), undefined);
  reads[0].resolve({
    spec: {
      ports: [{ name: "sig", port: 3868, protocol: "SCTP" }, { name: "grpc", port: 80 }, {
        name: "http",
        port: 8080,
        protocol: "TCP",
      }],
    },
  });
  await settle();
  assert.equal(lookup.portFor(sctpFirst, 3), "grpc");
  // No TCP port at all: the first port, as before.
  const udpOnly = [slice("logs-a", [{ name: "syslog", port: 514, protocol: "UDP" }])];
  assert.equal(lookup.portFor(udpOnly, 4), "syslog");
});

Deno.test("portNoteFor() flags a port the slices give only as UDP or SCTP, and suggests the TCP ones", () => {
  const mixed = [
    slice("m-a", [{ name: "grpc", port: 50051, protocol: "TCP" }, { name: "stats", port: 8125, protocol: "UDP" }]),
  ];
  assert.equal(
    portNoteFor("stats", mixed),
    'port "stats" is UDP in the Service\'s EndpointSlices ("stats" (8125)), and gRPC dials TCP: the pods are ' +
      "reached only if they also listen on TCP there; name a TCP port in the target instead (:grpc)",
  );
  assert.match(portNoteFor(8125, mixed)!, /^port 8125 is UDP in .*instead \(:grpc\)$/);
  assert.equal(portNoteFor("grpc", mixed), undefined);
  assert.equal(portNoteFor(50051, mixed), undefined);
  // The number not listed: only TCP ports are suggested.
  assert.match(portNoteFor(80, mixed)!, /if 80 is the Service's port, name the port in the target instead \(:grpc\)$/);
  // kube-dns: 53 is also a TCP port.
  const kubeDns = [slice("dns-a", [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }])];
  assert.equal(portNoteFor(53, kubeDns), undefined);
  assert.match(portNoteFor("dns", kubeDns)!, /^port "dns" is UDP .*instead \(:dns-tcp\)$/);
  // No TCP port at all, as a target without a port then gets.
  const sctpOnly = [slice("s-a", [{ name: "sig", port: 3868, protocol: "SCTP" }])];
  assert.match(
    portNoteFor("sig", sctpOnly)!,
    /is SCTP .*; its EndpointSlices have no TCP port: put the number of the pods'/,
  );
  // Slices not written from the Service (an Endpoints object mirrored, or written by hand) may give the Service's TCP
  // port as UDP (kube-proxy v1.36.3 then gives its ClusterIP no endpoint): the note said the Service had no TCP port.
  const mirroredUdp = [slice("proto-a", [{ name: "grpc", port: 50051, protocol: "UDP" }])];
  assert.doesNotMatch(portNoteFor("grpc", mirroredUdp)!, /the Service has no TCP port/);
  // A name no slice has is the empty reason's to explain.
  assert.equal(portNoteFor("http", mixed), undefined);
});

Deno.test("portNoteFor() flags a number that the slices give one port name for some pods only", () => {
  // As the EndpointSlice controller (v1.36.3) writes a Service whose targetPort names "grpc", for pods that number it
  // 50051, 50061 and 50071: kube-proxy sends each pod's connections to its own number, a target of 50051 sends all
  // of them to 50051, where two of the pods do not listen. No note said so.
  const slices = [
    slice("mp-a", [{ name: "grpc", port: 50051 }, { name: "metrics", port: 9100 }]),
    slice("mp-b", [{ name: "metrics", port: 9101 }, { name: "grpc", port: 50061 }]),
    slice("mp-c", [{ name: "grpc", port: 50071 }]),
  ];
  assert.equal(
    portNoteFor(50051, slices),
    'port 50051 is the number of "grpc" for some pods only (the Service\'s EndpointSlices give it 50051, 50061, ' +
      "50071): every pod is dialed on 50051 as given, the others too; name the port in the target instead (:grpc)",
  );
  assert.equal(portNoteFor("grpc", slices), undefined);
  assert.equal(portNoteFor(9100, [slices[0]]), undefined);
});

Deno.test("watchEndpoints() without a port reads the Service's ports from etcd, its policy at resumes from the watch cache", async () => {
  const api = await startFakeApiServer();
  api.applyService({
    metadata: { namespace: "prod", name: "two" },
    spec: {
      ports: [
        { name: "grpc", protocol: "TCP", port: 80, targetPort: 8080 },
        { name: "http", protocol: "TCP", port: 81, targetPort: 8081 },
      ],
    },
  });
  api.applySlice({
    metadata: { namespace: "prod", name: "two-a", labels: { "kubernetes.io/service-name": "two" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8081, protocol: "TCP" }, { name: "grpc", port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: ["10.6.0.1"] }],
  });
  const controller = new AbortController();
  const hosts: string[] = [];
  const done = (async () => {
    const snapshots = watchEndpoints("kubernetes:///two.prod", {
      cluster: { kubeconfig: api.kubeconfig() },
      signal: controller.signal,
    });
    for await (const { endpoints } of snapshots) hosts.push(endpoints.map(({ addresses }) => addresses[0].port).join());
  })();
  const reads = () => api.requests.filter(({ path }) => path.endsWith("/services/two"));
  try {
    await until(() => hosts.at(-1) === "8080", "the first TCP port's endpoints");
    // An API server whose watch cache is behind (HA, its etcd link slow) answered a port renamed a moment before
    // with its old name, which no slice has: every endpoint went, for good (the slices' names no longer change).
    assert.deepEqual(reads().map(({ query }) => query.resourceVersion), [undefined], "one GET, port and policy");
    await new Promise((resolve) => setTimeout(resolve, 1000)); // An answer less than a second old serves a resume.
    api.endWatches();
    await until(() => reads().length === 2, "the resume's policy read");
    assert.equal(reads()[1].query.resourceVersion, "0");
  } finally {
    controller.abort();
    await done;
    await api.close();
  }
});

Deno.test("portNoteFor() and a failed read escape DEL, C1 controls and bidi characters in the slices' port names and protocols", async () => {
  // The API server validates port names, but the fake and other servers may not: a right-to-left override (U+202E)
  // or an isolate (U+2066) in a note or an error reorders the words around it in a terminal or a log line.
  const unprintable = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
  const hostile = [
    slice("h-a", [{ name: "g\u202erpc", port: 8080 }, { name: "s\x7ftats", port: 8125, protocol: "UDP\u2066" }]),
    slice("h-b", [{ name: "g\u202erpc", port: 50051 }]),
  ];
  const notes = [portNoteFor(80, hostile)!, portNoteFor(8080, hostile)!, portNoteFor(8125, hostile)!];
  for (const note of notes) assert.doesNotMatch(note, unprintable);
  assert.match(notes[0], /\("g\\u202erpc" \(8080, 50051\), "s\\x7ftats" \(8125\)\).*instead \(:g\\u202erpc\)$/);
  assert.match(notes[1], /^port 8080 is the number of "g\\u202erpc" .*instead \(:g\\u202erpc\)$/);
  assert.match(notes[2], /^port 8125 is UDP\\u2066 in .*\("s\\x7ftats" \(8125\)\)/);
  const { lookup, reads } = lookupWith();
  const two = [slice("two-a", [{ name: "h\x9bttp", port: 8081 }, { name: "g\u2067rpc", port: 8080 }])];
  lookup.portFor(two, 1);
  reads[0].reject(new KubeApiError('Cannot get service "two" in namespace "prod": forbidden (403)', { status: 403 }));
  await settle();
  const error = lookup.portFor(two, 1);
  assert.ok(error instanceof KubeApiError);
  assert.doesNotMatch(error.message, unprintable);
  assert.match(
    error.message,
    /the ports "g\\u2067rpc" \(8080\), "h\\x9bttp" \(8081\).*kubernetes:\/\/\/two\.prod:g\\u2067rpc$/,
  );
});
