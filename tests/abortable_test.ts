import assert from "node:assert/strict";
import { whenAborted, withTimeout } from "../src/runtime/abortable.ts";

/** Resolves with the signal's reason once it aborts; a timer of its own keeps the test alive (withTimeout's does not). */
function aborted(signal: AbortSignal): Promise<unknown> {
  const alive = setTimeout(() => {}, 60_000);
  return new Promise<unknown>((resolve) => {
    const done = () => {
      clearTimeout(alive);
      resolve(signal.reason);
    };
    if (signal.aborted) done();
    else signal.addEventListener("abort", done, { once: true });
  });
}

Deno.test("withTimeout() aborts the task's signal with a TimeoutError after the time limit", async () => {
  const reason = await withTimeout(undefined, 20, aborted);
  assert.ok(reason instanceof DOMException);
  assert.equal(reason.name, "TimeoutError");
});

Deno.test("withTimeout() aborts the task's signal with the caller's reason, at once or later", async () => {
  const now = new AbortController();
  now.abort(new Error("stopped"));
  assert.equal(((await withTimeout(now.signal, 60_000, aborted)) as Error).message, "stopped");
  const later = new AbortController();
  setTimeout(() => later.abort(new Error("later")), 10);
  assert.equal(((await withTimeout(later.signal, 60_000, aborted)) as Error).message, "later");
});

Deno.test("withTimeout() clears its timer and leaves the caller's signal once the task ends", async () => {
  const caller = new AbortController();
  let seen: AbortSignal | undefined;
  assert.equal(await withTimeout(caller.signal, 60_000, (signal) => (seen = signal, Promise.resolve(7))), 7);
  caller.abort();
  assert.equal(seen!.aborted, false);
});

Deno.test("whenAborted() puts one listener on a signal for every caller, and takes it off with the last", () => {
  const controller = new AbortController();
  const { signal } = controller;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => (listeners++, add(...args));
  signal.removeEventListener = (...args: Parameters<typeof remove>) => (listeners--, remove(...args));
  const stops = Array.from({ length: 20 }, () => whenAborted(signal, () => {}));
  assert.equal(listeners, 1);
  for (const stop of stops) stop();
  assert.equal(listeners, 0);
  const calls: number[] = [];
  whenAborted(signal, () => calls.push(1));
  const stopSecond = whenAborted(signal, () => calls.push(2));
  whenAborted(signal, () => calls.push(3));
  stopSecond();
  controller.abort();
  assert.deepEqual(calls, [1, 3]);
  whenAborted(signal, () => calls.push(4));
  assert.deepEqual(calls, [1, 3], "a signal already aborted calls nothing");
});
