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

Deno.test("createBackoff() waits the first delay's range after each of the first 10 unanswered requests, then grows", () => {
  const backoff = createBackoff({}, () => 0);
  const delays = Array.from({ length: 13 }, () => backoff.nextUnanswered());
  assert.deepEqual(delays, [...Array(10).fill(1000), 1000, 2000, 4000]);
  const jittered = createBackoff({}, () => 0.999);
  assert.ok(jittered.nextUnanswered() >= 1998 && jittered.nextUnanswered() < 2000);
});

Deno.test("createBackoff() keeps next()'s growth apart from unanswered requests, and reset() gives 10 again", () => {
  const backoff = createBackoff({}, () => 0);
  backoff.next();
  backoff.next();
  assert.equal(backoff.nextUnanswered(), 1000);
  assert.equal(backoff.next(), 4000);
  for (let i = 1; i < 10; i++) backoff.nextUnanswered();
  assert.equal(backoff.nextUnanswered(), 8000);
  backoff.reset();
  assert.deepEqual(Array.from({ length: 10 }, () => backoff.nextUnanswered()), Array(10).fill(1000));
});

Deno.test("createBackoff() caps an unanswered request's delay at maxMs as next() does", () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 1000 }, () => 0.5);
  assert.equal(backoff.nextUnanswered(), 750);
});

Deno.test("createBackoff() reset(false) starts next() over but keeps the quick retries used", () => {
  const backoff = createBackoff({}, () => 0);
  for (let i = 0; i < 10; i++) backoff.nextUnanswered();
  backoff.next();
  backoff.reset(false);
  assert.deepEqual([backoff.nextUnanswered(), backoff.nextUnanswered(), backoff.next()], [1000, 2000, 4000]);
  backoff.reset();
  assert.equal(backoff.nextUnanswered(), 1000);
  assert.equal(backoff.nextUnanswered(), 1000);
});

Deno.test("createBackoff() quickRetryLeft() says whether the next unanswered request still gets a quick retry", () => {
  const backoff = createBackoff({}, () => 0);
  const left = Array.from({ length: 11 }, () => {
    const quick = backoff.quickRetryLeft();
    backoff.nextUnanswered();
    return quick;
  });
  assert.deepEqual(left, [...Array(10).fill(true), false]);
  backoff.reset(false);
  assert.equal(backoff.quickRetryLeft(), false);
  backoff.reset();
  assert.equal(backoff.quickRetryLeft(), true);
});
