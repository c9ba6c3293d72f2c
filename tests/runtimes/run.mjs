// Runs the cross-runtime scenarios on Node or Bun: `node tests/runtimes/run.mjs [filter]`.
// The process must exit by itself afterwards: nothing of ours may keep it alive.
import process from "node:process";
import { runAll } from "./scenarios.mjs";

// With its version: run_node_and_bun.mjs may run several Nodes (KGR_EXTRA_NODES).
const runtime = typeof globalThis.Bun === "object" ? `bun ${globalThis.Bun.version}` : `node ${process.version}`;
const { passed, failed } = await runAll(process.argv[2] ?? "");
console.log(`${runtime}: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
