/**
 * The only runtime-specific part of exec credential plugins: running the
 * command. `node:child_process` works the same on Deno, Bun and Node.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { Socket } from "node:net";
import { isatty } from "node:tty";
import { commandInPath } from "./_command_in_path.ts";
import { refusedByNode, refusedByRuntime } from "./files.ts";
import { holdTerminalModes } from "./_terminal_modes.ts";
import { unrefTimer } from "./unref_timer.ts";

/**
 * What to run: a kubeconfig `users[].user.exec` stanza, made ready.
 *
 * @example Asking for a token
 * ```ts
 * import type { ExecPluginRequest } from "./exec_plugin.ts";
 * const request: ExecPluginRequest = { command: "kubelogin", args: ["get-token"], env: {}, timeoutMs: 60_000 };
 * ```
 */
export interface ExecPluginRequest {
  /** The program; a bare name is looked up in this process's `PATH`, even when `env` sets another. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Variables added to this process's environment (the plugin's `env` and `KUBERNETES_EXEC_INFO`). */
  env: Record<string, string>;
  /** Kill the plugin after this many milliseconds (not with `terminal`). */
  timeoutMs: number;
  /**
   * Receives each line that the plugin writes on standard error as it comes, without its line break (a last line
   * without one when it ends), as client-go passes it on: a login tool's instructions must show while it waits. With
   * `terminal`, also the part of a line that the plugin paused after (a prompt, which waits for an answer), with
   * `unfinished` true: the next call goes on with the same line.
   */
  stderrLine?: (line: string, unfinished?: boolean) => void;
  /**
   * Whether the plugin's standard input is this process's (a terminal that it may ask on, as kubectl gives it for
   * `interactiveMode` `IfAvailable` or `Always`) rather than /dev/null. It then has no time limit, as in kubectl.
   * @default {false}
   */
  terminal?: boolean;
}

/**
 * How a plugin run ended. Never carries the plugin's standard output when it failed.
 *
 * @example Telling success from failure
 * ```ts
 * import type { ExecPluginResult } from "./exec_plugin.ts";
 * function describe(result: ExecPluginResult): string {
 *   return result.ok ? "finished" : `failed: ${result.reason}`;
 * }
 * console.log(describe({ ok: false, reason: "timeout", stderr: "" })); // failed: timeout
 * ```
 */
export type ExecPluginResult =
  | { ok: true; stdout: string; stderr: string }
  | {
    ok: false;
    /**
     * `not-found`: no such program; `timeout`: killed after `timeoutMs`; `exit`: non-zero status or a signal;
     * `not-permitted`: the runtime refused to start it (Deno without `--allow-run`, or with an `--allow-env` list,
     * since the plugin gets the whole environment; Node's permission model without `--allow-child-process`);
     * `too-much-output`: it printed more than {@link MAX_PLUGIN_OUTPUT}
     * bytes on the stream that `detail` names (`stdout` or `stderr`) and was killed; `error`: could not start.
     */
    reason: "not-found" | "timeout" | "exit" | "not-permitted" | "too-much-output" | "error";
    /** Exit status, when it exited. */
    exitCode?: number;
    /** Short description of a start failure or signal (e.g. `EACCES`, `SIGKILL`), or the flag it needs. */
    detail?: string;
    /** What the plugin wrote to standard error. */
    stderr: string;
  };

/**
 * How long a plugin that may ask on the terminal pauses after a line without a break (a prompt) before that line is
 * passed on, in milliseconds: long enough not to cut a line that comes in two pieces, short enough to read at once.
 */
const PROMPT_PAUSE_MS = 150;

/** The most that a plugin may print on standard output or standard error, in bytes (16 MiB); it is killed past it. */
export const MAX_PLUGIN_OUTPUT = 16 * 1024 * 1024;

/**
 * Runs an exec plugin; injectable for tests.
 *
 * @example A fake plugin for tests
 * ```ts
 * import type { RunExecPlugin } from "./exec_plugin.ts";
 * const fake: RunExecPlugin = () =>
 *   Promise.resolve({
 *     ok: true,
 *     stderr: "",
 *     stdout: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "t" } }),
 *   });
 * ```
 */
export type RunExecPlugin = (
  request: ExecPluginRequest,
) => Promise<ExecPluginResult>;

/**
 * Runs an exec credential plugin with standard input on /dev/null (or this
 * process's, for `request.terminal`), the current environment plus
 * `request.env`, and a timeout. Never throws. The plugin's
 * process, its pipes and the timeout never keep this process alive, as the
 * watch's sockets do not (README, "Process lifetime"): a script that closed
 * its channels exits while a plugin that waits for a login still runs.
 *
 * @param request Command, arguments, added environment and timeout.
 * @returns Its standard output and error, or why it failed.
 *
 * @example Running a plugin
 * ```ts ignore
 * import { runExecPlugin } from "./exec_plugin.ts";
 * const result = await runExecPlugin({ command: "aws", args: ["eks", "get-token"], env: {}, timeoutMs: 60_000 });
 * if (result.ok) console.log(JSON.parse(result.stdout).kind);
 * ```
 */
export function runExecPlugin(
  request: ExecPluginRequest,
): Promise<ExecPluginResult> {
  return new Promise((answer) => {
    let child: ChildProcess | undefined;
    let partLine = "";
    /** Passes on a line left unfinished on a terminal (a prompt), once the plugin paused after it. */
    let promptTimer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    /** Set when the timeout killed the plugin, or the stream it printed too much on. */
    let timedOut = false;
    let overflow: "stdout" | "stderr" | undefined;
    const output = { stdout: "", stderr: "" };
    const sizes = { stdout: 0, stderr: 0 };
    // A receiver that throws loses its line, not the run.
    const passLine = (line: string, unfinished = false) => {
      try {
        request.stderrLine?.(line.endsWith("\r") ? line.slice(0, -1) : line, unfinished);
      } catch {
        // Nothing to do: the messages still quote standard error.
      }
    };
    const resolve = (result: ExecPluginResult, signal?: string | null) => {
      if (done) return;
      done = true;
      release?.(signal ? "signal" : "exit");
      clearTimeout(timer);
      clearTimeout(promptTimer);
      if (partLine !== "") passLine(partLine);
      answer(result);
    };
    // The pipes are closed too, as execFile closed them: a process the plugin started (a shell script's `sleep`, a
    // login helper, a `cat` that prints without end) keeps them open after the plugin is killed, and the end waits
    // for them.
    const stop = (signal: "SIGKILL" | "SIGTERM") => {
      child?.kill(signal);
      child?.stdout?.destroy();
      child?.stderr?.destroy();
    };
    // A timer that never holds the process. None for a plugin on the terminal: a person answers it, and Ctrl-C ends
    // it, as in kubectl (killed, one that turned the echo off to read a password would leave the terminal without it).
    const timer = request.terminal ? undefined : unrefTimer(setTimeout(() => {
      timedOut = true;
      stop("SIGKILL");
    }, request.timeoutMs));
    // Put back at exit if Ctrl-C kills it while it has turned the echo off.
    const release = request.terminal ? holdTerminalModes() : undefined;
    try {
      // Only when the plugin's `PATH` differs: looking a name up reads directories, which Deno may not allow.
      const command = request.env.PATH !== undefined && request.env.PATH !== process.env.PATH
        ? commandInPath(request.command, process.env.PATH)
        : request.command;
      // Standard input is this process's when the plugin may ask on its terminal, else /dev/null, as kubectl gives.
      child = spawn(command, request.args, {
        env: { ...process.env, ...request.env },
        stdio: [request.terminal ? "inherit" : "ignore", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      if (refusedByRuntime(error) || refusedByNode(error)) return resolve(refusal(error));
      const code = (error as { code?: unknown }).code;
      return resolve({
        ok: false,
        reason: code === "ENOENT" ? "not-found" : "error",
        detail: typeof code === "string" ? code : (error as Error).name ?? "Error",
        stderr: "",
      });
    }
    child.on("error", (error: Error & { code?: unknown }) => {
      if (refusedByRuntime(error) || refusedByNode(error)) return resolve(refusal(error));
      if (error.code === "ENOENT") return resolve({ ok: false, reason: "not-found", stderr: output.stderr });
      // Not `error.message`: it may repeat the command line, whose arguments may hold secrets.
      const detail = typeof error.code === "string" ? error.code : error.name;
      resolve({ ok: false, reason: "error", detail, stderr: output.stderr });
    });
    child.on("close", (code: number | null, signal: string | null) => {
      const { stdout, stderr } = output;
      if (overflow) return resolve({ ok: false, reason: "too-much-output", detail: overflow, stderr });
      if (timedOut) return resolve({ ok: false, reason: "timeout", stderr });
      if (code === 0) return resolve({ ok: true, stdout, stderr });
      if (code !== null) return resolve({ ok: false, reason: "exit", exitCode: code, stderr });
      resolve({ ok: false, reason: "exit", detail: signal ?? "an unknown signal", stderr }, signal);
    });
    for (const name of ["stdout", "stderr"] as const) {
      const pipe = child[name];
      pipe?.setEncoding("utf8");
      pipe?.on("data", (text: string) => {
        if (overflow) return;
        sizes[name] += Buffer.byteLength(text);
        if (sizes[name] > MAX_PLUGIN_OUTPUT) {
          overflow = name;
          stop("SIGTERM");
          return;
        }
        output[name] += text;
        if (name === "stderr" && request.stderrLine) {
          // Only the new text is split: a plugin that prints megabytes without a line break costs no more than one
          // that prints lines.
          const lines = text.split("\n");
          lines[0] = partLine + lines[0];
          partLine = lines.pop()!;
          for (const line of lines) passLine(line);
          // A prompt ("Password: ") has no line break: on a terminal it shows once the plugin pauses after it.
          clearTimeout(promptTimer);
          if (request.terminal && partLine !== "") {
            promptTimer = unrefTimer(setTimeout(() => {
              passLine(partLine, true);
              partLine = "";
            }, PROMPT_PAUSE_MS));
          }
        }
      });
    }
    try {
      child.unref();
      for (const pipe of [child.stdout, child.stderr]) (pipe as Socket | null)?.unref?.();
    } catch {
      // Deno refused to start it: there is no process to release, and the error event reports why.
    }
  });
}

/**
 * Whether this process's standard input is a terminal, that an exec plugin may ask on (client-go asks the same of
 * its standard input before each run).
 *
 * @returns `true` for a terminal.
 *
 * @example
 * ```ts
 * import { stdinIsTerminal } from "./exec_plugin.ts";
 * console.log(stdinIsTerminal() ? "a plugin may ask for a password" : "plugins run unattended");
 * ```
 */
export function stdinIsTerminal(): boolean {
  return isatty(0);
}

/** The runtime's refusal to start a plugin, with the flag to add: Node's, or the one Deno names ("Requires run access"). */
function refusal(error: unknown): ExecPluginResult {
  if (refusedByNode(error)) return { ok: false, reason: "not-permitted", detail: "--allow-child-process", stderr: "" };
  const access = /^Requires (\w+) access/.exec((error as Error).message)?.[1] ?? "run";
  return { ok: false, reason: "not-permitted", detail: `--allow-${access}`, stderr: "" };
}
