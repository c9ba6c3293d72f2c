// nftDestinations() on rules as kube-proxy v1.36.3 writes them (`nft -j list table ip kube-proxy`, trimmed to the
// objects it reads): the two forms of a service chain, and the Services without a usable endpoint.
import assert from "node:assert/strict";
import { nftDestinations } from "./kube_proxy.ts";

const SERVICE = "service-HIU6PJVX-kp/s/tcp/grpc";
const A = "endpoint-674M3Z74-kp/s/tcp/grpc__10.213.200.2/50051";
// A named targetPort: each pod its own number.
const B = "endpoint-K7W2KJNG-kp/s/tcp/grpc__10.213.201.2/8080";
const l4proto = { match: { op: "==", left: { meta: { key: "l4proto" } }, right: "tcp" } };
const serviceIps = {
  map: {
    name: "service-ips",
    elem: [[{ concat: ["10.96.59.244", "tcp", 80] }, { goto: { target: SERVICE } }]],
  },
};
const noEndpointServices = {
  map: {
    name: "no-endpoint-services",
    elem: [
      [
        { elem: { val: { concat: ["10.96.0.1", "tcp", 443] }, comment: "default/kubernetes:https" } },
        { goto: { target: "reject-chain" } },
      ],
      // internalTrafficPolicy: Local without a local endpoint.
      [{ elem: { val: { concat: ["10.96.7.7", "tcp", 80] }, comment: "ns/local:grpc" } }, { drop: null }],
    ],
  },
};

/** Without session affinity: one dnat through a numgen map. */
const numgen = {
  nftables: [serviceIps, noEndpointServices, {
    rule: {
      chain: SERVICE,
      expr: [l4proto, {
        dnat: {
          family: "ip",
          addr: {
            map: {
              key: { numgen: { mode: "random", mod: 2, offset: 0 } },
              data: {
                set: [[0, { concat: ["10.213.201.2", 8080] }], [1, { concat: ["10.213.200.2", 50051] }]],
              },
            },
          },
        },
      }],
    },
  }],
};

/** With `sessionAffinity: ClientIP`: affinity gotos and a numgen vmap to one chain per endpoint. */
const affinity = {
  nftables: [
    serviceIps,
    noEndpointServices,
    ...([[A, "10.213.200.2", 50051], [B, "10.213.201.2", 8080]] as const).flatMap(([chain, ip, port]) => [
      {
        rule: {
          chain,
          expr: [{
            set: { op: "update", elem: { payload: { protocol: "ip", field: "saddr" } }, set: `@affinity-${chain}` },
          }],
        },
      },
      { rule: { chain, expr: [l4proto, { dnat: { addr: ip, port } }] } },
    ]),
    ...[A, B].map((chain) => ({
      rule: {
        chain: SERVICE,
        expr: [
          { match: { op: "==", left: { payload: { protocol: "ip", field: "saddr" } }, right: `@affinity-${chain}` } },
          { goto: { target: chain } },
        ],
      },
    })),
    {
      rule: {
        chain: SERVICE,
        expr: [{
          vmap: {
            key: { numgen: { mode: "random", mod: 2, offset: 0 } },
            data: { set: [[0, { goto: { target: A } }], [1, { goto: { target: B } }]] },
          },
        }],
      },
    },
  ],
};

Deno.test("nftDestinations() reads the endpoints and ports of a numgen dnat map", () => {
  assert.deepEqual(nftDestinations(numgen, "10.96.59.244", 80), ["10.213.200.2:50051", "10.213.201.2:8080"]);
});

Deno.test("nftDestinations() follows session affinity's per-endpoint chains to their endpoints and ports", () => {
  assert.deepEqual(nftDestinations(affinity, "10.96.59.244", 80), ["10.213.200.2:50051", "10.213.201.2:8080"]);
});

Deno.test("nftDestinations() returns [] for a Service that kube-proxy rejects or drops", () => {
  assert.deepEqual(nftDestinations(numgen, "10.96.0.1", 443), []);
  assert.deepEqual(nftDestinations(numgen, "10.96.7.7", 80), []);
});

Deno.test("nftDestinations() returns undefined for a Service or port not programmed", () => {
  assert.equal(nftDestinations(numgen, "10.96.59.244", 81), undefined);
  assert.equal(nftDestinations(numgen, "10.96.1.1", 80), undefined);
  assert.equal(nftDestinations({ nftables: [] }, "10.96.59.244", 80), undefined);
});
