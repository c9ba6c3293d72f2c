import assert from "node:assert/strict";
import { goDurationError } from "../../src/testing/_go_duration.ts";

// Each answer is Go 1.x's time.ParseDuration on the same text (measured with `go run`), as kube-apiserver reads a
// request's timeout.
const CASES: [string, string | undefined][] = [
  ["1m30s", undefined],
  ["-1s", undefined],
  ["+0", undefined],
  ["1.5h", undefined],
  ["5µs", undefined],
  ["5μs", undefined],
  [".5s", undefined],
  ["5.s", undefined],
  ["9223372036854775807ns", undefined],
  ["-9223372036854775808ns", undefined],
  ["2562047h47m16.854775807s", undefined],
  ["1.0000000000000000000000001s", undefined],
  ["", 'time: invalid duration ""'],
  ["abc", 'time: invalid duration "abc"'],
  ["30", 'time: missing unit in duration "30"'],
  ["00", 'time: missing unit in duration "00"'],
  ["1.", 'time: missing unit in duration "1."'],
  [".s", 'time: invalid duration ".s"'],
  ["--1s", 'time: invalid duration "--1s"'],
  ["1d", 'time: unknown unit "d" in duration "1d"'],
  ["1 s", 'time: unknown unit " s" in duration "1 s"'],
  ["1h-1m", 'time: unknown unit "h-" in duration "1h-1m"'],
  ['1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'],
  ["1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
  ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
  ["2562048h", 'time: invalid duration "2562048h"'],
  ["2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'],
];

for (const [text, error] of CASES) {
  Deno.test(`goDurationError(${JSON.stringify(text)}) says what Go's time.ParseDuration says`, () => {
    assert.equal(goDurationError(text), error);
  });
}
