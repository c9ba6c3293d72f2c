import assert from "node:assert/strict";
import { withTimeout } from "../src/runtime/abortable.ts";

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
