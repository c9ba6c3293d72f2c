/**
 * The runtime's own `setTimeout` and `clearTimeout`, which a test runner's fake timers (Vitest's
 * `vi.useFakeTimers()`, Jest's, Deno's `FakeTime`, which replace the globals) do not reach. For the resolver's own
 * pacing, a few milliseconds that no caller chose (a held delivery, a step of work split over turns): a fake clock
 * that the test does not advance must not hold back a change. Timers that stand for a duration a caller sets or may
 * want to skip (backoff, stall detection) use the globals.
 *
 * On Node they are `node:timers`' own, which fakes installed before this module loaded do not reach either (Jest's
 * `fakeTimers: { enableGlobally: true }` installs them before a test file's imports). Bun's `node:timers` takes the
 * globals as they are when it is first imported (a fake then stays), and Deno's returns Node's timer objects: there
 * they are the globals as this module loaded.
 *
 * @module
 */

import { clearTimeout as nodeClearTimeout, setTimeout as nodeSetTimeout } from "node:timers";
import { runtimeKey } from "./runtime.ts";

const onNode = runtimeKey() === "node";

/** The runtime's `setTimeout`: on Node `node:timers`', elsewhere the global as this module loaded. */
export const realSetTimeout: typeof setTimeout = onNode
  ? nodeSetTimeout as unknown as typeof setTimeout
  : globalThis.setTimeout.bind(globalThis);

/** The runtime's `clearTimeout`: on Node `node:timers`', elsewhere the global as this module loaded. */
export const realClearTimeout: typeof clearTimeout = onNode
  ? nodeClearTimeout as unknown as typeof clearTimeout
  : globalThis.clearTimeout.bind(globalThis);
