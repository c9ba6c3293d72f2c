// The live table as a person sees it: the CLI runs in a real pseudo-terminal (a tmux pane, 120x30), and
// the test reads the screen tmux keeps, after the first snapshot, after a scale-up and after Ctrl-C, on
// Deno (cli.ts), Node and Bun (dist/cli.js, from `npm run build`). Needs tmux (apt-get install tmux).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoSlice, startCluster, TARGET } from "./_cluster.mjs";
import { childEnv } from "../_child_env.mjs";
import { tempDir } from "../_temp_dir.ts";
import { onExit } from "../e2e/lifeline.ts";

const root = new URL("../../", import.meta.url).pathname;
const RUNTIMES: Record<string, string> = {
  Deno: `${root}node_modules/.bin/deno run -A ${root}cli.ts`,
  Node: `node ${root}dist/cli.js`,
  Bun: `${root}node_modules/.bin/bun ${root}dist/cli.js`,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A tmux server of our own (its socket in a folder of its own; `using`, or the end of this process, removes both),
 * with one pane of `columns` columns and `rows` lines running `command`.
 */
function startPane(name: string, command: string, rows = 30, columns = 120) {
  const folder = mkdtempSync(join(tmpdir(), `kgr-tty-${name}-`));
  const socket = join(folder, "tmux.sock");
  // Not the NO_COLOR of whoever runs the tests (empty means unset; Deno's child_process adds to its own
  // environment, so leaving the variable out would not remove it).
  const env = { ...Deno.env.toObject(), NO_COLOR: "" };
  const tmux = (...args: string[]) =>
    execFileSync("tmux", ["-S", socket, "-f", "/dev/null", ...args], { encoding: "utf8", env: childEnv(env) });
  try {
    tmux("new-session", "-d", "-x", String(columns), "-y", String(rows), "-s", "cli", command);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`Cannot start tmux, which this test needs (apt-get install tmux): ${error}`);
  }
  // A killed `deno test` (Ctrl-C, a time limit) runs no `finally`: the server would go on running the command. The
  // server is killed by its pid, as its socket may be gone by then (scripts/deno_test.mjs removes the TMPDIR).
  const server = tmux("display-message", "-p", "#{pid}").trim();
  const tie = onExit('kill "$1" 2>/dev/null; rm -rf -- "$2"', [server, folder]);
  return {
    /** The screen as text, without trailing blank lines. */
    screen: () => tmux("capture-pane", "-p", "-t", "cli").trimEnd(),
    /** The screen with its colours (escape sequences). */
    colours: () => tmux("capture-pane", "-p", "-e", "-t", "cli"),
    /** The process id of the pane's command. */
    pid: () => tmux("display-message", "-p", "-t", "cli", "#{pane_pid}").trim(),
    cursorVisible: () => tmux("display-message", "-p", "-t", "cli", "#{cursor_flag}").trim() === "1",
    /** Lines scrolled off the top of the pane into its scrollback. */
    history: () => Number(tmux("display-message", "-p", "-t", "cli", "#{history_size}").trim()),
    keys: (...keys: string[]) => tmux("send-keys", "-t", "cli", ...keys),
    resize: (columns: number, rows: number) =>
      tmux("resize-window", "-t", "cli", "-x", String(columns), "-y", String(rows)),
    /** Stops the tmux server and removes its folder, also when tmux has already gone. */
    [Symbol.dispose]() {
      // Untied after: untie() runs the tie's script now and then on Deno (6 of 40 times), which kills the server.
      try {
        tmux("kill-server");
      } finally {
        tie.untie();
        rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}

async function screenShowing(pane: ReturnType<typeof startPane>, text: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  while (true) {
    const screen = pane.screen();
    if (screen.includes(text)) return screen;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${JSON.stringify(text)} on the screen:\n${screen}`);
    await sleep(100);
  }
}

const count = (text: string, part: string) => text.split(part).length - 1;
/** The text without white space: a line the terminal wrapped at a space loses that space in a capture. */
const squeezed = (text: string) => text.replace(/\s+/g, "");

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name:
      `kgr-resolver on ${runtime} in a terminal: a live table that redraws in place, and a clean screen after Ctrl-C`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      await using cluster = await startCluster();
      using pane = startPane(
        runtime,
        `${cli} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}; echo kgr-exit=$?; sleep 600`,
      );
      const first = await screenShowing(pane, "3 used, 2 not used");
      assert.ok(!pane.cursorVisible(), "the cursor is hidden while the table is live");
      assert.ok(pane.colours().includes("\x1b[32mused"), "used rows are green on a terminal");
      // The header names the flag that changed the cluster access, not the library's option; too wide for the
      // pane, where it came from goes on a line of its own (wrapped in turn when the run's TMPDIR makes the
      // kubeconfig's path long).
      assert.match(first, /^cluster http:\/\/127\.0\.0\.1:\d+\n {2}from kubeconfig /m);
      assert.match(
        first.replaceAll(/\n {2}(?!from )/g, " "),
        /^ {2}from kubeconfig \S+ \(context "fake-api-server"\) with --namespace$/m,
      );
      assert.doesNotMatch(first, /cluster\./);
      assert.match(
        first,
        /^echo-old +10\.1\.0\.50:8080 +a +node-0 +no +yes +yes +not used: terminating while others are ready$/m,
      );

      cluster.api.applySlice(echoSlice(4));
      const scaled = await screenShowing(pane, "4 used, 2 not used");
      console.log(`--- ${runtime}, after a scale-up:\n${scaled}`);
      assert.match(scaled, /^echo-3 +10\.1\.0\.4:8080 +b +node-1 +yes +yes +no +used$/m);
      assert.equal(count(scaled, "POD "), 1, "one table, redrawn in place");
      assert.equal(count(scaled, TARGET), 1);
      assert.match(scaled, new RegExp(`resourceVersion ${cluster.api.resourceVersion} +changed \\d+s ago +watching`));
      // The table redraws every second ("changed 5s ago"): tmux keeps a copy of the screen in the scrollback
      // each time it is cleared from its top-left corner, so a redraw that does so fills the scrollback.
      await sleep(2_500);
      assert.equal(pane.history(), 0, "redraws leave nothing in the scrollback");

      pane.keys("C-c");
      const after = await screenShowing(pane, "kgr-exit=");
      console.log(`--- ${runtime}, after Ctrl-C:\n${after}`);
      const lines = after.split("\n");
      assert.equal(lines.at(-1), "kgr-exit=0");
      assert.equal(lines.at(-2), "4 used, 2 not used", "the last frame stays, without the Ctrl-C hint");
      assert.equal(count(after, "POD "), 1);
      assert.ok(!after.includes("^C"), "the echoed ^C is cleared");
      assert.ok(pane.cursorVisible(), "the cursor is shown again");
    },
  });
}

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name: `kgr-resolver on ${runtime} shows the cursor when Ctrl-Z stops its live table, and draws it whole after fg`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      await using cluster = await startCluster();
      // An interactive shell, for its job control (Ctrl-Z, fg), tall enough to keep both tables on screen.
      using pane = startPane(`suspend-${runtime}`, "bash --norc --noprofile -i", 60);
      pane.keys(`${cli} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}`, "Enter");
      await screenShowing(pane, "3 used, 2 not used");
      assert.ok(!pane.cursorVisible(), "the cursor is hidden while the table is live");
      pane.keys("C-z");
      await screenShowing(pane, "Stopped");
      // The shell has the terminal again: its cursor was left hidden, and what one typed did not show where.
      assert.ok(pane.cursorVisible(), "the cursor shows at the shell's prompt");
      pane.keys("fg", "Enter");
      cluster.api.applySlice(echoSlice(4));
      const screen = await screenShowing(pane, "4 used, 2 not used");
      console.log(`--- ${runtime}, after Ctrl-Z and fg:\n${screen}`);
      // The table goes on below what the shell wrote, whole: not moved up over the shell's lines, where it
      // overwrote some and left parts of the old table above.
      const resumed = screen.slice(screen.lastIndexOf("# fg\n"));
      assert.ok(screen.indexOf("Stopped") < screen.lastIndexOf("# fg\n"), screen);
      assert.equal(count(resumed, "service e2e/echo"), 1, screen);
      assert.equal(count(resumed, "POD "), 1, screen);
      await sleep(1_500);
      const later = pane.screen();
      assert.equal(count(later.slice(later.lastIndexOf("# fg\n")), "POD "), 1, `redrawn in place:\n${later}`);
      assert.ok(!pane.cursorVisible(), "the cursor is hidden again while the table is live");
    },
  });
}

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  for (const [signal, exitCode] of [["SIGQUIT", 131], ["SIGHUP", 129]] as const) {
    Deno.test({
      name:
        `kgr-resolver on ${runtime} shows the cursor again when ${signal} ends its live table, and exits ${exitCode}`,
      sanitizeOps: false,
      sanitizeResources: false,
      async fn() {
        if (runtime !== "Deno") {
          assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
        }
        await using cluster = await startCluster();
        // An interactive shell, which ignores the SIGQUIT of Ctrl-\ that its foreground job gets.
        using pane = startPane(`${signal}-${runtime}`, "bash --norc --noprofile -i");
        // The line typed does not show the words the shell prints after.
        pane.keys(
          `${cli} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}; printf 'kgr-%s=%s\\n' exit $?`,
          "Enter",
        );
        await screenShowing(pane, "3 used, 2 not used");
        assert.ok(!pane.cursorVisible(), "the cursor is hidden while the table is live");
        if (signal === "SIGQUIT") pane.keys("C-\\");
        else {
          // What a closed terminal window sends the job; the CLI is the shell's only child.
          const shell = pane.pid();
          const job = execFileSync("ps", ["-o", "pid=", "--ppid", shell], { encoding: "utf8" }).trim();
          execFileSync("kill", ["-HUP", job]);
        }
        const screen = await screenShowing(pane, "kgr-exit=");
        console.log(`--- ${runtime}, after ${signal}:\n${screen}`);
        assert.match(screen, new RegExp(`^kgr-exit=${exitCode}$`, "m"), screen);
        assert.ok(!screen.includes("core dumped"), screen);
        assert.ok(pane.cursorVisible(), "the cursor shows at the shell's prompt");
      },
    });
  }
}

Deno.test({
  name: "kgr-resolver --once in a terminal prints the whole table once, without colours under NO_COLOR",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    using pane = startPane(
      "once",
      `NO_COLOR=1 ${RUNTIMES.Deno} --once --kubeconfig ${cluster.kubeconfig} ${TARGET}; echo kgr-exit=$?; sleep 600`,
      8,
    );
    const screen = await screenShowing(pane, "kgr-exit=");
    // A table printed once scrolls like any output: every pod is there, even in a pane of 8 lines.
    assert.match(screen, /^echo-old .*\n\n3 used, 2 not used\nkgr-exit=0$/m);
    assert.ok(!screen.includes("more pods"), screen);
    assert.ok(!pane.colours().includes("\x1b[3"), "no colour under NO_COLOR");
    assert.ok(pane.cursorVisible());
  },
});

Deno.test({
  name: "kgr-resolver in a terminal whose TERM is dumb prints a line per change, with no escape sequence",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
    await using cluster = await startCluster();
    // Emacs's shell sets TERM=dumb: cursor moves and colours would show there as text.
    using pane = startPane("dumb", `TERM=dumb ${RUNTIMES.Node} --kubeconfig ${cluster.kubeconfig} ${TARGET}`);
    await screenShowing(pane, "3 used:");
    cluster.api.applySlice(echoSlice(4));
    const screen = await screenShowing(pane, "4 used:");
    assert.equal(screen.split("\n").filter((line) => / rv \d+ /.test(line)).length, 2, screen);
    assert.ok(!pane.colours().includes("\x1b[3"), "no colour");
    assert.ok(pane.cursorVisible(), "the cursor is left alone");
    assert.ok(!screen.includes("POD "), "no table");
  },
});

Deno.test({
  name: "kgr-resolver check in an 80-column terminal wraps its lines at spaces, a step's under its column",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    // Without a port, the target gets a long "get services" step; a missing Service, a long closing line.
    const check = `${RUNTIMES.Deno} check --kubeconfig ${cluster.kubeconfig}`;
    using pane = startPane(
      "check",
      `${check} kubernetes:///echo.e2e; ${check} kubernetes:///missing-service.e2e:grpc; echo kgr-exit=$?; sleep 600`,
      60,
      80,
    );
    const screen = await screenShowing(pane, "kgr-exit=1");
    assert.match(
      screen,
      /^ok {7}get {7}services in namespace e2e \(optional: a target without a port\n {19}reads the Service when/m,
    );
    assert.match(
      screen,
      /^FAILED: kubernetes:\/\/\/missing-service\.e2e:grpc resolves to no usable pod; see\nthe resolve step above$/m,
    );
  },
});

Deno.test({
  name: "kgr-resolver in a 40-column terminal shows each pod's USED whole, on lines of its own under its row",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    using pane = startPane("narrow", `${RUNTIMES.Deno} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}`, 30, 40);
    const screen = await screenShowing(pane, "3 used, 2 not used");
    // Was: "echo-old  10.1.0.50:8080  not used: ter…" and "echo-new  10.1.0.51:8080  not used: not…".
    assert.match(screen, /^echo-old +10\.1\.0\.50:8080 .*\n {2}not used: terminating while others are\n {2}ready$/m);
    assert.match(screen, /^echo-new +10\.1\.0\.51:8080 .*\n {2}not used: not ready$/m);
    // The table only: the header cuts a kubeconfig path wider than the pane (the suite's TMPDIR is long).
    const table = screen.slice(screen.indexOf("\nPOD "));
    assert.ok(!table.includes("…"), screen);
  },
});

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name: `kgr-resolver on ${runtime} redraws its live table for a terminal's new size at once, not at the next tick`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      await using cluster = await startCluster();
      using pane = startPane(`resize-${runtime}`, `${cli} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}`);
      await screenShowing(pane, "3 used, 2 not used");
      cluster.api.applySlice(echoSlice(4)); // "changed 0s ago", which the ticks then count up
      await screenShowing(pane, "changed 1s ago");
      // Right after a tick, the next one is a second away.
      await screenShowing(pane, "changed 2s ago");
      pane.resize(60, 30);
      const resized = Date.now();
      // At 60 columns, NODE, ZONE, TERMINATING, SERVING and READY give way to USED.
      let screen = pane.screen();
      while (!/^POD +ADDRESS +USED$/m.test(screen) && Date.now() - resized < 5_000) {
        await sleep(20);
        screen = pane.screen();
      }
      const ms = Date.now() - resized;
      assert.ok(ms < 500, `the table for 60 columns came ${ms} ms after the resize:\n${screen}`);
    },
  });
}

Deno.test({
  name: "kgr-resolver on Deno in a terminal, with the README's --allow-env list, asks for no TERM or NO_COLOR access",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    const readme = await Deno.readTextFile(`${root}README.md`);
    const listed = /`(--allow-env=[^`]+)`/.exec(readme)![1];
    const deno = `${root}node_modules/.bin/deno run --allow-net ${listed} --allow-read=${cluster.kubeconfig}`;
    using pane = startPane(
      "permissions",
      `${deno} ${root}cli.ts --once --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}; echo kgr-exit=$?; sleep 600`,
    );
    // Deno asked on the terminal ("Deno requests env access to "TERM"") and the table waited for an answer.
    const screen = await screenShowing(pane, "kgr-exit=", 15_000);
    assert.doesNotMatch(screen, /Deno requests/);
    assert.match(screen, /^3 used, 2 not used\nkgr-exit=0$/m);
  },
});

/**
 * A kubeconfig for `cluster` whose user's exec plugin, `name` in `folder`, is the shell script `lines`, with
 * `interactiveMode: IfAvailable`: on a terminal, it may ask there.
 */
function terminalPluginKubeconfig(
  cluster: Awaited<ReturnType<typeof startCluster>>,
  folder: string,
  name: string,
  lines: string[],
): string {
  const plugin = join(folder, name);
  Deno.writeTextFileSync(plugin, ["#!/bin/sh", ...lines].join("\n"));
  Deno.chmodSync(plugin, 0o755);
  const kubeconfig = JSON.parse(Deno.readTextFileSync(cluster.kubeconfig));
  kubeconfig.users[0].user = {
    exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "IfAvailable" },
  };
  const path = join(folder, "kubeconfig.json");
  Deno.writeTextFileSync(path, JSON.stringify(kubeconfig));
  return path;
}

/**
 * A kubeconfig for `cluster` whose user's exec plugin asks for a password on the terminal (without echo) and gives
 * the fake API server's token for `hunter2`; it fails when kubectl would not have let it ask.
 */
function askingKubeconfig(cluster: Awaited<ReturnType<typeof startCluster>>, folder: string): string {
  return terminalPluginKubeconfig(cluster, folder, "ask-password", [
    `case "$KUBERNETES_EXEC_INFO" in *'"interactive":true'*) ;; *) echo "not interactive: $KUBERNETES_EXEC_INFO" >&2; exit 1;; esac`,
    '[ -t 0 ] || { echo "standard input is not a terminal" >&2; exit 1; }',
    "printf 'Password: ' >&2",
    "stty -echo; read -r answer; stty echo; echo >&2",
    '[ "$answer" = hunter2 ] || { echo "wrong password" >&2; exit 1; }',
    `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"cli-test-token"}}'`,
  ]);
}

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name: `kgr-resolver on ${runtime} in a terminal lets an exec plugin ask for a password there, as kubectl does`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      await using cluster = await startCluster();
      await using folder = await tempDir("kgr-tty-plugin-");
      const kubeconfig = askingKubeconfig(cluster, folder.path);
      using pane = startPane(
        `plugin-${runtime}`,
        `${cli} --once --kubeconfig ${kubeconfig} -n e2e ${TARGET}; echo kgr-exit=$?; sleep 600`,
      );
      // The prompt shows while the plugin waits for the answer, though it has no line break.
      await screenShowing(pane, "Password:");
      pane.keys("hunter2", "Enter");
      const screen = await screenShowing(pane, "kgr-exit=");
      console.log(`--- ${runtime}, after the password:\n${screen}`);
      assert.match(screen, /^3 used, 2 not used\nkgr-exit=0$/m);
      assert.ok(!screen.includes("hunter2"), "the plugin turned the echo off");
    },
  });
}

Deno.test({
  name: "kgr-resolver's live table waits below an exec plugin's prompt, and does not draw over it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    await using folder = await tempDir("kgr-tty-plugin-");
    const kubeconfig = askingKubeconfig(cluster, folder.path);
    using pane = startPane("plugin-live", `${RUNTIMES.Node} --kubeconfig ${kubeconfig} -n e2e ${TARGET}`);
    await screenShowing(pane, "Password:");
    // The table's clock ticks every second: the prompt stays through two ticks, with the cursor after it.
    await sleep(2_500);
    assert.match(pane.screen(), /^Password: ?$/m);
    assert.ok(pane.cursorVisible(), "the cursor shows while the plugin asks");
    pane.keys("hunter2", "Enter");
    const screen = await screenShowing(pane, "3 used, 2 not used");
    console.log(`--- after the password:\n${screen}`);
    // The live table goes on below the prompt, which stays.
    assert.ok(screen.indexOf("Password:") < screen.indexOf("POD "), screen);
    await sleep(1_500);
    const after = pane.screen();
    // The frame drawn before the plugin wrote (the header over 'listing EndpointSlices...') is gone, not left above.
    assert.equal(count(after, TARGET), 1, `one table, redrawn in place, no frame left above the prompt:\n${after}`);
    assert.ok(!pane.cursorVisible(), "the cursor is hidden again while the table is live");
  },
});

Deno.test({
  name: "kgr-resolver's live table leaves no stale frame above what an exec plugin with the terminal writes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    await using folder = await tempDir("kgr-tty-plugin-");
    // A device-code login with the terminal (interactiveMode IfAvailable): says where to sign in, waits, answers.
    const signIn = "To sign in, open https://login.example.invalid/device and enter code ABCD-EFGH";
    const path = terminalPluginKubeconfig(cluster, folder.path, "device-login", [
      `echo "${signIn}" >&2`,
      "sleep 1",
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"cli-test-token"}}'`,
    ]);
    using pane = startPane("plugin-stale", `${RUNTIMES.Deno} --kubeconfig ${path} -n e2e ${TARGET}`, 24, 80);
    await screenShowing(pane, "3 used, 2 not used");
    await sleep(1_200); // a tick's redraw after it
    const screen = pane.screen();
    console.log(`--- after the login:\n${screen}`);
    // Was: the header and 'listing EndpointSlices...' of the first frame, then the plugin's line, then the table.
    assert.ok(!screen.includes("listing EndpointSlices"), `a stale frame is left:\n${screen}`);
    assert.equal(count(screen, TARGET), 1, `one table:\n${screen}`);
    assert.ok(screen.startsWith(signIn), `the plugin's line first, then the table:\n${screen}`);
  },
});

for (const args of ["--once", "check"]) {
  Deno.test({
    name: `kgr-resolver ${args} does not count the time an exec plugin asks on the terminal in --timeout`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using cluster = await startCluster();
      await using folder = await tempDir("kgr-tty-plugin-");
      const kubeconfig = askingKubeconfig(cluster, folder.path);
      using pane = startPane(
        `plugin-timeout-${args}`,
        `${RUNTIMES.Node} ${args} --timeout 1 --kubeconfig ${kubeconfig} -n e2e ${TARGET}; echo kgr-exit=$?; sleep 600`,
      );
      await screenShowing(pane, "Password:");
      // kubectl waits for the person who answers; cut short, the plugin was left reading the terminal, echo off.
      await sleep(2_000);
      assert.ok(!pane.screen().includes("kgr-exit="), pane.screen());
      pane.keys("hunter2", "Enter");
      const screen = await screenShowing(pane, "kgr-exit=");
      console.log(`--- ${args}, after the password:\n${screen}`);
      assert.match(screen, args === "check" ? /^ok +user +/m : /^3 used, 2 not used$/m);
    },
  });
}

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name: `kgr-resolver on ${runtime} keeps an exec plugin's login instructions on screen above its live table`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      await using cluster = await startCluster();
      // kubelogin's devicecode login: says where to sign in (a line wider than the pane), waits, then answers.
      const signIn = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the " +
        "code ABCD1234 to authenticate.";
      const config = JSON.parse(await Deno.readTextFile(cluster.kubeconfig));
      config.users[0].user = {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "sh",
          args: [
            "-c",
            `echo "${signIn}" >&2; sleep 2.5; echo "Signed in." >&2; echo '{"apiVersion": ` +
            `"client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "cli-test-token"}}'`,
          ],
          interactiveMode: "Never",
        },
      };
      await Deno.writeTextFile(cluster.kubeconfig, JSON.stringify(config));
      using pane = startPane(
        `plugin-${runtime}`,
        `${cli} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}`,
        30,
        100,
      );
      // The table redraws every second while the plugin waits: it must not draw over the instructions.
      await screenShowing(pane, "listing");
      await sleep(1_500);
      const waiting = pane.screen();
      assert.ok(squeezed(waiting).includes(squeezed(signIn)), `the instructions are gone:\n${waiting}`);
      // A window made narrower while the plugin waits: the table clears the screen for its new width.
      pane.resize(90, 30);
      await sleep(500);
      const resized = pane.screen();
      assert.ok(
        squeezed(resized).includes(squeezed(signIn)),
        `the instructions are gone after a resize:\n${resized}`,
      );
      const screen = await screenShowing(pane, "3 used, 2 not used");
      await sleep(1_200); // a tick's redraw after it
      const after = pane.screen();
      console.log(`--- ${runtime}, after the login:\n${after}`);
      assert.ok(squeezed(after).includes(squeezed(signIn)), `the instructions are gone:\n${after}`);
      assert.match(after, /^Signed in\.$/m);
      assert.equal(count(after, TARGET), 1, `one table, redrawn in place:\n${screen}\n---\n${after}`);
      assert.ok(after.indexOf("Signed in.") < after.indexOf(TARGET), "the plugin's lines stay above the table");
    },
  });
}

Deno.test({
  name: "kgr-resolver's live table stays in place when an exec plugin with the terminal runs again and writes nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    await using folder = await tempDir("kgr-tty-plugin-");
    // A cached login, as kubelogin's or aws's: a token for 11 s, so renewed at once (10 s before), and not a word.
    const path = terminalPluginKubeconfig(cluster, folder.path, "cached-login", [
      `echo run >> ${join(folder.path, "runs")}`,
      `expires=$(date -u -d '+11 seconds' +%Y-%m-%dT%H:%M:%SZ)`,
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"cli-test-token","expirationTimestamp":"%s"}}' "$expires"`,
    ]);
    const runs = () => Deno.readTextFileSync(join(folder.path, "runs")).split("\n").length - 1;
    using pane = startPane("plugin-again", `${RUNTIMES.Node} --kubeconfig ${path} -n e2e ${TARGET}`);
    await screenShowing(pane, "3 used, 2 not used");
    const before = runs();
    // The watch ends, as a server's does after its timeout: the next one runs the plugin for a new token, once the
    // last one is due for renewal (within a second).
    const end = Date.now() + 10_000;
    while (runs() === before && Date.now() < end) {
      cluster.api.endWatches();
      await sleep(300);
    }
    assert.ok(runs() > before, "the plugin ran again");
    await sleep(1_500);
    const screen = pane.screen();
    assert.equal(count(screen, "POD "), 1, `one table, redrawn in place:\n${screen}`);
    assert.equal(pane.history(), 0, "nothing scrolled off");
    assert.ok(!pane.cursorVisible(), "the cursor is hidden again while the table is live");
  },
});

/** An exec plugin that reads a password with the echo off, as a shell script does: Ctrl-C kills it before it turns the
 * echo back on. */
const PASSWORD_LOGIN = ["printf 'Password: ' >&2", "stty -echo", "read -r password", "stty echo", "exit 1"];

/**
 * A kubeconfig in `folder` whose exec plugin is the shell script `lines`, for a server never asked: Ctrl-C comes
 * while the plugin runs.
 */
function pluginConfig(folder: string, lines: string[]): string {
  const plugin = join(folder, "plugin");
  Deno.writeTextFileSync(plugin, ["#!/bin/sh", ...lines].join("\n"));
  Deno.chmodSync(plugin, 0o755);
  const path = join(folder, "kubeconfig.json");
  Deno.writeTextFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{
        name: "u",
        user: {
          exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "IfAvailable" },
        },
      }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      "current-context": "c",
    }),
  );
  return path;
}

/**
 * Runs `command` in a pane with the plugin `lines`, presses Ctrl-C at its prompt unless `keys` is false, and returns
 * the screen and the terminal's modes once the command ended.
 */
async function ctrlCAtPrompt(
  name: string,
  command: string,
  lines = PASSWORD_LOGIN,
  keys = true,
): Promise<{ screen: string; modes: string }> {
  await using folder = await tempDir("kgr-tty-ctrl-c-");
  const modes = join(folder.path, "modes");
  // An interactive shell runs the command and reads the terminal's modes once it ended, as a person's does.
  using pane = startPane(name, "bash --norc --noprofile -i");
  pane.keys(`${command} --kubeconfig ${pluginConfig(folder.path, lines)}; stty -a > ${modes}`, "Enter");
  if (keys) {
    await screenShowing(pane, "Password:");
    await sleep(300);
    pane.keys("C-c");
  }
  const end = Date.now() + 10_000;
  while (!existsSync(modes) || Deno.readTextFileSync(modes) === "") {
    assert.ok(Date.now() < end, `the command did not end on Ctrl-C:\n${pane.screen()}`);
    await sleep(100);
  }
  await sleep(100);
  return { screen: pane.screen(), modes: Deno.readTextFileSync(modes) };
}

for (const [runtime, cli] of Object.entries(RUNTIMES)) {
  Deno.test({
    name: `kgr-resolver on ${runtime} leaves the terminal's echo on after Ctrl-C at an exec plugin's password prompt`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      // kubectl, killed by the same signal, has the shell put the echo back.
      const { modes } = await ctrlCAtPrompt(`echo-${runtime}`, `${cli} -n e2e ${TARGET}`);
      assert.match(modes, /(?<![-\w])echo(?![\w])/, "the echo is left off");
    },
  });

  Deno.test({
    name: `kgr-resolver check on ${runtime} reports no failure of the exec plugin that Ctrl-C ended`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (runtime !== "Deno") assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
      // The SIGINT reaches the plugin too, which may end first (kubectl prints nothing): here it ends 300 ms before
      // the command gets its own, as on a loaded machine.
      const lateSignal = ["printf 'Password: ' >&2", "(sleep 0.3; kill -INT $PPID) >/dev/null 2>&1 &", "kill -INT $$"];
      const { screen } = await ctrlCAtPrompt(`check-${runtime}`, `${cli} check ${TARGET}`, lateSignal, false);
      assert.doesNotMatch(screen, /SIGINT|FAILED|by hand/, screen);
    },
  });
}

Deno.test({
  name: "kgr-resolver on Bun under nohup (SIGHUP ignored), its output not a terminal, still follows after a SIGHUP",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Bun keeps the SIGHUP that nohup ignores ignored (Node and Deno reset it): a SIGHUP listener, which only a live
    // table needs (to show the cursor again), ended a `nohup kgr-resolver ... &` when its terminal closed.
    assert.ok(existsSync(`${root}dist/cli.js`), "dist/cli.js is missing: run npm run build");
    await using cluster = await startCluster();
    const child = spawn("bash", [
      "-c",
      `trap '' HUP; exec ${RUNTIMES.Bun} --kubeconfig ${cluster.kubeconfig} -n e2e ${TARGET}`,
    ], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => output += chunk);
    const exited = new Promise<string>((resolve) => child.on("exit", () => resolve("ended")));
    try {
      for (let i = 0; i < 100 && !output.includes("echo"); i++) await sleep(100);
      assert.ok(output.includes("echo"), output);
      process.kill(child.pid!, "SIGHUP");
      const after = await Promise.race([exited, sleep(1500).then(() => "still following")]);
      assert.equal(after, "still following");
    } finally {
      if (child.exitCode === null) process.kill(child.pid!, "SIGTERM");
      await exited;
    }
  },
});
