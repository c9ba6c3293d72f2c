/**
 * `kgr-resolver`: parses the command line, runs the command, and turns
 * failures into exit codes: 2 for a bad command line or target, 1 for a
 * cluster or API failure (with the library's own message), 130 when Ctrl-C
 * cuts `--once` or `check` short (143 for SIGTERM, 141 when the reader of
 * their output goes away), 131 on Ctrl-\ (SIGQUIT) and 129 on SIGHUP, 0
 * otherwise, Ctrl-C ending a live watch included.
 *
 * @module
 */

import { ResolverError, TargetError } from "../base/errors.ts";
import type { CliProcess } from "../runtime/cli_process.ts";
import { setTraceSink, setWarningSink } from "../runtime/trace.ts";
import { VERSION } from "../base/version.ts";
import { ignoredNamespaceWarning, parseArgs, UsageError } from "./args.ts";
import { wrappedLines } from "./wrapped_lines.ts";
import { withFlagTerms } from "./flag_terms.ts";
import { runCheck } from "./check_command.ts";
import { checkHelpText, helpText } from "./help.ts";
import { runWatch } from "./watch_command.ts";
import { schemeAdvice } from "./scheme_advice.ts";
import { printableLines } from "./terminal.ts";

/** The period of the timer that only holds the process (about 12 days: it never needs to fire). */
const HOLD_MS = 2 ** 30;

/**
 * Runs `kgr-resolver` with the process's arguments.
 *
 * @param cli The process: arguments, environment, streams, Ctrl-C.
 * @returns The exit code.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./main.ts";
 * import { cliProcess } from "../runtime/cli_process.ts";
 * const cli = cliProcess();
 * await cli.exit(await runCli(cli));
 * ```
 */
export async function runCli(cli: CliProcess): Promise<number> {
  // The library's messages name its options (cluster.namespace); the CLI's user sets flags (--namespace).
  // Standard error quotes untrusted text (an API server's message, a kubeconfig's names, an exec plugin's words):
  // its control and bidi characters are escaped, as the table and check escape them.
  // On a terminal, its lines wrap at spaces, as the table's and check's do.
  cli = withFlagTerms({ ...cli, stderr: printableLines(wrappedLines(cli.stderr)) });
  // The library's sockets and timers never hold the process (README, "Process lifetime"): the CLI does,
  // until it is done, or Node would end it in the middle of a request.
  const hold = setInterval(() => {}, HOLD_MS);
  // GRPC_TRACE is for programs that use the library: its lines would land in the middle of the CLI's own output.
  // A program or test that runs the CLI gets its diagnostics back once it is done, as its warnings below.
  const librarysTraces = setTraceSink(undefined);
  // The library's warnings (a Deno process that may not read ZONE) go out in the CLI's terms too, until the CLI is
  // done: a program or test that runs it and then uses the library gets them on standard error again.
  const librarysWarnings = setWarningSink((text) => cli.stderr.write(`kgr-resolver: ${text}\n`));
  try {
    let command = parseArgs(cli.args);
    const warning = command.kind === "watch" || command.kind === "check" ? ignoredNamespaceWarning(command) : undefined;
    if (warning && (command.kind === "watch" || command.kind === "check")) {
      cli.stderr.write(`kgr-resolver: ${warning}\n`);
      // The ignored flag goes, or the cluster's line would say "with --namespace" beside that warning.
      const { namespace: _ignored, ...cluster } = command.cluster;
      command = { ...command, cluster };
    }
    // check says it in a step of its report.
    const scheme = command.kind === "watch" ? schemeAdvice(command.input, command.target) : undefined;
    if (scheme !== undefined) cli.stderr.write(`kgr-resolver: warning: ${scheme}\n`);
    switch (command.kind) {
      case "help":
        cli.stdout.write((command.command === "check" ? checkHelpText : helpText)(cli.stdout.size()?.columns));
        return 0;
      case "version":
        cli.stdout.write(`kgr-resolver ${VERSION}\n`);
        return 0;
      case "check":
        return await runCheck(command, cli);
      case "watch":
        return await runWatch(command, cli);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof TargetError) {
      cli.stderr.write(`kgr-resolver: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof ResolverError
      ? error.message
      : `unexpected failure: ${(error as Error)?.stack ?? error}`;
    cli.stderr.write(`kgr-resolver: ${message}\n`);
    return 1;
  } finally {
    clearInterval(hold);
    setWarningSink(librarysWarnings);
    setTraceSink(librarysTraces);
  }
}
