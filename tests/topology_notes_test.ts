// What a client is told when topology-aware routing is off: the trace says each change of its mode and the reason,
// in the CLI's words, and standard error says it once when it looks like a mistake (a zone set by hand that a hinted
// zone nearly matches, or no locality at all), not for a client in a zone without pods, where kube-proxy falls back
// without a word too.
import assert from "node:assert/strict";
import { type EndpointSnapshot, type Locality, watchEndpoints } from "../mod.ts";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "../testing.ts";
import { setTraceSink, setWarningSink } from "../src/runtime/trace.ts";
import { zoneMeant } from "../src/selection/topology_reason.ts";
import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import { register } from "../mod.ts";

/** The resolver class register() hands grpc-js, as grpc-js uses it. */
interface ResolverClass {
  new (uri: unknown, listener: () => boolean, options: object): { updateResolution(): void; destroy(): void };
}

// The target as grpc-js hands it to a resolver.
const { parseUri } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/uri-parser") as {
  parseUri(uri: string): unknown;
};

/** A Service `service` in shop with a pod in each of zone-a and zone-b, hinted for its zone unless `hinted` is false. */
function applyZoned(server: FakeApiServer, service: string, hinted = true): void {
  server.applySlice(endpointSlice({
    namespace: "shop",
    service,
    ...(hinted ? { trafficDistribution: "PreferSameZone" as const } : {}),
    port: { name: "grpc", port: 80 },
    endpoints: [{ ip: "10.0.0.1", pod: `${service}-a`, zone: "zone-a" }, {
      ip: "10.0.0.2",
      pod: `${service}-b`,
      zone: "zone-b",
    }],
  }));
}

/**
 * Follows `service` in shop at `locality` (`undefined`: none given) until a snapshot that `last` accepts (5 s at
 * most), with `whileFollowing` run after the first; returns the traces and warnings meanwhile. The target names
 * `port`, or none for `""`.
 */
async function follow(
  server: FakeApiServer,
  service: string,
  locality: Locality | undefined,
  last: (snapshot: EndpointSnapshot) => boolean = () => true,
  whileFollowing: () => void = () => {},
  port = "grpc",
): Promise<{ traces: string[]; warnings: string[] }> {
  const traces: string[] = [];
  const warnings: string[] = [];
  const previousTrace = setTraceSink((text) => traces.push(text));
  const previousWarning = setWarningSink((text) => warnings.push(text));
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), 5000);
  try {
    let first = true;
    for await (
      const snapshot of watchEndpoints(`kubernetes:///${service}.shop${port === "" ? "" : `:${port}`}`, {
        cluster: { kubeconfig: server.kubeconfig() },
        ...(locality === undefined ? {} : { locality }),
        signal: controller.signal,
      })
    ) {
      if (last(snapshot)) break;
      if (first) whileFollowing();
      first = false;
    }
  } finally {
    clearTimeout(timeout);
    setTraceSink(previousTrace);
    setWarningSink(previousWarning);
  }
  return { traces, warnings };
}

const topologyLines = (traces: string[]) => traces.filter((line) => line.includes(": topology "));

/**
 * Resolves `service` in shop with the grpc-js resolver that register() hands grpc-js, without locality, until it
 * reports endpoints (5 s at most); returns the warnings meanwhile.
 */
async function resolverWarnings(server: FakeApiServer, service: string): Promise<string[]> {
  let Resolver: ResolverClass | undefined;
  const experimental = {
    ...grpc.experimental,
    registerResolver: (_: string, found: ResolverClass) => Resolver = found,
  };
  register({ cluster: { kubeconfig: server.kubeconfig() }, grpc: { ...grpc, experimental } as never });
  const warnings: string[] = [];
  const previousWarning = setWarningSink((text) => warnings.push(text));
  let reported = false;
  const listener = () => reported = true;
  const resolver = new Resolver!(parseUri(`kubernetes:///${service}.shop:grpc`), listener, {});
  try {
    resolver.updateResolution();
    for (let wait = 0; wait < 500 && !reported; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(reported, "the resolver reported");
  } finally {
    resolver.destroy();
    setWarningSink(previousWarning);
  }
  return warnings;
}

Deno.test("a zone mistyped in the locality option is traced with the CLI's reason and warned about once, with the zone meant", async () => {
  const server = await startFakeApiServer();
  try {
    applyZoned(server, "typo");
    const { traces, warnings } = await follow(server, "typo", { zone: "zone-A" });
    assert.deepEqual(topologyLines(traces), [
      "service typo in namespace shop, port grpc, client in zone zone-A: topology none (no ready pod is hinted for " +
      "zone zone-A, only for zones zone-a and zone-b)",
    ]);
    assert.deepEqual(warnings, [
      "no pod of service typo in namespace shop is hinted for this client's zone zone-A (from locality.zone), but " +
      "its pods are hinted for zones zone-a and zone-b: did you mean zone-a? Until locality.zone names a hinted zone " +
      "exactly, its calls go to every zone (locality: {} turns topology-aware routing off without this warning)",
    ]);
    const again = await follow(server, "typo", { zone: "zone-A" });
    assert.deepEqual(again.warnings, [], "once per Service, zone and process");
    assert.equal(topologyLines(again.traces).length, 1, "traced for each channel");
  } finally {
    await server.close();
  }
});

Deno.test("a zone mistyped in ZONE is warned about, naming ZONE", async () => {
  const server = await startFakeApiServer();
  const before = Deno.env.get("ZONE");
  Deno.env.set("ZONE", "zon-b");
  try {
    applyZoned(server, "typo-env");
    const { warnings } = await follow(server, "typo-env", undefined);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /this client's zone zon-b \(from ZONE\), .*: did you mean zone-b\? Until ZONE names/);
  } finally {
    if (before === undefined) Deno.env.delete("ZONE");
    else Deno.env.set("ZONE", before);
    await server.close();
  }
});

Deno.test("a client in a zone without pods is only traced: kube-proxy falls back without a word too", async () => {
  const server = await startFakeApiServer();
  try {
    applyZoned(server, "elsewhere");
    const { traces, warnings } = await follow(server, "elsewhere", { zone: "zone-c" });
    assert.deepEqual(warnings, []);
    assert.deepEqual(topologyLines(traces), [
      "service elsewhere in namespace shop, port grpc, client in zone zone-c: topology none (no ready pod is hinted " +
      "for zone zone-c, only for zones zone-a and zone-b)",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("a zone hinted only on a ready pod without the target's port is traced as such, and not taken for a typo", async () => {
  // Was: 'no pod ... is hinted for this client's zone zone-a1 ..., but its pods are hinted for zone zone-b1: did you
  // mean zone-b1?', while the trace said what the zone's pod lacks (session 71's leftover).
  const server = await startFakeApiServer();
  try {
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "portless",
      name: "portless-grpc",
      trafficDistribution: "PreferSameZone",
      port: { name: "grpc", port: 80 },
      endpoints: [{ ip: "10.0.0.1", pod: "portless-b", zone: "zone-b1" }],
    }));
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "portless",
      name: "portless-admin",
      trafficDistribution: "PreferSameZone",
      port: { name: "admin", port: 9000 },
      endpoints: [{ ip: "10.0.0.2", pod: "portless-a", zone: "zone-a1" }],
    }));
    const { traces, warnings } = await follow(server, "portless", { zone: "zone-a1" });
    assert.deepEqual(topologyLines(traces), [
      "service portless in namespace shop, port grpc, client in zone zone-a1: topology none (the ready pod hinted " +
      'for zone zone-a1 (portless-a) has no port named "grpc")',
    ]);
    assert.deepEqual(warnings, []);
  } finally {
    await server.close();
  }
});

Deno.test("a zone that nearly names one hinted only on pods without the target's port: the warning says what they lack", async () => {
  // Was '... did you mean zone-a1? Until locality.zone names a hinted zone exactly, its calls go to every zone',
  // though zone-a1's pods lack port grpc: naming it would still send the calls to every zone (a review's case). Then
  // '... hinted for zone zone-b1: did you mean zone-a1? The pods hinted for zone-a1 lack port grpc, ...' asked about a
  // zone missing from the list it gave, in other words than the reasons' 'no port named "grpc"' (a second review).
  const server = await startFakeApiServer();
  try {
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "portless-typo",
      name: "portless-typo-grpc",
      trafficDistribution: "PreferSameZone",
      port: { name: "grpc", port: 80 },
      endpoints: [{ ip: "10.0.0.1", pod: "portless-b", zone: "zone-b1" }],
    }));
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "portless-typo",
      name: "portless-typo-admin",
      trafficDistribution: "PreferSameZone",
      port: { name: "admin", port: 9000 },
      endpoints: [{ ip: "10.0.0.2", pod: "portless-a", zone: "zone-a1" }],
    }));
    const { warnings } = await follow(server, "portless-typo", { zone: "Zone-A1" });
    assert.deepEqual(warnings, [
      "no pod of service portless-typo in namespace shop is hinted for this client's zone Zone-A1 (from " +
      'locality.zone), but its pods are hinted for zone zone-b1 (and zone-a1, on pods with no port named "grpc"): ' +
      "did you mean zone-a1? Its calls go to every zone even when locality.zone names it, until those pods have the " +
      "port (locality: {} turns topology-aware routing off without this warning)",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("the trace names a Service's unnamed port as the Service's port, not as an empty name", async () => {
  // Was "service unnamed in namespace shop, port , client in zone zone-a: ..." for a target without a port on a
  // Service whose one port has no name (ports: [{ port: 50051 }]).
  const server = await startFakeApiServer();
  try {
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "unnamed",
      trafficDistribution: "PreferSameZone",
      port: { name: "", port: 50051 },
      endpoints: [{ ip: "10.0.0.1", pod: "unnamed-b", zone: "zone-b" }],
    }));
    // A slice of another port makes the resolver read the Service for its first TCP port, and skip that slice.
    server.applyService({ metadata: { namespace: "shop", name: "unnamed" }, spec: { ports: [{ port: 50051 }] } });
    server.applySlice(endpointSlice({
      namespace: "shop",
      service: "unnamed",
      name: "unnamed-admin",
      port: { name: "admin", port: 9000 },
      endpoints: [{ ip: "10.0.0.2", pod: "unnamed-c", zone: "zone-c" }],
    }));
    const { traces, warnings } = await follow(server, "unnamed", { zone: "zone-a" }, () => true, () => {}, "");
    // Was 'its slices have "" (50051), ...', 'the first TCP port is ""' and 'has no port named ""'.
    assert.deepEqual(traces.filter((line) => line.includes('""') && !line.includes("resourceVersion")), []);
    assert.ok(traces.includes("service unnamed in namespace shop: the first TCP port has no name"), String(traces));
    assert.ok(
      traces.includes(
        "EndpointSlice unnamed-admin has no port for the Service's port (with a number 1-65535): its endpoints are " +
          "skipped",
      ),
      String(traces),
    );
    assert.deepEqual(topologyLines(traces), [
      "service unnamed in namespace shop, the Service's port, client in zone zone-a: topology none (no ready pod is " +
      "hinted for zone zone-a, only for zone zone-b)",
    ]);
    assert.deepEqual(warnings, []);
  } finally {
    await server.close();
  }
});

Deno.test("a channel without locality on a Service hinted for zones is warned about once, with what to set; locality: {} and watchEndpoints() are not", async () => {
  const server = await startFakeApiServer();
  const before = { NODE_NAME: Deno.env.get("NODE_NAME"), ZONE: Deno.env.get("ZONE") };
  Deno.env.delete("NODE_NAME");
  Deno.env.delete("ZONE");
  try {
    applyZoned(server, "nowhere");
    const off = await follow(server, "nowhere", {});
    assert.deepEqual(off.warnings, [], "locality: {} turns topology off on purpose");
    assert.deepEqual(topologyLines(off.traces), [
      "service nowhere in namespace shop, port grpc, client locality unknown: topology none (client locality unknown)",
    ]);
    // watchEndpoints() routes no call (a dashboard, a tool on a laptop): the trace says it, standard error does not.
    // It was told "its calls go to every zone".
    const watched = await follow(server, "nowhere", undefined);
    assert.deepEqual(watched.warnings, []);
    assert.deepEqual(topologyLines(watched.traces), [
      "service nowhere in namespace shop, port grpc, client locality unknown: topology none (client locality unknown)",
    ]);
    assert.deepEqual(await resolverWarnings(server, "nowhere"), [
      "service nowhere in namespace shop prefers each client's own zone (its pods are hinted for zones zone-a and " +
      "zone-b), but this client's locality is unknown, so its calls go to every zone: set NODE_NAME from the " +
      "Downward API (env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]), or ZONE, " +
      "or the locality option (locality: {} turns topology-aware routing off without this warning)",
    ]);
    applyZoned(server, "unhinted", false);
    assert.deepEqual(await resolverWarnings(server, "unhinted"), [], "no hints: nothing to prefer");
  } finally {
    for (const [name, value] of Object.entries(before)) if (value !== undefined) Deno.env.set(name, value);
    await server.close();
  }
});

Deno.test("the trace says each change of a client's topology and its reason", async () => {
  const server = await startFakeApiServer();
  try {
    applyZoned(server, "changing");
    const { traces } = await follow(
      server,
      "changing",
      { zone: "zone-a" },
      (snapshot) => snapshot.topology === "none",
      () => applyZoned(server, "changing", false),
    );
    assert.deepEqual(topologyLines(traces), [
      "service changing in namespace shop, port grpc, client in zone zone-a: topology zone",
      "service changing in namespace shop, port grpc, client in zone zone-a: topology none (no pod has a topology " +
      "hint (the Service's trafficDistribution sets them, on Kubernetes 1.31+; its topology-mode Auto annotation " +
      "only while it can balance the zones: kubectl get events -n shop --field-selector involvedObject.name=changing " +
      "shows why))",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("zoneMeant() names a zone that differs in case or by a typo, not a sibling zone without pods", () => {
  assert.equal(zoneMeant("zone-A", ["zone-a", "zone-b"]), "zone-a");
  assert.equal(zoneMeant("zon-a", ["zone-a", "zone-b"]), "zone-a");
  assert.equal(zoneMeant("eu-west-1", ["eu-west-1a"]), "eu-west-1a");
  assert.equal(zoneMeant("zone-a", ["zone-a"]), undefined, "hinted");
  assert.equal(zoneMeant("zone-c", ["zone-a"]), undefined, "a sibling zone");
  assert.equal(zoneMeant("eu-west-1d", ["eu-west-1a", "eu-west-1b"]), undefined, "a sibling zone");
  assert.equal(zoneMeant("us-east-1a", ["eu-west-1a"]), undefined, "too far");
});
