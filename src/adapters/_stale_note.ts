/**
 * The resolution note of endpoints kept through a failing watch: why they may be stale, since when updates fail,
 * and, after an idle channel's `destroy()`, when they were resolved. grpc-js (1.14 or newer) adds it to the calls
 * that fail on them, as "Resolution note: ...".
 *
 * @module
 */

/** The state behind the note; one per resolver. */
export interface StaleNote {
  /** Whether a note was given for the current failure: the endpoints are kept and said to be stale. */
  hasNote(): boolean;
  /**
   * Records that endpoints were resolved now, in the resolving `session` (grpc-js's `updateResolution()` starts one,
   * `destroy()` ends it).
   */
  resolved(session: object | undefined): void;
  /** Ends a failure: new endpoints came, the watch works again, or the channel went idle. */
  clear(): void;
  /**
   * The note for a failure of updates, since `since` or now, with `error`; `undefined` when it is the note given
   * last (the failures of one outage are mostly alike).
   */
  fail(error: Error, since: number | undefined, session: object | undefined): string | undefined;
}

/**
 * Creates the state of one resolver's stale note.
 *
 * @returns A note without failure.
 *
 * @example Endpoints kept through a failure
 * ```ts
 * import { createStaleNote } from "./_stale_note.ts";
 * const session = {};
 * const note = createStaleNote();
 * note.resolved(session);
 * note.fail(new Error("connection refused"), Date.UTC(2026, 0, 1), session);
 * // "these endpoints may be stale: updates have failed since 2026-01-01T00:00:00Z: connection refused"
 * ```
 */
export function createStaleNote(): StaleNote {
  /** The note given last, while updates fail. */
  let note = "";
  /** When updates started failing (ISO 8601, to the second), while they fail. */
  let failingSince = "";
  /** The session and the time (ISO 8601, to the second) of the last endpoints resolved. */
  let resolvedIn: object | undefined;
  let resolvedAt = "";
  return {
    hasNote: () => note !== "",
    resolved(session) {
      resolvedIn = session;
      resolvedAt = isoSeconds(Date.now());
    },
    clear() {
      note = failingSince = "";
    },
    fail(error, since, session) {
      failingSince ||= isoSeconds(since ?? Date.now());
      // After an idle channel's destroy(), the endpoints are older than the failures.
      const resolved = resolvedIn === session
        ? ""
        : `they were resolved at ${resolvedAt}, before the channel went idle, and `;
      const next =
        `these endpoints may be stale: ${resolved}updates have failed since ${failingSince}: ${error.message}`;
      if (next === note) return undefined;
      note = next;
      return note;
    },
  };
}

/** A time as ISO 8601 to the second, as the stale note gives it. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}
