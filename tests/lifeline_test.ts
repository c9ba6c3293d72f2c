import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { onExit } from "./e2e/lifeline.ts";
import { tempDir } from "./_temp_dir.ts";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);

Deno.test("lifeline: an untied watchdog never runs its script, and a tied one runs it when this process is gone", async () => {
  await using dir = await tempDir();
  for (let i = 0; i < 20; i++) {
    const tie = onExit(`touch "$1"`, [`${dir.path}/untied-${i}`]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    tie.untie();
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { onExit } from ${JSON.stringify(new URL("./e2e/lifeline.ts", import.meta.url).href)};` +
      `onExit('touch "$1"', [${
        JSON.stringify(`${dir.path}/tied`)
      }]); await new Promise((r) => setTimeout(r, 100)); Deno.exit(0);`,
    ],
    env: childEnv(),
  });
  assert.equal((await child.output()).code, 0);
  const deadline = Date.now() + 5000;
  while (!(await exists(`${dir.path}/tied`)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names, ["tied"]);
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

// A child tied by a second spawn after its own (as test hosts, clients, pods and CLI runs were) outlived a run that
// ended in between: here each child SIGKILLs the run as its first act (9 of 9 children were left that way), and
// nothing of it may be left.
Deno.test("lifeline: a child of spawnTied() dies with the run even when it kills the run as its first act", async () => {
  await using dir = await tempDir("kgr-lifeline-");
  // The folder names each child (its $0); a child outlives the wait below, and ends by itself after 30 s.
  const command = JSON.stringify(["-c", 'kill -KILL "$PPID"; for i in $(seq 30); do sleep 1; done', dir.path]);
  const code = `import { childEnv } from ${JSON.stringify(new URL("./_child_env.mjs", import.meta.url).href)};
    import { spawnTied } from ${JSON.stringify(new URL("./e2e/lifeline.ts", import.meta.url).href)};
    spawnTied("sh", ${command}, { env: childEnv(), stdio: ["ignore", "ignore", "ignore"] });
    await new Promise((resolve) => setTimeout(resolve, 10_000));`;
  const running = async () =>
    (await run("pgrep", ["-f", dir.path]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean);
  const left: string[] = [];
  for (let i = 0; i < 3; i++) {
    const status = await new Deno.Command(Deno.execPath(), { args: ["eval", code], env: childEnv(), stdout: "null" })
      .output();
    const stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.signal, "SIGKILL", `the child did not kill the run: ${stderr}`);
    let pids = await running();
    for (const stop = Date.now() + 5000; pids.length > 0 && Date.now() < stop;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pids = await running();
    }
    for (const pid of pids) {
      left.push(pid);
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
  assert.deepEqual(left, [], "children left running 5 s after their run ended");
});
