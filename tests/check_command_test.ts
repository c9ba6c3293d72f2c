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
  assert.equal(checkCommand("deno", "file:///app/node_modules/.pnpm/x/node_modules/@kgr/resolver/dist/mod.js"), npm);
  // A private registry behind a path: Deno's cache keeps its folders.
  assert.equal(checkCommand("deno", "file:///c/deno/npm/npm.corp.example/repo/npm/@kgr/resolver/1.2.0/mod.js"), npm);
});

Deno.test("checkCommand() on Deno names JSR's cli export for a module from JSR or a checkout", () => {
  const jsr = "deno run -A jsr:@kgr/resolver/cli check TARGET";
  assert.equal(checkCommand("deno", "https://jsr.io/@kgr/resolver/1.2.0/src/api/api_errors.ts"), jsr);
  assert.equal(checkCommand("deno", "file:///home/me/kgr-resolver/src/api/api_errors.ts"), jsr);
  assert.equal(checkCommand("deno", undefined), jsr);
  // JSR's npm compatibility layer (npx jsr add): installed from JSR, not from npm. Any node_modules folder counted.
  assert.equal(checkCommand("deno", "file:///app/node_modules/@jsr/kgr__resolver/src/api/api_errors.ts"), jsr);
  // A checkout under another package's folder, or a folder that only ends like the cache's: not the npm package.
  assert.equal(checkCommand("deno", "file:///app/node_modules/tools/kgr/src/api/api_errors.ts"), jsr);
  assert.equal(checkCommand("deno", "file:///home/me/npm/@kgr/resolver/src/api/api_errors.ts"), jsr);
});

Deno.test("checkCommand() on Node and Bun names the bin as the README does", () => {
  assert.equal(
    checkCommand("node", "file:///app/node_modules/@kgr/resolver/dist/mod.js"),
    "npx kgr-resolver check TARGET",
  );
  assert.equal(checkCommand("bun", undefined), "bunx --bun kgr-resolver check TARGET");
});
