import type { Clock } from "../src/runtime/clock.ts";
import { realClearTimeout, realSetTimeout } from "../src/runtime/real_timers.ts";
import { unrefTimer } from "../src/runtime/unref_timer.ts";
import { setDefaultPolicyClock } from "../src/selection/traffic_policy.ts";

interface Timer {
  at: number;
  order: number;
  callback: () => void;
}

/** A {@linkcode Clock} whose time moves only when the test fires its timers. */
export class FakeClock implements Clock {
  #now = 0;
  #order = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const timer = { at: this.#now + Math.max(0, ms), order: this.#order++, callback };
    this.#timers.push(timer);
    return () => {
      const index = this.#timers.indexOf(timer);
      if (index !== -1) this.#timers.splice(index, 1);
    };
  }

  /** Moves the time `ms` on, running the timers due by then in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    while (this.#timers.some((timer) => timer.at <= until)) this.fireNext();
    this.#now = until;
  }

  /** Moves the time to the earliest pending timer and runs it; false when no timer is pending. */
  fireNext(): boolean {
    let next: Timer | undefined;
    for (const timer of this.#timers) {
      if (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
    }
    if (!next) return false;
    this.#timers.splice(this.#timers.indexOf(next), 1);
    this.#now = next.at;
    next.callback();
    return true;
  }
}

/** One turn of the real event loop: every promise job queued so far has run after it. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Drives `clock` until `done()`: lets pending promise jobs run, then fires the
 * next timer, and again. Throws when no timer is left before `done()`, or after `maxSteps` timers.
 */
export async function driveUntil(clock: FakeClock, done: () => boolean, maxSteps = 1000): Promise<void> {
  for (let step = 0; step <= maxSteps; step++) {
    await settle();
    if (done()) return;
    if (!clock.fireNext()) throw new Error(`Nothing left to run at ${clock.now()} ms, and the scenario is not done`);
  }
  throw new Error(`The scenario did not finish within ${maxSteps} timers (at ${clock.now()} ms)`);
}

/**
 * The real clock, whose time a test can also move on: `advance(ms)` stands for `ms` waited (the timers due by then run
 * at once); its timers otherwise run in real time, unref'd as the library's own.
 */
export class JumpingClock implements Clock {
  #ahead = 0;
  #timers = new Set<{ at: number; callback: () => void; cancel: () => void }>();

  now(): number {
    return performance.now() + this.#ahead;
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const timer = unrefTimer(realSetTimeout(() => {
      this.#timers.delete(entry);
      callback();
    }, ms));
    const entry = { at: this.now() + ms, callback, cancel: () => realClearTimeout(timer) };
    this.#timers.add(entry);
    return () => {
      entry.cancel();
      this.#timers.delete(entry);
    };
  }

  /** Moves the time `ms` on, running the timers due by then in order. */
  advance(ms: number): void {
    this.#ahead += ms;
    const due = [...this.#timers].filter((entry) => entry.at <= this.now()).sort((a, b) => a.at - b.at);
    for (const entry of due) {
      entry.cancel();
      this.#timers.delete(entry);
      entry.callback();
    }
  }
}

/**
 * The clock of the policy readers of the watches started from now on (until `setDefaultPolicyClock(undefined)`): a
 * second between reads is then `clock.advance(1000)`, not a second waited.
 */
export function policyClock(): JumpingClock {
  const clock = new JumpingClock();
  setDefaultPolicyClock(clock);
  return clock;
}
