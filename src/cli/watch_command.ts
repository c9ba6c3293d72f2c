/**
 * `kgr-resolver TARGET`: follows a target and shows it as a live table on
 * a terminal, else as one line (or, with `--json`, one JSON object) per
 * change; with `--once`, the first snapshot only.
 *
 * @module
 */

import { settledOnAbort } from "../runtime/abortable.ts";
import type { CliOutput, CliProcess } from "../runtime/cli_process.ts";
import { setPluginOutputSink, setWarningSink } from "../runtime/trace.ts";
import { inFlagTerms } from "./flag_terms.ts";
import {
  abandonConnect,
  type ClusterConnection,
  connectCluster,
  observeService,
  type ServiceView,
} from "./service_observer.ts";
import { lateAnswerAdvice, slowAccessAdvice, slowCredentialsAdvice } from "./timeout_advice.ts";
import { KubeApiError } from "../base/errors.ts";
import type { ClusterAccess } from "../cluster/types.ts";
import type { WatchCommand } from "./args.ts";
import { reachableAdvice, slowListAdvice } from "./reachable_advice.ts";
import { changeLine, changeSummary, problemLine, snapshotReport } from "./report.ts";
import { renderTable, withShownChanges } from "./table.ts";
import { displayClock } from "./display_clock.ts";
import { lastFailureText, READING_ACCESS, stoppedBy } from "./stopped_by.ts";
import { colorsWanted, createLiveFrame, type LiveFrame, painter, printable, takesEscapes } from "./terminal.ts";

/**
 * The exit codes of the interrupts that end following a target with 0: Ctrl-C, SIGTERM and a reader that went away
 * (130, 143, 141), how one stops it.
 */
const FOLLOWING_STOPPED_EXIT_CODES = [130, 143, 141];

/** How often the live table redraws without a change (for "changed 5s ago"), in ms. */
const TICK_MS = 1000;

/**
 * Runs the watch command until Ctrl-C (or, with `--once`, the first snapshot).
 *
 * @param command The parsed command line.
 * @param cli The process: streams, environment, Ctrl-C.
 * @returns The exit code: 0, or 1 when the cluster or the API failed (`--once`), timed out, or (`--once`) the target
 *   resolved to no usable pod or the WATCH after the LIST failed (credentials that may list but not watch); with
 *   `--once`, 130 on Ctrl-C (143 on SIGTERM, 141 when the reader of its output goes away), which ends following a
 *   target with 0; 131 on Ctrl-\ (SIGQUIT) and 129 on SIGHUP, with `--once` or not.
 * @throws {ConfigError} When no cluster access can be set up.
 *
 * @example
 * ```ts ignore
 * import { parseArgs } from "./args.ts";
 * import { runWatch } from "./watch_command.ts";
 * import { cliProcess } from "../runtime/cli_process.ts";
 * const code = await runWatch(parseArgs(["--once", "kubernetes:///echo.prod:grpc"]) as WatchCommand, cliProcess());
 * ```
 */
export async function runWatch(command: WatchCommand, cli: CliProcess): Promise<number> {
  const { stdout, stderr } = cli;
  const startedAt = displayClock.now();
  const controller = new AbortController();
  let code: number | undefined;
  const finish = (exitCode: number) => {
    code ??= exitCode;
    controller.abort();
  };
  const terminal = takesEscapes(stdout.isTTY, cli.env("TERM"));
  const live = terminal && !command.json && !command.once;
  const paint = painter(colorsWanted(terminal, cli.env("NO_COLOR")));
  const table = (view: ServiceView, isLive: boolean, stopped = false) => {
    const size = stdout.size() ?? { columns: Infinity, rows: Infinity };
    // A table printed once scrolls like any output: only a live one must fit the screen's height.
    if (!isLive && !frame) size.rows = Infinity;
    return renderTable(view, {
      input: command.input,
      server: connection.access.server,
      source: connection.access.source,
      origin: connection.access.origin,
      // Ages on the clock the view's times are on: a wall clock stepped back would freeze them at 0s.
      now: displayClock.now(),
      ...size,
      paint,
      live: isLive,
      stopped,
    });
  };
  let frame: LiveFrame | undefined;
  let latest: ServiceView | undefined;
  /** What was last printed off a terminal: the snapshot's number with --json, else the line's summary. */
  let printed: number | string | undefined;
  /** The pods of the line (or JSON object) printed last off a terminal: the next one says what changed since. */
  let printedPods: ServiceView["pods"];
  let problem: string | undefined;
  /** When the failures that `problem` is the last of began, on the display clock. */
  let failingSince = 0;
  /** How many exec plugins have the terminal: the live table waits for them, below what they wrote. */
  let pluginsOnTerminal = 0;
  const drawLive = () => {
    if (latest && pluginsOnTerminal === 0) (frame ??= createLiveFrame(stdout)).draw(table(latest, true));
  };
  /** --once's wait for a first snapshot. */
  let timer: ReturnType<typeof setTimeout> | undefined;
  const startTimer = () => {
    timer = setTimeout(() => {
      if (!connected) {
        stderr.write(
          `kgr-resolver: Cannot resolve ${JSON.stringify(command.input)}: ${
            slowAccessAdvice(command.timeoutSeconds)
          }\n`,
        );
        return finish(1);
      }
      if (snapshotCode === undefined && latest?.snapshot) return tooFewUsable(latest);
      timedOut(command, connection.access, credentialsObtained, latest, stderr, finish);
    }, command.timeoutSeconds * 1000);
  };
  /** --once's snapshot: JSON, a table on a terminal, else a line. */
  const printSnapshot = (view: ServiceView) => {
    if (command.json) stdout.write(`${JSON.stringify(snapshotReport(view, Date.now()))}\n`);
    else if (stdout.isTTY) stdout.write(table(view, false).map((line) => `${line}\n`).join(""));
    else stdout.write(`${changeLine(view, Date.now())}\n`);
  };
  /** How many pods were usable against how many --min-usable waits for (`within`: " within 120 s"), and why. */
  const shortfall = (view: ServiceView, within = "") => {
    const { endpoints, emptyReason } = view.snapshot!;
    const failing = view.watch.state === "retrying" ? `; the watch is failing: ${view.watch.error.message}` : "";
    return `${endpoints.length} usable pod${endpoints.length === 1 ? "" : "s"}${within}, not the ` +
      `${command.minUsable} that --min-usable waits for${emptyReason ? `: ${emptyReason}` : ""}${failing}`;
  };
  /** --min-usable's timeout: the last snapshot, and how many pods were usable against how many were awaited. */
  const tooFewUsable = (view: ServiceView) => {
    printSnapshot(view);
    stderr.write(`kgr-resolver: ${shortfall(view, ` within ${command.timeoutSeconds} s`)}\n`);
    finish(1);
  };
  /**
   * --once cut short by Ctrl-C or SIGTERM: what stopped it and how far it got, on standard error (a deploy Job's log
   * kept no word of it); standard output stays as it was.
   */
  const sayStopped = (exitCode: number) => {
    const by = stoppedBy(exitCode, displayClock.now() - startedAt);
    if (by === undefined) return;
    const failed = lastFailureText(latest?.lastFailure?.message);
    const progress = !connected
      ? `, before the first snapshot was read: ${READING_ACCESS}`
      : snapshotCode !== undefined
      ? `: the snapshot above is from a LIST, and its WATCH had not started${failed}`
      : latest?.snapshot
      ? `: ${shortfall(latest)}`
      : `, before the first snapshot was read: waiting for ${
        credentialsObtained ? awaitedAnswer(latest) : `credentials from ${connection.access.source}`
      }${failed}`;
    stderr.write(`kgr-resolver: ${by}${progress}\n`);
  };
  // Ctrl-C (or SIGTERM) is how one stops following a target, so 0; it cuts --once short, so 130 as for any Unix
  // tool. Ctrl-\ (SIGQUIT) and a closed terminal (SIGHUP) end either with their own code, 131 and 129. Registered
  // before the cluster is connected, as check's is: a signal while the kubeconfig is read gets its line too.
  const stopInterrupt = cli.onInterrupt((exitCode) => {
    if (command.once && code === undefined) sayStopped(exitCode);
    finish(command.once || !FOLLOWING_STOPPED_EXIT_CODES.includes(exitCode) ? exitCode : 0);
  });
  /** Whether `connection` is set: a signal or --timeout can come while the cluster is being connected. */
  let connected = false;
  // From the start: a kubeconfig whose read never ends (a FIFO, a hung mount) counts against --timeout too.
  if (command.once) startTimer();
  // Raced with the interrupt and --timeout: a kubeconfig that never comes (a FIFO, a hung mount) must not outlast
  // Ctrl-C, SIGTERM or --timeout.
  const connecting = connectCluster(command.cluster, (use) => {
    // The table waits while a plugin runs, and goes on below what it wrote, or in place when it wrote nothing (a
    // cached login renewed: below, each renewal would leave a copy of the table). What the plugin writes takes the
    // place of the last frame: left above it, the first frame's 'listing EndpointSlices...' stayed on screen, stale.
    if (use === "wrote") {
      if (live) frame?.erase();
      return;
    }
    pluginsOnTerminal += use === "start" ? 1 : -1;
    if (live && use === "start") frame?.pause();
    else if (live) drawLive();
    // --timeout does not count the time a plugin asks on the terminal: kubectl waits for the person who answers
    // it; it starts again once the plugin is done.
    if (!command.once || controller.signal.aborted) return;
    clearTimeout(timer);
    if (pluginsOnTerminal === 0) startTimer();
  });
  let connection: ClusterConnection;
  try {
    connection = await settledOnAbort(connecting, controller.signal);
  } catch (error) {
    clearTimeout(timer);
    stopInterrupt();
    if (code === undefined) throw error;
    await abandonConnect(connecting, cli, code);
    return code;
  }
  connected = true;

  const onView = (view: ServiceView) => {
    if (controller.signal.aborted) return;
    // "changed 5s ago" is about what the table shows: a change of hints alone would reset it while nothing moves.
    latest = live ? withShownChanges(latest, view) : view;
    if (command.once) return onFirstView(view);
    if (live) return drawLive();
    // A JSON object for every new snapshot (it shows zones, nodes and hints); a line only when it says something
    // new: a change that only the JSON shows (hints that topology does not use) would print the same line again.
    const current = !view.snapshot ? undefined : command.json ? view.changes : changeSummary(view);
    if (current !== undefined && current !== printed) {
      printed = current;
      const since = { since: printedPods };
      const text = command.json
        ? JSON.stringify(snapshotReport(view, Date.now(), since))
        : changeLine(view, Date.now(), since);
      stdout.write(`${text}\n`);
      printedPods = view.pods;
    }
    reportProblem(view);
  };
  /** With --once, the exit code the printed snapshot calls for, once it is printed. */
  let snapshotCode: number | undefined;
  /** With --min-usable, how many pods were usable at the last snapshot that was too few. */
  let usableWhileWaiting: number | undefined;
  const onFirstView = (view: ServiceView) => {
    if (snapshotCode !== undefined) return onWatchAfterSnapshot(view);
    const failure = view.watch.state === "retrying" ? view.watch.error : view.portError;
    // --min-usable, once it has a snapshot, waits on through a watch that breaks and resumes (a load balancer's idle
    // cut, an API server's restart): its timeout says how it ended. A refusal (401, 403) ends it at once.
    const waitingOn = command.minUsable !== undefined && view.snapshot !== undefined &&
      view.watch.state === "retrying" && passesBy(view.watch.error);
    if (failure && !waitingOn) {
      stderr.write(`kgr-resolver: ${failure.message}\n`);
      return finish(1);
    }
    if (!view.snapshot) return;
    // --min-usable waits for more: each snapshot until then is left unprinted, the last one printed at the timeout;
    // a person at a terminal is told how many there are meanwhile (a script's log is not).
    const usable = view.snapshot.endpoints.length;
    if (usable < (command.minUsable ?? 0)) {
      if (stderr.isTTY && usable !== usableWhileWaiting) {
        stderr.write(
          `kgr-resolver: ${usable} usable pod${usable === 1 ? "" : "s"}, waiting up to ${command.timeoutSeconds} s ` +
            `for ${command.minUsable} (--min-usable)\n`,
        );
      }
      usableWhileWaiting = usable;
      return;
    }
    printSnapshot(view);

    // A script's `kgr-resolver --once TARGET && deploy` must not go on when calls would fail; why, on standard
    // error as kubectl's "No resources found", not only at the end of a line that thousands of pods make long (a
    // table on a terminal says it in full).
    snapshotCode = view.snapshot.endpoints.length > 0 ? 0 : 1;
    if (snapshotCode === 1 && (command.json || !stdout.isTTY)) {
      stderr.write(
        `kgr-resolver: no usable pod, so calls fail with UNAVAILABLE: ${view.snapshot.emptyReason ?? "no pods"}\n`,
      );
    }
    onWatchAfterSnapshot(view);
  };
  /**
   * A snapshot from a LIST is not all a resolver needs: it then watches, and credentials that may list but not
   * watch leave it to list again after each refused watch, one backoff late. --once waits for the watch to start, or
   * fails with why not.
   */
  const onWatchAfterSnapshot = (view: ServiceView) => {
    if (view.watch.state === "watching") return finish(snapshotCode!);
    if (view.watch.state !== "retrying") return;
    // --min-usable's count came while the watch was down: it waits for the watch too, within --timeout.
    if (command.minUsable !== undefined && passesBy(view.watch.error)) return;
    const { error } = view.watch;
    const what = error instanceof KubeApiError && error.status === 403
      ? "a resolver with these credentials would see a change only when it lists again, up to 30 s late"
      : "the WATCH after it failed";
    stderr.write(`kgr-resolver: the snapshot above is from a LIST, but ${what}: ${error.message}\n`);
    finish(1);
  };
  /**
   * Off a terminal, a failure of the watch (and its end) is one line on standard error, with the time, as the lines of
   * changes on standard output have it: without, a log of both did not tell when the watch failed, nor for how long.
   */
  const reportProblem = (view: ServiceView) => {
    const failure = view.watch.state === "retrying" ? view.watch.error : view.portError;
    const text = failure?.message;
    if (text === problem || (text === undefined && view.watch.state !== "watching")) return;
    // The time of day is the wall clock's; how long the failures lasted is measured on the display clock, which a
    // step back of the wall clock (NTP) does not shorten to "less than 1 s".
    const now = displayClock.now();
    if (problem === undefined) failingSince = now;
    stderr.write(`kgr-resolver: ${problemLine(text, Date.now(), now - failingSince)}\n`);
    problem = text;
  };

  // An exec plugin's lines (kubelogin's device code: where to sign in) go above the live table, where they stay:
  // written to the same terminal beside it, they were drawn over at the next redraw, a second later. While a plugin
  // has the terminal, the table waits below what it writes.
  const pluginSink = live && stderr.isTTY
    ? setPluginOutputSink((line) =>
      frame && pluginsOnTerminal === 0 ? frame.print([printable(line)]) : stderr.write(`${line}\n`)
    )
    : undefined;
  // The library's warnings too (a Node refused after a read that failed for a reason that may pass, when the table is
  // up): beside it, the next redraw drew over the warning and drew the table again below the lines it pushed down.
  const warningSink = live && stderr.isTTY
    ? setWarningSink((text) => {
      const line = `kgr-resolver: ${text}`;
      if (frame && pluginsOnTerminal === 0) frame.print([printable(inFlagTerms(line))]);
      else stderr.write(`${line}\n`);
    })
    : undefined;
  // Ctrl-Z gives the shell back its cursor; after fg, the table starts again below what the shell wrote (drawn from
  // where it was, it would go up over the shell's lines and leave part of the old table above).
  const stopSuspend = live
    ? cli.onSuspend?.({
      suspend: () => frame?.release(),
      resume: drawLive,
    })
    : undefined;
  // Keeps "changed 5s ago" current.
  const ticker = live ? setInterval(drawLive, TICK_MS) : undefined;
  // A terminal made smaller rewraps the lines drawn for its old width: redraw for the new one at once, not at the
  // next tick, up to a second of a garbled screen later.
  const stopResize = live ? stdout.onResize?.(drawLive) : undefined;
  // Whether the credentials came in time, as `check` tells: an exec plugin still running at the timeout means the
  // API server was never asked. The plugin runs once for both (its credentials run it once at a time); a failure is
  // the watch's to report.
  let credentialsObtained = false;
  if (command.once) {
    connection.access.credentials.authorization().then(() => credentialsObtained = true, () => {});
  }
  try {
    await observeService(connection, command.target, {
      signal: controller.signal,
      locality: command.locality,
      subset: command.subset,
      protobuf: command.protobuf,
      onView,
    });
  } finally {
    if (pluginSink) setPluginOutputSink(pluginSink);
    if (warningSink) setWarningSink(warningSink);
    clearInterval(ticker);
    stopResize?.();
    clearTimeout(timer);
    stopInterrupt();
    stopSuspend?.();
    if (frame && latest) frame.draw(table(latest, false, true));
    frame?.finish();
    connection.client.close();
  }
  return code ?? 0;
}

/** Whether a failure of the watch passes by itself: a connection broken, a server restarting, busy or expired (410). */
function passesBy(error: Error): boolean {
  if (!(error instanceof KubeApiError)) return false;
  return error.status === undefined || error.status === 410 || error.status === 429 || error.status >= 500;
}

/**
 * What the first snapshot waits for: the Service's first port (the watch is up, for a target without a port whose
 * slices have several), else the first list of its EndpointSlices.
 */
function awaitedAnswer(latest: ServiceView | undefined): string {
  return latest?.port === undefined && latest?.watch.state === "watching"
    ? "the Service's first port"
    : "the first list of its EndpointSlices";
}

function timedOut(
  command: WatchCommand,
  access: Pick<ClusterAccess, "server" | "source" | "credentials" | "proxyUrl" | "proxySource">,
  credentialsObtained: boolean,
  latest: ServiceView | undefined,
  stderr: CliOutput,
  finish: (code: number) => void,
): void {
  if (latest?.snapshot) {
    // The LIST answered: only the WATCH after it did not start.
    stderr.write(
      `kgr-resolver: the snapshot above is from a LIST, but no WATCH started within ${command.timeoutSeconds} s: ` +
        `a resolver would not see changes; check the API server at ${access.server}, or raise --timeout\n`,
    );
    return finish(1);
  }
  if (!credentialsObtained) {
    // An exec plugin still running (one that waits for a browser or a prompt, say), or a token file whose read
    // hangs: the server was never asked.
    stderr.write(
      `kgr-resolver: Cannot resolve ${JSON.stringify(command.input)}: no credentials within ` +
        `${command.timeoutSeconds} s from ${access.source}: ${slowCredentialsAdvice(access.credentials)}\n`,
    );
    return finish(1);
  }
  if (latest?.listArriving) {
    stderr.write(
      `kgr-resolver: Cannot resolve ${JSON.stringify(command.input)}: ` +
        `${slowListAdvice(access, command.timeoutSeconds)}\n`,
    );
    return finish(1);
  }
  const waiting = awaitedAnswer(latest);
  // The server answered, with a failure the watch waits out before it reports one (a 429 asking to wait, say).
  const failure = latest?.lastFailure;
  stderr.write(
    failure
      ? `kgr-resolver: Cannot resolve ${JSON.stringify(command.input)} within ${command.timeoutSeconds} s ` +
        `(waiting for ${waiting}): ${lateAnswerAdvice(failure)}\n`
      : `kgr-resolver: Cannot resolve ${JSON.stringify(command.input)}: no answer within ${command.timeoutSeconds} s ` +
        `(waiting for ${waiting}): ${reachableAdvice(access)}\n`,
  );
  finish(1);
}
