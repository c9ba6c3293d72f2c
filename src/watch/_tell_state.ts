/**
 * Tells a reflector's consumer of its new state. What the consumer's `onState` throws is a bug of its own, not a
 * failure of the API server: it used to end the watch, reported as a broken connection (or fail the LIST that
 * brought the state, which was then made again), and the events it was told of waited unparsed. Private to `watch/`.
 *
 * @module
 */

import type { TraceSink } from "../runtime/trace.ts";

/** What {@linkcode tellState} needs besides the consumer. */
export interface TellStateOptions {
  /** Once aborted, nothing is told: a change that waited for the end of its chunk would reach a consumer that left. */
  signal: AbortSignal;
  /** Where a consumer's throw is told. */
  trace: TraceSink;
  /** Applies the events the state was told of, as a read of it does (a bad one ends the watch, as for a reader). */
  read: () => void;
}

/**
 * Creates the function that tells the consumer of the state: it calls `onState` unless stopped, and when that
 * throws, traces what it threw and applies the events the consumer did not read, so that the watch goes on from
 * them.
 *
 * @param onState The consumer.
 * @param options Stop, trace and read.
 * @returns The function that tells.
 *
 * @example A consumer that throws
 * ```ts
 * import { tellState } from "./_tell_state.ts";
 * const publish = tellState(() => {
 *   throw new Error("bug");
 * }, { signal: new AbortController().signal, trace: console.log, read: () => {} });
 * publish(); // traces "the consumer of the watch's state threw (the watch goes on): Error: bug"
 * ```
 */
export function tellState(onState: () => void, { signal, trace, read }: TellStateOptions): () => void {
  return () => {
    if (signal.aborted) return;
    try {
      onState();
    } catch (error) {
      trace(`the consumer of the watch's state threw (the watch goes on): ${error}`);
      read();
    }
  };
}
