import assert from "node:assert/strict";
import { createTurnSlots } from "../src/runtime/turn_slots.ts";

/** A fake `nextTurn`: the turns run when the test says so. */
function fakeTurns() {
  const queued: (() => void)[] = [];
  return {
    nextTurn(callback: () => void) {
      queued.push(callback);
      return () => queued.splice(queued.indexOf(callback), 1);
    },
    async run() {
      for (const callback of queued.splice(0)) callback();
      await Promise.resolve();
    },
    pending: () => queued.length,
  };
}

Deno.test("createTurnSlots() lets the first requests of a turn go at once and the rest in later turns, in order", async () => {
  const turns = fakeTurns();
  const slots = createTurnSlots(2, turns.nextTurn);
  const started: number[] = [];
  const requests = [0, 1, 2, 3, 4].map(async (i) => {
    await slots.take();
    started.push(i);
  });
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  await turns.run();
  assert.deepEqual(started, [0, 1, 2, 3]);
  await turns.run();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  await Promise.all(requests);
  await turns.run();
  assert.equal(turns.pending(), 0, "no turn is waited for once nothing is left");
});

Deno.test("createTurnSlots() gives a new turn its full count again", async () => {
  const turns = fakeTurns();
  const slots = createTurnSlots(2, turns.nextTurn);
  await slots.take();
  await slots.take();
  await turns.run();
  let third = false;
  const taken = slots.take().then(() => third = true);
  await Promise.resolve();
  assert.equal(third, true, "a request of the next turn did not wait");
  await taken;
  await turns.run();
});
