import assert from "node:assert/strict";
import { isDns1123Label, lowerCaseMeant } from "../src/base/dns_label.ts";

const LABELS: [string, boolean][] = [
  ["shop", true],
  ["kube-system", true],
  ["a", true],
  ["1shop", true],
  ["shop1", true],
  ["a".repeat(63), true],
  ["a".repeat(64), false],
  ["", false],
  ["-shop", false],
  ["shop-", false],
  ["Shop", false],
  ["shop.prod", false],
  ["shop_prod", false],
];

for (const [name, rfc1123] of LABELS) {
  Deno.test(`isDns1123Label() is ${rfc1123} for ${JSON.stringify(name)}`, () => {
    assert.equal(isDns1123Label(name), rfc1123);
  });
}

Deno.test("lowerCaseMeant() names the lower-case form only when that is a label, and only when the case differs", () => {
  assert.equal(lowerCaseMeant("Shop"), ': Kubernetes names are lower case, did you mean "shop"?');
  assert.equal(lowerCaseMeant("KUBE-SYSTEM"), ': Kubernetes names are lower case, did you mean "kube-system"?');
  assert.equal(lowerCaseMeant("shop"), "");
  assert.equal(lowerCaseMeant("My_Shop"), "");
  assert.equal(lowerCaseMeant("-Shop"), "");
});
