// Runs the cross-runtime scenarios on Node or Bun: `node tests/runtimes/run.mjs [filter]`.
// The process must exit by itself afterwards: nothing of ours may keep it alive.
import process from "node:process";
import { runAll } from "./scenarios.mjs";

const runtime = typeof globalThis.Bun === "object" ? "bun" : "node";
const { passed, failed } = await runAll(process.argv[2] ?? "");
console.log(`${runtime}: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
