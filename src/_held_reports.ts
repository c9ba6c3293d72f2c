/**
 * The failure reports of one `watchEndpoints()` loop that wait for the snapshot that came with them. A failure
 * that comes while the loop waits for a snapshot that has come too goes to `onError` once the loop has that
 * snapshot: reported at once, it reached a caller that joins a failing watch before the endpoints did, and one
 * that marks itself unhealthy on an error and healthy on a snapshot ended up healthy while the watch failed. A
 * recovery after a held failure is held behind it, and so is a failure that comes while reports are held (the loop
 * has its snapshot, the held ones go in the next turn), so that the caller's last word is the right one.
 *
 * The loop stays with `watch_endpoints.ts`; this module only keeps the reports in order.
 *
 * @module
 */

import { nextTurn } from "./runtime/next_turn.ts";
import { trace } from "./runtime/trace.ts";

/** The reports of one loop, held or sent at once (see {@linkcode createHeldReports}). */
export interface HeldReports {
  /** Calls `report` at once, or holds it when `forSnapshot` (a snapshot waits for the loop) or reports are held. */
  error(report: () => void, forSnapshot: boolean): void;
  /** Calls `report` at once, or holds it behind the failures held. */
  recovered(report: () => void): void;
  /** The loop has its snapshot in this turn: the held reports follow in the next one. */
  sendNextTurn(): void;
  /** The loop ended: the held reports never go. */
  drop(): void;
}

/**
 * Creates the report queue of one `watchEndpoints()` loop.
 *
 * @returns An empty queue, whose reports go at once until one is held.
 *
 * @example A failure held until the loop has its snapshot
 * ```ts ignore
 * const reports = createHeldReports();
 * reports.error(() => console.warn("failing"), true);
 * reports.sendNextTurn(); // "failing" comes in the next turn
 * ```
 */
export function createHeldReports(): HeldReports {
  const held: (() => void)[] = [];
  let dropped = false;
  const sendHeld = () => {
    for (const report of held.splice(0)) {
      if (dropped) continue;
      // As for an error reported at once (see `notify` in endpoint_subscription.ts): one that throws here, in a
      // turn of its own, would be an uncaught exception, which ends a Node process.
      try {
        report();
      } catch (thrown) {
        trace(`an endpoint listener threw: ${thrown}`);
      }
    }
  };
  return {
    error(report, forSnapshot) {
      // Sent at once while a held [failure, recovery] waited, it came before them: the last word was "recovered".
      if (forSnapshot || held.length > 0) held.push(report);
      else report();
    },
    recovered(report) {
      if (held.length > 0) held.push(report);
      else report();
    },
    sendNextTurn() {
      if (held.length > 0) nextTurn(sendHeld);
    },
    drop() {
      dropped = true;
    },
  };
}
