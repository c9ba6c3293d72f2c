// What --once and check say on standard error when Ctrl-C or SIGTERM cuts them short, and that following says nothing.
import assert from "node:assert/strict";
import type { InjectedFailure } from "../../testing.ts";
import { startShopCluster as onePodCluster } from "./_cluster.mjs";
import { startPiped } from "./_run_cli.ts";
import { lastFailureText, stoppedBy } from "../../src/cli/stopped_by.ts";

/** Waits until `condition()` holds, polling; fails after 10 s. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !condition();) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Refuses the next 1,000 reads of the slices each way (a streaming list, which is a watch, then a LIST) with a 429 that
 * asks to wait a minute: the first snapshot waits for it.
 */
function throttle(api: { failNext(count: number, failure: InjectedFailure): void }): void {
  const failure = { status: 429, message: "storage is (re)initializing", retryAfterSeconds: 60 };
  for (const path of ["watch", "list"] as const) api.failNext(1000, { ...failure, path });
}

/**
 * Waits until the fake has answered a read of the slices with a 429, then for the client to take the answer in: it
 * runs in this process, and reads the answer, which the loopback socket already holds, within a few turns of the
 * event loop, however loaded the machine (a fixed 200 ms was too short under load).
 */
async function refusedOnce(api: { requests: { kind: string; status: number }[] }): Promise<void> {
  await until("a 429", () => api.requests.some(({ kind, status }) => kind === "list" && status === 429));
  for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** How long a run had gone on when a line says it stopped. */
const AFTER = String.raw`after (?:less than 1 s|\d+ s)`;

Deno.test("stoppedBy() names Ctrl-C and SIGTERM with the time, and no other interrupt", () => {
  assert.equal(stoppedBy(130, 999), "stopped by Ctrl-C after less than 1 s");
  assert.equal(stoppedBy(143, 125_400), "stopped by SIGTERM after 2 min 5 s");
  for (const exitCode of [141, 131, 129]) assert.equal(stoppedBy(exitCode, 5000), undefined);
});

Deno.test("lastFailureText() quotes the last failed request, and says nothing when none failed", () => {
  assert.equal(lastFailureText("429 Too Many Requests"), "; the last request failed: 429 Too Many Requests");
  assert.equal(lastFailureText(undefined), "");
});

Deno.test("kgr-resolver --once --min-usable stopped by SIGTERM says how many pods were usable, and prints no snapshot", async () => {
  // Was: exit 143 and nothing at all, in a deploy Job's log whose deadline ended the wait.
  await using cluster = await onePodCluster();
  // Standard error on a terminal tells when the count is in: 1 usable pod, waiting.
  const run = startPiped(cluster.args("--once", "--min-usable", "3"), true);
  await until("the count", () => run.stderr().includes("waiting up to"));
  run.interrupt(143);
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 143);
  assert.equal(stdout, "");
  const [, stopped, ...rest] = stderr.split("\n");
  assert.match(
    stopped,
    new RegExp(`^kgr-resolver: stopped by SIGTERM ${AFTER}: 1 usable pod, not the 3 that --min-usable waits for$`),
  );
  assert.deepEqual(rest, [""]);
});

Deno.test("kgr-resolver --once stopped by Ctrl-C before its first snapshot says what it was waiting for", async () => {
  await using cluster = await onePodCluster();
  throttle(cluster.api);
  const run = startPiped(cluster.args("--once"));
  // The client takes the 429 in before the test interrupts: its message is on the line.
  await refusedOnce(cluster.api);
  run.interrupt(130);
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 130);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    new RegExp(
      `^kgr-resolver: stopped by Ctrl-C ${AFTER}, before the first snapshot was read: waiting for the first list of ` +
        "its EndpointSlices; the last request failed: .*storage is \\(re\\)initializing.*\n$",
    ),
  );
});

Deno.test("kgr-resolver --once stopped by SIGTERM after a snapshot from a LIST says its WATCH had not started, and why", async () => {
  await using cluster = await onePodCluster();
  // The streaming list refused with a minute to wait: a LIST answers at once, and the WATCH waits out that minute.
  cluster.api.failNext(1, {
    status: 429,
    message: "storage is (re)initializing",
    retryAfterSeconds: 60,
    path: "watch",
  });
  const run = startPiped(cluster.args("--once"));
  await until("the snapshot", () => run.stdout().includes("echo-0"));
  run.interrupt(143);
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 143);
  assert.match(stdout, /^\S+ shop\/echo rv \d+ .*: echo-0 10\.0\.0\.1:50051\n$/);
  assert.match(
    stderr,
    new RegExp(
      `^kgr-resolver: stopped by SIGTERM ${AFTER}: the snapshot above is from a LIST, and its WATCH had not started; ` +
        "the last request failed: .*storage is \\(re\\)initializing.*\n$",
    ),
  );
});

/**
 * Runs `args(pipe)` with a named pipe as the kubeconfig, which holds its read until the run has ended: the run must
 * end without it (a FIFO, a hung mount), then the pipe gets the cluster's kubeconfig, so that the read settles.
 */
async function withKubeconfigNeverRead(
  kubeconfig: string,
  args: (pipe: string) => string[],
  interrupt?: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kgr-stopped-" });
  try {
    const pipe = `${dir}/kubeconfig`;
    assert.ok((await new Deno.Command("mkfifo", { args: [pipe] }).output()).success);
    const run = startPiped(args(pipe));
    if (interrupt !== undefined) run.interrupt(interrupt);
    const result = await run.done;
    await Deno.writeTextFile(pipe, await Deno.readTextFile(kubeconfig));
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("kgr-resolver --once stopped by SIGTERM while it reads the kubeconfig says so and ends, as check does", async () => {
  // Was: exit 143 and no line, for its handler was registered only once the cluster was connected; then, with it
  // registered first, no end at all while the read hung (a review: SIGKILL alone ended it).
  await using cluster = await onePodCluster();
  const { code, stdout, stderr } = await withKubeconfigNeverRead(
    cluster.kubeconfig,
    (pipe) => ["--once", "--kubeconfig", pipe, "kubernetes:///echo.shop:grpc"],
    143,
  );
  assert.equal(code, 143);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    new RegExp(
      `^kgr-resolver: stopped by SIGTERM ${AFTER}, before the first snapshot was read: reading where the cluster ` +
        "is and how to log in\n$",
    ),
  );
});

Deno.test("kgr-resolver --once --timeout counts a kubeconfig's read that hangs, as check does", async () => {
  // Was: its timer started once the cluster was connected, so a deploy script's `--once --timeout 30` waited on.
  await using cluster = await onePodCluster();
  const { code, stdout, stderr } = await withKubeconfigNeverRead(
    cluster.kubeconfig,
    (pipe) => ["--once", "--timeout", "1", "--kubeconfig", pipe, "kubernetes:///echo.shop:grpc"],
  );
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    'kgr-resolver: Cannot resolve "kubernetes:///echo.shop:grpc": no cluster access within 1 s: reading where the ' +
      "cluster is and how to log in (a kubeconfig and the files it names, or a pod's service account files) took " +
      "longer; check that those files can be read (not a pipe that nothing writes, nor a mount that hangs), or raise " +
      "--timeout\n",
  );
});

Deno.test("kgr-resolver check ends on SIGTERM or at --timeout while the kubeconfig's read hangs", async () => {
  await using cluster = await onePodCluster();
  const check = (pipe: string) => ["check", "--timeout", "1", "--kubeconfig", pipe, "kubernetes:///echo.shop:grpc"];
  const stopped = await withKubeconfigNeverRead(cluster.kubeconfig, check, 143);
  assert.equal(stopped.code, 143);
  assert.match(stopped.stderr, /^kgr-resolver: stopped by SIGTERM .*, in the cluster step: reading where the cluster/);
  const late = await withKubeconfigNeverRead(cluster.kubeconfig, check);
  assert.equal(late.code, 1, late.stdout);
  assert.match(
    late.stdout,
    /\nFAILED +cluster +no cluster access within 1 s: reading where the cluster is and how to log in \(a kubeconfig/,
  );
});

Deno.test("kgr-resolver check stopped by SIGTERM says which step it was in, below the steps it printed", async () => {
  await using cluster = await onePodCluster();
  throttle(cluster.api);
  const run = startPiped(cluster.args("check"));
  await refusedOnce(cluster.api);
  run.interrupt(143);
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 143);
  assert.match(stdout, /^ok +user +kubernetes-admin$/m);
  assert.doesNotMatch(stdout, /resolve|FAILED/);
  assert.match(
    stderr,
    new RegExp(
      `^kgr-resolver: stopped by SIGTERM ${AFTER}, in the resolve step: waiting for the target's first snapshot; ` +
        "the last request failed: .*storage is \\(re\\)initializing.*\n$",
    ),
  );
});

Deno.test("kgr-resolver following a target says nothing when Ctrl-C or SIGTERM ends it with 0", async () => {
  await using cluster = await onePodCluster();
  for (const exitCode of [130, 143]) {
    const run = startPiped(cluster.args());
    await until("the first line", () => run.stdout().includes("\n"));
    run.interrupt(exitCode);
    assert.deepEqual(await run.done, { code: 0, stdout: run.stdout(), stderr: "" });
  }
});
