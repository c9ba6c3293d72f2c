// The order in which a watchEndpoints() loop hands failures and recoveries to its caller around a held snapshot.
import assert from "node:assert/strict";
import { createHeldReports } from "../src/_held_reports.ts";
import { sleep } from "./_watch_helpers.ts";

Deno.test("createHeldReports() sends a failure held for a snapshot, and a recovery behind it, in the next turn", async () => {
  const seen: string[] = [];
  const reports = createHeldReports();
  reports.error(() => seen.push("error"), true);
  reports.recovered(() => seen.push("recovered"));
  reports.sendNextTurn();
  assert.equal(seen.length, 0, "held until the next turn");
  await sleep(20);
  assert.deepEqual(seen, ["error", "recovered"]);
  reports.error(() => seen.push("error again"), false);
  assert.deepEqual(seen, ["error", "recovered", "error again"], "with nothing held, a failure goes at once");
});

Deno.test("createHeldReports() holds a failure that comes while held reports wait, so the caller's last word is the failure", async () => {
  // The loop yielded its snapshot and the held [error, recovered] wait for the next turn; the watch fails again in
  // this one. Sent at once, that failure came first and the held recovery after it: the caller's last word was
  // "recovered" while the watch failed.
  const seen: string[] = [];
  const reports = createHeldReports();
  reports.error(() => seen.push("error 1"), true);
  reports.recovered(() => seen.push("recovered"));
  reports.sendNextTurn();
  reports.error(() => seen.push("error 2"), false);
  await sleep(20);
  assert.deepEqual(seen, ["error 1", "recovered", "error 2"]);
});

Deno.test("createHeldReports() sends nothing held once the loop ended", async () => {
  const seen: string[] = [];
  const reports = createHeldReports();
  reports.error(() => seen.push("error"), true);
  reports.sendNextTurn();
  reports.drop();
  await sleep(20);
  assert.deepEqual(seen, []);
});

Deno.test("createHeldReports() only traces a held report that throws, and sends the ones after it", async () => {
  const seen: string[] = [];
  const reports = createHeldReports();
  reports.error(() => {
    throw new Error("a bug in the caller's onError");
  }, true);
  reports.recovered(() => seen.push("recovered"));
  reports.sendNextTurn();
  await sleep(20);
  assert.deepEqual(seen, ["recovered"]);
});
