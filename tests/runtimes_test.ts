// The cross-runtime scenarios (tests/runtimes/scenarios.mjs) on Deno; CI runs
// the same file on Node and Bun through tests/runtimes/run.mjs.
import { scenarios } from "./runtimes/scenarios.mjs";

for (const [name, scenario] of Object.entries(scenarios)) {
  Deno.test({ name: `Deno: ${name}`, fn: scenario, sanitizeOps: false, sanitizeResources: false });
}
