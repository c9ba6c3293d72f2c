/**
 * The command line of `deno task bench`: its usage text, and its flags read
 * and checked, so that a misspelt section or a number that is not one stops
 * the run before it builds or measures anything.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The benchmark's sections, in the order they run. */
export const ALL_SECTIONS = ["latency", "decode", "scale", "churn", "burst", "watchlist"];
const ALL_SERVERS = ["fake", "real"];

/** What `deno task bench --help` prints. */
export const USAGE = `Usage: deno task bench [flags]

Measures our resolver side by side with its peers, then rewrites the README's tables,
scripts/bench/latency.svg, scripts/bench/stall.svg and scripts/bench/results.json
(a run of some sections keeps the saved results of the others).

  --only S,...            sections to run: ${ALL_SECTIONS.join(",")} (default: all)
  --servers S,...         servers of the latency section: ${ALL_SERVERS.join(",")} (default: both)
  --updates N             latency samples per client (default 500)
  --warmup N              unmeasured updates per client before them, all clients at once (default 1000)
  --big-rounds N          client processes per peer in the 5,000-endpoint run (default 3)
  --churn-minutes M       length of the churn run (default 1.5; the issue's full run is 10)
  --stall-endpoints N,... Service sizes of the grpc-js stall, multiples of 100 up to 24,500 (default 1000,5000)
  --no-readme             print the tables instead of writing them to README.md (results.json and the
                          charts are still written)
  --report-only           measure nothing: rewrite the outputs from scripts/bench/results.json
  --help                  print this`;

/** The flags, read and checked. */
export interface BenchFlags {
  help: boolean;
  updates: number;
  warmup: number;
  churnMinutes: number;
  only: Set<string>;
  servers: Set<string>;
  bigRounds: number;
  stallEndpoints: number[];
  noReadme: boolean;
  reportOnly: boolean;
}

function wholeNumber(flag: string, text: string, least: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < least) {
    throw new Error(`--${flag} takes a whole number from ${least} on, not "${text}"`);
  }
  return value;
}

function names(flag: string, text: string, allowed: string[]): Set<string> {
  const given = text.split(",");
  const unknown = given.filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new Error(`--${flag} takes some of ${allowed.join(",")}, not "${unknown.join(",")}"`);
  }
  return new Set(given);
}

/**
 * Reads the command line.
 *
 * @param args The arguments after the script's name.
 * @returns The flags, defaults filled in.
 * @throws An Error naming the flag and what it takes, for an unknown flag or a value it does not take.
 */
export function parseBenchFlags(args: string[]): BenchFlags {
  const { values } = parseArgs({
    args,
    options: {
      updates: { type: "string", default: "500" },
      "churn-minutes": { type: "string", default: "1.5" },
      only: { type: "string", default: ALL_SECTIONS.join(",") },
      servers: { type: "string", default: ALL_SERVERS.join(",") },
      warmup: { type: "string", default: "1000" },
      "big-rounds": { type: "string", default: "3" },
      "stall-endpoints": { type: "string", default: "1000,5000" },
      "no-readme": { type: "boolean", default: false },
      "report-only": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const churnMinutes = Number(values["churn-minutes"]);
  if (!(churnMinutes > 0) || values["churn-minutes"].trim() === "") {
    throw new Error(`--churn-minutes takes a number of minutes above 0, not "${values["churn-minutes"]}"`);
  }
  const stallEndpoints = values["stall-endpoints"].split(",").map((text) => {
    const value = wholeNumber("stall-endpoints", text, 100);
    // Slice s holds the addresses 127.(10 + s).x.y: 245 slices at most.
    if (value % 100 !== 0 || value > 24_500) {
      throw new Error(`--stall-endpoints takes multiples of 100 up to 24,500, not "${text}"`);
    }
    return value;
  });
  return {
    help: values.help,
    updates: wholeNumber("updates", values.updates, 1),
    warmup: wholeNumber("warmup", values.warmup, 0),
    churnMinutes,
    only: names("only", values.only, ALL_SECTIONS),
    servers: names("servers", values.servers, ALL_SERVERS),
    bigRounds: wholeNumber("big-rounds", values["big-rounds"], 1),
    stallEndpoints,
    noReadme: values["no-readme"],
    reportOnly: values["report-only"],
  };
}
