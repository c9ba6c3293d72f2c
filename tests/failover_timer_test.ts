// kubernetes_round_robin's failover timer (src/adapters/_failover_timer.ts) under a fake event loop: a timer that
// fires late waits on for the time the process missed, but not without end.
import assert from "node:assert/strict";
import { startFailoverTimer } from "../src/adapters/_failover_timer.ts";
import { FakeLoop } from "./_balancer_world.ts";

/** Runs `body` with a fake loop installed, the times at which the timer's callback ran and how it said it waited. */
function withLoop(timeoutMs: number, body: (loop: FakeLoop, fired: number[], waited: string[]) => void): void {
  const loop = new FakeLoop(1);
  loop.install();
  try {
    const fired: number[] = [];
    const waited: string[] = [];
    startFailoverTimer(() => timeoutMs, (wait) => {
      fired.push(loop.now);
      waited.push(wait);
    }, { trace: () => {} });
    body(loop, fired, waited);
  } finally {
    loop.uninstall();
  }
}

Deno.test("the failover timer fires on time when the loop is free, and after one pause gives the time missed", () => {
  withLoop(3000, (loop, fired, waited) => {
    loop.advance(3000);
    assert.deepEqual(fired, [3000]);
    assert.deepEqual(waited, ["3000 ms"]);
  });
  withLoop(3000, (loop, fired, waited) => {
    loop.advance(500);
    loop.pause(5000); // stopped past the deadline: the timer runs 2,500 ms late at 5,500
    loop.advance(0);
    assert.deepEqual(fired, [], "failed over at the resume, before the connections made meanwhile were read");
    loop.advance(2499);
    assert.deepEqual(fired, []);
    loop.advance(1);
    assert.deepEqual(fired, [8000]);
    // The final trace said "within 3000 ms" of a wait of 8 s.
    assert.deepEqual(waited, [
      "3000 ms of the time the process ran (8000 ms by the clock: it was stopped or its event loop blocked)",
    ]);
  });
});

Deno.test("the failover timer fires in an event loop blocked over and over, at most a timeout after it was due", () => {
  // A loop blocked 2.6 s at a time (as by 5,000-endpoint updates back to back), free a turn between blocks: each
  // firing came over 1 s late, and each re-armed the timer again, so it never fired (16 s on Deno, real timers).
  withLoop(1500, (loop, fired, waited) => {
    for (let block = 0; block < 8 && fired.length === 0; block++) {
      loop.pause(2600);
      loop.advance(0);
    }
    assert.equal(fired.length, 1, "no failover in 20.8 s of a busy loop with a 1.5 s timeout");
    assert.ok(fired[0] <= 1500 + 1500 + 2 * 2600, `failover at ${fired[0]} ms`);
    assert.match(
      waited[0],
      new RegExp(
        `^${fired[0]} ms by the clock, 1500 ms of them given for the time the process was stopped or its event ` +
          "loop blocked \\(at most the timeout\\)$",
      ),
    );
  });
});
