import assert from "node:assert/strict";
import type { EndpointSlice } from "../src/base/endpoint_slice.ts";
import { missingServiceReason, noEndpointsReason } from "../src/selection/no_endpoints_reason.ts";

const MANAGED_BY = "endpointslice.kubernetes.io/managed-by";

const slice = (ports: { name?: string; port: number | null }[], ready: (boolean | undefined)[]): EndpointSlice => ({
  metadata: { name: "echo-x1", namespace: "prod" },
  addressType: "IPv4",
  ports,
  endpoints: ready.map((value, i) => ({ addresses: [`10.0.0.${i + 1}`], conditions: { ready: value } })),
});

Deno.test("noEndpointsReason() without a slice points at the Service's name and namespace, at the Endpoints of one without a selector, which skip-mirror keeps from slices, and at the label its own slices need", () => {
  // Seen on v1.36.3: a slice of a Service without a selector that lacks the label is used neither by us nor by
  // kube-proxy (which logs "no kubernetes.io/service-name label set on endpoint slice"); an Endpoints object without
  // addresses (`subsets` emptied) is mirrored into no slice, where the reason asked only for the object.
  // A namespace that does not exist lists no slice either: kubectl v1.36.3 then says `namespaces "prod" not found`
  // (it reads the Namespace after the Service's 404), where the reason spoke of the Service only.
  assert.equal(
    noEndpointsReason([], "grpc", "nosuch", "prod"),
    "it has no EndpointSlice: check that the Service exists in namespace prod, and that namespace prod does (kubectl " +
      "get service nosuch -n prod says which is missing); " +
      "one without a selector needs an Endpoints object of its name that lists addresses (ready or not; not labeled " +
      "endpointslice.kubernetes.io/skip-mirror, which the EndpointSliceMirroring controller passes over) or " +
      "EndpointSlices of its own labeled kubernetes.io/service-name=nosuch (the resolver, like kube-proxy, finds " +
      "them by that label only), and an ExternalName one has no pods: dial its external name (dns:///)",
  );
});

Deno.test("noEndpointsReason() with only FQDN slices says that they are not used, not that there is none", () => {
  // kubectl lists such a slice (ADDRESSTYPE FQDN), kube-proxy skips it, and the Service may well exist.
  const fqdn: EndpointSlice = {
    metadata: { name: "echo-f1" },
    addressType: "FQDN",
    ports: [{ name: "grpc", port: 50051 }],
    endpoints: [{ addresses: ["backend.example.com"] }],
  };
  assert.equal(
    noEndpointsReason([fqdn], "grpc", "echo", "prod"),
    "its only EndpointSlices have addressType FQDN (deprecated), which the resolver does not use, as kube-proxy " +
      "does not: give the Service IPv4 or IPv6 EndpointSlices, or dial the names they list with dns:/// " +
      "(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
});

Deno.test("noEndpointsReason() for a port name that only FQDN slices have says so, not that no slice has it", () => {
  // Seen on v1.36.3 with an FQDN slice (port "web") beside an IPv4 one (port "grpc"): the reason said the slices
  // have no port "web" and to check the pods' container ports, while kubectl lists the FQDN slice with it; kube-proxy
  // gives the Service's "web" port no endpoint (it skips FQDN slices), as the resolver does.
  const fqdn: EndpointSlice = {
    metadata: { name: "echo-f1" },
    addressType: "FQDN",
    ports: [{ name: "web", port: 8080 }],
    endpoints: [{ addresses: ["web.example.com"] }],
  };
  assert.equal(
    noEndpointsReason([fqdn, slice([{ name: "grpc", port: 50051 }], [true])], "web", "echo", "prod"),
    'its EndpointSlices have a port named "web" only in those of addressType FQDN (deprecated), which the ' +
      'resolver does not use, as kube-proxy does not; the others have "grpc" (50051): give the Service IPv4 or IPv6 ' +
      "EndpointSlices with that port, dial the names the FQDN ones list with dns:///, or name one of those in the " +
      "target (kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
  // IPv4 slices without ports: no name to offer instead.
  assert.match(
    noEndpointsReason([fqdn, slice([], [true])], "web", "echo", "prod"),
    /; the others have no port: give the Service IPv4 or IPv6 EndpointSlices with that port, or dial the names the FQDN ones list with dns:\/\/\/ \(kubectl /,
  );
  // The port in an IPv4 slice too: the usual reasons.
  assert.equal(
    noEndpointsReason([fqdn, slice([{ name: "web", port: 8080 }], [false])], "web", "echo", "prod"),
    "none of its endpoints is ready: check that the pods are ready (kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
});

Deno.test("noEndpointsReason() names the port that no slice has, and those they have", () => {
  assert.equal(
    noEndpointsReason(
      [slice([{ name: "grpc", port: 1 }, { name: "metrics", port: 2 }], [true])],
      "http",
      "echo",
      "prod",
    ),
    'its EndpointSlices have no port named "http" (they have "grpc" (1), "metrics" (2)): name one of those in the target, ' +
      "or check that the pods have the container port the Service's targetPort names",
  );
  // A slice port without a number (written by hand) is listed by its name: the list read "(they have )".
  for (const port of [null, undefined]) {
    assert.equal(
      noEndpointsReason(
        [slice([{ name: "grpc", port: port as null }, { name: "metrics", port: 2 }], [true])],
        "http",
        "echo",
        "prod",
      ),
      'its EndpointSlices have no port named "http" (they have "grpc" (no number), "metrics" (2)): name one of ' +
        "those in the target, or check that the pods have the container port the Service's targetPort names",
    );
  }
  // Pods without any port: a headless Service without ports, or a targetPort that names a container port they lack.
  assert.equal(
    noEndpointsReason([slice([], [true])], "grpc", "echo", "prod"),
    "its EndpointSlices list pods but no port: the Service has none (a headless Service without ports: put the " +
      "pods' port number in the target), or the pods lack the container port its targetPort names " +
      "(kubectl get service echo -n prod -o yaml)",
  );
});

Deno.test("noEndpointsReason() says how to reach a Service's only port when it has no name", () => {
  // The real EndpointSlice controller writes `name: ""` for a Service with one unnamed port (as on kube-apiserver
  // v1.36.3, `ports: [{ port: 80, targetPort: 50051 }]`): no target can name it, whatever the container port is called.
  assert.equal(
    noEndpointsReason([slice([{ name: "", port: 50051 }], [true])], "grpc", "echo", "prod"),
    'its EndpointSlices have no port named "grpc": the Service\'s only port has no name (a name in the target is ' +
      "the Service port's, not the container port's): leave the port out of the target, or give the pods' port " +
      "number (50051)",
  );
  assert.match(noEndpointsReason([slice([{ port: null }], [true])], "grpc", "echo", "prod"), /out of the target$/);
  // Pods that number it differently (a rollout that changed the container port): "a, b or c", not "a or b or c".
  const numbers = [50051, 50052, 50053].map((port) => slice([{ name: "", port }], [true]));
  assert.match(
    noEndpointsReason(numbers, "grpc", "echo", "prod"),
    /, or give the pods' port number \(50051, 50052 or 50053\)$/,
  );
});

Deno.test("noEndpointsReason() tells a Service without pods from one whose pods are not ready", () => {
  const list = "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo";
  assert.equal(
    noEndpointsReason([slice([{ name: "grpc", port: 1 }], [])], "grpc", "echo", "prod"),
    "its EndpointSlices list no pod: the Service selects none, it is scaled to zero, or namespace prod is being " +
      `deleted, which kubectl get namespace prod says (${list})`,
  );
  assert.equal(
    noEndpointsReason([slice([{ name: "grpc", port: 1 }], [false, false])], "grpc", "echo", "prod"),
    `none of its endpoints is ready: check that the pods are ready (${list})`,
  );
  // Pods of a slice without the port do not count; a number is used as given.
  const other = slice([{ name: "metrics", port: 2 }], [false]);
  assert.equal(
    noEndpointsReason([slice([{ name: "grpc", port: 1 }], []), other], "grpc", "echo", "prod"),
    `its EndpointSlices list no pod with a port named "grpc": check the pods' container ports (${list})`,
  );
  assert.match(noEndpointsReason([other], 9, "echo", "prod"), /none of its endpoints is ready/);
});

Deno.test("noEndpointsReason() tells pods that are all terminating, none serving, from pods that are not ready", () => {
  const list = "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo";
  const leaving = { ready: false, serving: false, terminating: true };
  const stopping: EndpointSlice = {
    metadata: { name: "echo-x1", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 1 }],
    endpoints: [{ addresses: ["10.0.0.1"], conditions: leaving }, { addresses: ["10.0.0.2"], conditions: leaving }],
  };
  for (const port of ["grpc", 1]) {
    assert.equal(
      noEndpointsReason([stopping], port, "echo", "prod"),
      "every pod it lists is terminating, none still serving: calls resume once new pods are ready (it was " +
        "scaled to zero, a rollout stops old pods before new ones are ready, as strategy Recreate does, or namespace " +
        `prod is being deleted, which kubectl get namespace prod says) (${list})`,
    );
  }
  // A new pod that is not ready yet among them: the pods are not ready.
  const starting = {
    ...stopping,
    endpoints: [...stopping.endpoints!, { addresses: ["10.0.0.3"], conditions: { ready: false } }],
  };
  assert.match(noEndpointsReason([starting], "grpc", "echo", "prod"), /^none of its endpoints is ready/);
});

Deno.test("noEndpointsReason() reports a Service scaled to zero as one without pods, not by its port names", () => {
  // What the EndpointSlice controller keeps for a Service whose selector matches no pod: one slice, no ports.
  const placeholder: EndpointSlice = {
    metadata: { name: "echo-x1", namespace: "prod" },
    addressType: "IPv4",
    ports: null,
    endpoints: [],
  };
  for (const port of ["grpc", 50051]) {
    assert.match(
      noEndpointsReason([placeholder], port, "echo", "prod"),
      /^its EndpointSlices list no pod: .*scaled to zero/,
    );
  }
});

Deno.test("noEndpointsReason() says when the port of the target's name has no number a client can dial", () => {
  assert.equal(
    noEndpointsReason([slice([{ name: "grpc", port: 0 }], [true])], "grpc", "echo", "prod"),
    'its EndpointSlices give the port named "grpc" no number a client can dial (1-65535): fix what writes them ' +
      "(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
});

/** A slice as the EndpointSliceMirroring controller (v1.36.3) mirrors an Endpoints object's subset into it. */
const mirrored = (ports: { name: string; port: number }[], addresses: string[]): EndpointSlice => ({
  metadata: {
    name: "echo-7xk2p",
    namespace: "prod",
    labels: {
      "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
      "kubernetes.io/service-name": "echo",
    },
    ownerReferences: [{ apiVersion: "v1", kind: "Endpoints", name: "echo", uid: "5f0c", controller: true }],
  },
  addressType: "IPv4",
  ports: ports.map((port) => ({ ...port, protocol: "TCP" })),
  endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
});

Deno.test("noEndpointsReason() says that slices mirrored from an Endpoints object, or written by hand, have its port names, not the Service's", () => {
  // Seen on v1.36.3: a Service whose port is named "grpc", an Endpoints object whose one port has none (the real
  // kube-proxy gives the ClusterIP no endpoint). The reason said that the Service's only port had no name.
  const endpoints = "kubectl get endpoints echo -n prod -o yaml";
  assert.equal(
    noEndpointsReason([mirrored([{ name: "", port: 50051 }], ["10.7.0.1"])], "grpc", "echo", "prod"),
    'its EndpointSlices have no port named "grpc": their only port has no name, as the Endpoints object they ' +
      `are mirrored from names it (${endpoints}); kube-proxy matches them to the Service's ports by name, so if ` +
      'the Service\'s port is named "grpc", name the Endpoints object\'s port "grpc" too (its ClusterIP has no ' +
      "endpoint until then); if the Service's port has no name, leave the port out of the target",
  );
  assert.equal(
    noEndpointsReason([mirrored([{ name: "grpc-port", port: 50051 }], ["10.7.0.1"])], "grpc", "echo", "prod"),
    'its EndpointSlices have no port named "grpc" (they have "grpc-port" (50051)), as the Endpoints object they are ' +
      `mirrored from names them (${endpoints}); kube-proxy matches them to the Service's ports by name: name ` +
      "the Endpoints object's ports as the Service names its own (its ClusterIP has no endpoint for a port until " +
      "then), or name one of those in the target",
  );
  // Written by hand (any other manager): the one who writes them names the ports.
  const own: EndpointSlice = {
    ...slice([], [true]),
    metadata: { name: "echo-own", namespace: "prod", labels: { "endpointslice.kubernetes.io/managed-by": "ops" } },
  };
  assert.equal(
    noEndpointsReason([own], "grpc", "echo", "prod"),
    'its EndpointSlices list addresses but no port, as "ops" (their endpointslice.kubernetes.io/managed-by) ' +
      "writes them; kube-proxy uses no endpoint without a port named as the Service's: give them the Service's " +
      "port names, or put the port number in the target",
  );
  // A port without a number is listed by its name: the list read "(they have )".
  assert.match(
    noEndpointsReason([{ ...own, ports: [{ name: "grpc-port" }] }], "grpc", "echo", "prod"),
    /^its EndpointSlices have no port named "grpc" \(they have "grpc-port" \(no number\)\), as "ops" /,
  );
  const other: EndpointSlice = { ...own, metadata: { ...own.metadata, name: "echo-b", labels: { [MANAGED_BY]: "b" } } };
  assert.match(noEndpointsReason([own, other], "grpc", "echo", "prod"), /, as "b", "ops" \(their .*\) write them;/);
  assert.equal(
    noEndpointsReason([{ ...own, endpoints: [] }], "grpc", "echo", "prod"),
    'its EndpointSlices list no address, as "ops" (their endpointslice.kubernetes.io/managed-by) writes them ' +
      "(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
});

Deno.test("noEndpointsReason() says that addresses mirrored from an Endpoints object's notReadyAddresses are not ready there, not that pods are", () => {
  // The EndpointSliceMirroring controller (v1.36.3) writes an Endpoints object's notReadyAddresses with ready: false,
  // for a Service without a selector, which has no pods to check: the reason said to check that the pods are ready.
  const notReady = mirrored([{ name: "grpc", port: 50051 }], ["10.7.0.1"]);
  notReady.endpoints![0].conditions = { ready: false };
  assert.equal(
    noEndpointsReason([notReady], "grpc", "echo", "prod"),
    "none of its endpoints is ready: the Endpoints object they are mirrored from lists them under " +
      "notReadyAddresses (kubectl get endpoints echo -n prod -o yaml)",
  );
  const own: EndpointSlice = { ...notReady, metadata: { ...notReady.metadata, labels: { [MANAGED_BY]: "ops" } } };
  assert.equal(
    noEndpointsReason([own], "grpc", "echo", "prod"),
    'none of its endpoints is ready, as "ops" (their endpointslice.kubernetes.io/managed-by) writes them ' +
      "(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)",
  );
});

Deno.test("noEndpointsReason() for a target without a port on an unnamed port says why, not that the port has no name", () => {
  // A target without a port selects a Service's one unnamed port by its name "": seen on v1.36.3, an unready pod of
  // `ports: [{ port: 80, targetPort: 50051 }]` (and an Endpoints object with only notReadyAddresses and an unnamed
  // port) got 'no port named "": ... leave the port out of the target', which the target already does.
  const list = "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo";
  assert.equal(
    noEndpointsReason([slice([{ name: "", port: 50051 }], [false])], "", "echo", "prod"),
    `none of its endpoints is ready: check that the pods are ready (${list})`,
  );
  const notReady = mirrored([{ name: "", port: 50051 }], ["10.7.0.1"]);
  notReady.endpoints![0].conditions = { ready: false };
  assert.equal(
    noEndpointsReason([notReady], "", "echo", "prod"),
    "none of its endpoints is ready: the Endpoints object they are mirrored from lists them under " +
      "notReadyAddresses (kubectl get endpoints echo -n prod -o yaml)",
  );
});

Deno.test('noEndpointsReason() lists an unnamed slice port as unnamed, with its number, not as ""', () => {
  // Was 'no port named "grpc" (they have "", "admin")': "" reads as a name.
  const ports = [{ name: "", port: 8080 }, { name: "admin", port: 9090 }];
  assert.equal(
    noEndpointsReason([slice(ports, [true])], "grpc", "echo", "prod"),
    'its EndpointSlices have no port named "grpc" (they have unnamed (8080), "admin" (9090)): name one of those in ' +
      "the target, or check that the pods have the container port the Service's targetPort names",
  );
  assert.match(
    noEndpointsReason([mirrored(ports, ["10.7.0.1"])], "grpc", "echo", "prod"),
    /^its EndpointSlices have no port named "grpc" \(they have unnamed \(8080\), "admin" \(9090\)\), as the Endpoints/,
  );
});

Deno.test("noEndpointsReason() names a Service's unnamed port as the Service's port, not as a port named \"\"", () => {
  // A target without a port on a Service whose one port has no name selects the port named "": these read
  // 'no port named ""', 'give the port named "" no number' and 'list no pod with a port named ""'.
  const list = "kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo";
  assert.equal(
    noEndpointsReason(
      [slice([{ name: "grpc", port: 50051 }, { name: "admin", port: 9000 }], [true])],
      "",
      "echo",
      "prod",
    ),
    `its EndpointSlices have no port for the Service's port (they have "admin" (9000), "grpc" (50051)): name one of those in the ` +
      "target, or check that the pods have the container port the Service's targetPort names",
  );
  assert.equal(
    noEndpointsReason([slice([{ name: "", port: 0 }], [true])], "", "echo", "prod"),
    `its EndpointSlices give the Service's port no number a client can dial (1-65535): fix what writes them (${list})`,
  );
  assert.equal(
    noEndpointsReason(
      [slice([{ name: "", port: 50051 }], []), slice([{ name: "admin", port: 9000 }], [true])],
      "",
      "echo",
      "prod",
    ),
    `its EndpointSlices list no pod with the Service's port: check the pods' container ports (${list})`,
  );
});

Deno.test("noEndpointsReason() says that ready pods lack the targetPort's container port, not that they are terminating or not ready", () => {
  // Seen on v1.36.3, new pods whose container port is renamed ("grpc2") while the Service's targetPort still names
  // "grpc": the controller lists them in a slice with `ports: null`, the old pods in one with the port. Once the
  // old pods stopped serving, the reason said every pod was terminating and calls would resume once new pods are
  // ready (they were ready, and calls never resumed; kube-proxy rejected the ClusterIP too).
  const noPort: EndpointSlice = {
    metadata: { name: "echo-a", namespace: "prod" },
    addressType: "IPv4",
    ports: null,
    endpoints: [{ addresses: ["10.0.0.2"], conditions: { ready: true, serving: true, terminating: false } }],
  };
  const old = (conditions: { ready: boolean; serving: boolean; terminating: boolean }): EndpointSlice => ({
    metadata: { name: "echo-b", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 50051 }],
    endpoints: [{ addresses: ["10.0.0.1"], conditions }],
  });
  const fix = "the ready pods lack the container port the Service's targetPort names (renamed or removed in a new " +
    "version?): give them that container port, or change the targetPort (kubectl get service echo -n prod -o yaml)";
  assert.equal(
    noEndpointsReason([noPort, old({ ready: false, serving: false, terminating: true })], "grpc", "echo", "prod"),
    `its ready pods are listed without a port named "grpc", and every pod with it is terminating, none still serving: ${fix}`,
  );
  assert.equal(
    noEndpointsReason([noPort, old({ ready: false, serving: false, terminating: false })], "grpc", "echo", "prod"),
    `its ready pods are listed without a port named "grpc", and no pod with it is ready: ${fix}`,
  );
  // Ready pods with another port only (a Service of two ports, one targetPort renamed): the same.
  const metricsOnly: EndpointSlice = { ...noPort, ports: [{ name: "metrics", port: 9090 }] };
  assert.match(
    noEndpointsReason([metricsOnly, old({ ready: false, serving: false, terminating: true })], "grpc", "echo", "prod"),
    /^its ready pods are listed without a port named "grpc", and every pod with it is terminating/,
  );
  // Pods without the port that are not ready either: the usual reasons.
  const notReady: EndpointSlice = { ...noPort, endpoints: [{ addresses: ["10.0.0.2"], conditions: { ready: false } }] };
  assert.match(
    noEndpointsReason([notReady, old({ ready: false, serving: false, terminating: true })], "grpc", "echo", "prod"),
    /^every pod it lists is terminating, none still serving/,
  );
  // A pod listed in both for a moment (the controller moving it) is no pod without the port.
  const moving: EndpointSlice = { ...noPort, endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }] };
  assert.match(
    noEndpointsReason([moving, old({ ready: false, serving: false, terminating: false })], "grpc", "echo", "prod"),
    /^none of its endpoints is ready: check that the pods are ready/,
  );
});

Deno.test("noEndpointsReason() with the Service's spec says what an ExternalName Service, or one whose slices the controller has not written, is", () => {
  const ext = {
    type: "ExternalName",
    externalName: "echo.example.com",
    selector: undefined,
    ports: [{ name: "grpc", port: 50051, targetPort: 50051 }],
  };
  // kubectl get endpointslices -l kubernetes.io/service-name=ext (v1.36.3): none.
  assert.equal(
    noEndpointsReason([], "grpc", "ext", "prod", { shape: ext }),
    "service ext is of type ExternalName (External Name: echo.example.com): it is only a DNS alias, with no pods " +
      "and no EndpointSlices, and the resolver does not follow ExternalName: dial dns:///echo.example.com:50051 instead",
  );
  assert.match(noEndpointsReason([], 8080, "ext", "prod", { shape: ext }), /dial dns:\/\/\/echo\.example\.com:8080 /);
  // A selector always gets a slice from the controller, within a second on v1.36.3: none means it has not written it.
  const selected = { type: "ClusterIP", externalName: "", selector: "app=echo", ports: [] };
  assert.match(
    noEndpointsReason([], "grpc", "echo", "prod", { shape: selected }),
    /^it has no EndpointSlice, though its selector app=echo makes the EndpointSlice controller write one even /,
  );
  // A namespace being deleted lost its slices while its Service stayed (v1.36.3, a ConfigMap's finalizer holding the
  // namespace): the reason named only a deleted Service and the controller.
  assert.match(
    noEndpointsReason([], "grpc", "echo", "prod", { shape: selected }),
    /, namespace prod is being deleted, or .* kubectl get namespace prod says whether it is Terminating, /,
  );
});

Deno.test("noEndpointsReason() with the Service's spec keeps the slices' words for pods listed without a port", () => {
  // The spec may be older than the slices: a targetPort changed to a name the pods lack rewrites them, and reads no
  // Service again (on v1.36.3 the reason named the old targetPort 50051), so it names neither the ports nor the target.
  const pods = slice([], [true]);
  const headless = { type: "ClusterIP", externalName: "", selector: "app=peers", ports: [] };
  const slicesSay = "its EndpointSlices list pods but no port: the Service has none (a headless Service without " +
    "ports: put the pods' port number in the target), or the pods lack the container port its targetPort names " +
    "(kubectl get service peers -n prod -o yaml)";
  assert.equal(noEndpointsReason([pods], "", "peers", "prod", { shape: headless }), slicesSay);
  const named = { ...headless, ports: [{ name: "grpc", port: 80, targetPort: 50051 }] };
  assert.equal(noEndpointsReason([pods], "grpc", "peers", "prod", { shape: named }), slicesSay);
  // A Service's only port without a name: a name in the target is no port of it.
  const unnamed = { ...headless, ports: [{ name: "", port: 80, targetPort: 8080 }] };
  assert.equal(
    noEndpointsReason([slice([{ port: 8080 }], [true])], "grpc", "peers", "prod", { shape: unnamed }),
    'service peers has no port named "grpc": its only port has no name: leave the port out of the target',
  );
});

Deno.test("noEndpointsReason() names a port the Service lacks before its selector that matches no pod", () => {
  // The controller's slice of a selector that matches no pod (v1.36.3): neither endpoints nor ports.
  const empty = {
    metadata: {
      name: "echo-x1",
      labels: { "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
    },
    addressType: "IPv4" as const,
    ports: null,
    endpoints: null,
  };
  const shape = {
    type: "ClusterIP",
    externalName: "",
    selector: "app=echo",
    ports: [{ name: "grpc", port: 80, targetPort: 50051 }],
  };
  // Was "its selector app=echo matches no pod ...": pods started then would still get no call, for the port.
  assert.equal(
    noEndpointsReason([empty], "http", "echo", "prod", { shape }),
    'service echo has no port named "http" (it has "grpc"): name one of those in the target',
  );
  assert.match(noEndpointsReason([empty], "grpc", "echo", "prod", { shape }), /^its selector app=echo matches no pod/);
  assert.match(noEndpointsReason([empty], 8080, "echo", "prod", { shape }), /^its selector app=echo matches no pod/);
});

Deno.test("noEndpointsReason() escapes DEL, C1 controls and bidi characters in a Service's selector, port names and external name, and in the nearest name", () => {
  // The API server validates label values and port names, but the fake and other servers may not, and a right-to-left
  // override (U+202E) or an isolate (U+2066) in a reason reorders or hides the text around it in a terminal or a log.
  const unprintable = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
  const empty: EndpointSlice = { metadata: { name: "echo-x1" }, addressType: "IPv4", ports: null, endpoints: null };
  const shape = (selector: string, ports: string[], type = "ClusterIP", externalName = "") => ({
    type,
    externalName,
    selector,
    ports: ports.map((name, i) => ({ name, port: 80 + i, targetPort: 50051 })),
  });
  const selector = noEndpointsReason([empty], 8080, "echo", "prod", { shape: shape("app=\u202eohce", []) });
  assert.doesNotMatch(selector, unprintable);
  assert.match(
    selector,
    /^its selector app=\\u202eohce matches no pod .* -l app=\\u202eohce lists them; .* in its events\)$/,
  );
  const ports = noEndpointsReason([empty], "http", "echo", "prod", {
    shape: shape("app=echo", ["g\x7frpc", "m\x85\u2066x"]),
  });
  assert.doesNotMatch(ports, unprintable);
  assert.equal(
    ports,
    'service echo has no port named "http" (it has "g\\x7frpc", "m\\x85\\u2066x"): name one of those in the target',
  );
  const slicePorts = noEndpointsReason([slice([{ name: "\u202dgrpc", port: 50051 }], [true])], "http", "echo", "prod");
  assert.doesNotMatch(slicePorts, unprintable);
  assert.match(slicePorts, /\(they have "\\u202dgrpc" \(50051\)\)/);
  const external = shape("", [], "ExternalName", "echo.\u202eexample.com");
  const alias = noEndpointsReason([], 50051, "echo", "prod", { shape: { ...external, selector: undefined } });
  assert.doesNotMatch(alias, unprintable);
  assert.match(alias, /dial dns:\/\/\/echo\.\\u202eexample\.com:50051 instead$/);
  // The closest name there is comes from the API server's list of Services.
  assert.equal(
    missingServiceReason("ech", "prod", { nearest: "e\u2067cho" }),
    "service ech does not exist in namespace prod (kubectl get services -n prod lists those there are): did you " +
      "mean e\\u2067cho?",
  );
});

Deno.test("noEndpointsReason() for a missing namespace names both places it may come from, not the target's alone", () => {
  // The namespace of a target that names none comes from --namespace, the kubeconfig context or the pod: 'fix the
  // target's namespace' sent the user to a target without one. The reason does not know which: it names both.
  assert.equal(
    noEndpointsReason([], "grpc", "echo", "prd", { missing: "namespace" }),
    "namespace prd does not exist (kubectl get namespaces lists those there are): fix the target's namespace, or the " +
      "default namespace where the target names none",
  );
});
