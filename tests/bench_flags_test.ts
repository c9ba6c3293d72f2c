import assert from "node:assert/strict";
import { parseBenchFlags } from "../scripts/bench/flags.ts";

Deno.test("bench flags: the defaults are the full run's", () => {
  const flags = parseBenchFlags([]);
  assert.equal(flags.updates, 500);
  assert.equal(flags.warmup, 1000);
  assert.equal(flags.bigRounds, 3);
  assert.equal(flags.churnMinutes, 1.5);
  assert.deepEqual([...flags.only], ["latency", "decode", "scale", "churn", "burst", "watchlist"]);
  assert.deepEqual([...flags.servers], ["fake", "real"]);
  assert.deepEqual(flags.stallEndpoints, [1000, 5000]);
});

Deno.test("bench flags: a misspelt section, server or number stops the run, naming the flag", () => {
  for (
    const [args, message] of [
      [["--only", "latncy"], /--only takes some of latency,.*not "latncy"/],
      [["--servers", "fake,reel"], /--servers takes some of fake,real, not "reel"/],
      [["--updates", "abc"], /--updates takes a whole number from 1 on, not "abc"/],
      [["--warmup=-1"], /--warmup takes a whole number from 0 on, not "-1"/],
      [["--big-rounds", "0"], /--big-rounds takes a whole number from 1 on/],
      [["--churn-minutes", "soon"], /--churn-minutes takes a number of minutes above 0/],
      [["--stall-endpoints", "1000,1550"], /--stall-endpoints takes multiples of 100 up to 24,500, not "1550"/],
      [["--verbose"], /Unknown option '--verbose'/],
    ] as const
  ) {
    assert.throws(() => parseBenchFlags([...args]), message, args.join(" "));
  }
  assert.equal(parseBenchFlags(["--help"]).help, true);
});
