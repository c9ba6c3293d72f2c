/**
 * When a resumed watch counts as served again by time alone, with no event. Private to `watch/`.
 *
 * After failures reported to `onError`, a resumed watch (not a streaming list, which serves once its initial events
 * end) that stays open for `minWatchMs` without an error counts as served: on a quiet Service no event may come for
 * minutes (kube-apiserver v1.36.3 restarted on an idle etcd sent its first bookmark 2 minutes later).
 *
 * Being open that long proves nothing, though, after the last failure was of a watch that did so too and then failed
 * (an ERROR event 500 after 1.5 s, each time: onRecovered and onError would alternate for as long as it lasted), when
 * that watch either opened during the failures and brought no event, or missed a change while quiet (a proxy that
 * buffers watches while LISTs pass). Then only an event or bookmark counts. A watch that brought one proved the
 * server serves: its own failure later does not stop the next watch from counting by time.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";

/** The rule's state across the watches of one reflector, told what each watch did. */
export interface RecoveryByTime {
  /**
   * A watch was answered: while `failing`, arms the timer that calls `recovered` after `minWatchMs`, unless the rule
   * says being open proves nothing.
   *
   * @returns Cancels the timer (call it as the watch ends), or `undefined` when none was armed.
   */
  opened(failing: boolean, streaming: boolean, recovered: () => void): (() => void) | undefined;
  /** The watch brought an event or a bookmark: the server serves it. */
  proved(): void;
  /** The watch was quiet and missed a change: the time it was open proves nothing. */
  missedChange(): void;
  /** The run's current watch (answered at `openedAt`, `undefined` if it was not) or LIST failed. */
  failed(openedAt: number | undefined): void;
}

/**
 * The rule for one reflector.
 *
 * @param clock Runs the timer and says how long a watch was open.
 * @param minWatchMs How long a watch must be open to count, in ms.
 * @returns The rule's state, to be told of each watch.
 */
export function recoveryByTime(clock: Clock, minWatchMs: number): RecoveryByTime {
  // Whether the current watch opened during failures and brought no event, or missed a change while quiet.
  let provesNothing = false;
  // Whether the last failure was of such a watch after it had been open minWatchMs.
  let servedThenFailed = false;
  return {
    opened(failing, streaming, recovered) {
      provesNothing = failing;
      return failing && !streaming && !servedThenFailed ? clock.setTimeout(recovered, minWatchMs) : undefined;
    },
    proved: () => void (provesNothing = false),
    missedChange: () => void (provesNothing = true),
    failed(openedAt) {
      servedThenFailed = provesNothing && openedAt !== undefined && clock.now() - openedAt >= minWatchMs;
    },
  };
}
