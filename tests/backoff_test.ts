import assert from "node:assert/strict";
import { createBackoff } from "../src/base/backoff.ts";

Deno.test("createBackoff() doubles from 1 s and levels off below the 30 s cap", () => {
  const backoff = createBackoff({}, () => 0);
  const delays = Array.from({ length: 7 }, () => backoff.next());
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 15000, 15000, 15000]);
});

Deno.test("createBackoff() adds up to one delay of jitter, still jittered at the cap", () => {
  const high = createBackoff({}, () => 0.999);
  assert.ok(high.next() >= 1998);
  for (let i = 0; i < 10; i++) assert.ok(high.next() < 30000);
  const mid = createBackoff({}, () => 0.5);
  for (let i = 0; i < 10; i++) mid.next();
  assert.equal(mid.next(), 22500);
});

Deno.test("createBackoff() starts over after reset()", () => {
  const backoff = createBackoff({}, () => 0);
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.next(), 1000);
});
