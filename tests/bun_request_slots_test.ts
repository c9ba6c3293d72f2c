import assert from "node:assert/strict";
import { bunMaxRequests, isBunRequestLimit, takeBunRequestSlot } from "../src/runtime/bun_request_slots.ts";

Deno.test("bunMaxRequests reads BUN_CONFIG_MAX_HTTP_REQUESTS as Bun does: 1 to 65535, else 256", () => {
  assert.deepEqual(
    [undefined, "", "3", "1024", "65535", "65536", "0", "-1", "2.5", "many"].map(bunMaxRequests),
    [256, 256, 3, 1024, 65535, 256, 256, 256, 256, 256],
  );
});

Deno.test("takeBunRequestSlot refuses a request past the cap with what to set, until a slot is released", () => {
  const first = takeBunRequestSlot(2);
  const second = takeBunRequestSlot(2);
  assert.throws(() => takeBunRequestSlot(2), (error) => {
    assert.ok(isBunRequestLimit(error));
    assert.match(String(error), /at most 2 HTTP requests .*BUN_CONFIG_MAX_HTTP_REQUESTS above the number/);
    return true;
  });
  first();
  first(); // a second release of the same slot frees nothing more
  const third = takeBunRequestSlot(2);
  assert.throws(() => takeBunRequestSlot(2), isBunRequestLimit);
  second();
  third();
});
