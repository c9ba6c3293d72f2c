// `npm run demo`, the README's first command from a checkout, on a machine where only 127.0.0.1
// answers (macOS, unless more addresses are aliased to lo0): a network namespace of its own whose
// loopback holds 127.0.0.1/32 alone. Needs root and `ip`; about 20 s. And `npm run demo -- --serve` as a
// newcomer uses it from a second terminal: its kubeconfig read by the CLI and, where it is built, kubectl.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { childEnv } from "./_child_env.mjs";
import { binaryCacheDirectory } from "./e2e/control_plane.ts";

const run = promisify(execFile);
const root = new URL("../", import.meta.url).pathname;

/**
 * Checks the zone table's row "zone-a back": calls in zones zone-b or zone-c there have the line under the table that
 * says why (a newcomer wondered why zones b and c still got calls once zone a was back), and none has no such line.
 */
function assertZoneBackExplained(stdout: string): void {
  const row = stdout.match(/^zone-a back +(\S+) +(\S+) +(\S+)\n(.*)$/m);
  assert.ok(row, `no row "zone-a back":\n${stdout}`);
  const [, a, b, c, next] = row;
  const had = (count: string) => count !== "-" && Number(count) > 0;
  // It named zone-b and zone-c whichever had calls, and said the client reconnected when zone-a-0 had none.
  const away = [["zone-b", b], ["zone-c", c]].filter(([, count]) => had(count)).map(([zone]) => zone).join(" and ");
  const note = away === ""
    ? undefined
    : had(a)
    ? `zone-a back: calls went to ${away} until the client reconnected to zone-a-0`
    : `zone-a back: calls went to ${away}, as the client had not reconnected to zone-a-0 by the end of the phase`;
  if (note === undefined) assert.doesNotMatch(next, /^zone-a back:/, stdout);
  else assert.equal(next, note, stdout);
}

/** Whether this process may create network namespaces (root and iproute2). */
async function canCreateNamespaces(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return await run("ip", ["netns", "list"]).then(() => true, () => false);
}

Deno.test({
  name: "the demo runs where only 127.0.0.1 answers, and no call fails",
  ignore: !(await canCreateNamespaces()),
  async fn() {
    const namespace = `kgr-demo-${process.pid}`;
    await run("ip", ["netns", "add", namespace]);
    try {
      const ip = (...args: string[]) => run("ip", ["-n", namespace, ...args]);
      await ip("link", "set", "lo", "up");
      await ip("addr", "del", "127.0.0.1/8", "dev", "lo");
      await ip("addr", "add", "127.0.0.1/32", "dev", "lo");
      const { stdout } = await run(
        "ip",
        ["netns", "exec", namespace, process.execPath, "run", "-A", "scripts/demo.ts"],
        { env: childEnv(), cwd: root, timeout: 120_000 },
      ).catch((error) => assert.fail(`the demo failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`));
      assert.deepEqual(stdout.match(/^\d+ calls, \d+ failed$/gm)?.map((line) => line.endsWith(" 0 failed")), [
        true,
        true,
      ], stdout);
      assertZoneBackExplained(stdout);
      // Each table says what its numbers are: a newcomer could not tell.
      assert.equal(stdout.match(/^calls per pod in each phase:\nphase /gm)?.length, 2, stdout);
    } finally {
      await run("ip", ["netns", "delete", namespace]);
    }
  },
});

/** `npm run demo -- --serve`, as a child with piped standard input and output, stopped after `timeoutMs`. */
function serveDemo(timeoutMs: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--max-old-space-size=1024", "scripts/demo.ts", "--serve"],
    cwd: root,
    env: childEnv(),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
}

/** Reads a child's output until `pattern` matches all of it so far; fails when the output ends first. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  seen: { text: string },
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  for (;;) {
    const match = seen.text.match(pattern);
    if (match !== null) return match;
    const { value, done } = await reader.read();
    if (done) assert.fail(`the demo's output ended before ${pattern}:\n${seen.text}`);
    seen.text += value;
  }
}

Deno.test({
  name: "npm run demo -- --serve prints a kubeconfig that kubectl and the CLI read, and removes it on Ctrl-C",
  sanitizeResources: false,
  async fn() {
    const demo = serveDemo(120_000);
    const reader = demo.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const writer = demo.stdin.getWriter();
    const seen = { text: "" };
    try {
      const [, kubeconfig] = await readUntil(reader, seen, /export KUBECONFIG=(\S+)[^]*press Enter/);
      // The lines to paste are bare commands: zsh (macOS's shell) takes `#` as a word, not a comment, unless
      // interactive_comments is set, and an apostrophe after it left the paste waiting at `quote>`.
      const pasted = seen.text.match(/^ {2}\S.*$/gm) ?? [];
      assert.deepEqual(
        pasted.map((line) => line.trim().split(/\s+/)[0]),
        ["export", "kubectl", "npx", "npx"],
        seen.text,
      );
      for (const line of pasted) assert.match(line, /^[\w ./:=-]+$/, `not a bare command: ${line}`);
      const env = { ...process.env, KUBECONFIG: kubeconfig };
      /** The CLI's `--once --json` snapshot of a pasted `npx deno task cli ...` line's arguments. */
      const snapshotOf = async (line: string) => {
        const args = line.trim().split(/\s+/).slice(4);
        const cli = await run(process.execPath, ["run", "-A", "cli.ts", "--once", "--json", ...args], {
          cwd: root,
          env: childEnv(env),
          timeout: 60_000,
        });
        return { cli, snapshot: JSON.parse(cli.stdout) };
      };
      const [echoLine, zonedLine] = pasted.filter((line) => line.trim().startsWith("npx deno task cli "));
      // The pods of the first phase, as the CLI's watch sees them before the phases run.
      const { cli, snapshot } = await snapshotOf(echoLine);
      assert.deepEqual(snapshot.endpoints.map((endpoint: { podName: string }) => endpoint.podName).sort(), [
        "echo-0",
        "echo-1",
        "echo-2",
      ], cli.stdout);
      const kubectl = join(binaryCacheDirectory(), "kubectl-v1.36.3");
      if (existsSync(kubectl)) {
        // kubectl sends no token to an http:// server: the demo's fake API server must want none.
        const slices = await run(kubectl, ["get", "endpointslices", "-o", "name"], {
          env: childEnv(env),
          timeout: 20_000,
        });
        assert.equal(
          slices.stdout.trim(),
          ["echo-0", "echo-1", "echo-2"].map((name) => `endpointslice.discovery.k8s.io/${name}`).join("\n"),
        );
        const services = await run(kubectl, ["get", "services", "-o", "name"], { env: childEnv(env), timeout: 20_000 });
        assert.equal(services.stdout.trim(), "service/echo");
      }
      await writer.write(new TextEncoder().encode("\n"));
      await readUntil(reader, seen, /still serving/);
      // The zoned Service's line, pasted once the phases are done: a client in zone-a uses zone-a-0 alone.
      const zoned = await snapshotOf(zonedLine);
      assert.equal(zoned.snapshot.topology, "zone", zoned.cli.stdout);
      assert.deepEqual(
        zoned.snapshot.endpoints.filter((endpoint: { preferred: boolean }) => endpoint.preferred)
          .map((endpoint: { podName: string }) => endpoint.podName),
        ["zone-a-0"],
        zoned.cli.stdout,
      );
      assert.deepEqual(seen.text.match(/^\d+ calls, \d+ failed$/gm)?.map((line) => line.endsWith(" 0 failed")), [
        true,
        true,
      ], seen.text);
      demo.kill("SIGINT");
      assert.equal((await demo.status).code, 0);
      assert.equal(existsSync(kubeconfig), false, `the demo left ${kubeconfig}`);
    } finally {
      await writer.close().catch(() => {});
      await reader.cancel().catch(() => {});
      try {
        demo.kill("SIGTERM"); // which removes its kubeconfig too
      } catch {
        // It has ended.
      }
      await demo.status;
    }
  },
});

Deno.test({
  name: "npm run demo -- --serve removes its kubeconfig when its terminal closes (SIGHUP), as on Ctrl-C",
  sanitizeResources: false,
  async fn() {
    const demo = serveDemo(60_000);
    const reader = demo.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const [, kubeconfig] = await readUntil(reader, { text: "" }, /export KUBECONFIG=(\S+)[^]*press Enter/);
      demo.kill("SIGHUP");
      // A shell's code for a process that SIGHUP ended.
      assert.equal((await demo.status).code, 129);
      assert.equal(existsSync(kubeconfig), false, `the demo left ${kubeconfig}`);
    } finally {
      await demo.stdin.close().catch(() => {});
      await reader.cancel().catch(() => {});
      try {
        demo.kill("SIGKILL");
      } catch {
        // It has ended.
      }
      await demo.status;
    }
  },
});

Deno.test({
  name: "npm run demo -- --serve in a terminal that closes while it waits for Enter removes its kubeconfig",
  async fn() {
    // A tmux pane is the terminal; killing its server closes it, as closing a terminal window does.
    const folder = await Deno.makeTempDir({ prefix: "kgr-demo-tty-" });
    const tmux = (...args: string[]) =>
      run("tmux", ["-S", join(folder, "tmux.sock"), "-f", "/dev/null", ...args], { env: childEnv() });
    let pid: number | undefined;
    const alive = () => {
      try {
        return pid !== undefined && process.kill(pid, 0);
      } catch {
        return false;
      }
    };
    try {
      const demo = `exec ${Deno.execPath()} run -A --v8-flags=--max-old-space-size=1024 scripts/demo.ts --serve`;
      await tmux("new-session", "-d", "-x", "250", "-y", "20", "-c", root, "-s", "demo", demo);
      pid = Number((await tmux("display-message", "-p", "-t", "demo", "#{pane_pid}")).stdout.trim());
      let kubeconfig: string | undefined;
      for (const end = Date.now() + 60_000; kubeconfig === undefined; await new Promise((r) => setTimeout(r, 200))) {
        const { stdout } = await tmux("capture-pane", "-p", "-J", "-t", "demo");
        kubeconfig = stdout.match(/export KUBECONFIG=(\S+)[^]*press Enter/)?.[1];
        if (Date.now() > end) assert.fail(`the demo did not wait for Enter:\n${stdout}`);
      }
      assert.equal(existsSync(kubeconfig), true);
      await tmux("kill-server");
      for (const end = Date.now() + 10_000; alive() && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(), false, "the demo still runs after its terminal closed");
      assert.equal(existsSync(kubeconfig), false, `the demo left ${kubeconfig}`);
    } finally {
      await tmux("kill-server").catch(() => {});
      if (alive()) process.kill(pid!, "SIGKILL");
      await Deno.remove(folder, { recursive: true });
    }
  },
});
