import assert from "node:assert/strict";
import fc from "fast-check";
import { hostKey } from "../src/selection/_host_key.ts";

Deno.test("hostKey() keys a canonical IPv4 address by its number, and any other host by itself", () => {
  assert.equal(hostKey("10.0.0.1"), 0x0a000001);
  assert.equal(hostKey("255.255.255.255"), 0xffffffff);
  assert.equal(hostKey("0.0.0.0"), 0);
  for (
    const host of [
      "010.0.0.1",
      "10.0.0.01",
      "10.0.0.256",
      "10.0.0",
      "10.0.0.1.",
      ".10.0.0.1",
      "10..0.1",
      "10.0.0.1.5",
      "10.0.0.1 ",
      " 10.0.0.1",
      "10.0.0.1%eth0",
      "::ffff:10.0.0.1",
      "+10.0.0.1",
      "fd00::1",
      "",
    ]
  ) {
    assert.equal(hostKey(host), host, host);
  }
});

Deno.test("hostKey() gives two hosts one key only when they are the same string", () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom("00", "01", "007", ""));
  const host = fc.oneof(fc.tuple(octet, octet, octet, octet).map((parts) => parts.join(".")), fc.ipV6(), fc.string());
  fc.assert(fc.property(host, host, (a, b) => (hostKey(a) === hostKey(b)) === (a === b)));
});
