/**
 * Go's `time.ParseDuration` errors, in its words: kube-apiserver reads a request's `timeout` query parameter with
 * it and refuses one it cannot read. Private to the fake API server.
 *
 * @module
 */

/** The largest magnitude a duration can hold, in nanoseconds: 2^63. */
const LIMIT = 1n << 63n;

/** Go's duration units, in nanoseconds. */
const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // µ, the micro sign
  "\u03bcs": 1_000n, // μ, the Greek letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's `time.quote`: a double-quoted text, its control and non-ASCII bytes written as `\xNN`. */
function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code >= 0x80) {
      for (const byte of new TextEncoder().encode(char)) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    } else out += char === '"' || char === "\\" ? `\\${char}` : char;
  }
  return `${out}"`;
}

/** The number of digits at the start of `text`. */
function digitsAt(text: string): number {
  return /^[0-9]*/.exec(text)![0].length;
}

/**
 * Why Go's `time.ParseDuration` refuses a text, in its words, or `undefined` when it reads it.
 *
 * @param text The duration, such as `30s` or `1m30s`.
 * @returns The error, such as `time: missing unit in duration "30"`.
 *
 * @example A number without a unit
 * ```ts
 * import { goDurationError } from "./_go_duration.ts";
 * console.log(goDurationError("30")); // 'time: missing unit in duration "30"'
 * console.log(goDurationError("1m30s")); // undefined
 * ```
 */
export function goDurationError(text: string): string | undefined {
  const invalid = (what = "invalid duration") => `time: ${what} ${goQuote(text)}`;
  let rest = /^[-+]/.test(text) ? text.slice(1) : text;
  const negative = text.startsWith("-");
  if (rest === "0") return undefined;
  if (rest === "") return invalid();
  let total = 0n;
  while (rest !== "") {
    if (!/^[0-9.]/.test(rest)) return invalid();
    const whole = rest.slice(0, digitsAt(rest));
    rest = rest.slice(whole.length);
    // As Go's leadingInt: more than 2^63 overflows.
    let value = 0n;
    for (const digit of whole) {
      value = value * 10n + BigInt(digit);
      if (value > LIMIT) return invalid();
    }
    let fraction = 0n, scale = 1;
    let fractionDigits = "";
    if (rest.startsWith(".")) {
      fractionDigits = rest.slice(1, 1 + digitsAt(rest.slice(1)));
      rest = rest.slice(1 + fractionDigits.length);
      // As Go's leadingFraction: digits past the precision it holds are read and dropped.
      for (const digit of fractionDigits) {
        const next = fraction * 10n + BigInt(digit);
        if (fraction > (LIMIT - 1n) / 10n || next > LIMIT) break;
        fraction = next;
        scale *= 10;
      }
    }
    if (whole === "" && fractionDigits === "") return invalid();
    const unitName = /^[^0-9.]*/.exec(rest)![0];
    if (unitName === "") return invalid("missing unit in duration");
    rest = rest.slice(unitName.length);
    const unit = UNITS[unitName];
    if (unit === undefined) return invalid(`unknown unit ${goQuote(unitName)} in duration`);
    if (value > LIMIT / unit) return invalid();
    value *= unit;
    if (fraction > 0n) {
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > LIMIT) return invalid();
    }
    total += value;
    if (total > LIMIT) return invalid();
  }
  return !negative && total > LIMIT - 1n ? invalid() : undefined;
}
