/**
 * The library's messages in the CLI's terms: they name the options of
 * `register()` (`cluster.kubeconfig`, `cluster.context`, `cluster.namespace`,
 * also in a cluster access's source: `... with cluster.namespace`), which a
 * user of `kgr-resolver` sets with its flags, and tell a long-running process
 * to restart after new credentials or a new CA, where the CLI's user runs
 * `kgr-resolver` again. The CLI writes through
 * {@linkcode withFlagTerms}, so that every line it prints (the live table,
 * the line per change, `check`, standard error) says `--namespace`; the live
 * table, which cuts lines to the terminal's width, also rewrites its text
 * before it measures it.
 *
 * @module
 */

import type { CliOutput, CliProcess } from "../runtime/cli_process.ts";

/**
 * An option's name where the library's messages name it: after `(`, `from `, `with `, `without `, `pass `, `fix `,
 * `skipped: `, `, ` or `; `, or a terminal's escape sequence (a coloured line). Elsewhere the same text is a path or
 * a name (`kubeconfig cluster.kubeconfig`, `C:\\k\\cluster.context`, `context "cluster.context"`) and stays.
 */
const option = (name: string) =>
  new RegExp(
    `(?<=\\(|\\b(?:from|with|without|pass|fix|skipped:) |[,;] |\\x1b\\[[\\d;?]*[A-Za-z])${
      name.replaceAll(".", "\\.")
    }(?![\\w./"-])`,
    "g",
  );

const TERMS: [RegExp, string][] = [
  // The CLI has no --server: a kubeconfig is its only way to name a cluster.
  [option("cluster.kubeconfig or cluster.server"), "--kubeconfig"],
  [option("cluster.kubeconfig"), "--kubeconfig"],
  [option("cluster.context"), "--context"],
  [option("cluster.namespace"), "--namespace"],
  // A flag given a kubeconfig's contents: the CLI takes a path only.
  [
    /cluster\.kubeconfig (holds .* \(not shown: it may be a credential\)): pass the file's path, or the kubeconfig as an object \(parse its YAML or JSON first\)/g,
    "--kubeconfig $1: pass the file's path",
  ],
  // An option the CLI has no flag for: its name would send the user looking for one.
  [/ \(stallTimeoutMs\)/g, ""],
  // HTTP/1.1 instead of HTTP/2 (a hung or GOAWAY-sending server): the CLI's flag for the library's option.
  [/\bset cluster\.http2: false\b/g, "pass --no-http2"],
  // A Node that cannot be read: the CLI reads it once, where a library's client reads it again every 5 minutes.
  [option("locality.node"), "--node"],
  [/check locality\.node, or set locality\.zone too/g, "check --node, or pass --zone too"],
  [/or set locality\.zone too/g, "or pass --zone too"],
  [/ \(it is read again every 5 minutes\)/g, ""],
  [/; the Node is read again every 5 minutes, so no restart is needed\)/g, ") and run kgr-resolver again"],
  // A Local Service and no node: the CLI's user names one, a pod's spec and the library's option would not help.
  [/set NODE_NAME from the Downward API \(env: \[.*?\]\) or locality\.node/g, "pass --node with the client's node"],
  // The CLI's locality comes from its flags: with them, no variable is read.
  [/\(or set the locality option: \{\} turns topology-aware routing off\)/g, "(or pass --zone and --node)"],
  // Advice for a long-running process that read its credentials or CA once; the CLI's user runs it again.
  [
    /renew the token, then restart the process: a token written in a kubeconfig or given as an option is read once, when the process first uses the cluster \(a tokenFile or an exec plugin is read again by itself\)/g,
    "put a fresh token in the kubeconfig (log in again), then run kgr-resolver again",
  ],
  [
    /(give the user a token, a client certificate or an exec plugin), then restart the process/g,
    "$1, then run kgr-resolver again",
  ],
  [/(or the server not trust its CA\)), then restart\b/g, "$1, then run kgr-resolver again"],
  [
    /; they are read once, at start, so restart the process after changing them \(a rotated cluster CA, say\)/g,
    " (the cluster's CA may have been rotated), then run kgr-resolver again",
  ],
  [
    /; the CA file is read again every 5 minutes, so a rotated cluster CA written there is trusted within 5 minutes \(restart the process after changing the server or the TLS server name\)/g,
    " (the cluster's CA may have been rotated), then run kgr-resolver again",
  ],
];

/**
 * Rewrites a message of the library for a user of the CLI.
 *
 * @param message A message that may name `cluster.kubeconfig`, `cluster.context`, `cluster.namespace`,
 *   `cluster.http2` or `stallTimeoutMs`.
 * @returns The message naming `--kubeconfig`, `--context`, `--namespace` and `--no-http2` instead, no
 *   `stallTimeoutMs` (the CLI has no flag for it), and "run kgr-resolver again" where it says to restart the process.
 *
 * @example
 * ```ts
 * import { inFlagTerms } from "./flag_terms.ts";
 * console.log(inFlagTerms('context "x" from cluster.context is not defined')); // 'context "x" from --context is not defined'
 * ```
 */
export function inFlagTerms(message: string): string {
  let result = message;
  for (const [pattern, flag] of TERMS) result = result.replace(pattern, flag);
  return result;
}

/**
 * The process with standard output and error that rewrite the library's option names as flags
 * ({@linkcode inFlagTerms}) in everything written to them.
 *
 * @param cli The process.
 * @returns The same process, but for its two output streams.
 *
 * @example
 * ```ts
 * import { withFlagTerms } from "./flag_terms.ts";
 * import type { CliOutput, CliProcess } from "../runtime/cli_process.ts";
 * const printed: string[] = [];
 * const output: CliOutput = { write: (text) => printed.push(text), isTTY: false, size: () => undefined };
 * const cli = { stdout: output, stderr: output } as CliProcess;
 * withFlagTerms(cli).stderr.write("kubeconfig /k with cluster.namespace\n");
 * console.log(printed); // [ "kubeconfig /k with --namespace\n" ]
 * ```
 */
export function withFlagTerms(cli: CliProcess): CliProcess {
  const translating = (output: CliOutput): CliOutput => ({
    write: (text) => output.write(inFlagTerms(text)),
    isTTY: output.isTTY,
    size: () => output.size(),
    ...(output.onResize ? { onResize: (listener: () => void) => output.onResize!(listener) } : {}),
  });
  return { ...cli, stdout: translating(cli.stdout), stderr: translating(cli.stderr) };
}
