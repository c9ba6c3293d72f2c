/**
 * The runtime's own `setTimeout` and `clearTimeout`, as they were when this module loaded: a test runner's fake
 * timers installed later (Vitest's `vi.useFakeTimers()`, Jest's, Deno's `FakeTime`, which replace the globals) do
 * not reach them. For the resolver's own pacing, a few milliseconds that no caller chose (a held delivery, a step
 * of work split over turns): a fake clock that the test does not advance must not hold back a change. Timers that
 * stand for a duration a caller sets or may want to skip (backoff, stall detection) use the globals.
 *
 * @module
 */

/** The runtime's `setTimeout`, taken when this module loaded. */
export const realSetTimeout: typeof setTimeout = globalThis.setTimeout.bind(globalThis);

/** The runtime's `clearTimeout`, taken when this module loaded. */
export const realClearTimeout: typeof clearTimeout = globalThis.clearTimeout.bind(globalThis);
