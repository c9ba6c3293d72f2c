import assert from "node:assert/strict";
import { endpointSlice } from "@kgr/resolver/testing";

Deno.test("endpointSlice() builds a controller-style slice and leaves unset conditions unset", () => {
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
        conditions: {},
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
});
