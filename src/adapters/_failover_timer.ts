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

// How late a timer may fire before the process is taken to have been stopped or blocked.
const FAILOVER_LATE_MS = 1000;

/**
 * Starts the failover timer: `onTimeout` runs once the process ran `timeoutMs()` with the timer pending; the waits
 * for the time missed by a late timer add up to at most `timeoutMs()`.
 *
 * @param timeoutMs The failover timeout, read again when a late timer waits on (the policy's config may change).
 * @param onTimeout What failing over does; given how long the wait was, for a trace ("within <it>"): the timeout,
 *   and the time by the clock when a late timer waited on.
 * @param options `trace`: where to say that a late timer waits on (the policy's tracer).
 * @returns A function that stops the timer.
 *
 * @example A timer stopped before it fires
 * ```ts ignore
 * const stop = startFailoverTimer(() => 10_000, () => console.log("failing over"), { trace: console.debug });
 * stop();
 * ```
 */
export function startFailoverTimer(
  timeoutMs: () => number,
  onTimeout: (waited: string) => void,
  { trace }: { trace: (text: string) => void },
): () => void {
  let timer: ReturnType<typeof setTimeout>;
  // The time given so far for the time missed.
  let granted = 0;
  const start = performance.now();
  const wait = (delay: number) => {
    const due = performance.now() + delay;
    timer = unrefTimer(setTimeout(() => {
      const now = performance.now();
      const late = now - due;
      const more = Math.min(late, timeoutMs() - granted);
      if (late <= FAILOVER_LATE_MS) return onTimeout(waitedFor(timeoutMs(), now - start, granted, false));
      if (more <= 0) return onTimeout(waitedFor(timeoutMs(), now - start, granted, true));
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

/** How long a failover timer waited, in words: the timeout alone unless a late timer waited on. */
function waitedFor(timeoutMs: number, clockMs: number, grantedMs: number, capped: boolean): string {
  const clock = Math.round(clockMs);
  if (capped) {
    return `${clock} ms by the clock, ${Math.round(grantedMs)} ms of them given for the time the process was ` +
      "stopped or its event loop blocked (at most the timeout)";
  }
  if (grantedMs === 0) return `${timeoutMs} ms`;
  return `${timeoutMs} ms of the time the process ran (${clock} ms by the clock: it was stopped or its event loop ` +
    "blocked)";
}
