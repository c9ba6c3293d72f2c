// The fake API server's Service types and addresses, as kube-apiserver v1.36.3 on the test control plane stores them
// (measured with kubectl apply, POST and PUT; tests/e2e/differential_test.ts compares the two): a cluster IP
// allocated from 10.96.0.0/16 (or given), node ports from 30000-32767 for NodePort and LoadBalancer Services, an
// ExternalName Service without an address, the refusals in the real server's words, and type changes.
import assert from "node:assert/strict";
import type { FakeApiServer, Service, ServiceInput } from "@kgr/resolver/testing";
import { type Json, svc, withServer } from "./_helpers.ts";
import { eventually, follow } from "../_watch_helpers.ts";
import {
  allocateClusterIp,
  allocateNodePort,
  clusterIpProblem,
  nodePortProblem,
} from "../../src/testing/_service_ranges.ts";
import { clusterIpOf } from "../../src/testing/_service_ip.ts";

const IP = /^10\.96\.\d{1,3}\.\d{1,3}$/;
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

/** Applies a Service in `prod`; returns its spec. */
function apply(server: FakeApiServer, name: string, spec: Record<string, unknown>): Service["spec"] {
  return server.applyService({ metadata: { namespace: "prod", name }, spec } as unknown as ServiceInput).spec;
}

/** The refusal of a Service in `prod`, without the "Cannot apply" head. */
function refusal(server: FakeApiServer, name: string, spec: Record<string, unknown>): string {
  try {
    apply(server, name, spec);
  } catch (error) {
    return (error as Error).message.replace(/^Cannot apply Service "[^"]+": /, "");
  }
  return assert.fail(`${name} was stored`);
}

/** Whether `port` is a node port the real server allocates at random: the upper band, past the first 86. */
function isAllocatedNodePort(port: number | undefined): boolean {
  return port !== undefined && port >= 30086 && port <= 32767;
}

const grpc = [{ name: "grpc", port: 80 }];

Deno.test("applyService() allocates a cluster IP of 10.96.0.0/16 past its first 256 addresses, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const addresses = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const spec = apply(server, `s${i}`, { ports: grpc });
      assert.match(spec.clusterIP!, IP);
      assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
      // The real allocator keeps the lower band (10.96.0.1-10.96.1.0) for given addresses.
      assert.ok(Number(spec.clusterIP!.split(".")[2]) >= 1, spec.clusterIP);
      addresses.add(spec.clusterIP!);
    }
    assert.equal(addresses.size, 50);
    // In kube-apiserver's order of fields (measured).
    assert.deepEqual(Object.keys(apply(server, "keys", { ports: grpc, selector: { app: "a" } })), [
      "ports",
      "selector",
      "clusterIP",
      "clusterIPs",
      "type",
      "sessionAffinity",
      "ipFamilies",
      "ipFamilyPolicy",
      "internalTrafficPolicy",
    ]);
    // A replacement keeps it; the `kubernetes` Service has the first address.
    const kept = apply(server, "s0", { ports: grpc, selector: { app: "b" } });
    assert.equal(kept.clusterIP, apply(server, "s0", { ports: grpc, selector: { app: "b" } }).clusterIP);
    assert.equal(
      refusal(server, "s0", { ports: grpc, clusterIP: "10.96.0.77" }),
      `spec.clusterIPs[0]: Invalid value: ["10.96.0.77"]: may not change once set (it keeps ${kept.clusterIP}: ` +
        "delete it, then apply it again)",
    );
  });
});

Deno.test("applyService() stores a given cluster IP of the range when it is free, and refuses it in kube-apiserver's words", async () => {
  await withServer({}, (server) => {
    assert.equal(apply(server, "dns", { ports: [{ port: 53 }], clusterIP: "10.96.0.10" }).clusterIP, "10.96.0.10");
    assert.equal(
      apply(server, "both", { ports: grpc, clusterIP: "10.96.5.6", clusterIPs: ["10.96.5.6"] }).clusterIP,
      "10.96.5.6",
    );
    const hint = " (the fake API server's service range is 10.96.0.0/16: give a free address of it, or leave " +
      "spec.clusterIP out to have one allocated)";
    const cases: [string, string][] = [
      ["10.96.0.10", "provided IP is already allocated"],
      // The `kubernetes` Service's.
      ["10.96.0.1", "provided IP is already allocated"],
      ["10.0.0.10", "the provided network does not match the current range"],
      ["10.96.0.0", "the provided network does not match the current range"],
      ["10.96.255.255", "the provided network does not match the current range"],
    ];
    for (const [ip, problem] of cases) {
      assert.equal(
        refusal(server, "other", { ports: grpc, clusterIP: ip }),
        `spec.clusterIPs: Invalid value: ["${ip}"]: failed to allocate IP ${ip}: ${problem}${hint}`,
      );
    }
    // Freed by a deletion.
    server.deleteService("prod", "dns");
    assert.equal(apply(server, "other", { ports: grpc, clusterIP: "10.96.0.10" }).clusterIP, "10.96.0.10");
  });
});

Deno.test("applyService() gives a NodePort Service node ports of 30000-32767, given or allocated, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const spec = apply(server, "np", { type: "NodePort", selector: { app: "a" }, ports: [{ port: 80 }] });
    assert.equal(spec.type, "NodePort");
    assert.match(spec.clusterIP!, IP);
    assert.ok(isAllocatedNodePort(spec.ports![0].nodePort), `${spec.ports![0].nodePort}`);
    assert.deepEqual(Object.keys(spec.ports![0]), ["protocol", "port", "targetPort", "nodePort"]);
    assert.equal(spec.externalTrafficPolicy, "Cluster");
    assert.deepEqual(Object.keys(spec), [
      "ports",
      "selector",
      "clusterIP",
      "clusterIPs",
      "type",
      "sessionAffinity",
      "externalTrafficPolicy",
      "ipFamilies",
      "ipFamilyPolicy",
      "internalTrafficPolicy",
    ]);
    assert.equal(
      apply(server, "given", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }).ports![0].nodePort,
      30080,
    );
    const hint = " (the fake API server's node ports are 30000-32767: give a free one, or leave nodePort out to have " +
      "one allocated)";
    assert.equal(
      refusal(server, "taken", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }),
      `spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated${hint}`,
    );
    for (const port of [8080, 70000, -1]) {
      assert.equal(
        refusal(server, "out", { type: "NodePort", ports: [{ port: 80, nodePort: port }] }),
        `spec.ports[0].nodePort: Invalid value: ${port}: provided port is not in the valid range. The range of valid ` +
          `ports is 30000-32767${hint}`,
      );
    }
    const twice = [{ name: "a", port: 80, nodePort: 30090 }, { name: "b", port: 81, nodePort: 30090 }];
    assert.equal(
      refusal(server, "twice", { type: "NodePort", ports: twice }),
      `spec.ports[1].nodePort: Invalid value: 30090: provided port is already allocated${hint}`,
    );
    // One port number for TCP and UDP shares its node port, given or allocated (measured).
    const dns = apply(server, "dns", {
      type: "NodePort",
      ports: [{ name: "a", port: 53 }, { name: "b", port: 53, protocol: "UDP", nodePort: 30555 }],
    });
    assert.deepEqual(dns.ports!.map((port) => port.nodePort), [30555, 30555]);
    const shared = apply(server, "dns2", {
      type: "NodePort",
      ports: [{ name: "a", port: 53 }, { name: "b", port: 53, protocol: "UDP" }],
    });
    assert.equal(shared.ports![0].nodePort, shared.ports![1].nodePort);
    // Other types refuse what only NodePort and LoadBalancer Services have.
    assert.equal(
      refusal(server, "plain", { ports: [{ port: 80, nodePort: 30092 }] }),
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP' (give type NodePort or " +
        "LoadBalancer, or leave nodePort out)",
    );
    assert.match(
      refusal(server, "plain", { ports: grpc, externalTrafficPolicy: "Local" }),
      /^spec\.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services/,
    );
    assert.equal(
      refusal(server, "headless", { type: "NodePort", clusterIP: "None", ports: grpc }),
      `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services (a headless ` +
        "Service is of type ClusterIP)",
    );
    assert.match(refusal(server, "portless", { type: "NodePort" }), /^spec\.ports: Required value \(a NodePort/);
    assert.equal(
      refusal(server, "bad", { type: "NodePort", ports: grpc, externalTrafficPolicy: "Foo" }),
      'spec.externalTrafficPolicy: Unsupported value: "Foo": supported values: "Cluster", "Local"',
    );
    assert.equal(
      refusal(server, "bad", { type: "Foo", ports: grpc }),
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
  });
});

Deno.test("applyService() stores a LoadBalancer Service with node ports and an empty status, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const service = server.applyService({
      metadata: { namespace: "prod", name: "lb" },
      spec: { type: "LoadBalancer", selector: { app: "a" }, ports: [{ port: 80 }] },
    });
    assert.deepEqual(service.status, { loadBalancer: {} });
    assert.equal(service.spec.allocateLoadBalancerNodePorts, true);
    assert.ok(isAllocatedNodePort(service.spec.ports![0].nodePort));
    assert.equal(service.spec.healthCheckNodePort, undefined);
    assert.deepEqual(Object.keys(service.spec).slice(4), [
      "type",
      "sessionAffinity",
      "externalTrafficPolicy",
      "ipFamilies",
      "ipFamilyPolicy",
      "allocateLoadBalancerNodePorts",
      "internalTrafficPolicy",
    ]);
    const local = apply(server, "local", { type: "LoadBalancer", externalTrafficPolicy: "Local", ports: grpc });
    assert.ok(isAllocatedNodePort(local.healthCheckNodePort));
    assert.notEqual(local.healthCheckNodePort, local.ports![0].nodePort);
    const given = apply(server, "given", {
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 30777,
      ports: grpc,
    });
    assert.equal(given.healthCheckNodePort, 30777);
    assert.match(
      refusal(server, "taken", {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 30777,
        ports: grpc,
      }),
      /^Internal error occurred: failed to allocate requested HealthCheck NodePort 30777: provided port is already allocated/,
    );
    assert.equal(
      refusal(server, "bad", { type: "NodePort", healthCheckNodePort: 30778, ports: grpc }),
      "spec.healthCheckNodePort: Invalid value: 30778: may only be set when `type` is 'LoadBalancer' and " +
        "`externalTrafficPolicy` is 'Local'",
    );
    const none = apply(server, "none", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: grpc });
    assert.equal(none.ports![0].nodePort, undefined);
    assert.equal(
      refusal(server, "bad", { type: "NodePort", allocateLoadBalancerNodePorts: true, ports: grpc }),
      "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'",
    );
    assert.match(
      refusal(server, "bad", { type: "LoadBalancer", clusterIP: "None", ports: grpc }),
      /^spec\.clusterIPs\[0\]: Invalid value: "None": may not be set to 'None' for LoadBalancer services/,
    );
  });
});

Deno.test("applyService() stores an ExternalName Service without an address, and refuses what it cannot have", async () => {
  await withServer({}, (server) => {
    assert.deepEqual(apply(server, "db", { type: "ExternalName", externalName: "db.example.com" }), {
      type: "ExternalName",
      sessionAffinity: "None",
      externalName: "db.example.com",
    });
    // Ports and a selector are kept, its internal traffic policy dropped; a trailing dot and an IP address pass.
    assert.deepEqual(
      apply(server, "ported", {
        type: "ExternalName",
        externalName: "a.b.",
        selector: { app: "x" },
        internalTrafficPolicy: "Local",
        ports: [{ port: 80, targetPort: 8080 }],
      }),
      {
        ports: [{ protocol: "TCP", port: 80, targetPort: 8080 }],
        selector: { app: "x" },
        type: "ExternalName",
        sessionAffinity: "None",
        externalName: "a.b.",
      },
    );
    assert.equal(apply(server, "ip", { type: "ExternalName", externalName: "10.1.2.3" }).externalName, "10.1.2.3");
    const refusals: [Record<string, unknown>, string][] = [
      [{}, "spec.externalName: Required value"],
      [{ externalName: "Bad_Name" }, 'spec.externalName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'],
      [{ externalName: "a.b", clusterIP: "10.96.7.7" }, "spec.clusterIPs: Forbidden: may not be set for ExternalName"],
      [{ externalName: "a.b", clusterIP: "None" }, "spec.clusterIPs: Forbidden: may not be set for ExternalName"],
      [{ externalName: "a.b", ipFamilies: ["IPv4"] }, "spec.ipFamilies: Forbidden: may not be set for ExternalName"],
      [{ externalName: "a.b", ipFamilyPolicy: "SingleStack" }, "spec.ipFamilyPolicy: Forbidden: may not be set"],
      [
        { externalName: "a.b", externalTrafficPolicy: "Cluster" },
        `spec.externalTrafficPolicy: Invalid value: "Cluster": may only be set`,
      ],
      [
        { externalName: "a.b", internalTrafficPolicy: "Bogus" },
        'spec.internalTrafficPolicy: Unsupported value: "Bogus"',
      ],
    ];
    for (const [spec, reason] of refusals) {
      const refused = refusal(server, "en", { type: "ExternalName", ...spec });
      assert.ok(refused.startsWith(reason), `${JSON.stringify(spec)}: ${refused}`);
    }
  });
});

Deno.test("applyService() changes a Service's type as a real update does: addresses kept, allocated or dropped", async () => {
  await withServer({}, (server) => {
    const base = { selector: { app: "a" }, ports: [{ port: 80 }] };
    const plain = apply(server, "tc", base);
    const node = apply(server, "tc", { ...base, type: "NodePort" });
    assert.equal(node.clusterIP, plain.clusterIP);
    assert.ok(isAllocatedNodePort(node.ports![0].nodePort));
    const balanced = apply(server, "tc", { ...base, type: "LoadBalancer" });
    assert.equal(balanced.ports![0].nodePort, node.ports![0].nodePort);
    assert.equal(balanced.allocateLoadBalancerNodePorts, true);
    const back = apply(server, "tc", { ...base, type: "ClusterIP" });
    assert.deepEqual([back.clusterIP, back.ports![0].nodePort, back.externalTrafficPolicy], [
      plain.clusterIP,
      undefined,
      undefined,
    ]);
    const external = apply(server, "tc", { ...base, type: "ExternalName", externalName: "a.b" });
    assert.deepEqual([external.clusterIP, external.ipFamilies, external.internalTrafficPolicy], [
      undefined,
      undefined,
      undefined,
    ]);
    // Back from ExternalName, a new address.
    assert.match(apply(server, "tc", base).clusterIP!, IP);
    // A stored Service given back with another type: the fields its new type forbids are dropped, not refused.
    const stored = apply(server, "np", { ...base, type: "NodePort" });
    const dropped = apply(server, "np", { ...stored, type: "ClusterIP" });
    assert.deepEqual([dropped.ports![0].nodePort, dropped.externalTrafficPolicy], [undefined, undefined]);
    const named = apply(server, "lb", {
      type: "LoadBalancer",
      ports: [{ name: "x", port: 80 }, { name: "y", port: 81 }],
    });
    // Node ports follow the port names, as kube-apiserver patches them in.
    const swapped = apply(server, "lb", {
      type: "LoadBalancer",
      ports: [{ name: "y", port: 81 }, { name: "x", port: 82 }],
    });
    assert.deepEqual(swapped.ports!.map((port) => port.nodePort), [named.ports![1].nodePort, named.ports![0].nodePort]);
    const released = apply(server, "np", { ...dropped, type: "ExternalName", externalName: "db.example.com" });
    assert.deepEqual([released.clusterIP, released.ipFamilies, released.ipFamilyPolicy], [
      undefined,
      undefined,
      undefined,
    ]);
    // A LoadBalancer Service read back and given as ExternalName loses all it had as one (measured with PUT).
    const local = apply(server, "local", {
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      ports: [{ port: 80 }],
    });
    assert.deepEqual(apply(server, "local", { ...local, type: "ExternalName", externalName: "a.b" }), {
      ports: [{ protocol: "TCP", port: 80, targetPort: 80 }],
      type: "ExternalName",
      sessionAffinity: "None",
      externalName: "a.b",
    });
  });
});

Deno.test("kubectl get services prints each type's cells as kube-apiserver writes them", async () => {
  await withServer({}, async (server) => {
    apply(server, "plain", { ports: [{ port: 80 }], clusterIP: "10.96.0.20" });
    apply(server, "np", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }], clusterIP: "10.96.0.21" });
    apply(server, "lb", { type: "LoadBalancer", ports: [{ port: 80, nodePort: 30081 }], clusterIP: "10.96.0.22" });
    apply(server, "db", { type: "ExternalName", externalName: "db.example.com" });
    apply(server, "dbp", { type: "ExternalName", externalName: "db.example.com", ports: [{ port: 5432 }] });
    const response = await fetch(`${server.url}/api/v1/namespaces/prod/services`, { headers: { accept: TABLE } });
    const rows = (await response.json()).rows.map((row: Json) => row.cells.slice(0, 5));
    // As kubectl v1.36.3 printed them against kube-apiserver v1.36.3 (measured).
    assert.deepEqual(rows, [
      ["db", "ExternalName", "<none>", "db.example.com", "<none>"],
      ["dbp", "ExternalName", "<none>", "db.example.com", "5432/TCP"],
      ["lb", "LoadBalancer", "10.96.0.22", "<pending>", "80:30081/TCP"],
      ["np", "NodePort", "10.96.0.21", "<none>", "80:30080/TCP"],
      ["plain", "ClusterIP", "10.96.0.20", "<none>", "80/TCP"],
    ]);
  });
});

Deno.test("watchEndpoints() resolves a NodePort or LoadBalancer Service of the fake, and names an ExternalName one", async () => {
  await withServer({}, async (server) => {
    const cluster = { kubeconfig: server.kubeconfig() };
    for (const type of ["NodePort", "LoadBalancer"] as const) {
      apply(server, "echo", { type, selector: { app: "echo" }, ports: [{ name: "grpc", port: 50051 }] });
      server.applySlice(svc("echo", ["10.1.0.1"], "prod"));
      const echo = follow(cluster);
      try {
        await eventually(() => echo.pods() === "echo-0", `the ${type} Service's pod`);
      } finally {
        await echo.stop();
      }
    }
    for (const slice of server.slices("prod")) server.deleteSlice("prod", slice.metadata.name);
    apply(server, "echo", {
      type: "ExternalName",
      externalName: "echo.example.com",
      ports: [{ name: "grpc", port: 50051 }],
    });
    const external = follow(cluster);
    try {
      const reason = () => external.snapshots.at(-1)?.emptyReason ?? "";
      await eventually(() => reason().includes("ExternalName"), "the ExternalName reason");
      assert.equal(
        reason(),
        "service echo is of type ExternalName (External Name: echo.example.com): it is only a DNS alias, with no " +
          "pods and no EndpointSlices, and the resolver does not follow ExternalName: dial " +
          "dns:///echo.example.com:50051 instead",
      );
    } finally {
      await external.stop();
    }
  });
});

Deno.test("the allocators fall back to the lower band once the upper one is full, and say when all is taken", () => {
  const upper = new Set(Array.from({ length: 32767 - 30086 + 1 }, (_, index) => 30086 + index));
  const port = allocateNodePort(upper);
  assert.ok(port !== undefined && port >= 30000 && port < 30086, `${port}`);
  const all = new Set([...upper, ...Array.from({ length: 86 }, (_, index) => 30000 + index)]);
  assert.equal(allocateNodePort(all), undefined);
  assert.equal(nodePortProblem(30000, new Set()), undefined);
  assert.equal(
    nodePortProblem(29999, new Set()),
    "provided port is not in the valid range. The range of valid ports is 30000-32767",
  );
  // Every address past 10.96.1.0 taken: the next comes from 10.96.0.1-10.96.1.0.
  const taken = new Set<string>();
  for (let third = 1; third < 256; third++) {
    for (let fourth = 0; fourth < 256; fourth++) taken.add(`10.96.${third}.${fourth}`);
  }
  const ip = allocateClusterIp(taken);
  assert.match(ip!, /^10\.96\.(0\.\d+|1\.0)$/);
  assert.equal(clusterIpProblem("10.96.0.1", new Set()), undefined);
  assert.equal(clusterIpProblem("10.96.255.254", new Set()), undefined);
});

Deno.test("applyService() frees the node ports and address a Service gave up, and an ExternalName one holds none", async () => {
  await withServer({}, (server) => {
    apply(server, "a", { type: "NodePort", clusterIP: "10.96.0.70", ports: [{ port: 80, nodePort: 30070 }] });
    apply(server, "a", { type: "ClusterIP", clusterIP: "10.96.0.70", ports: [{ port: 80 }] });
    assert.equal(
      apply(server, "b", { type: "NodePort", ports: [{ port: 80, nodePort: 30070 }] }).ports![0].nodePort,
      30070,
    );
    apply(server, "a", { type: "ExternalName", externalName: "a.example.com", ports: [{ port: 80, nodePort: 30071 }] });
    assert.equal(apply(server, "c", { clusterIP: "10.96.0.70", ports: [{ port: 80 }] }).clusterIP, "10.96.0.70");
    assert.equal(
      apply(server, "d", { type: "NodePort", ports: [{ port: 80, nodePort: 30071 }] }).ports![0].nodePort,
      30071,
    );
    // Still held by the Services that took them.
    assert.match(refusal(server, "e", { clusterIP: "10.96.0.70", ports: [{ port: 80 }] }), /already allocated/);
    assert.match(
      refusal(server, "e", { type: "NodePort", ports: [{ port: 80, nodePort: 30070 }] }),
      /already allocated/,
    );
  });
});

Deno.test("applyService() drops node ports given back to a ClusterIP or ExternalName Service when none is new, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const ports = [{ name: "a", port: 80 }, { name: "b", port: 81 }];
    const node = apply(server, "np", { type: "NodePort", ports });
    const [a, b] = node.ports!.map((port) => port.nodePort);
    // kube-apiserver v1.36.3 drops them when the new ones are a subset of the old (its sameNodePorts), in any order.
    const subset = apply(server, "np", { type: "ClusterIP", ports: [{ ...ports[0], nodePort: a }, ports[1]] });
    assert.deepEqual(subset.ports!.map((port) => port.nodePort), [undefined, undefined]);
    apply(server, "np2", { type: "NodePort", ports: [{ ...ports[0], nodePort: a }, { ...ports[1], nodePort: b }] });
    const reordered = apply(server, "np2", {
      type: "ExternalName",
      externalName: "db.example.com",
      ports: [{ ...ports[1], nodePort: b }, { ...ports[0], nodePort: a }],
    });
    assert.deepEqual(reordered.ports!.map((port) => port.nodePort), [undefined, undefined]);
    // A node port the old Service did not have is a request: refused for a ClusterIP Service.
    apply(server, "np3", { type: "NodePort", ports: [{ port: 80, nodePort: 30090 }] });
    assert.match(
      refusal(server, "np3", { type: "ClusterIP", ports: [{ port: 80, nodePort: 30091 }] }),
      /^spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/,
    );
    // An ExternalName Service's node ports were never allocated: given back to a ClusterIP one, they are refused.
    apply(server, "ext", {
      type: "ExternalName",
      externalName: "a.example.com",
      ports: [{ port: 80, nodePort: 30092 }],
    });
    assert.match(
      refusal(server, "ext", { type: "ClusterIP", ports: [{ port: 80, nodePort: 30092 }] }),
      /^spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/,
    );
  });
});

Deno.test("deleteService() frees the address and node ports of the Service, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const given = { type: "NodePort", clusterIP: "10.96.0.80", ports: [{ port: 80, nodePort: 30080 }] };
    apply(server, "a", given);
    assert.match(refusal(server, "b", given), /already allocated/);
    assert.equal(server.deleteService("prod", "a"), true);
    const taken = apply(server, "b", given);
    assert.deepEqual([taken.clusterIP, taken.ports![0].nodePort], ["10.96.0.80", 30080]);
    // Re-created under its old name, it finds them held by the other.
    assert.match(refusal(server, "a", given), /already allocated/);
    server.deleteService("prod", "b");
    assert.equal(apply(server, "a", given).clusterIP, "10.96.0.80");
  });
});

Deno.test("applyService() keeps a given sessionAffinity, with ClientIP's timeout as kube-apiserver defaults and checks it", async () => {
  await withServer({}, (server) => {
    const sticky = apply(server, "sticky", { sessionAffinity: "ClientIP", ports: grpc });
    assert.equal(sticky.sessionAffinity, "ClientIP");
    assert.deepEqual(sticky.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    // In kube-apiserver's order of fields: after the health check port, before the IP families.
    const keys = Object.keys(sticky);
    assert.equal(keys.indexOf("sessionAffinityConfig"), keys.indexOf("ipFamilies") - 1);
    const given = { clientIP: { timeoutSeconds: 60 } };
    assert.deepEqual(
      apply(server, "short", { sessionAffinity: "ClientIP", sessionAffinityConfig: given, ports: grpc })
        .sessionAffinityConfig,
      given,
    );
    // None drops a config given with it, as kube-apiserver's defaulting does.
    const none = apply(server, "none", { sessionAffinity: "None", sessionAffinityConfig: given, ports: grpc });
    assert.deepEqual([none.sessionAffinity, "sessionAffinityConfig" in none], ["None", false]);
    assert.equal(
      refusal(server, "bad", { sessionAffinity: "Sticky", ports: grpc }),
      'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
    );
    assert.equal(
      refusal(server, "long", {
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } },
        ports: grpc,
      }),
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less " +
        "than 86400",
    );
  });
});

Deno.test("applyService() says which node ports are held when none is left, in kube-apiserver's words", async () => {
  await withServer({}, (server) => {
    const ports = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ name: `p${index}`, port: index + 1 }));
    // 2,768 node ports: 27 Services of 100 ports and one of 68.
    for (let i = 0; i < 27; i++) apply(server, `full${i}`, { type: "NodePort", ports: ports(100) });
    apply(server, "last", { type: "NodePort", ports: ports(68) });
    const hint = "(every node port of 30000-32767 is held: delete a NodePort or LoadBalancer Service, or make this " +
      "one a ClusterIP Service)";
    assert.equal(
      refusal(server, "more", { type: "NodePort", ports: grpc }),
      `Internal error occurred: failed to allocate a nodePort: range is full ${hint}`,
    );
    assert.equal(
      refusal(server, "check", {
        type: "LoadBalancer",
        allocateLoadBalancerNodePorts: false,
        externalTrafficPolicy: "Local",
        ports: grpc,
      }),
      `Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full ${hint}`,
    );
  });
});

Deno.test("clusterIpOf() says the service range is full in kube-apiserver's words, and what to do", () => {
  const refuse = (problem: string): never => {
    throw new Error(problem);
  };
  const context = { name: "more", type: "ClusterIP" as const, existing: undefined, used: { has: () => true } };
  assert.throws(
    () => clusterIpOf({ ports: grpc }, context, refuse),
    {
      message: 'Internal error occurred: failed to allocate a serviceIP for Service "more": range is full (every ' +
        'address of 10.96.0.0/16 is held: delete a Service, or make this one headless with clusterIP: "None")',
    },
  );
});

Deno.test("applyService() lists every refusal of its checks at once, in kube-apiserver's order and words", async () => {
  await withServer({}, (server) => {
    const sticky = 'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"';
    const typeFoo = 'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", ' +
      '"LoadBalancer", "NodePort"';
    const internal = 'spec.internalTrafficPolicy: Unsupported value: "X": supported values: "Cluster", "Local"';
    // Each as kube-apiserver v1.36.3 answered a POST of the same spec (422 Invalid, its causes in this order), but
    // for the fake's advice in parentheses and its words for a bad selector key (as for labels).
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "Foo", sessionAffinity: "Sticky", ports: grpc }, `[${sticky}, ${typeFoo}]`],
      [
        { type: "ClusterIP", sessionAffinity: "Sticky", ports: [{ name: "grpc", port: 80, nodePort: 30001 }] },
        // The fake's advice after the real server's words.
        `[${sticky}, spec.ports[0].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP' (give type ` +
        "NodePort or LoadBalancer, or leave nodePort out)]",
      ],
      [
        {
          type: "ClusterIP",
          healthCheckNodePort: 30051,
          externalTrafficPolicy: "Local",
          internalTrafficPolicy: "X",
          allocateLoadBalancerNodePorts: true,
          ports: grpc,
        },
        "[spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer', " +
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services (of ' +
        "type NodePort or LoadBalancer), " +
        "spec.healthCheckNodePort: Invalid value: 30051: may only be set when `type` is 'LoadBalancer' and " +
        `\`externalTrafficPolicy\` is 'Local', ${internal}]`,
      ],
      [
        {
          type: "ExternalName",
          externalName: "a.b",
          ipFamilyPolicy: "SingleStack",
          ipFamilies: ["IPv4"],
          clusterIP: "10.96.0.9",
          sessionAffinity: "Sticky",
        },
        "[spec.clusterIPs: Forbidden: may not be set for ExternalName services, spec.ipFamilies: Forbidden: may " +
        "not be set for ExternalName services, spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName " +
        `services, ${sticky}]`,
      ],
      [
        {
          ports: [{ name: "grpc", port: 80, protocol: "XX" }, { name: "grpc", port: 81 }],
          selector: { "a b": "c" },
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
        },
        '[spec.ports[0].protocol: Unsupported value: "XX": supported values: "SCTP", "TCP", "UDP", ' +
        'spec.ports[1].name: Duplicate value: "grpc", spec.selector key "a b" is no label key, as kube-apiserver requires one: name part must consist ' +
        "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. " +
        "'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid " +
        "value: 0: must be greater than 0 and less than 86400]",
      ],
    ];
    for (const [index, [spec, expected]] of cases.entries()) {
      assert.equal(refusal(server, `several-${index}`, spec), expected, JSON.stringify(spec));
    }
    // Each field of a port, in the real server's order: name, port, protocol, targetPort (the port's when left out).
    assert.equal(
      refusal(server, "port-fields", {
        ports: [{ name: "a", port: 70000, protocol: "XX" }, { name: "a", port: 80 }],
      }),
      "[spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].protocol: " +
        'Unsupported value: "XX": supported values: "SCTP", "TCP", "UDP", spec.ports[0].targetPort: Invalid value: ' +
        '70000: must be between 1 and 65535, inclusive, spec.ports[1].name: Duplicate value: "a"]',
    );
    // The IP family allocator lists both of its problems, alone too (the fake's advice after each).
    const advice = / \(the fake API server is an IPv4 cluster[^()]*\)/g;
    assert.equal(
      refusal(server, "families", {
        ipFamilies: ["IPv6"],
        ipFamilyPolicy: "RequireDualStack",
        sessionAffinity: "Sticky",
        ports: grpc,
      }).replace(advice, ""),
      '[spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack ' +
        'services, spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster]',
    );
    // A node port or cluster IP the allocators refuse comes alone, before any other check, as on the real server.
    apply(server, "holder", { type: "NodePort", ports: [{ name: "grpc", port: 80, nodePort: 30050 }] });
    assert.equal(
      refusal(server, "taken", {
        type: "NodePort",
        sessionAffinity: "Sticky",
        ports: [{ name: "grpc", port: 80, nodePort: 30050 }],
      }).replace(/ \(the fake API server's.*\)$/, ""),
      "spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated",
    );
    assert.equal(
      refusal(server, "bad-ip", { type: "Foo", sessionAffinity: "Sticky", clusterIP: "abc", ports: grpc })
        .replace(/ \(.*\)$/, ""),
      'spec.clusterIPs[0]: Invalid value: "abc": must be a valid IP address,',
    );
  });
});

Deno.test("applyService() lists a bad label and a bad selector value with the Service's other problems, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const sticky = 'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"';
    // As kube-apiserver v1.36.3 answered a POST of the same Service (422, these causes in this order; measured), in
    // the fake's words for the label and the selector value.
    assert.equal(
      refusal(server, "selector-value", {
        ports: [{ name: "x", port: 0 }],
        selector: { a: "b c" },
        sessionAffinity: "Sticky",
      }),
      "[spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, " +
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive, " +
        'spec.selector["a"] is no label value, as kube-apiserver requires one: a valid label must be an empty string ' +
        "or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " +
        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is " +
        `'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'): current value is "b c", ${sticky}]`,
    );
    assert.throws(
      () =>
        server.applyService({
          metadata: { namespace: "prod", name: "label", labels: { "a b": "c" } },
          spec: { type: "Foo", ports: grpc },
        } as unknown as ServiceInput),
      {
        message: 'Cannot apply Service "prod/label": [metadata.labels key "a b" is no label key, as kube-apiserver ' +
          "requires one: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end " +
          "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation " +
          "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), spec.type: Unsupported value: \"Foo\": supported values: " +
          '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]',
      },
    );
  });
});

Deno.test("applyService() lists a port name's bad form and its repeat both, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const bad = 'must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters): current value ' +
      'is "Grpc"';
    // kube-apiserver v1.36.3 named both problems of the second port's name, then the type (measured), in its words
    // for the form.
    assert.equal(
      refusal(server, "name-twice", { type: "Foo", ports: [{ name: "Grpc", port: 80 }, { name: "Grpc", port: 81 }] }),
      `[spec.ports[0].name ${bad}, spec.ports[1].name ${bad}, spec.ports[1].name: Duplicate value: "Grpc", ` +
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]',
    );
    // Names left out are each required, not repeated (measured too).
    assert.equal(
      refusal(server, "unnamed", { ports: [{ port: 80 }, { port: 81 }] }),
      "[spec.ports[0].name: Required value (a Service with more than one port names each of them), " +
        "spec.ports[1].name: Required value (a Service with more than one port names each of them)]",
    );
  });
});
