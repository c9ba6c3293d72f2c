import assert from "node:assert/strict";
import { isDns1035Label, isDns1123Label } from "../src/dns_label.ts";

const LABELS: [string, boolean, boolean][] = [
  // name, RFC 1123, RFC 1035
  ["shop", true, true],
  ["kube-system", true, true],
  ["a", true, true],
  ["1shop", true, false],
  ["shop1", true, true],
  ["a".repeat(63), true, true],
  ["a".repeat(64), false, false],
  ["", false, false],
  ["-shop", false, false],
  ["shop-", false, false],
  ["Shop", false, false],
  ["shop.prod", false, false],
  ["shop_prod", false, false],
];

for (const [name, rfc1123, rfc1035] of LABELS) {
  Deno.test(`isDns1123Label() is ${rfc1123} and isDns1035Label() is ${rfc1035} for ${JSON.stringify(name)}`, () => {
    assert.equal(isDns1123Label(name), rfc1123);
    assert.equal(isDns1035Label(name), rfc1035);
  });
}
