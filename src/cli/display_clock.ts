/**
 * The time the CLI measures ages on ("changed 5s ago", "listing for 20s",
 * "watching again after 37 s of retrying"):
 * the wall clock, which counts the minutes a laptop or VM spent suspended
 * (the monotonic clock does not, on Linux), but which never goes back.
 *
 * @module
 */

/**
 * How far the wall clock may fall behind the monotonic clock between two readings before that counts as a step
 * back, in ms: NTP's slewing moves it by at most 0.5 ms a second.
 */
const STEP_MS = 1000;

/** A clock for ages, and the translation of a wall-clock time (a time written by the API server) onto it. */
export interface DisplayClock {
  /** The time, in ms since the epoch: the wall clock's plus its steps back so far. */
  now(): number;
  /** The time `wall`, in ms since the epoch on the wall clock, on this clock. */
  fromWall(wall: number): number;
}

/**
 * Creates a clock that reads `wall`, plus every step back of it seen so far,
 * measured on `monotonic`: an age taken on it neither freezes at zero for
 * the length of a step back (NTP correcting a clock that was ahead, a VM
 * restored from an older snapshot) nor goes negative. A step forward cannot
 * be told from a suspend, and is counted as time passed.
 *
 * @param wall The wall clock, in ms since the epoch.
 * @param monotonic A clock that no setting moves, in ms.
 * @returns The clock.
 *
 * @example
 * ```ts
 * import { createDisplayClock } from "./display_clock.ts";
 * let wall = 600_000;
 * let monotonic = 0;
 * const clock = createDisplayClock(() => wall, () => monotonic);
 * const changedAt = clock.now();
 * wall -= 540_000; // NTP steps back a clock that was 9 minutes ahead, 1 minute later.
 * monotonic += 60_000;
 * console.log(clock.now() - changedAt); // 60000
 * ```
 */
export function createDisplayClock(wall: () => number, monotonic: () => number): DisplayClock {
  let lastWall = wall();
  let lastMonotonic = monotonic();
  let stepsBack = 0;
  const read = () => {
    const nowWall = wall();
    const nowMonotonic = monotonic();
    const behind = (nowMonotonic - lastMonotonic) - (nowWall - lastWall);
    if (behind > STEP_MS) stepsBack += behind;
    lastWall = nowWall;
    lastMonotonic = nowMonotonic;
    return nowWall;
  };
  return {
    now: () => read() + stepsBack,
    fromWall(time) {
      read();
      return time + stepsBack;
    },
  };
}

/**
 * The CLI's display clock: `Date.now()` plus the steps back of it that `performance.now()` measured.
 *
 * @example
 * ```ts
 * import { displayClock } from "./display_clock.ts";
 * const changedAt = displayClock.now();
 * console.log(displayClock.now() - changedAt >= 0); // true
 * ```
 */
export const displayClock: DisplayClock = createDisplayClock(() => Date.now(), () => performance.now());
