/**
 * When a file read every so often (a token, a CA, a client certificate) is
 * due to be read again. Private to `cluster/`.
 *
 * @module
 */

/**
 * Whether a file read at `readAt` is due again at `now`, `periodMs` apart on
 * the wall clock. A clock now behind the read (NTP stepped back a clock that
 * was ahead, a VM restored from an older snapshot) makes it due too: measured
 * on the new clock alone, a step back of ten minutes left a rotated token
 * unread for eleven where client-go, whose timers are monotonic, reads it
 * within the period; one read early costs nothing.
 *
 * @param now The current time, in ms.
 * @param readAt When the file was last read, on the same clock.
 * @param periodMs How often it is read.
 * @returns Whether to read it now.
 *
 * @example A token file read every minute
 * ```ts
 * import { readAgain } from "./_read_again.ts";
 * console.log(readAgain(61_000, 0, 60_000)); // true
 * console.log(readAgain(-600_000, 0, 60_000)); // true: the clock stepped back
 * ```
 */
export function readAgain(now: number, readAt: number, periodMs: number): boolean {
  return now - readAt >= periodMs || now < readAt;
}
