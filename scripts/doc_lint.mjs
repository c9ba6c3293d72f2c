// `deno doc --lint` over the package's entry points, for the `check` task.
// Usage: node scripts/doc_lint.mjs
//
// One kind of diagnostic is accepted: `private-type-ref` to a type that nice-grpc itself exports from
// its copy of grpc-js (`createChannel` takes its `ChannelCredentials` and `ChannelOptions`, and returns its
// `Channel`, a class named `ChannelImplementation` inside grpc-js). Deno stops raising these for types of
// other packages (denoland/deno#34339), but with `nodeModulesDir: "manual"` npm packages are local files to
// it. Any other diagnostic fails the check.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { childEnv } from "../tests/_child_env.mjs";

const ENTRY_POINTS = ["mod.ts", "nice_grpc.ts", "testing.ts", "cli.ts"];
const NICE_GRPC_TYPES = new Set(["ChannelCredentials", "ChannelImplementation", "ChannelOptions"]);

const result = spawnSync("./node_modules/.bin/deno", ["doc", "--lint", ...ENTRY_POINTS], {
  encoding: "utf8",
  env: childEnv({ ...process.env, NO_COLOR: "1" }),
});
const output = `${result.stdout}\n${result.stderr}`;
const diagnostics = output.split(/\n(?=error\[)/).filter((block) => block.startsWith("error["));
const remaining = diagnostics.filter((block) => {
  const match = /^error\[private-type-ref\]: public type '[^']+' references private type '([^']+)'/.exec(block);
  return !(match && NICE_GRPC_TYPES.has(match[1]));
});
for (const block of remaining) console.error(block.trimEnd() + "\n");
if (remaining.length > 0 || (diagnostics.length === 0 && result.status !== 0)) {
  if (diagnostics.length === 0) console.error(output);
  console.error(`deno doc --lint: ${remaining.length} documentation problems in ${ENTRY_POINTS.join(", ")}`);
  process.exit(1);
}
console.log(
  `deno doc --lint: ${
    ENTRY_POINTS.join(", ")
  } clean (${diagnostics.length} accepted references to nice-grpc's grpc-js types)`,
);
