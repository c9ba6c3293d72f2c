import assert from "node:assert/strict";
import { createBackoff } from "../src/backoff.ts";

Deno.test("createBackoff() doubles from 1 s up to the 30 s cap", () => {
  const backoff = createBackoff({ random: () => 0 });
  const delays = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

Deno.test("createBackoff() adds up to one delay of jitter but never passes the cap", () => {
  const backoff = createBackoff({ random: () => 0.999 });
  assert.ok(backoff.next() >= 1998);
  for (let i = 0; i < 10; i++) assert.ok(backoff.next() <= 30000);
});

Deno.test("createBackoff() starts over after reset()", () => {
  const backoff = createBackoff({ random: () => 0 });
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.next(), 1000);
});
