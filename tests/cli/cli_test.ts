// The CLI from this checkout on each runtime: Deno runs cli.ts, Node and Bun the build in dist/ (`npm run
// build`, which `deno task test` runs first). scripts/pack_check.sh runs the same scenarios with the bin
// installed from the packed tarball.
import { existsSync } from "node:fs";
import { scenarios } from "./bin_scenarios.mjs";

const root = new URL("../../", import.meta.url).pathname;
const bin = (name: string) => `${root}node_modules/.bin/${name}`;
const RUNTIMES: Record<string, string[]> = {
  Deno: [bin("deno"), "run", "-A", `${root}cli.ts`],
  Node: ["node", `${root}dist/cli.js`],
  Bun: [bin("bun"), `${root}dist/cli.js`],
};

// The three runtimes run each scenario at once, as steps: the scenarios wait on the CLI's timers and on
// the fake API server far more than they compute, and each starts its own server on its own port.
const quiet = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false };
for (const [name, scenario] of Object.entries(scenarios)) {
  Deno.test({
    name: `kgr-resolver on Deno, Node and Bun: ${name}`,
    ...quiet,
    async fn(t) {
      await Promise.all(
        Object.entries(RUNTIMES).map(([runtime, cli]) =>
          t.step({
            name: `on ${runtime}`,
            ...quiet,
            async fn() {
              if (runtime !== "Deno" && !existsSync(`${root}dist/cli.js`)) {
                throw new Error("dist/cli.js is missing: run npm run build");
              }
              await scenario(cli);
            },
          })
        ),
      );
    },
  });
}
