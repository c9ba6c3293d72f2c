/**
 * The only runtime-specific part of exec credential plugins: running the
 * command. `node:child_process` works the same on Deno, Bun and Node.
 *
 * @module
 */

import { type ChildProcess, execFile } from "node:child_process";
import process from "node:process";
import type { Socket } from "node:net";
import { commandInPath } from "./_command_in_path.ts";
import { refusedByRuntime } from "./files.ts";
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
  /** Kill the plugin after this many milliseconds. */
  timeoutMs: number;
  /**
   * Receives each line that the plugin writes on standard error as it comes, without its line break (a last line
   * without one when it ends), as client-go passes it on: a login tool's instructions must show while it waits.
   */
  stderrLine?: (line: string) => void;
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
     * since the plugin gets the whole environment); `too-much-output`: it printed more than {@link MAX_PLUGIN_OUTPUT}
     * bytes on the stream that `detail` names (`stdout` or `stderr`) and was killed; `error`: could not start.
     */
    reason: "not-found" | "timeout" | "exit" | "not-permitted" | "too-much-output" | "error";
    /** Exit status, when it exited. */
    exitCode?: number;
    /** Short description of a start failure or signal (e.g. `EACCES`, `SIGKILL`), or the Deno flag it needs. */
    detail?: string;
    /** What the plugin wrote to standard error. */
    stderr: string;
  };

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
 * Runs an exec credential plugin with standard input closed, the current
 * environment plus `request.env`, and a timeout. Never throws. The plugin's
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
    // A receiver that throws loses its line, not the run.
    const passLine = (line: string) => {
      try {
        request.stderrLine?.(line.endsWith("\r") ? line.slice(0, -1) : line);
      } catch {
        // Nothing to do: the messages still quote standard error.
      }
    };
    const resolve = (result: ExecPluginResult) => {
      if (partLine !== "") passLine(partLine);
      answer(result);
    };
    // Our own timer, not execFile's `timeout`, whose timer would hold the process. The pipes are closed too, as
    // execFile's own timeout closes them: its callback waits for them, and a process the plugin started (a shell
    // script's `sleep`, a login helper) keeps them open after the plugin is killed.
    const timer = unrefTimer(setTimeout(() => {
      child?.kill("SIGKILL");
      child?.stdout?.destroy();
      child?.stderr?.destroy();
    }, request.timeoutMs));
    try {
      // Only when the plugin's `PATH` differs: looking a name up reads directories, which Deno may not allow.
      const command = request.env.PATH !== undefined && request.env.PATH !== process.env.PATH
        ? commandInPath(request.command, process.env.PATH)
        : request.command;
      child = execFile(
        command,
        request.args,
        {
          env: { ...process.env, ...request.env },
          maxBuffer: MAX_PLUGIN_OUTPUT,
          encoding: "utf8",
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          clearTimeout(timer);
          if (!error) return resolve({ ok: true, stdout, stderr });
          if (refusedByRuntime(error)) return resolve(refusal(error));
          const failure = error as Error & {
            code?: unknown;
            killed?: boolean;
            signal?: unknown;
          };
          if (failure.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
            // It started and printed too much; the message names the stream ("stdout maxBuffer length exceeded").
            const stream = /^stderr/.test(failure.message) ? "stderr" : "stdout";
            return resolve({ ok: false, reason: "too-much-output", detail: stream, stderr });
          }
          if (failure.code === "ENOENT") {
            return resolve({ ok: false, reason: "not-found", stderr });
          }
          if (failure.killed && failure.signal === "SIGKILL") {
            return resolve({ ok: false, reason: "timeout", stderr });
          }
          if (typeof failure.code === "number") {
            return resolve({
              ok: false,
              reason: "exit",
              exitCode: failure.code,
              stderr,
            });
          }
          if (typeof failure.signal === "string") {
            return resolve({
              ok: false,
              reason: "exit",
              detail: failure.signal,
              stderr,
            });
          }
          // Not `failure.message`: it repeats the command line, whose arguments may hold secrets.
          const detail = typeof failure.code === "string" ? failure.code : failure.name;
          resolve({ ok: false, reason: "error", detail, stderr });
        },
      );
    } catch (error) {
      clearTimeout(timer);
      if (refusedByRuntime(error)) return resolve(refusal(error));
      const code = (error as { code?: unknown }).code;
      resolve({
        ok: false,
        reason: code === "ENOENT" ? "not-found" : "error",
        detail: typeof code === "string" ? code : (error as Error).name ?? "Error",
        stderr: "",
      });
      return;
    }
    try {
      child.unref();
      for (const pipe of [child.stdout, child.stderr]) (pipe as Socket | null)?.unref?.();
    } catch {
      // Deno refused to start it: there is no process to release, and the callback reports why.
    }
    // A string: execFile sets the pipe's encoding.
    if (request.stderrLine) {
      // Only the new text is split: a plugin that prints megabytes without a line break costs no more than one that
      // prints lines.
      child.stderr?.on("data", (text: string) => {
        const lines = text.split("\n");
        lines[0] = partLine + lines[0];
        partLine = lines.pop()!;
        for (const line of lines) passLine(line);
      });
    }
    child.stdin?.on("error", () => {});
    child.stdin?.end();
  });
}

/** Deno's refusal to start a plugin, with the flag that it names ("Requires run access to ..."). */
function refusal(error: unknown): ExecPluginResult {
  const access = /^Requires (\w+) access/.exec((error as Error).message)?.[1] ?? "run";
  return { ok: false, reason: "not-permitted", detail: `--allow-${access}`, stderr: "" };
}
