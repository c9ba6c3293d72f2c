// How to leave one copy of grpc-js, in the words of the package manager that installed the package.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { copiesCommand, oneCopyAdvice } from "../src/adapters/_one_copy_advice.ts";
import { niceGrpcRange } from "../src/adapters/_nice_grpc_range.ts";
import { checkGrpcVersion } from "../src/adapters/register_options.ts";
import { adviceScript, project } from "./_installed_project.ts";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);
const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

Deno.test("oneCopyAdvice() on Deno without read access to node_modules gives Deno's advice", async () => {
  // The permission is queried, not asked for (Deno would ask on a terminal); --no-prompt stands in for a pipe.
  const { folder, moduleUrl } = await project(".yarn-integrity");
  try {
    const script = await adviceScript(folder, "oneCopyAdvice", moduleUrl);
    const { stdout } = await run(deno, ["run", "--no-prompt", "--no-config", script], {
      env: childEnv(Deno.env.toObject()),
    });
    assert.equal(stdout, `${oneCopyAdvice("file:///nowhere.js")}\n`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

// register()'s message for a grpc-js older than 1.10 named npm's commands whoever installed the package.
Deno.test("register()'s too-old-grpc-js message names the commands of the package manager that installed it", async () => {
  const { LeafLoadBalancer: _leaf, ...experimental19 } = grpc.experimental;
  const grpc19 = { ...grpc, experimental: experimental19 } as never;
  for (
    const [mark, install, list] of [
      [".modules.yaml", "pnpm add @grpc/grpc-js@latest", "pnpm why @grpc/grpc-js"],
      [".yarn-integrity", "yarn add @grpc/grpc-js@latest", "yarn why @grpc/grpc-js"],
      [".yarn-state.yml", "yarn add @grpc/grpc-js@latest", "yarn why @grpc/grpc-js"],
      ["../bun.lock", "bun add @grpc/grpc-js@latest", "bun why @grpc/grpc-js"],
    ] as const
  ) {
    const { folder, moduleUrl } = await project(mark);
    try {
      assert.throws(
        () => checkGrpcVersion(grpc19, moduleUrl),
        (error) =>
          error instanceof TypeError &&
          error.message.includes(`install a newer one (${install}), and run ${list} to find an older copy`),
        mark,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
});

Deno.test("copiesCommand() names the package manager's command that lists every copy of grpc-js", () => {
  assert.equal(
    copiesCommand("file:///app/node_modules/.pnpm/@kgr+resolver@0.1.0/node_modules/@kgr/resolver/x.js"),
    "pnpm why @grpc/grpc-js",
  );
  assert.equal(
    copiesCommand("file:///app/node_modules/.deno/@kgr+resolver@0.1.0/node_modules/@kgr/resolver/x.js"),
    "deno why @grpc/grpc-js",
  );
});

Deno.test("niceGrpcRange() reads the grpc-js range from the installed nice-grpc's package.json", async () => {
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("../node_modules/nice-grpc/package.json", import.meta.url)),
  );
  assert.deepEqual(niceGrpcRange(["/nowhere/x.js", import.meta.url]), {
    version: manifest.version,
    range: manifest.dependencies["@grpc/grpc-js"],
  });
  assert.equal(niceGrpcRange(["/nowhere/x.js"]), undefined);
});
