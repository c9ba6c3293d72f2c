/**
 * Ties what a test starts on the machine (child processes, network namespaces, veths) to the life of this process,
 * however it ends: a test's own cleanup, Ctrl-C (`deno test` exits at once, without running `finally`), SIGKILL or a
 * crash. Each tie is a watchdog shell in a process group of its own that holds a pipe from us: the kernel closes
 * our end when we exit, `read` returns, and the shell kills or deletes what it watches. Untying writes `untie` down
 * the pipe, and the shell ends without running its script: killing it instead raced with the pipe's close (Deno
 * closes a child's stdin as it kills it, and the script ran in 11 to 16 of 40 untie()s).
 * Child processes run in process groups of their own (`spawnTied()`): a Ctrl-C in a terminal, which signals its whole
 * foreground group, does not reach them, and neither does a SIGINT sent to `deno test` alone, as `kill -INT` or an
 * editor's stop button sends it; their watchdogs kill them when the run ends.
 *
 * @module
 */

import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import { childEnv } from "../_child_env.mjs";

const run = promisify(execFile);

/** A watchdog; `untie()` stops it without running its script. */
export interface Tie {
  untie(): void;
}

/**
 * Runs `script` (sh, with `args` as `$1`...) once this process is gone, unless untied first.
 *
 * @param script What to run then, e.g. `kill -KILL "$1"`.
 * @param args Its arguments.
 * @returns The tie.
 */
export function onExit(script: string, args: string[]): Tie {
  const watchdog = spawn("sh", ["-c", `read -r word; [ "$word" = untie ] || { ${script}; }`, "sh", ...args], {
    env: childEnv(),
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.on("error", () => {});
  watchdog.stdin!.on("error", () => {});
  return { untie: () => void watchdog.stdin!.end("untie\n") };
}

/**
 * The shell that `spawnTied()` starts in place of a command: it starts the watchdog (in a session of its own, so that
 * signals to the command's group do not reach it) on fd 3, a pipe from us, and then becomes the command. The
 * watchdog kills the group unless it reads `untie`.
 */
const TIED_COMMAND = 'setsid sh -c \'read -r word; [ "$word" = untie ] || kill -KILL "-$1" 2>/dev/null\' sh "$$" ' +
  '<&3 >/dev/null 2>&1 & exec "$@" 3<&-';

/** What `spawnTied()` connects a command's stdin, stdout or stderr to: a pipe from us, nothing, or our own. */
export type TiedStdio = "pipe" | "ignore" | "inherit";

/** The stream a child process has for a standard stream connected as `S`: a pipe's end, or `null`. */
type StreamOf<S extends TiedStdio, T> = S extends "pipe" ? T : null;

/** A child that `spawnTied()` started: its stdin, stdout and stderr are streams where they are pipes, else `null`. */
export type TiedChild<I extends TiedStdio, O extends TiedStdio, E extends TiedStdio> = ChildProcessByStdio<
  StreamOf<I, Writable>,
  StreamOf<O, Readable>,
  StreamOf<E, Readable>
>;

/**
 * Starts `command` in a process group of its own that is tied to this process from before the command's first
 * instruction: the group is SIGKILLed once this process is gone, however it ends; untied when the command exits.
 * Nothing separates the start from the tie, as it did when a child was tied after its spawn: the control plane tied
 * etcd after its "spawn" event, and a `deno test` run that ended on Ctrl-C in between left etcd running for good (3
 * runs of 40 interrupted as etcd started at load 1-9, 16 of 40 at load 6-20); test hosts, clients and CLI runs were
 * tied by a second spawn right after theirs, and a child that ended the run as its first act outlived it in 19 runs
 * of 20 at load 12.
 *
 * @param command The program (a missing one exits with code 127, saying so on standard error).
 * @param args Its arguments.
 * @param options Its environment, its working directory (default: ours) and its stdin, stdout and stderr.
 * @returns The child, typed as node:child_process types a spawned one for this stdio; its pid is the command's.
 */
export function spawnTied<I extends TiedStdio, O extends TiedStdio, E extends TiedStdio>(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; stdio: [I, O, E] },
): TiedChild<I, O, E> {
  // "sh" as $0: a missing command is then told as "sh: 1: exec: <command>: not found".
  const child = spawn("sh", ["-c", TIED_COMMAND, "sh", command, ...args], {
    env: childEnv(options.env),
    cwd: options.cwd,
    detached: true,
    stdio: [...options.stdio, "pipe"],
  });
  const tie = child.stdio[3] as Writable | null;
  if (tie === null) throw new Error(`spawnTied(${command}): the runtime gave the child no pipe on fd 3 to tie it with`);
  tie.on("error", () => {});
  child.once("exit", () => tie.end("untie\n"));
  return child as TiedChild<I, O, E>;
}

/**
 * Creates a network namespace that this process's end deletes, with `links` of the root namespace (the outer end
 * of a veth pair goes with its inner end, but only once nothing holds the namespace).
 *
 * @param name The namespace's name, unique on the machine.
 * @param links Links in the root namespace to delete with it.
 * @returns How to delete it now.
 */
export async function addNamespace(name: string, links: string[] = []): Promise<{ remove(): Promise<void> }> {
  await run("ip", ["netns", "add", name]);
  const deleteLinks = 'shift; for link in "$@"; do ip link delete "$link" 2>/dev/null; done';
  const tie = onExit(`ip netns delete "$1"; ${deleteLinks}`, [name, ...links]);
  return {
    async remove() {
      tie.untie();
      await run("ip", ["netns", "delete", name]).catch(() => {});
      for (const link of links) await run("ip", ["link", "delete", link]).catch(() => {});
    },
  };
}
