// Each package manager's command words, and whose words a module's advice gives.
import assert from "node:assert/strict";
import { commandsOf, packageManagerFor } from "../src/runtime/package_manager_commands.ts";
import type { PackageManager } from "../src/runtime/installed_by.ts";

Deno.test("commandsOf() gives each package manager's words, quoting a range a shell would read", () => {
  const cases: ReadonlyArray<readonly [PackageManager, string, string, string, string]> = [
    ["npm", 'npm i "yaml@^2.8.0"', "npm ls @grpc/grpc-js", "npm ls --all", "npm install"],
    ["pnpm", 'pnpm add "yaml@^2.8.0"', "pnpm why @grpc/grpc-js", "pnpm why yaml", "pnpm install --force"],
    ["yarn-classic", 'yarn add "yaml@^2.8.0"', "yarn why @grpc/grpc-js", "yarn why yaml", "yarn install --check-files"],
    ["yarn-berry", 'yarn add "yaml@^2.8.0"', "yarn why @grpc/grpc-js", "yarn why yaml", "yarn install"],
    ["bun", 'bun add "yaml@^2.8.0"', "bun why @grpc/grpc-js", "bun why yaml", "bun install"],
    ["deno", 'deno add "npm:yaml@^2.8.0"', "deno why @grpc/grpc-js", "deno why yaml", "deno install"],
  ];
  for (const [manager, add, why, whyMissing, restore] of cases) {
    const commands = commandsOf(manager);
    assert.deepEqual(
      [commands.add("yaml@^2.8.0"), commands.why("@grpc/grpc-js"), commands.whyMissing("yaml"), commands.restore],
      [add, why, whyMissing, restore],
      manager,
    );
  }
  // Nothing there that a shell reads: unquoted.
  assert.equal(commandsOf("deno").add("@grpc/grpc-js@latest"), "deno add npm:@grpc/grpc-js@latest");
  assert.equal(commandsOf("npm").add("@grpc/grpc-js@latest"), "npm i @grpc/grpc-js@latest");
  assert.equal(
    commandsOf("deno").add("undici@^7.16.0", "yaml@^2.8.0"),
    'deno add "npm:undici@^7.16.0" "npm:yaml@^2.8.0"',
  );
});

Deno.test("packageManagerFor() a module no package manager installed gives the runtime's own", () => {
  for (const moduleUrl of ["file:///srv/app/mod.js", undefined]) {
    assert.equal(packageManagerFor(moduleUrl, "node"), "npm");
    assert.equal(packageManagerFor(moduleUrl, "bun"), "bun");
    assert.equal(packageManagerFor(moduleUrl, "deno"), "deno");
  }
});
