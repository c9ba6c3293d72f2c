// `kgr-resolver --once --min-usable N`: a deploy script's wait until N pods are usable, within --timeout.
import assert from "node:assert/strict";
import { shopEchoSlice as echo, startShopCluster as onePodCluster } from "./_cluster.mjs";
import { runPiped } from "./_run_cli.ts";

/** A pause of `ms`. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("kgr-resolver --once --min-usable waits until that many pods are usable, then prints that snapshot and exits 0", async () => {
  // Was: a script waited for a count on the followed stream, which ended only at its own time limit.
  await using cluster = await onePodCluster();
  const { api, args } = cluster;
  const run = runPiped(args("--once", "--json", "--min-usable", "2"));
  await pause(300);
  api.applySlice(echo(["10.0.0.1", "10.0.0.2"]));
  const { code, stdout, stderr } = await run;
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 1, stdout);
  assert.deepEqual(JSON.parse(lines[0]).endpoints.map((endpoint: { podName: string }) => endpoint.podName), [
    "echo-0",
    "echo-1",
  ]);
  assert.equal(stderr, "");
});

Deno.test("kgr-resolver --once --min-usable prints the last snapshot at the timeout and says how many pods were usable", async () => {
  await using cluster = await onePodCluster();
  const { args } = cluster;
  const started = performance.now();
  const { code, stdout, stderr } = await runPiped(args("--once", "--min-usable", "3", "--timeout", "1"));
  assert.equal(code, 1);
  assert.ok(performance.now() - started >= 900, "it waited for the timeout");
  assert.match(stdout, / echo-0 10\.0\.0\.1:50051/);
  assert.equal(stderr, "kgr-resolver: 1 usable pod within 1 s, not the 3 that --min-usable waits for\n");
});

Deno.test("kgr-resolver --once --min-usable waits on through a watch that breaks and resumes", async () => {
  // Was: exit 1 at the first dropped connection, nothing printed, "Watch of EndpointSlices broke ...".
  await using cluster = await onePodCluster();
  const { api, args } = cluster;
  const run = runPiped(args("--once", "--json", "--min-usable", "2"));
  // Its watch open first: dropped before it opened, the test would pass without a break.
  for (let i = 0; i < 200 && api.openWatches === 0; i++) await pause(10);
  assert.equal(api.openWatches, 1);
  api.dropWatches();
  await pause(300);
  api.applySlice(echo(["10.0.0.1", "10.0.0.2"]));
  const { code, stdout, stderr } = await run;
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout).endpoints.length, 2);
});

Deno.test("kgr-resolver --once --min-usable tells a person at a terminal how many pods are usable while it waits", async () => {
  // Was: nothing on the screen for up to --timeout. Off a terminal (the tests above), a script's log gets no such line.
  await using cluster = await onePodCluster();
  const { api, args } = cluster;
  const run = runPiped(args("--once", "--json", "--min-usable", "2"), true);
  await pause(300);
  api.applySlice(echo(["10.0.0.1", "10.0.0.2"]));
  const { code, stderr } = await run;
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "kgr-resolver: 1 usable pod, waiting up to 30 s for 2 (--min-usable)\n");
});

Deno.test("kgr-resolver --once --min-usable ends at once when the watch is refused, and at its timeout says the watch fails", async () => {
  // Credentials that may list but not watch: waited out the whole --timeout before saying so (a review).
  await using cluster = await onePodCluster();
  const { api, args } = cluster;
  api.setAccess({
    username: "reader",
    rules: [
      { verbs: ["list"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] },
      { verbs: ["get"], apiGroups: [""], resources: ["services", "namespaces"] },
    ],
  });
  const started = performance.now();
  const refused = await runPiped(args("--once", "--min-usable", "2", "--timeout", "20"));
  assert.equal(refused.code, 1);
  assert.ok(performance.now() - started < 15_000, "it did not wait for the timeout");
  assert.match(refused.stderr, /forbidden \(403\)/);
  // A server that keeps failing with 503: waited through, and named at the timeout.
  api.setAccess(undefined);
  api.failNext(10_000, { status: 503, path: "watch" });
  const failing = await runPiped(args("--once", "--min-usable", "2", "--timeout", "2"));
  assert.equal(failing.code, 1);
  assert.match(
    failing.stderr,
    /^kgr-resolver: 1 usable pod within 2 s, not the 2 that --min-usable waits for; the watch is failing: .*503/m,
  );
});
