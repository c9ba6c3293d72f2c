// freePort() of control_plane.ts: etcd's client and peer ports are picked back to back, before either binds, so the
// same pick twice must not give the same port (etcd would then fail to bind its second listener). And it picks from a
// range of its own, apart from freePort() of scripts/echo_service.mjs: a port one of them has picked but not bound yet
// is never the other's pick, whatever process either runs in.
import assert from "node:assert/strict";
import { freePort } from "./control_plane.ts";
import { freePort as echoFreePort } from "../../scripts/echo_service.mjs";

/** Runs `pick` with Math.random returning `picks` first, then random numbers again. */
async function withRandom<T>(picks: number[], pick: () => T | Promise<T>): Promise<T> {
  const random = Math.random;
  Math.random = () => picks.shift() ?? random();
  try {
    return await pick();
  } finally {
    Math.random = random;
  }
}

Deno.test("freePort() never hands out a port twice, though nothing has bound it yet", async () => {
  // The same pick twice in a row, then another.
  const [first, second] = await withRandom([0.123456, 0.123456, 0.654321], () => [freePort(), freePort()]);
  assert.notEqual(second, first);
});

Deno.test("freePort() of the control plane picks only ports below those of the echo service's freePort()", async () => {
  // The highest pick of the one and the lowest of the other (a pick found in use is followed by a random one, still
  // within the same range).
  const highest = await withRandom([0.999999], () => freePort());
  const lowest = await withRandom([0], () => echoFreePort(["127.0.0.1"]));
  assert.ok(highest < lowest, `the control plane's port ${highest} is not below the echo service's ${lowest}`);
});
