/**
 * When a watch tells of its new state: once the chunk of the body that brought it has been read up to an event's
 * end. A chunk that ends inside an event is a burst's (the rest of that event, and those after it, are on their way
 * already): a state told in between is handled at once (its slice decoded, the selection computed, the consumer's
 * walk of it) and holds back the reading of the events that follow (3-4 ms of a 300-event burst of a 5,000-endpoint
 * Service on Deno). A lone change ends its chunk, and is told at once.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";

/**
 * The longest a change waits for the end of the event begun after it, in ms: a stream that never pauses at an
 * event's end, or one that stalls in the middle of an event, still tells of the changes before it.
 */
export const MID_EVENT_WAIT_MS = 50;

/** Tells of a watch's changes when {@linkcode chunkEndPublish} says. */
export interface ChunkEndPublish {
  /** A complete event changed the state. */
  changed(): void;
  /** A chunk of the body was read; `incompleteBytes` of an event begun wait for the next one. */
  chunkRead(incompleteBytes: number): void;
  /** The watch ended: a change not told yet is told now. */
  end(): void;
}

/**
 * Tells of a watch's changes at the end of a chunk that ends on an event's end, or {@linkcode MID_EVENT_WAIT_MS}
 * after the first of them, or when the watch ends.
 *
 * @param publish Tells of the state.
 * @param clock The clock of the wait.
 * @param fail Gets what `publish` threw when the wait ended (what it throws otherwise goes to the caller).
 * @returns What the watch tells it as it reads.
 *
 * @example One watch's chunks
 * ```ts
 * import { chunkEndPublish } from "./_chunk_end_publish.ts";
 * import { systemClock } from "../runtime/clock.ts";
 * const publish = chunkEndPublish(() => console.log("new state"), systemClock, console.error);
 * publish.changed();
 * publish.chunkRead(120); // an event begun: not yet
 * publish.chunkRead(0); // "new state"
 * ```
 */
export function chunkEndPublish(
  publish: () => void,
  clock: Clock,
  fail: (error: Error) => void,
): ChunkEndPublish {
  // When the first change not told yet came.
  let since: number | undefined;
  let cancelWait: (() => void) | undefined;
  const tell = () => {
    cancelWait?.();
    cancelWait = undefined;
    if (since === undefined) return;
    since = undefined;
    publish();
  };
  return {
    changed() {
      since ??= clock.now();
    },
    chunkRead(incompleteBytes) {
      if (since === undefined) return;
      const waited = clock.now() - since;
      if (incompleteBytes === 0 || waited >= MID_EVENT_WAIT_MS) return tell();
      cancelWait ??= clock.setTimeout(() => {
        try {
          tell();
        } catch (error) {
          fail(error as Error);
        }
      }, MID_EVENT_WAIT_MS - waited);
    },
    end: tell,
  };
}
