/**
 * A limit on the requests to API servers that start in one turn of the event loop. Without it, a gateway that opens
 * 500 channels (or 500 `watchEndpoints()` loops) at once sends 500 requests in one turn: each sets up its connection
 * (a TLS handshake), and the handshakes and answers then come back together, so Node's loop stops for 0.5 s before
 * any timer or call can run. Past the limit, a request waits for a later turn, in the order asked; the later
 * connections also resume the TLS session of the first ones rather than each doing a full handshake.
 *
 * @module
 */

import { nextTurn as runtimeNextTurn } from "./next_turn.ts";

/** The requests that start in one turn, at most, before the next ones wait for a later one. */
const REQUESTS_PER_TURN = 16;

/** A turn's worth of request starts (see {@linkcode createTurnSlots}). */
export interface TurnSlots {
  /** Resolves once a request may start: at once while this turn has slots left, else in a later turn. */
  take(): Promise<void>;
}

/**
 * Creates a limit of `perTurn` request starts a turn.
 *
 * @param perTurn How many requests may start in one turn.
 * @param nextTurn Runs a callback in a later turn (`next_turn.ts`'s; a test's fake).
 * @returns The slots.
 *
 * @example Three requests, two a turn
 * ```ts
 * import { createTurnSlots } from "./turn_slots.ts";
 * // nextTurn() itself does not keep the process alive on Deno, where it is an unref'd timer.
 * const slots = createTurnSlots(2, (callback) => setTimeout(callback, 0));
 * await Promise.all([1, 2, 3].map(async (i) => {
 *   await slots.take();
 *   console.log(`request ${i} starts`); // The third in a later turn.
 * }));
 * ```
 */
export function createTurnSlots(perTurn: number, nextTurn: (callback: () => void) => unknown): TurnSlots {
  /** Slots taken in the current turn. */
  let used = 0;
  /** Whether `startTurn` is asked for, to run in the next turn. */
  let turnScheduled = false;
  const waiting: (() => void)[] = [];
  // A new turn: its slots go to the requests waiting, oldest first; a turn that used some counts the next one too.
  const startTurn = () => {
    turnScheduled = false;
    used = 0;
    for (const start of waiting.splice(0, perTurn)) {
      used++;
      start();
    }
    if (used > 0) scheduleTurn();
  };
  const scheduleTurn = () => {
    if (turnScheduled) return;
    turnScheduled = true;
    nextTurn(startTurn);
  };
  return {
    take() {
      scheduleTurn();
      if (used < perTurn && waiting.length === 0) {
        used++;
        return Promise.resolve();
      }
      return new Promise((start) => waiting.push(start));
    },
  };
}

/** The process's limit, shared by the HTTP clients of every cluster. */
export const requestSlots: TurnSlots = createTurnSlots(REQUESTS_PER_TURN, runtimeNextTurn);
