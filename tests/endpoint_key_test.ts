import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { endpointKey } from "../src/adapters/_endpoint_key.ts";

type Address = { host: string; port: number } | { path: string };
const { endpointToString } = grpc.experimental as unknown as {
  endpointToString(endpoint: { addresses: Address[] }): string;
};
const tcp = (host: string, port: number) => ({ host, port });

Deno.test("endpointKey() gives endpoints with the same addresses in the same order the same key", () => {
  const cases: [string, Address[], Address[]][] = [
    ["one IPv4 address", [tcp("10.1.0.7", 50051)], [tcp("10.1.0.7", 50051)]],
    ["one IPv6 address", [tcp("fd00::7", 50051)], [tcp("fd00::7", 50051)]],
    ["two addresses", [tcp("10.1.0.7", 1), tcp("fd00::7", 1)], [tcp("10.1.0.7", 1), tcp("fd00::7", 1)]],
    ["a Unix socket", [{ path: "/run/echo.sock" }], [{ path: "/run/echo.sock" }]],
  ];
  for (const [name, a, b] of cases) assert.equal(endpointKey({ addresses: a }), endpointKey({ addresses: b }), name);
});

Deno.test("endpointKey() tells apart endpoints whose addresses differ in any way, order included", () => {
  const cases: [string, Address[], Address[]][] = [
    ["another host", [tcp("10.1.0.7", 1)], [tcp("10.1.0.8", 1)]],
    ["another port", [tcp("10.1.0.7", 1)], [tcp("10.1.0.7", 2)]],
    ["a colon moved between host and port", [tcp("fd00::1", 23)], [tcp("fd00::12", 3)]],
    ["the same addresses in another order", [tcp("10.1.0.7", 1), tcp("fd00::7", 1)], [
      tcp("fd00::7", 1),
      tcp("10.1.0.7", 1),
    ]],
    ["one address against two", [tcp("10.1.0.7", 1)], [tcp("10.1.0.7", 1), tcp("10.1.0.7", 1)]],
    ["a host that looks like two addresses", [tcp('10.1.0.7",1],["10.1.0.8', 1)], [
      tcp("10.1.0.7", 1),
      tcp("10.1.0.8", 1),
    ]],
    ["a socket path against a host and port", [{ path: "10.1.0.7:1" }], [tcp("10.1.0.7", 1)]],
    ["no address against an empty path", [], [{ path: "" }]],
  ];
  for (const [name, a, b] of cases) {
    assert.notEqual(endpointKey({ addresses: a }), endpointKey({ addresses: b }), name);
  }
});

Deno.test("endpointKey() gives two endpoints of IP addresses the same key exactly when grpc-js's endpointToString does", () => {
  const address = fc.record({
    host: fc.constantFrom("10.0.0.1", "10.0.0.12", "fd00::1", "fd00::12", "::ffff:10.0.0.1"),
    port: fc.constantFrom(1, 2, 23, 50051),
  });
  const endpoint = fc.array(address, { minLength: 1, maxLength: 3 }).map((addresses) => ({ addresses }));
  fc.assert(
    fc.property(endpoint, endpoint, (a, b) => {
      const same = endpointToString(a) === endpointToString(b);
      assert.equal(endpointKey(a) === endpointKey(b), same);
    }),
    { numRuns: 2000, seed: 7 },
  );
});
