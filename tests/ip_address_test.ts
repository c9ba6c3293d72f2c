import assert from "node:assert/strict";
import { ipAddressBytes, isIpv4, isLoopbackHost, samePrefix, unbracketedHost } from "../src/base/ip_address.ts";

Deno.test("ipAddressBytes() reads IPv4 as ::ffff:a.b.c.d and IPv6 in every spelling", () => {
  assert.deepEqual([...ipAddressBytes("10.0.0.1")!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]);
  assert.deepEqual(ipAddressBytes("fd00::1"), ipAddressBytes("FD00:0:0:0:0:0:0:1"));
  assert.deepEqual(ipAddressBytes("::ffff:10.0.0.1"), ipAddressBytes("10.0.0.1"));
  for (const text of ["example.com", "10.0.0.256", "1.2.3", "fd00:::1", "[::1]", ""]) {
    assert.equal(ipAddressBytes(text), undefined, text);
  }
});

Deno.test("isIpv4() is true for IPv4 addresses and IPv4-mapped ones in either spelling, as Go's To4", () => {
  for (const [text, ipv4] of [["10.0.0.1", true], ["::ffff:10.0.0.1", true], ["::ffff:a00:1", true], ["::", false]]) {
    assert.equal(isIpv4(ipAddressBytes(text as string)!), ipv4, text as string);
  }
  for (const text of ["fd00::1", "::a00:1", "::1:ffff:a00:1", "64:ff9b::a00:1"]) {
    assert.equal(isIpv4(ipAddressBytes(text)!), false, text);
  }
});

Deno.test("isLoopbackHost() is true for localhost, 127.0.0.0/8 and ::1 only", () => {
  const hosts = {
    "localhost": true,
    "127.0.0.1": true,
    "127.255.0.9": true,
    "[::1]": true,
    "[::ffff:127.0.0.1]": true,
    "128.0.0.1": false,
    "[::2]": false,
    "10.0.0.1": false,
    "example.com": false,
  };
  for (const [host, loopback] of Object.entries(hosts)) {
    assert.equal(isLoopbackHost(new URL(`https://${host}:6443`)), loopback, host);
  }
});

Deno.test("samePrefix() compares whole and partial bytes", () => {
  const a = ipAddressBytes("10.1.2.3")!;
  assert.ok(samePrefix(a, ipAddressBytes("10.0.0.0")!, 96 + 8));
  assert.ok(samePrefix(a, ipAddressBytes("10.1.0.0")!, 96 + 12));
  assert.ok(!samePrefix(a, ipAddressBytes("10.16.0.0")!, 96 + 12));
  assert.ok(samePrefix(a, ipAddressBytes("192.168.0.1")!, 0));
});

Deno.test("unbracketedHost() takes the brackets off an IPv6 literal only", () => {
  assert.equal(unbracketedHost("[fd00::1]"), "fd00::1");
  assert.equal(unbracketedHost(new URL("https://[::1]:6443").hostname), "::1");
  assert.equal(unbracketedHost("10.0.0.1"), "10.0.0.1");
  assert.equal(unbracketedHost("example.com"), "example.com");
});
