/**
 * The text of `kgr-resolver --help`, and of `kgr-resolver check --help`.
 *
 * @module
 */

import { DEFAULT_TIMEOUT_SECONDS } from "./args.ts";
import { wordWrap } from "./terminal.ts";

/** The width the help is written for. */
const WRITTEN_WIDTH = 80;
/** Where an option's description starts. */
const OPTION_COLUMN = 23;
/** Where the description of a usage, or an option's too narrow beside it, starts. */
const BELOW_INDENT = 6;
/** The narrowest an option's description is kept beside it. */
const MIN_DESCRIPTION_WIDTH = 20;

/**
 * The help text, with examples, wrapped at spaces for a terminal narrower than 80 columns, which would break its lines
 * mid-word: an example then goes on after a backslash, so that it still pastes as one command.
 *
 * @param columns The terminal's width (`Infinity` off a terminal).
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * console.log(helpText().split("\n")[0]);
 * console.log(helpText(40).split("\n")[0]); // "kgr-resolver: see which pods a"
 * ```
 */
export function helpText(columns = Infinity): string {
  return fitted(HELP, columns);
}

/**
 * The text of `kgr-resolver check --help`: what check asks and prints, its options, examples and exit codes, wrapped
 * as {@linkcode helpText} wraps the main help.
 *
 * @param columns The terminal's width (`Infinity` off a terminal).
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts
 * import { checkHelpText } from "./help.ts";
 * console.log(checkHelpText().split("\n")[0]);
 * // "kgr-resolver check: may these credentials resolve a kubernetes: gRPC target?"
 * ```
 */
export function checkHelpText(columns = Infinity): string {
  return fitted(CHECK_HELP, columns);
}

/** A help text as written, or rewrapped for a terminal narrower than it. */
function fitted(text: string, columns: number): string {
  return columns >= WRITTEN_WIDTH ? text : narrowed(text, columns);
}

/**
 * The help rewrapped within `columns`: a paragraph at its full width, an option's description beside it (or below it,
 * indented, where that is too narrow), a usage's under it, a usage indented after its first line, and an example's
 * words after a backslash.
 */
function narrowed(text: string, columns: number): string {
  const out: string[] = [];
  const lines = text.split("\n");
  const indented = (words: string, indent: number) =>
    wordWrap(words, Math.max(1, columns - indent)).map((line) => `${" ".repeat(indent)}${line}`);
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at];
    // The lines that go on what this one starts, joined into its words.
    const more = (indent: number) => {
      const joined: string[] = [];
      while (at + 1 < lines.length && /^ +\S/.test(lines[at + 1]) && lines[at + 1].search(/\S/) === indent) {
        joined.push(lines[++at].trim());
      }
      return joined;
    };
    if (line === "") out.push(line);
    else if (!line.startsWith(" ")) {
      // A paragraph, or a heading (Usage:) that lines indented follow.
      const words = [line];
      while (at + 1 < lines.length && lines[at + 1] !== "" && !lines[at + 1].startsWith(" ")) words.push(lines[++at]);
      out.push(...wordWrap(words.join(" "), columns));
    } else if (line.startsWith("  -")) {
      const head = line.slice(0, OPTION_COLUMN);
      const words = [line.slice(OPTION_COLUMN), ...more(OPTION_COLUMN)].join(" ");
      const beside = columns - OPTION_COLUMN >= MIN_DESCRIPTION_WIDTH;
      const description = indented(words, beside ? OPTION_COLUMN : BELOW_INDENT);
      if (beside) out.push(`${head}${description[0].slice(OPTION_COLUMN)}`, ...description.slice(1));
      else out.push(head.trimEnd(), ...description);
    } else if (line.startsWith("      ")) {
      out.push(...indented([line.trim(), ...more(BELOW_INDENT)].join(" "), BELOW_INDENT));
    } else if (out.includes("Examples:")) out.push(...command([line.trim(), ...more(4)].join(" "), columns));
    else out.push(...indented(line.trim(), 4).map((each, i) => i === 0 ? `  ${each.trimStart()}` : each));
  }
  return out.join("\n");
}

/** A shell command in lines of at most `columns`, each but the last ending in `\\` (or its `|`), indented after the first. */
function command(text: string, columns: number): string[] {
  // A quoted argument is one word: a backslash in quotes would be part of it.
  const quoted = text.replace(/'[^']*'/g, (argument) => argument.replaceAll(" ", "\u00a0"));
  const lines = wordWrap(quoted, Math.max(1, columns - 6)).map((line) => line.replaceAll("\u00a0", " "));
  return lines.map((line, i) =>
    `${i === 0 ? "  " : "    "}${line}${i === lines.length - 1 || line.endsWith("|") ? "" : " \\"}`
  );
}

/** The options that say which cluster and client to show, in both helps. */
const CLUSTER_OPTIONS = `  --kubeconfig FILE    the kubeconfig to use (default: KUBECONFIG,
                       in-cluster, ~/.kube/config)
  --context NAME       the kubeconfig context to use (default: its
                       current-context)
  -n, --namespace NS   the namespace of targets without one (default: the
                       context's, else the pod's, else default)
  --zone ZONE          the client's zone, for topology-aware routing
  --node NODE          the client's node (without --zone, its zone label
                       gives the zone); without either flag, ZONE and NODE_NAME
                       (and that node's zone label when ZONE is unset)
  --subset-size K      the K of a client registered with subsetSize K: show
                       its subset of the pods (the others as not used);
                       needs --subset-seed
  --subset-seed S      that client's subsetSeed, which chooses its subset;
                       needs --subset-size (a subset depends on both)`;

/** The options on how the API server is read, in both helps. */
const READING_OPTIONS = `  --no-protobuf        read EndpointSlices as JSON only (default: protobuf,
                       as the resolver reads them)
  --no-http2           talk HTTP/1.1 to the API server, as the resolver's
                       cluster.http2: false (default: HTTP/2 on Node and Bun;
                       Deno and proxies always HTTP/1.1): to see what such a
                       channel sees, or to rule HTTP/2 out when something on
                       the way mishandles it`;

/** What TARGET is, in both helps. */
const TARGET_FORM = `TARGET is what a gRPC client dials, e.g. kubernetes:///echo.prod:grpc
(service echo, namespace prod, port grpc).`;

const HELP = `kgr-resolver: see which pods a kubernetes: gRPC target resolves to, and
why the others are not used

Usage:
  kgr-resolver [watch] [options] TARGET
      follow the pods of TARGET (a live table on a terminal)
  kgr-resolver check [options] TARGET
      check the credentials' grants, resolve TARGET once, and say what to fix
      (its own help: kgr-resolver check --help)

${TARGET_FORM}

Options:
  --once               print the first snapshot and exit (1 when it has no
                       usable pod, or the watch after it fails)
  --json               one JSON object per snapshot and line: the snapshot's
                       fields, plus the unused pods and why
  --timeout SECONDS    how long --once and check wait for an answer
                       (default ${DEFAULT_TIMEOUT_SECONDS})
  --min-usable N       with --once: wait, within --timeout, until N pods are
                       usable (exit 1 with the last snapshot if they are not)
${CLUSTER_OPTIONS}
  --yaml               with check: only the roles that grant what is missing,
                       on standard output, for kubectl apply -f - (the report
                       on standard error); none when no grant is missing,
                       and kubectl then fails: no objects passed to apply
${READING_OPTIONS}
  -h, --help, help     show this help (kgr-resolver check --help: check's own)
  --version, version   print the version

Examples:
  kgr-resolver kubernetes:///echo.prod:grpc
  kgr-resolver --once --json kubernetes:///echo.prod:grpc |
    jq '.endpoints | length'
  kgr-resolver --once --min-usable 3 --timeout 120 kubernetes:///echo.prod:grpc
  kgr-resolver --context kind-kind -n prod kubernetes:///echo:grpc
  kgr-resolver --zone eu-west-1a kubernetes:///echo.prod:grpc
  kgr-resolver --subset-size 10 --subset-seed 7 kubernetes:///echo.prod:grpc
  kgr-resolver check kubernetes:///echo.prod:grpc
  kgr-resolver check --kubeconfig sa.yaml --yaml kubernetes:///echo.prod:grpc |
    kubectl apply -f -

Exit status: 0 on success and on Ctrl-C (or SIGTERM) while following; 1 when
the cluster or the API fails, or --once finds no usable pod or may list but not
watch (as check fails on a missing grant); 2 for a bad command line or target;
130 when Ctrl-C stops --once or check, and 143 for SIGTERM, after a line on
standard error that says how far they got (141 when their reader goes away, as
with | head); 131 on Ctrl-\\ (SIGQUIT), 129 on SIGHUP.
Colours and the live table only on a terminal (not one whose TERM is dumb); no
colours with NO_COLOR set.
`;

const CHECK_HELP = `kgr-resolver check: may these credentials resolve a kubernetes: gRPC target?

Usage:
  kgr-resolver check [options] TARGET

It asks the API server who the credentials are, and whether they may list and
watch EndpointSlices and get Services in TARGET's namespace (and get Nodes, for
topology, when the client's node is known but not its zone). It resolves TARGET
once, then prints a verdict per step: ok, MISSING (a grant is missing), FAILED
(the step failed), or unknown (it could not tell, or a doubt such as topology
being off; that does not fail the check). When a grant is missing, it prints
the roles that fix it: a Role and RoleBinding for the namespace's grants, a
ClusterRole and ClusterRoleBinding for get on Nodes.

${TARGET_FORM}

Options:
  --yaml               only the roles that grant what is missing, on standard
                       output, for kubectl apply -f - (the report on standard
                       error); none when no grant is missing, and kubectl then
                       fails: no objects passed to apply
  --timeout SECONDS    how long to wait for the API server's answers
                       (default ${DEFAULT_TIMEOUT_SECONDS})
${CLUSTER_OPTIONS}
${READING_OPTIONS}
  -h, --help, help     show this help (kgr-resolver --help: the main one)

Examples:
  kgr-resolver check kubernetes:///echo.prod:grpc
  kgr-resolver check --kubeconfig sa.yaml --yaml kubernetes:///echo.prod:grpc |
    kubectl apply -f -

Exit status: 0 when every required grant is there and TARGET resolves to at
least one usable pod (unknown steps do not fail it); 1 when a required grant is
missing, TARGET resolves to no usable pod, or the cluster or the API fails
(with --yaml too); 2 for a bad command line or target; 130 on Ctrl-C and 143
for SIGTERM, after a line on standard error that says which step it was in
(141 when its reader goes away, as with | head); 131 on Ctrl-\\ (SIGQUIT), 129
on SIGHUP.

Apply the YAML as someone who may create Roles (and ClusterRoles): in the
second example, check reads the credentials of sa.yaml, and kubectl its own.
`;
