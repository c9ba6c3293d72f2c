import assert from "node:assert/strict";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";

Deno.test("endpointSlice() builds a controller-style slice, every condition written as the controller derives it", () => {
  const slice = endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 50051 },
    endpoints: [
      { ip: "10.0.0.1", pod: "cart-0", zone: "a", nodeName: "n1" },
      {
        ip: ["10.0.0.2", "10.0.0.20"],
        ready: false,
        serving: true,
        terminating: true,
      },
    ],
  });
  assert.deepEqual(slice, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      namespace: "shop",
      name: "cart-ipv4",
      labels: {
        "kubernetes.io/service-name": "cart",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType: "IPv4",
    endpoints: [
      {
        addresses: ["10.0.0.1"],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", namespace: "shop", name: "cart-0" },
        nodeName: "n1",
        zone: "a",
      },
      {
        addresses: ["10.0.0.2", "10.0.0.20"],
        conditions: { ready: false, serving: true, terminating: true },
      },
    ],
    ports: [{ name: "grpc", protocol: "TCP", port: 50051 }],
  });
  assert.equal(
    endpointSlice({
      namespace: "a",
      service: "b",
      endpoints: [{ ip: "fd00::1" }],
    }).addressType,
    "IPv6",
  );
  // As the controller: serving is the pod's readiness, ready is serving and not terminating.
  const conditions = endpointSlice({
    namespace: "a",
    service: "b",
    endpoints: [{ ip: "10.0.0.1", ready: false }, { ip: "10.0.0.2", terminating: true }, {
      ip: "10.0.0.3",
      serving: false,
    }],
  }).endpoints!.map((endpoint) => endpoint.conditions);
  assert.deepEqual(conditions, [
    { ready: false, serving: false, terminating: false },
    { ready: false, serving: true, terminating: true },
    { ready: false, serving: false, terminating: false },
  ]);
});

Deno.test("endpointSlice() hints ready endpoints as the controller does for a trafficDistribution", () => {
  const endpoints = [
    { ip: "10.0.0.1", zone: "a", nodeName: "n1" },
    { ip: "10.0.0.2", zone: "b", nodeName: "n2", ready: false },
    { ip: "10.0.0.3", nodeName: "n3" },
    { ip: "10.0.0.4" },
  ];
  const hints = (trafficDistribution?: "PreferClose" | "PreferSameZone" | "PreferSameNode") =>
    endpointSlice({ namespace: "a", service: "b", trafficDistribution, endpoints }).endpoints!.map((e) => e.hints);
  assert.deepEqual(hints(), [undefined, undefined, undefined, undefined]);
  assert.deepEqual(hints("PreferClose"), [{ forZones: [{ name: "a" }] }, undefined, undefined, undefined]);
  assert.deepEqual(hints("PreferSameZone"), hints("PreferClose"));
  assert.deepEqual(hints("PreferSameNode"), [
    { forZones: [{ name: "a" }], forNodes: [{ name: "n1" }] },
    undefined,
    { forNodes: [{ name: "n3" }] },
    undefined,
  ]);
});

Deno.test("endpointSlice() refuses a field it does not know, as JavaScript callers would otherwise lose it", () => {
  // `ports` as the real object has it, and `podName` as a snapshot names it: both were dropped without a word.
  const slice = { namespace: "a", service: "b", ports: [{ name: "grpc", port: 50051 }], endpoints: [] };
  assert.throws(() => endpointSlice(slice as never), {
    name: "TypeError",
    message: /endpointSlice\(\) has no field "ports" \(one port: port: \{ name, port \}\); its fields are namespace, /,
  });
  const endpoints = [{ ip: "10.0.0.1" }, { ip: "10.0.0.2", podName: "b-1" }];
  assert.throws(() => endpointSlice({ namespace: "a", service: "b", endpoints } as never), {
    name: "TypeError",
    message: /endpointSlice\(\) endpoints\[1\] has no field "podName"; its fields are ip, pod, /,
  });
  // The Service's field name: the slice got a port without a number.
  const port = { name: "grpc", targetPort: 50051 };
  assert.throws(() => endpointSlice({ namespace: "a", service: "b", port, endpoints: [] } as never), {
    name: "TypeError",
    message: 'Cannot build an EndpointSlice: endpointSlice() port has no field "targetPort"; its fields are name, ' +
      "port, protocol, appProtocol",
  });
});

Deno.test("endpointSlice() takes a port as a stored slice has it, protocol included", () => {
  // A port copied from `kubectl get endpointslice -o json` was refused: 'port has no field "protocol"'.
  const endpoints = [{ ip: "10.0.0.1" }];
  const stored = { name: "grpc", port: 50051, protocol: "TCP", appProtocol: "grpc" } as const;
  assert.deepEqual(endpointSlice({ namespace: "a", service: "b", port: stored, endpoints }).ports, [stored]);
  const udp = endpointSlice({
    namespace: "a",
    service: "b",
    port: { name: "dns", port: 53, protocol: "UDP" },
    endpoints,
  });
  assert.deepEqual(udp.ports, [{ name: "dns", protocol: "UDP", port: 53 }]);
  assert.deepEqual(endpointSlice({ namespace: "a", service: "b", port: { name: "grpc", port: 1 }, endpoints }).ports, [
    { name: "grpc", protocol: "TCP", port: 1 },
  ]);
});

Deno.test("endpointSlice() refuses params that are no object, naming their type", () => {
  // null failed with the runtime's "Cannot convert undefined or null to object", a string with `has no field "0"`.
  for (const [params, current] of [[null, "value is null"], [[], "type is list"], ["shop", "type is string"]]) {
    assert.throws(() => endpointSlice(params as never), {
      name: "TypeError",
      message: "Cannot build an EndpointSlice: endpointSlice() takes an object such as { namespace, service, port, " +
        `endpoints }: current ${current}`,
    });
  }
});

Deno.test("endpointSlice() refuses values of the wrong kind, which built another slice than the one meant", () => {
  const base = { namespace: "a", service: "b", endpoints: [{ ip: "10.0.0.1" }] };
  const refused: [object, string][] = [
    // A port without a number: the resolver found no port "grpc" and dialed nothing.
    [{ ...base, port: 50051 }, 'port must be an object such as { name: "grpc", port: 50051 }: current value is 50051'],
    // A port without a number: the resolver said that the ready pods were not ready.
    [
      { ...base, port: { name: "grpc" } },
      "port.port must be the pods' port number, such as 50051: current value is undefined",
    ],
    [
      { ...base, port: { name: "grpc", port: "50051" } },
      'port.port must be the pods\' port number, such as 50051: current value is "50051"',
    ],
    // A protocol kube-apiserver refuses ("supported values: \"SCTP\", \"TCP\", \"UDP\"").
    [
      { ...base, port: { name: "grpc", port: 50051, protocol: "tcp" } },
      'port.protocol must be "TCP", "UDP", "SCTP" or absent (TCP): current value is "tcp"',
    ],
    // Zone hints that kube-apiserver never allows (it refuses the Service).
    [
      { ...base, trafficDistribution: "PreferZone" },
      'trafficDistribution must be "PreferClose", "PreferSameZone", "PreferSameNode" or absent: current value is ' +
      '"PreferZone"',
    ],
    // A ready pod.
    [
      { ...base, endpoints: [{ ip: "10.0.0.1", ready: "false" }] },
      'endpoints[0].ready must be true or false: current value is "false"',
    ],
    // A function (a readiness check passed in place of its result) was "current value is undefined", as JSON has
    // no function; a bigint made JSON throw its own error instead of this one.
    [
      { ...base, endpoints: [{ ip: "10.0.0.1", ready: function isReady() {} }] },
      "endpoints[0].ready must be true or false: current value is the function isReady",
    ],
    [
      { ...base, endpoints: [{ ip: 167772161n }] },
      'endpoints[0].ip must be an address or a list of them, such as "10.0.0.1": current value is 167772161n',
    ],
    // Was: endpoints[0] has no field "0".
    [
      { ...base, endpoints: ["10.0.0.1"] },
      'endpoints[0] must be an object such as { ip: "10.0.0.1", pod: "echo-0" }: current value is "10.0.0.1"',
    ],
    // Was: guessed IPv6 for its ":", then "addresses must be IPv6 addresses".
    [
      { ...base, endpoints: [{ ip: "127.0.0.2:50051" }] },
      "endpoints[0].ip must be an address without a port (the port goes in port: { name, port }): current value is " +
      '"127.0.0.2:50051"',
    ],
    [
      { ...base, endpoints: [{ ip: ["10.0.0.1", "[fd00::1]:50051"] }] },
      "endpoints[0].ip must be an address without a port (the port goes in port: { name, port }): current value is " +
      '"[fd00::1]:50051"',
    ],
  ];
  for (const [params, message] of refused) {
    assert.throws(() => endpointSlice(params as never), {
      name: "TypeError",
      message: `Cannot build an EndpointSlice: endpointSlice() ${message}`,
    });
  }
  assert.equal(endpointSlice({ ...base, trafficDistribution: "PreferClose" }).endpoints?.length, 1);
});

Deno.test("endpointSlice() refuses null, values of the wrong type and empty names in every field, which went into the slice as given", async () => {
  const base = { namespace: "a", service: "b", port: { name: "grpc", port: 50051 }, endpoints: [{ ip: "10.0.0.1" }] };
  const endpoint = (fields: object) => ({ ...base, endpoints: [{ ip: "10.0.0.1", ...fields }] });
  const refused: [object, string][] = [
    [{ ...base, namespace: null }, 'namespace must be the Service\'s namespace, a non-empty string such as "default"'],
    [{ ...base, namespace: 5 }, 'namespace must be the Service\'s namespace, a non-empty string such as "default"'],
    [{ ...base, service: 5 }, 'service must be the Service\'s name, a non-empty string such as "echo"'],
    [{ ...base, service: "" }, 'service must be the Service\'s name, a non-empty string such as "echo"'],
    [{ ...base, name: null }, 'name must be the slice\'s name, a non-empty string such as "echo-0", or absent'],
    [
      { ...base, addressType: null },
      'addressType must be "IPv4", "IPv6", "FQDN" or absent (guessed from the first address)',
    ],
    [
      { ...base, addressType: "ipv4" },
      'addressType must be "IPv4", "IPv6", "FQDN" or absent (guessed from the first address)',
    ],
    // Was stored as "", an unnamed port.
    [
      { ...base, port: { name: null, port: 1 } },
      'port.name must be the port\'s name, a string such as "grpc" ("" for an unnamed port)',
    ],
    [
      { ...base, port: { name: 5, port: 1 } },
      'port.name must be the port\'s name, a string such as "grpc" ("" for an unnamed port)',
    ],
    [
      { ...base, port: { port: 1 } },
      'port.name must be the port\'s name, a string such as "grpc" ("" for an unnamed port)',
    ],
    [
      { ...base, port: { name: "grpc", port: 1, appProtocol: null } },
      'port.appProtocol must be a protocol name such as "kubernetes.io/h2c", or absent',
    ],
    // Was a targetRef without a name.
    [
      endpoint({ pod: null }),
      'endpoints[0].pod must be a non-empty string such as "echo-0" (the Pod\'s name), or absent',
    ],
    [
      endpoint({ pod: "" }),
      'endpoints[0].pod must be a non-empty string such as "echo-0" (the Pod\'s name), or absent',
    ],
    [endpoint({ zone: 5 }), 'endpoints[0].zone must be a non-empty string such as "zone-a", or absent'],
    [endpoint({ zone: "" }), 'endpoints[0].zone must be a non-empty string such as "zone-a", or absent'],
    [endpoint({ nodeName: null }), 'endpoints[0].nodeName must be a non-empty string such as "node-1", or absent'],
    [endpoint({ hostname: null }), 'endpoints[0].hostname must be a non-empty string such as "echo-0", or absent'],
  ];
  for (const [params, message] of refused) {
    const given = JSON.stringify(params, (_, value) => value === undefined ? "undefined" : value);
    assert.throws(() => endpointSlice(params as never), (error: Error) => {
      assert.equal(error.name, "TypeError", given);
      assert.match(error.message, /^Cannot build an EndpointSlice: endpointSlice\(\) /, given);
      assert.equal(error.message.split("endpointSlice() ")[1].replace(/: current value is .*$/, ""), message, given);
      return true;
    });
  }
  // The message ends with the value as given.
  assert.throws(() => endpointSlice(endpoint({ zone: null }) as never), {
    message: "Cannot build an EndpointSlice: endpointSlice() endpoints[0].zone must be a non-empty string such as " +
      '"zone-a", or absent: current value is null',
  });
  // A field left out reads as such, not as a null that was never passed.
  assert.throws(() => endpointSlice({ ...base, port: { port: 1 } } as never), {
    message: "Cannot build an EndpointSlice: endpointSlice() port.name must be the port's name, a string such as " +
      '"grpc" ("" for an unnamed port): current value is undefined',
  });
  // undefined is a field left out; "" names an unnamed port.
  const slice = endpointSlice({
    ...base,
    name: undefined,
    addressType: undefined,
    port: { name: "", port: 1, appProtocol: undefined },
    endpoints: [{ ip: "10.0.0.1", pod: undefined, zone: undefined, nodeName: undefined, hostname: undefined }],
  });
  assert.deepEqual(slice.ports, [{ name: "", protocol: "TCP", port: 1 }]);
  assert.deepEqual(Object.keys(slice.endpoints![0]), ["addresses", "conditions"]);
  // zone: null with a traffic distribution was stored with the zone hint { name: "" }.
  await using api = await startFakeApiServer();
  assert.throws(
    () =>
      api.applySlice(endpointSlice({ ...endpoint({ zone: null }), trafficDistribution: "PreferSameZone" } as never)),
    { name: "TypeError", message: /endpoints\[0\]\.zone must be/ },
  );
  assert.deepEqual(api.slices(), []);
});

Deno.test("endpointSlice() writes apiVersion and kind, so that kubectl apply takes the same slice to a real cluster", () => {
  // Without them, kubectl said: error validating data: [apiVersion not set, kind not set].
  const slice = endpointSlice({ namespace: "shop", service: "cart", endpoints: [{ ip: "10.0.0.1" }] });
  assert.equal(slice.apiVersion, "discovery.k8s.io/v1");
  assert.equal(slice.kind, "EndpointSlice");
  assert.deepEqual(Object.keys(slice).slice(0, 2), ["apiVersion", "kind"], "first, as kubectl writes them");
});

Deno.test("endpointSlice() with the Service's uid names it as the slice's controlling owner, as the controller does, and the fake serves it so", async () => {
  await using api = await startFakeApiServer();
  const service = api.applyService({
    metadata: { namespace: "shop", name: "cart" },
    spec: { ports: [{ name: "grpc", port: 50051 }], selector: { app: "cart" } },
  });
  const built = endpointSlice({
    namespace: "shop",
    service: "cart",
    serviceUid: service.metadata.uid,
    endpoints: [{ ip: "10.0.0.1" }],
  });
  // As the EndpointSlice controller of kube-controller-manager v1.36.3 wrote it (measured with kubectl get
  // endpointslice -o yaml), in the order kube-apiserver serves the fields.
  const owner = {
    apiVersion: "v1",
    kind: "Service",
    name: "cart",
    uid: service.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  assert.deepEqual(built.metadata.ownerReferences, [owner]);
  api.applySlice(built);
  const stored = await (await fetch(`${api.url}/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/cart-ipv4`))
    .json();
  assert.equal(JSON.stringify(stored.metadata.ownerReferences), JSON.stringify([owner]));
  assert.equal(
    endpointSlice({ namespace: "shop", service: "cart", endpoints: [] }).metadata.ownerReferences,
    undefined,
  );
  assert.throws(() => endpointSlice({ namespace: "shop", service: "cart", serviceUid: "", endpoints: [] }), {
    name: "TypeError",
    message:
      /endpointSlice\(\) serviceUid must be the Service's metadata\.uid, a non-empty string, or absent: current value is ""/,
  });
});
