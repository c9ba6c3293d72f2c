/**
 * When a shared watch hands its new states to its subscribers. The first state after a quiet spell goes at once;
 * the states that follow it are held and delivered together, as the latest, once the watch goes quiet: a subscriber
 * slower than the stream (grpc-js rebuilding its subchannels) gets the latest state instead of falling behind on
 * every one of a burst. A state that would take a subscriber's last endpoints waits up to 50 ms
 * ({@linkcode MAX_HOLD_MS}) for a later one that brings them back: a slice deleted and created again is one change,
 * not an outage.
 *
 * The watch itself stays with `endpoint_subscription.ts`; this module only decides when, and calls back.
 *
 * @module
 */

import { cpuTimeMs } from "./runtime/cpu_time.ts";
import { afterTimer, nextTurn, SHARED_TURN_MS } from "./runtime/next_turn.ts";
import { realClearTimeout, realSetTimeout } from "./runtime/real_timers.ts";
import { unrefTimer } from "./runtime/unref_timer.ts";
import { trace } from "./runtime/trace.ts";

/**
 * The longest a held state waits for the watch to go quiet, in ms: a stream that never pauses is still delivered.
 * Also how long a state that would take a subscriber's last endpoints waits for a later one that brings them back,
 * and the longest `watchEndpoints()` holds a change for a consumer that took long over its last snapshot.
 */
export const MAX_HOLD_MS = 50;

/**
 * How much of a delivery's time may pass without the process using CPU before it counts as a pause rather than
 * work, in ms: a process stopped in the middle of one (a debugger, `docker pause`, a frozen cgroup, SIGSTOP) would
 * otherwise hold the next state for as long as it was stopped (5 minutes, for a 5-minute pause). A delivery that
 * waited for a busy machine's CPU for more than that in all is held for its CPU time too: what its work took.
 */
const PAUSED_MS = 1000;

/** The work of a delivery, which the watch does when {@linkcode createCoalescedDelivery} says so. */
export interface DeliveryWork {
  /**
   * Sends every subscriber what changed for it, at once. With `holdEmpty`, a selection that would take a
   * subscriber's last endpoints is not sent, and the result says so (true): it is checked again later.
   */
  deliverAll(holdEmpty: boolean): boolean;
  /** A step of the work of a delivery, ahead of it: 0 parses the events that wait, 1 computes the selections. */
  prepare(step: 0 | 1): void;
}

/** The delivery schedule of one shared watch. */
export interface CoalescedDelivery {
  /** The watch has a new state: delivers it at once, or holds it (see {@linkcode createCoalescedDelivery}). */
  stateArrived(): void;
  /** The watch has stopped: the states held are dropped, with the timer that waits to deliver them. */
  stop(): void;
}

/** States held after a delivery. */
interface Hold {
  /** Until when a new state is held (`performance.now()`): as long after the delivery as it took. */
  until: number;
  /** A state arrived since the delivery, and waits. */
  pending: boolean;
  /** States that arrived since the last check. */
  arrivals: number;
  /** When the first held state arrived (`performance.now()`). */
  since: number;
  /** How many steps of the delivery's work were done ahead of it since the last state arrived (see `DeliveryWork.prepare`). */
  prepared: number;
  /** Until when a state that would take a subscriber's last endpoints waits for endpoints to come back (see `flush`). */
  emptyUntil?: number;
}

/** A watch's work and, after a delivery, its held states. */
interface Schedule {
  work: DeliveryWork;
  /** Set after a delivery while later states are held, to be delivered together (see `flush`). */
  hold?: Hold;
  /** Cancels the timer or turn that the held states wait for. */
  cancelWait?: () => void;
  /** Set by `stop()`: nothing is delivered any more. */
  stopped?: boolean;
}

/**
 * Schedules the deliveries of one shared watch: a state that arrives after the last delivery's hold is over goes
 * at once; those that arrive during it are held, and go together (see `flush`).
 *
 * @param work Delivers to the watch's subscribers, and does parts of that work ahead of time.
 * @returns The schedule; tell it of every new state.
 *
 * @example Delivering a watch's states
 * ```ts ignore
 * import { createCoalescedDelivery } from "./_coalesced_delivery.ts";
 * const delivery = createCoalescedDelivery({ deliverAll: () => false, prepare: () => {} });
 * delivery.stateArrived();
 * ```
 */
export function createCoalescedDelivery(work: DeliveryWork): CoalescedDelivery {
  const schedule: Schedule = { work };
  return {
    stateArrived: () => stateArrived(schedule),
    stop() {
      schedule.stopped = true;
      schedule.hold = undefined;
      schedule.cancelWait?.();
      schedule.cancelWait = undefined;
    },
  };
}

/** Delivers a new state at once when no hold is on (or it is over and nothing waits), else holds it. */
function stateArrived(schedule: Schedule): void {
  if (schedule.stopped) return;
  const { hold } = schedule;
  const now = performance.now();
  if (!hold || (!hold.pending && now >= hold.until)) return deliverNow(schedule, now);
  hold.arrivals++;
  hold.prepared = 0;
  if (hold.pending) return;
  hold.pending = true;
  hold.since = now;
  awaitQuiet(schedule, hold, hold.until - now);
}

/**
 * How long parsing the events of a state that goes at once may take before the rest of its delivery goes in turns
 * of its own, in ms: a lone change parses one slice (about 0.1 ms at 5,000 endpoints) and goes in this turn; a
 * burst read in one chunk (the watch tells of a chunk's events together) parses up to every slice, and its
 * selection and the subscribers' work would stop the event loop as one (36 ms on Node with `subsetSize`, against 9
 * in steps).
 */
const AT_ONCE_PARSE_MS = 1;

/**
 * Delivers a state at once: in this turn when its events parse quickly, else in steps, as held states go (on Deno,
 * steps share this turn while it is shorter than `SHARED_TURN_MS`: a zero timeout there, about 2 ms, held back every
 * other burst of a 5,000-endpoint Service whose parse took 1 ms or a little more).
 */
function deliverNow(schedule: Schedule, now: number): void {
  try {
    schedule.work.prepare(0);
  } catch (error) {
    trace(`preparing a delivery failed (it is done in one turn instead): ${error}`);
  }
  const parsedMs = performance.now() - now;
  if (parsedMs < AT_ONCE_PARSE_MS) return flush(schedule, now + MAX_HOLD_MS);
  const hold: Hold = { until: 0, pending: true, arrivals: 0, since: now, prepared: 1 };
  schedule.hold = hold;
  if (parsedMs < SHARED_TURN_MS) return deliverHeld(schedule, hold, now);
  waitThen(schedule, nextTurn, () => deliverHeld(schedule, hold));
}

/**
 * Sends every subscriber what changed for it, at once (a microtask would wait until the watch's next read has
 * been started), then holds the states that follow: they are delivered together, as the latest, once as long
 * as this delivery took (its selection and the subscribers' own work, such as grpc-js updating its
 * subchannels) has passed and the watch has gone quiet (a turn of the event loop without a new state), or
 * after {@linkcode MAX_HOLD_MS}. A subscriber that keeps up sees every change at once; a burst of events
 * reaches it as a few deliveries, the last one as soon as the burst ends. Until `emptyUntil`, a state that would
 * take a subscriber's last endpoints is not delivered to it: the watch is checked again each turn, and a later state
 * that brings endpoints back (a slice deleted and created again by a hand-written slice manager, two API calls
 * apart) goes instead; after that, the empty set goes.
 */
function flush(schedule: Schedule, emptyUntil: number): void {
  const started = performance.now();
  const cpuStarted = cpuTimeMs();
  const emptyHeld = schedule.work.deliverAll(started < emptyUntil);
  const now = performance.now();
  const cpuMs = cpuTimeMs() - cpuStarted;
  // As long as the delivery's work took: its CPU time instead when the process was paused during it (see PAUSED_MS).
  const tookMs = now - started - cpuMs > PAUSED_MS ? cpuMs : now - started;
  // No timer until a state arrives: a Service that changes now and then costs one wake-up per change.
  const hold: Hold = { until: now + tookMs, pending: false, arrivals: 0, since: 0, prepared: 0 };
  schedule.hold = hold;
  if (emptyHeld) {
    hold.pending = true;
    hold.since = now;
    hold.emptyUntil = emptyUntil;
    awaitQuiet(schedule, hold, 0);
  }
}

/**
 * Checks the held states once `delayMs` passed (see `deliverHeld`). The check leaves the timer's turn first
 * (`afterTimer`), so that due timers run between the steps of the delivery. The timer is the runtime's own: a
 * test's fake clock, never advanced, held back every state after the first of a burst (see `real_timers.ts`).
 */
function awaitQuiet(schedule: Schedule, hold: Hold, delayMs: number): void {
  waitThen(schedule, (callback) => {
    const timer = unrefTimer(realSetTimeout(callback, Math.max(0, delayMs)));
    return () => realClearTimeout(timer);
  }, () => waitThen(schedule, afterTimer, () => deliverHeld(schedule, hold)));
}

/** Runs `step` once `wait` (a timer, a turn) calls back, unless `stop()` cancels that wait first. */
function waitThen(schedule: Schedule, wait: (callback: () => void) => () => void, step: () => void): void {
  let called = false;
  const cancel = wait(() => {
    called = true;
    schedule.cancelWait = undefined;
    step();
  });
  // A wait that called back at once (`afterTimer` on Deno) may have started the next one, which stands.
  if (!called) schedule.cancelWait = cancel;
}

/**
 * Delivers the held states, unless new ones arrived since the last check (then the watch is checked again in the
 * next turn of the event loop, up to {@linkcode MAX_HOLD_MS}: the check that finds none is the first after a turn
 * in which the socket was read and brought nothing; see `nextTurn`), in turns of their own, so that no turn holds
 * the event loop for all of the work (a burst over thousands of endpoints is tens of milliseconds of it): first the
 * events that wait are parsed, then the selections computed, then the subscribers get them. On Deno, steps that
 * start before the turn has lasted `SHARED_TURN_MS` share it (see `next_turn.ts`); `turnStarted` is when the turn
 * began (for a state delivered at once, before its events were parsed).
 */
function deliverHeld(schedule: Schedule, hold: Hold, turnStarted = performance.now()): void {
  if (schedule.hold !== hold) return;
  const held = performance.now() - hold.since < MAX_HOLD_MS;
  if (hold.arrivals > 0 && held) {
    hold.arrivals = 0;
    return waitThen(schedule, nextTurn, () => deliverHeld(schedule, hold));
  }
  while (hold.prepared < 2 && held) {
    try {
      schedule.work.prepare(hold.prepared++ === 0 ? 0 : 1);
    } catch (error) {
      trace(`preparing a delivery failed (it is done in one turn instead): ${error}`);
    }
    if (performance.now() - turnStarted >= SHARED_TURN_MS) {
      return waitThen(schedule, nextTurn, () => deliverHeld(schedule, hold));
    }
  }
  // Released first: a delivery that throws must not leave later states held for good.
  schedule.hold = undefined;
  flush(schedule, hold.emptyUntil ?? performance.now() + MAX_HOLD_MS);
}
