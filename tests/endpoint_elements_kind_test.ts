// The arrays of endpoints that selection hands on keep one elements kind from the first list on: a consumer's loop
// over every snapshot's `endpoints` then sees one array map (see copyEndpoints in src/selection/_pod_endpoint.ts).
import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

const script = new URL("./endpoint_elements_kind/selections.ts", import.meta.url).pathname;

Deno.test("selections of a large Service, the first list's copy and the updates after it, are all PACKED arrays", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    env: childEnv(),
    args: ["run", "--v8-flags=--allow-natives-syntax", "--allow-read", script],
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.equal(decoder.decode(stdout).trim(), "packed packed packed");
});

// A new memo, and its merged entries, already have the maps V8 gives them later: the first list is the only call
// before a burst that runs the rebuild path (a selection that builds most entries anew), so the feedback it leaves
// there must be for the maps every later call has, else that rebuild deoptimizes the optimized code ("wrong map").
Deno.test("a new selection memo and its merged entries have the maps of every later call's", async () => {
  const merged = new URL("./endpoint_elements_kind/merged.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    env: childEnv(),
    args: ["run", "--v8-flags=--allow-natives-syntax", "--allow-read", merged],
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.equal(decoder.decode(stdout).trim(), "objects objects objects same");
});
