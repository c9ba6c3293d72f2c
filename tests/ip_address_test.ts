import assert from "node:assert/strict";
import { ipAddressBytes, isLoopback, samePrefix } from "../src/ip_address.ts";

Deno.test("ipAddressBytes() reads IPv4 as ::ffff:a.b.c.d and IPv6 in every spelling", () => {
  assert.deepEqual([...ipAddressBytes("10.0.0.1")!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]);
  assert.deepEqual(ipAddressBytes("fd00::1"), ipAddressBytes("FD00:0:0:0:0:0:0:1"));
  assert.deepEqual(ipAddressBytes("::ffff:10.0.0.1"), ipAddressBytes("10.0.0.1"));
  for (const text of ["example.com", "10.0.0.256", "1.2.3", "fd00:::1", "[::1]", ""]) {
    assert.equal(ipAddressBytes(text), undefined, text);
  }
});

Deno.test("isLoopback() is true for 127.0.0.0/8 and ::1 only", () => {
  for (
    const [text, loopback] of [["127.0.0.1", true], ["127.255.0.9", true], ["::1", true], ["128.0.0.1", false], [
      "::2",
      false,
    ], ["10.0.0.1", false]] as const
  ) {
    assert.equal(isLoopback(ipAddressBytes(text)!), loopback, text);
  }
});

Deno.test("samePrefix() compares whole and partial bytes", () => {
  const a = ipAddressBytes("10.1.2.3")!;
  assert.ok(samePrefix(a, ipAddressBytes("10.0.0.0")!, 96 + 8));
  assert.ok(samePrefix(a, ipAddressBytes("10.1.0.0")!, 96 + 12));
  assert.ok(!samePrefix(a, ipAddressBytes("10.16.0.0")!, 96 + 12));
  assert.ok(samePrefix(a, ipAddressBytes("192.168.0.1")!, 0));
});
