// The command a 403's advice names for the CLI's check: the runtime's, and on Deno the package's it was loaded from.
import assert from "node:assert/strict";
import { checkCommand } from "../src/api/_check_command.ts";

Deno.test("checkCommand() on Deno names the npm package's bin when it was loaded from node_modules or the npm cache", () => {
  // Was always JSR's `deno run -A jsr:@kgr/resolver/cli check TARGET`, which a user of the npm package never added.
  const npm = "deno run -A npm:@kgr/resolver check TARGET";
  assert.equal(checkCommand("deno", "file:///app/node_modules/@kgr/resolver/dist/mod.js"), npm);
  assert.equal(checkCommand("deno", "file:///app/node_modules/.deno/@kgr+resolver@1.2.0/dist/api/api_errors.js"), npm);
  assert.equal(
    checkCommand("deno", "file:///home/me/.cache/deno/npm/registry.npmjs.org/@kgr/resolver/1.2.0/dist/mod.js"),
    npm,
  );
});

Deno.test("checkCommand() on Deno names JSR's cli export for a module from JSR or a checkout", () => {
  const jsr = "deno run -A jsr:@kgr/resolver/cli check TARGET";
  assert.equal(checkCommand("deno", "https://jsr.io/@kgr/resolver/1.2.0/src/api/api_errors.ts"), jsr);
  assert.equal(checkCommand("deno", "file:///home/me/kgr-resolver/src/api/api_errors.ts"), jsr);
  assert.equal(checkCommand("deno", undefined), jsr);
});

Deno.test("checkCommand() on Node and Bun names the bin as the README does", () => {
  assert.equal(
    checkCommand("node", "file:///app/node_modules/@kgr/resolver/dist/mod.js"),
    "npx kgr-resolver check TARGET",
  );
  assert.equal(checkCommand("bun", undefined), "bunx --bun kgr-resolver check TARGET");
});
