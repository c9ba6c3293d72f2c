// freePort() of control_plane.ts: etcd's client and peer ports are picked back to back, before either binds, so the
// same pick twice must not give the same port (etcd would then fail to bind its second listener).
import assert from "node:assert/strict";
import { freePort } from "./control_plane.ts";

Deno.test("freePort() never hands out a port twice, though nothing has bound it yet", () => {
  const random = Math.random;
  // The same pick twice in a row, then another.
  const picks = [0.123456, 0.123456, 0.654321];
  Math.random = () => picks.shift() ?? random();
  try {
    const first = freePort();
    const second = freePort();
    assert.notEqual(second, first);
  } finally {
    Math.random = random;
  }
});
