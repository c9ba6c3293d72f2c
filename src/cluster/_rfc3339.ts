/**
 * RFC 3339 date-times as Go's `time.Parse(time.RFC3339, ...)` reads them, and so client-go an exec plugin's
 * `expirationTimestamp`: a date, an upper-case `T`, a time and `Z` or an offset (`+01:00`).
 *
 * @module
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Reads an RFC 3339 date-time as Go does: a fraction after `.` or `,` is kept to the millisecond, and the date and
 * time must exist (no 24:00, no February 29 outside leap years, no leap second).
 *
 * @param text The date-time, e.g. `2026-12-03T10:00:00Z`.
 * @returns Its time in milliseconds since the epoch, or `undefined` when Go refuses it (`2026-12-03`, a lower-case `t`
 * or `z`, a space instead of `T`, no offset).
 *
 * @example An expiry, and a date alone
 * ```ts
 * import { parseRfc3339 } from "./_rfc3339.ts";
 * console.log(parseRfc3339("2026-12-03T10:00:00+01:00")); // 1796288400000
 * console.log(parseRfc3339("2026-12-03")); // undefined
 * ```
 */
export function parseRfc3339(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [fraction, sign, offsetHours, offsetMinutes] = match.slice(7);
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  if (sign !== undefined && (Number(offsetHours) > 24 || Number(offsetMinutes) > 60)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0")));
  const offset = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  return date.getTime() - offset * 60_000;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}
