// The client's declared locality (src/selection/locality.ts): what an explicit option or the environment gives.
import assert from "node:assert/strict";
import { declaredLocality, refuseBlankLocality, resolveLocality } from "../src/selection/locality.ts";

const noEnvironment = () => undefined;

Deno.test("declaredLocality() leaves out a blank field beside a set one, as a blank variable is, and trims the others", () => {
  // `{ zone: process.env.ZONE ?? "", node: process.env.NODE_NAME }` with ZONE unset: the node's zone label is read.
  assert.deepEqual(declaredLocality({ zone: "", node: "node-1" }, noEnvironment), { node: "node-1" });
  assert.deepEqual(declaredLocality({ zone: "zone-a", node: " " }, noEnvironment), { zone: "zone-a" });
  assert.deepEqual(declaredLocality({ zone: " zone-a\n" }, noEnvironment), { zone: "zone-a" });
  const env: Record<string, string> = { NODE_NAME: " node-1 ", ZONE: "" };
  assert.deepEqual(declaredLocality(undefined, (name) => env[name]), { node: "node-1" });
});

Deno.test("refuseBlankLocality() refuses only a locality whose every field is blank, which would turn topology off", () => {
  refuseBlankLocality({ zone: "", node: "node-1" });
  refuseBlankLocality({ zone: "zone-a", node: "" });
  refuseBlankLocality({});
  assert.throws(() => refuseBlankLocality({ zone: " ", node: "" }), {
    name: "TypeError",
    message: "Cannot use option 'locality': its zone must not be empty: leave locality out to use the ZONE and " +
      'NODE_NAME environment variables, or pass locality: {} for no topology: current value is {"zone":" ","node":""}',
  });
});

Deno.test("resolveLocality() reads ZONE once and hands it, as written, to the read of the Node's zone", async () => {
  const reads: string[] = [];
  const env: Record<string, string> = { NODE_NAME: "node-1", ZONE: " " };
  const asked: [string, string | undefined][] = [];
  const locality = await resolveLocality(undefined, (node, writtenZone) => {
    asked.push([node, writtenZone]);
    return Promise.resolve("zone-a");
  }, (name) => (reads.push(name), env[name]));
  assert.deepEqual(locality, { node: "node-1", zone: "zone-a" });
  assert.deepEqual(asked, [["node-1", " "]]);
  assert.deepEqual(reads.filter((name) => name === "ZONE"), ["ZONE"]);
});
