/**
 * The failover timer of `kubernetes_round_robin`, which counts the time the process ran. A process that was
 * stopped (SIGSTOP, a frozen container, a suspended VM) or whose event loop was blocked runs its overdue timers at
 * once when it goes on, before the connections that the kernel completed meanwhile are read: a timer that fires
 * that late gives the preferred endpoints the time they missed before calls fail over, at most the timeout in all
 * (an event loop blocked over and over would otherwise put failover off for as long as it stays busy). On
 * Node, a client stopped 5 s while its zone's pod reconnected sent the calls queued for it to another zone, though
 * the connection was there; kube-proxy, which routes by the EndpointSlice's readiness, would have kept them.
 *
 * @module
 */

import { unrefTimer } from "../runtime/unref_timer.ts";
import { trace } from "../runtime/trace.ts";

// How late a timer may fire before the process is taken to have been stopped or blocked.
const FAILOVER_LATE_MS = 1000;

/**
 * Starts the failover timer: `onTimeout` runs once the process ran `timeoutMs()` with the timer pending; the waits
 * for the time missed by a late timer add up to at most `timeoutMs()`.
 *
 * @param timeoutMs The failover timeout, read again when a late timer waits on (the policy's config may change).
 * @param onTimeout What failing over does.
 * @returns A function that stops the timer.
 *
 * @example A timer stopped before it fires
 * ```ts ignore
 * const stop = startFailoverTimer(() => 10_000, () => console.log("failing over"));
 * stop();
 * ```
 */
export function startFailoverTimer(timeoutMs: () => number, onTimeout: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  // The time given so far for the time missed.
  let granted = 0;
  const wait = (delay: number) => {
    const due = performance.now() + delay;
    timer = unrefTimer(setTimeout(() => {
      const late = performance.now() - due;
      const more = Math.min(late, timeoutMs() - granted);
      if (late <= FAILOVER_LATE_MS || more <= 0) return onTimeout();
      granted += more;
      trace(
        `the failover timer fired ${Math.round(late)} ms late (the process was stopped or its event loop blocked): ` +
          `the preferred endpoints get ${Math.round(more)} ms more to become READY`,
      );
      wait(more);
    }, delay));
  };
  wait(timeoutMs());
  return () => clearTimeout(timer);
}
