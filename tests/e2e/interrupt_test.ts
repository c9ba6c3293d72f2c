// Ctrl-C, `kill -INT` or `kill -9` of a `deno test` run must not leave anything behind: deno test exits at once on
// SIGINT without running the tests' cleanup, so what a test starts is tied to the run's life (lifeline.ts). Here a
// `deno test` of interrupted_run.ts starts a test host and clients, gets the signal, and after a few seconds none of
// its children runs and its network namespace and veth are gone.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { childEnv } from "../_child_env.mjs";
import { canCreateTestHosts } from "./test_hosts.ts";
import { localControlPlaneSkipped } from "./control_plane.ts";

const run = promisify(execFile);
const FIXTURE = new URL("./interrupted_run.ts", import.meta.url).pathname;
const CONTROL_PLANE_FIXTURE = new URL("./interrupted_control_plane.ts", import.meta.url).pathname;
/**
 * How long an interrupted run's watchdogs have to remove what it started, in ms: they start at once, but their
 * kills, `ip netns del` and `rm -rf` wait for a core like any process (5 s was short at load 12 on 2 cores).
 */
const LEFT_MS = 20_000;

/** Whether process `pid` still runs (a zombie does not: it only waits for its parent to read its status). */
async function running(pid: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

/**
 * Whether `child` has exited, kept up to date: a run that fails before it can be interrupted must say so at once (with
 * its output), not after the whole wait and then as "Child process has already terminated" from `kill()`.
 */
function exitState(child: Deno.ChildProcess): { exited: boolean } {
  const state = { exited: false };
  child.status.then(() => state.exited = true);
  return state;
}

/** What of the interrupted run is still there after `ms`: running pids, the namespace, the link. */
async function leftAfter(report: { pids: number[]; namespace: string; link: string }, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const pids = (await Promise.all(report.pids.map(async (pid) => (await running(pid)) ? [pid] : []))).flat();
    const namespaces = (await run("ip", ["netns", "list"])).stdout;
    const links = (await run("ip", ["-o", "link", "show"])).stdout;
    const left = [
      ...pids.map((pid) => `process ${pid}`),
      ...(namespaces.split("\n").some((line) => line.split(" ")[0] === report.namespace) ? [report.namespace] : []),
      ...(links.includes(` ${report.link}@`) || links.includes(` ${report.link}:`) ? [report.link] : []),
    ];
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  Deno.test({
    name: `a deno test run that gets ${signal} leaves no child process, network namespace or veth behind`,
    ignore: !(await canCreateTestHosts()),
    async fn() {
      const folder = await Deno.makeTempDir({ prefix: "kgr-interrupt-" });
      try {
        // `env --default-signal`: a run started in the background by a shell ignores SIGINT, and so would its child.
        const child = new Deno.Command("env", {
          args: ["--default-signal=INT", Deno.execPath(), "test", "-A", "--no-check", FIXTURE],
          env: childEnv({ KGR_INTERRUPT_FOLDER: folder, NO_COLOR: "1" }),
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
        const runState = exitState(child);
        const reportFile = `${folder}/report.json`;
        const end = Date.now() + 60_000;
        let text = "";
        while (!(text = await Deno.readTextFile(reportFile).catch(() => "")) && !runState.exited && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (!text) {
          if (!runState.exited) child.kill("SIGKILL");
          const what = runState.exited ? "ended before it started" : "did not start within 60 s";
          assert.fail(`the run ${what} its host and clients:\n${(await output).join("\n")}`);
        }
        const report = JSON.parse(text);
        assert.ok(report.pids.length >= 3, `a backend and two clients at least: ${text}`);
        child.kill(signal);
        const status = await child.status;
        await output;
        assert.ok(!status.success, `deno test ended with ${status.code}`);
        assert.deepEqual(await leftAfter(report, LEFT_MS), [], `left behind ${LEFT_MS / 1000} s after ${signal}`);
      } finally {
        await Deno.remove(folder, { recursive: true });
      }
    },
  });
}

// The control plane's folder holds its CA's and admin's private keys and etcd's data (123 MB once it ran). Its
// removal was tied to the run only while etcd ran, and by a signal handler that deno test's own exit on SIGINT can
// beat: a run interrupted as it wrote the certificates left ca.key (2 runs of 2), one interrupted as etcd started
// left every key and etcd.log (1 of 2). The folder is now tied to the run from its creation until it is removed.
for (const [signal, file] of [["SIGINT", "ca.key"], ["SIGINT", "etcd.log"], ["SIGKILL", "admin.key"]] as const) {
  Deno.test({
    name: `a deno test run that gets ${signal} as its control plane writes ${file} leaves no folder behind`,
    ignore: await localControlPlaneSkipped(() => {}) !== undefined,
    async fn() {
      const folder = await Deno.makeTempDir({ prefix: "kgr-interrupt-" });
      const tmp = `${folder}/tmp`;
      await Deno.mkdir(tmp);
      const controlPlaneFolders = async () => {
        const names: string[] = [];
        for await (const entry of Deno.readDir(tmp)) names.push(entry.name);
        return names;
      };
      try {
        const child = new Deno.Command("env", {
          args: ["--default-signal=INT", Deno.execPath(), "test", "-A", "--no-check", CONTROL_PLANE_FIXTURE],
          env: childEnv({ TMPDIR: tmp, NO_COLOR: "1" }),
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const output = new Response(child.stderr).text();
        const runState = exitState(child);
        const end = Date.now() + 60_000;
        const written = async () => {
          for (const name of await controlPlaneFolders()) {
            if (await Deno.stat(`${tmp}/${name}/${file}`).then(() => true, () => false)) return true;
          }
          return false;
        };
        while (!(await written()) && !runState.exited && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (runState.exited) assert.fail(`the run ended before its control plane wrote ${file}: ${await output}`);
        child.kill(signal);
        const status = await child.status;
        assert.ok(!status.success, `deno test ended with ${status.code}: ${await output}`);
        const processes = async () => (await run("pgrep", ["-f", tmp]).catch(() => ({ stdout: "" }))).stdout;
        let left = await controlPlaneFolders();
        let running = await processes();
        for (const stop = Date.now() + LEFT_MS; (left.length > 0 || running !== "") && Date.now() < stop;) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          [left, running] = await Promise.all([controlPlaneFolders(), processes()]);
        }
        assert.deepEqual(left, [], `left behind ${LEFT_MS / 1000} s after ${signal}`);
        assert.equal(running, "", `processes left behind ${LEFT_MS / 1000} s after ${signal}`);
      } finally {
        await Deno.remove(folder, { recursive: true });
      }
    },
  });
}

// A run can end between starting a process and tying it to its life: the control plane tied etcd one event-loop
// turn after its start, and a run interrupted in between left etcd running for good, with its folder gone (the
// "etcd.log" case above: 3 runs of 40 at load 1-9, 16 of 40 at load 6-20). Here the process SIGKILLs the run as its
// first act (the old tie left it running in 3 runs of 3).
Deno.test("a process the control plane starts dies with the run even when the run is killed as the process starts", async () => {
  const folder = await Deno.makeTempDir({ prefix: "kgr-interrupt-" });
  try {
    // The folder names the process (its $0); it outlives the wait below, and ends by itself after 30 s.
    const script = 'kill -KILL "$PPID"; for i in $(seq 30); do sleep 1; done';
    const code = `import { startProcess } from ${JSON.stringify(new URL("./control_plane.ts", import.meta.url).href)};
      await startProcess("sh", ${JSON.stringify(["-c", script, folder])}, ${JSON.stringify(`${folder}/process.log`)});
      await new Promise((resolve) => setTimeout(resolve, 10_000));`;
    const status = await new Deno.Command(Deno.execPath(), { args: ["eval", code], env: childEnv(), stdout: "null" })
      .output();
    const stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.signal, "SIGKILL", `the process did not kill the run: ${stderr}`);
    const processes = async () => (await run("pgrep", ["-f", folder]).catch(() => ({ stdout: "" }))).stdout;
    let running = await processes();
    for (const stop = Date.now() + LEFT_MS; running !== "" && Date.now() < stop;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      running = await processes();
    }
    for (const pid of running.split("\n").filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    assert.equal(running, "", `processes left behind ${LEFT_MS / 1000} s after the run's end`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
