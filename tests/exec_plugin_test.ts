import assert from "node:assert/strict";
import { heldExecPlugin as runExecPlugin } from "./_held_exec_plugin.ts";

Deno.test("runExecPlugin() answers at its timeout when a process the plugin started keeps the pipes open", async () => {
  const dir = await Deno.makeTempDir();
  const plugin = `${dir}/plugin`;
  // A shell script that waits on a child: killing the shell leaves the child, which holds stdout and stderr.
  await Deno.writeTextFile(
    plugin,
    `#!/bin/sh\necho "waiting for login" >&2\nsleep 5 &\necho $! > "${dir}/pid"\nwait\n`,
  );
  await Deno.chmod(plugin, 0o755);
  const started = Date.now();
  try {
    const result = await runExecPlugin({ command: plugin, args: [], env: {}, timeoutMs: 200 });
    assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
    assert.deepEqual(result, { ok: false, reason: "timeout", stderr: "waiting for login\n" });
  } finally {
    const pid = Number(await Deno.readTextFile(`${dir}/pid`).catch(() => ""));
    if (pid > 0) Deno.kill(pid, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runExecPlugin() tells a plugin that printed more than 16 MiB from one that could not start", async () => {
  const dir = await Deno.makeTempDir();
  const plugin = `${dir}/plugin`;
  await Deno.writeTextFile(plugin, `#!/bin/sh\necho "dumping" >&2\nhead -c 17825792 /dev/zero | tr '\\0' a\n`);
  await Deno.chmod(plugin, 0o755);
  try {
    const result = await runExecPlugin({ command: plugin, args: [], env: {}, timeoutMs: 20_000 });
    assert.deepEqual(result, { ok: false, reason: "too-much-output", detail: "stdout", stderr: "dumping\n" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runExecPlugin() answers at once when a process the plugin started prints past 16 MiB, on a terminal too", async () => {
  const dir = await Deno.makeTempDir();
  const plugin = `${dir}/plugin`;
  // The shell's child prints without end: killing the shell leaves it, writing on the pipes, until they are closed.
  await Deno.writeTextFile(plugin, `#!/bin/sh\ncat /dev/zero &\necho $! > "${dir}/pid"\nwait\n`);
  await Deno.chmod(plugin, 0o755);
  try {
    for (const terminal of [false, true]) {
      const started = Date.now();
      // No time limit on a terminal: a run that waited for the child would never end.
      const result = await Promise.race([
        runExecPlugin({ command: plugin, args: [], env: {}, timeoutMs: 10_000, terminal }),
        new Promise((resolve) => setTimeout(() => resolve("still running"), 5_000)),
      ]);
      assert.deepEqual(result, { ok: false, reason: "too-much-output", detail: "stdout", stderr: "" });
      assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms (terminal: ${terminal})`);
    }
  } finally {
    const pid = Number(await Deno.readTextFile(`${dir}/pid`).catch(() => ""));
    if (pid > 0) Deno.kill(pid, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runExecPlugin() looks a bare command up in this process's PATH when the plugin's env sets another", async () => {
  const result = await runExecPlugin({
    command: "sh",
    args: ["-c", 'echo "$PATH"'],
    env: { PATH: "/nonexistent" },
    timeoutMs: 5_000,
  });
  assert.deepEqual(result, { ok: true, stdout: "/nonexistent\n", stderr: "" });
});

Deno.test("runExecPlugin() passes standard error on line by line, a last line without a break included", async () => {
  const lines: string[] = [];
  const result = await runExecPlugin({
    command: "sh",
    args: ["-c", "printf 'one\\r\\ntwo\\n' >&2; printf ok; printf three >&2"],
    env: {},
    timeoutMs: 10_000,
    stderrLine: (line) => {
      lines.push(line);
      throw new Error("a receiver that throws");
    },
  });
  assert.deepEqual(result, { ok: true, stdout: "ok", stderr: "one\r\ntwo\nthree" });
  assert.deepEqual(lines, ["one", "two", "three"]);
});

Deno.test("runExecPlugin() gives the plugin /dev/null as standard input, or this process's for a terminal", async () => {
  const request = { command: "sh", args: ["-c", "readlink /proc/self/fd/0"], env: {}, timeoutMs: 5_000 };
  // As kubectl: /dev/null when the plugin may not ask (a read ends at once), this process's own otherwise.
  assert.deepEqual(await runExecPlugin(request), { ok: true, stdout: "/dev/null\n", stderr: "" });
  const own = `${Deno.readLinkSync(`/proc/${Deno.pid}/fd/0`)}\n`;
  assert.deepEqual(await runExecPlugin({ ...request, terminal: true }), { ok: true, stdout: own, stderr: "" });
});

Deno.test("runExecPlugin() passes on a prompt without a line break once a plugin that may ask pauses after it", async () => {
  const request = {
    command: "sh",
    args: ["-c", "printf 'Pass' >&2; printf 'word: ' >&2; sleep 1; echo >&2; printf 'done' >&2"],
    env: {},
    timeoutMs: 10_000,
  };
  for (const terminal of [false, true]) {
    const lines: { line: string; at: number }[] = [];
    const started = Date.now();
    const result = await runExecPlugin({
      ...request,
      terminal,
      stderrLine: (line) => lines.push({ line, at: Date.now() - started }),
    });
    assert.deepEqual(result, { ok: true, stdout: "", stderr: "Password: \ndone" });
    // On a terminal the prompt shows while the plugin waits (kubectl passes standard error on byte by byte);
    // without one, lines stay whole.
    assert.deepEqual(lines.map(({ line }) => line), terminal ? ["Password: ", "", "done"] : ["Password: ", "done"]);
    if (terminal) assert.ok(lines[0].at < 800, `the prompt showed after ${lines[0].at} ms`);
  }
});

Deno.test("runExecPlugin() gives a plugin on the terminal all the time its person takes, as kubectl does", async () => {
  const request = { command: "sh", args: ["-c", "sleep 0.5; printf answered"], env: {}, timeoutMs: 100 };
  assert.deepEqual(await runExecPlugin({ ...request, terminal: true }), { ok: true, stdout: "answered", stderr: "" });
  assert.deepEqual(await runExecPlugin(request), { ok: false, reason: "timeout", stderr: "" });
});
