/**
 * The command line of `kgr-resolver`, parsed into what to do. Pure: a bad
 * command line is a {@linkcode UsageError} (exit code 2), a bad target a
 * `TargetError` from `parseTarget()`.
 *
 * @module
 */

import { ResolverError, TargetError } from "../base/errors.ts";
import { DNS_1123_LABEL_RULE, isDns1123Label, lowerCaseMeant } from "../base/dns_label.ts";
import { parseTarget, type Target } from "../base/target.ts";
import { isSubsetSeed, MAX_SEED, MIN_SEED } from "../selection/subset.ts";
import { MAX_TIMER_DELAY_MS } from "../runtime/unref_timer.ts";
import { nearestName } from "../base/_nearest_name.ts";
import { targetForDisplay } from "../base/_target_userinfo.ts";

/** A command line that cannot be used; the message says what to run instead. */
export class UsageError extends ResolverError {
  /**
   * Creates the error for a command line that cannot be used.
   *
   * @param message What is wrong and what to do.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The cluster flags, as `ClusterOptions` takes them. */
export interface ClusterFlags {
  /** `--kubeconfig FILE`. */
  kubeconfig?: string;
  /** `--context NAME`. */
  context?: string;
  /** `--namespace NS`: the namespace of targets without one. */
  namespace?: string;
  /** `--no-http2`: HTTP/1.1 to the API server, as the resolver's `cluster.http2: false`. */
  http2?: false;
}

/** Follow a target (or print it once). */
export interface WatchCommand {
  /** The command. */
  kind: "watch";
  /** The target as given. */
  input: string;
  /** The parsed target. */
  target: Target;
  /** Cluster flags. */
  cluster: ClusterFlags;
  /** `--zone`/`--node`: the client's locality; absent means `ZONE` and `NODE_NAME`. */
  locality?: { zone?: string; node?: string };
  /** `--subset-size`/`--subset-seed`: the subset of a client registered with that `subsetSize` and `subsetSeed`. */
  subset?: { size: number; seed: number };
  /** `--once`: print the first snapshot and exit. */
  once: boolean;
  /** `--json`: one JSON object per snapshot and line. */
  json: boolean;
  /** `--timeout`, in seconds: how long `--once` waits for the first snapshot. */
  timeoutSeconds: number;
  /** `--min-usable`, with `--once`: how many usable pods to wait for (within `--timeout`) before printing. */
  minUsable?: number;
  /** `--no-protobuf`: read EndpointSlices as JSON only, as the resolver's `protobuf: false` does. */
  protobuf?: false;
}

/** Check the credentials' grants and resolve once. */
export interface CheckCommand extends Omit<WatchCommand, "kind" | "once" | "json" | "minUsable"> {
  /** The command. */
  kind: "check";
  /** `--yaml`: only the Role and RoleBinding on standard output, for `kubectl apply -f -`; the report on standard error. */
  yaml: boolean;
}

/** Show the help: check's own (`check --help`, `help check`), else the main one. */
export interface HelpCommand {
  /** The command. */
  kind: "help";
  /** The command whose own help is asked for: `"check"`; absent for the main help. */
  command?: "check";
}

/** What the command line asks for. */
export type CliCommand = WatchCommand | CheckCommand | HelpCommand | { kind: "version" };

/** How long `--once` and `check` wait when `--timeout` is not given, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

const VALUE_FLAGS = new Set([
  "--kubeconfig",
  "--context",
  "--namespace",
  "-n",
  "--timeout",
  "--zone",
  "--node",
  "--subset-size",
  "--subset-seed",
  "--min-usable",
]);
const SWITCHES = new Set(["--once", "--json", "--yaml", "--no-protobuf", "--no-http2", "-h", "--help", "--version"]);
/** The commands, the default first. */
const COMMANDS = ["watch", "check"];

/** kubectl's options that users try here, and what does the same. */
const KUBECTL_HABITS = new Map([
  ["-o", "for JSON, use --json (one object per snapshot and line)"],
  ["--output", "for JSON, use --json (one object per snapshot and line)"],
  ["-w", "kgr-resolver follows the target by default (--once prints one snapshot)"],
  ["--watch", "kgr-resolver follows the target by default (--once prints one snapshot)"],
  ["--request-timeout", "use --timeout SECONDS (with --once or check)"],
  ...["--token", "--password", "--username", "--client-key", "--client-certificate"].map((flag) =>
    [flag, "give credentials in a kubeconfig (--kubeconfig FILE, --context NAME)"] as [string, string]
  ),
]);
/** The schemes grpc-js resolves by itself: never a Kubernetes Service (any other may be `register({ scheme })`'s). */
const GRPC_SCHEMES = new Set(["dns", "ipv4", "ipv6", "unix", "unix-abstract", "vsock", "xds"]);

/**
 * The advice for a misspelt long option (`--onse`, `--namspace`): the flag it is close to (see `nearestName()`).
 */
function closeFlag(name: string): string | undefined {
  if (!name.startsWith("--")) return undefined;
  const meant = nearestName(name, [...VALUE_FLAGS, ...SWITCHES].filter((flag) => flag.startsWith("--")));
  return meant === undefined ? undefined : `use ${meant}`;
}

/**
 * Parses the arguments of `kgr-resolver`.
 *
 * @param args The arguments after the program's name.
 * @returns The command.
 * @throws {UsageError} When the arguments cannot be used.
 * @throws {TargetError} When the target cannot be parsed.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const command = parseArgs(["--once", "--json", "kubernetes:///echo.prod:grpc"]);
 * console.log(command.kind); // "watch"
 * ```
 */
export function parseArgs(args: readonly string[]): CliCommand {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  /** A flag whose value is a target in a scheme of the app's own: the target taken for it, if none is left. */
  let tookTarget: { name: string; value: string } | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    // A long flag written with one "-" (-node): kubectl would read -n ode; say what was meant instead.
    const long = `-${equals > 0 ? arg.slice(0, equals) : arg}`;
    if (!arg.startsWith("--") && arg.length > 2 && (VALUE_FLAGS.has(long) || SWITCHES.has(long))) {
      throw new UsageError(`Cannot use option ${JSON.stringify(arg)}: write it with two dashes: ${long}`);
    }
    // --flag=value; and, as kubectl takes them, -nvalue and -n=value.
    const name = equals > 0 && arg.startsWith("--")
      ? arg.slice(0, equals)
      : arg.startsWith("-n") && !arg.startsWith("--")
      ? "-n"
      : arg;
    if (SWITCHES.has(name) && name !== arg) {
      throw new UsageError(`Cannot use option ${JSON.stringify(arg)}: ${name} takes no value: write ${name} alone`);
    }
    if (SWITCHES.has(name)) switches.add(name);
    else if (VALUE_FLAGS.has(name)) {
      const value = name === arg ? args[++i] : arg.slice(name.length).replace(/^=/, "");
      if (value === undefined) throw new UsageError(`Cannot use ${name}: it needs a value: run kgr-resolver --help`);
      // "--zone kubernetes:///echo.prod:grpc": the value was left out, and the target taken for it.
      if (name === arg && /^kubernetes:/i.test(value)) throw tookTargetError(name, value);
      // In another scheme (k8s:///echo.prod:grpc), only when no target is left: kubectl takes any context name, and
      // one named by its server's URL (https://kubernetes.default.svc) parses as a target too.
      if (name === arg && tookTarget === undefined && isTarget(value)) tookTarget = { name, value };
      // Shells expand ~ only at the start of a word: in --kubeconfig=~/k it reaches us as is, and names no file.
      if (name === "--kubeconfig" && name !== arg && /^~(\/|$)/.test(value)) {
        throw new UsageError(
          `Cannot use ${JSON.stringify(arg)}: the shell leaves ~ after "=" as it is: write --kubeconfig ${value}`,
        );
      }
      values.set(name === "-n" ? "--namespace" : name, value);
    } else {
      const instead = KUBECTL_HABITS.get(name.startsWith("-o") && !name.startsWith("--") ? "-o" : name) ??
        closeFlag(name);
      // Only the option's name: its value may be a secret (kubectl's --token=..., or -token=... with one dash).
      const shown = equals > 0 ? arg.slice(0, equals) : name;
      throw new UsageError(
        `Cannot use option ${JSON.stringify(shown)}: it is unknown: ${instead ?? "run kgr-resolver --help"}`,
      );
    }
  }
  // "watch" names the default command, as check names its own: kgr-resolver watch TARGET follows TARGET.
  const commandNamed = COMMANDS.includes(positional[0]);
  const targets = commandNamed ? positional.slice(1) : positional;
  // "help" and "version" as git, kubectl and deno take them, "help" after a command too (check help): no target is
  // ever such a word (a target has a scheme). check's own help for check --help, check help and help check.
  if (switches.has("-h") || switches.has("--help") || targets[0] === "help") {
    return positional[0] === "check" || (positional[0] === "help" && positional[1] === "check")
      ? { kind: "help", command: "check" }
      : { kind: "help" };
  }
  if (switches.has("--version") || (positional.length === 1 && positional[0] === "version")) return { kind: "version" };
  if (positional[0] === "version") {
    throw new UsageError('Cannot use command "version" with a target: run kgr-resolver version alone');
  }
  const check = positional[0] === "check";
  if (targets.length === 0 && tookTarget !== undefined) throw tookTargetError(tookTarget.name, tookTarget.value);
  // "chek TARGET": a word (no scheme, no dot, no port) before the target is a command, not a second target.
  if (targets.length > 1 && !commandNamed && /^[a-z][a-z-]*$/i.test(positional[0])) {
    throw unknownCommandError(positional[0]);
  }
  if (targets.length !== 1) {
    throw new UsageError(
      targets.length === 0
        ? check
          ? "Cannot check without a target: give one, e.g. kgr-resolver check kubernetes:///echo.prod:grpc"
          : "Cannot run without a target: give one, e.g. kgr-resolver kubernetes:///echo.prod:grpc"
        : `Cannot ${check ? "check" : "follow"} several targets: give one: current value is ${
          targets.map((t) => JSON.stringify(targetForDisplay(t))).join(" ")
        }`,
    );
  }
  const once = switches.has("--once");
  const json = switches.has("--json");
  if (check && (once || json)) {
    throw new UsageError(
      `Cannot use ${once ? "--once" : "--json"} with check: it resolves once and prints a report; for one ` +
        `snapshot${json ? " in JSON" : ""}, run kgr-resolver --once${json ? " --json" : ""} TARGET`,
    );
  }
  const yaml = switches.has("--yaml");
  if (!check && yaml) {
    throw new UsageError(
      "Cannot use --yaml without check: it prints the Role and RoleBinding that check finds missing; run " +
        "kgr-resolver check --yaml TARGET",
    );
  }
  // A value that is no number of seconds is named first: adding --once would not fix it.
  const timeoutSeconds = timeoutOf(values.get("--timeout"));
  if (!check && !once && values.has("--timeout")) {
    throw new UsageError("Cannot use --timeout without --once: only --once and check wait for a first snapshot");
  }
  const minUsable = minUsableOf(values.get("--min-usable"), once, check);
  // Before the target is parsed: its advice on the form of a Kubernetes target would not apply.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(targets[0])?.[1].toLowerCase();
  if (scheme !== undefined && GRPC_SCHEMES.has(scheme)) {
    throw new UsageError(
      `Cannot follow ${
        JSON.stringify(targetForDisplay(targets[0]))
      }: grpc-js resolves ${scheme}: targets itself, without ` +
        "Kubernetes; give the Service as kubernetes:///service.namespace:port",
    );
  }
  const target = targetOf(targets[0]);
  const common = {
    input: targets[0],
    target,
    cluster: { ...clusterFlags(values), ...(switches.has("--no-http2") ? { http2: false as const } : {}) },
    timeoutSeconds,
    ...localityOf(values),
    ...subsetOf(values),
    ...(switches.has("--no-protobuf") ? { protobuf: false as const } : {}),
  };
  return check
    ? { kind: "check", yaml, ...common }
    : { kind: "watch", once, json, ...common, ...(minUsable === undefined ? {} : { minUsable }) };
}

/** `--min-usable`'s count: a positive integer, with `--once` only (following shows every change already). */
function minUsableOf(text: string | undefined, once: boolean, check: boolean): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  // Digits only: Number() reads 0x10 and 1e3 too.
  if (!/^\d+$/.test(text) || count < 1 || !Number.isSafeInteger(count)) {
    throw new UsageError(
      `Cannot use --min-usable: it must be a positive integer (of pods): current value is ${JSON.stringify(text)}`,
    );
  }
  if (check || !once) {
    throw new UsageError(
      `Cannot use --min-usable ${check ? "with check" : "without --once"}: it makes --once wait, within --timeout, ` +
        `until that many pods are usable; run kgr-resolver --once --min-usable ${count} TARGET`,
    );
  }
  return count;
}

/**
 * The warning for a `--namespace` (`-n`) that a target naming another namespace overrides: kubectl's users expect
 * `-n` to choose the namespace, and it silently would not.
 *
 * @param command The parsed watch or check.
 * @returns The warning, without a newline; `undefined` when `--namespace` is not given, the target names no
 *   namespace, or the same one.
 *
 * @example
 * ```ts
 * import { ignoredNamespaceWarning, parseArgs, type WatchCommand } from "./args.ts";
 * const command = parseArgs(["-n", "staging", "kubernetes:///echo.prod:grpc"]) as WatchCommand;
 * console.log(ignoredNamespaceWarning(command));
 * // "warning: --namespace staging is ignored: the target kubernetes:///echo.prod:grpc names its namespace, prod"
 * ```
 */
export function ignoredNamespaceWarning(command: WatchCommand | CheckCommand): string | undefined {
  const flag = command.cluster.namespace;
  const own = command.target.namespace;
  if (flag === undefined || own === undefined || flag === own) return undefined;
  return `warning: --namespace ${flag} is ignored: the target ${command.input} names its namespace, ${own}`;
}

/**
 * Parses the target; one written without the `kubernetes:///` it needs (`echo.prod:grpc`, as for grpc-js's DNS
 * resolver, or `kubernetes:echo.prod:grpc`) is refused with that form of it, when that form parses.
 */
function targetOf(input: string): Target {
  try {
    return parseTarget(input);
  } catch (error) {
    if (!(error instanceof TargetError) || input.includes("//")) throw error;
    const form = `kubernetes:///${input.replace(/^kubernetes:\/?/i, "")}`;
    try {
      parseTarget(form);
    } catch {
      throw error;
    }
    throw new TargetError(input, `target must start with a scheme and "//": give it as ${form}`);
  }
}

/** The error for a command that is not one: the one it is close to (`chek`), else which there are. */
function unknownCommandError(word: string): UsageError {
  const meant = nearestName(word, COMMANDS);
  return new UsageError(
    `Cannot use command ${JSON.stringify(word)}: it is unknown: ${
      meant === undefined ? `the commands are ${COMMANDS[0]} (the default) and ${COMMANDS[1]}` : `use ${meant}`
    }`,
  );
}

/** The error for a value flag that took the target for its value (`--zone kubernetes:///echo.prod:grpc`). */
function tookTargetError(name: string, value: string): UsageError {
  return new UsageError(
    `Cannot use ${name}: it needs a value, and took the target ${JSON.stringify(targetForDisplay(value))} for it: ` +
      `give the value right after ${name}`,
  );
}

/** Whether a value is a target that parses: `k8s:///echo.prod:grpc` too, for a scheme given to `register()`. */
function isTarget(value: string): boolean {
  try {
    parseTarget(value);
    return true;
  } catch {
    return false;
  }
}

/** What a cluster flag left out means, as the help says: an empty one is refused, saying so. */
const UNSET_CLUSTER_FLAG = {
  kubeconfig: "KUBECONFIG, in-cluster, ~/.kube/config",
  context: "the kubeconfig's current-context",
  namespace: "the context's, else the pod's, else default",
};

function clusterFlags(values: Map<string, string>): ClusterFlags {
  const flags: ClusterFlags = {};
  for (const name of ["kubeconfig", "context", "namespace"] as const) {
    const value = values.get(`--${name}`);
    if (value === undefined) continue;
    if (value === "") {
      throw new UsageError(
        `Cannot use --${name}: it must not be empty (kubectl reads an empty one as none given): leave it out to use ` +
          UNSET_CLUSTER_FLAG[name],
      );
    }
    if (name === "namespace" && !isDns1123Label(value)) {
      throw new UsageError(
        `Cannot use --namespace: it must be a namespace name (${DNS_1123_LABEL_RULE}): current value is ${
          JSON.stringify(value)
        }${lowerCaseMeant(value)}`,
      );
    }
    flags[name] = value;
  }
  return flags;
}

function localityOf(values: Map<string, string>): { locality?: { zone?: string; node?: string } } {
  // Trimmed as the library trims ZONE and NODE_NAME: a blank flag is an empty one.
  const zone = values.get("--zone")?.trim();
  const node = values.get("--node")?.trim();
  if (zone === undefined && node === undefined) return {};
  // An empty flag is refused, as kubectl refuses an empty --namespace: `--zone="$ZONE"` with the variable unset would
  // otherwise be taken as no zone. Beside the other flag, leaving it out does not read ZONE and NODE_NAME: the flags
  // given are the locality.
  if (zone === "" && node) {
    throw new UsageError(`Cannot use --zone: it must not be empty: leave it out to use the zone label of node ${node}`);
  }
  if (node === "" && zone) {
    throw new UsageError("Cannot use --node: it must not be empty: leave it out (a zone alone is a locality)");
  }
  for (const [name, value] of [["zone", zone], ["node", node]]) {
    if (value !== "") continue;
    throw new UsageError(
      `Cannot use --${name}: it must not be empty: leave it out to use ZONE and NODE_NAME, or, for a client whose ` +
        "locality is unknown, leave out --zone and --node and unset those (env -u ZONE -u NODE_NAME)",
    );
  }
  return { locality: { ...(zone ? { zone } : {}), ...(node ? { node } : {}) } };
}

function subsetOf(values: Map<string, string>): { subset?: { size: number; seed: number } } {
  const size = values.get("--subset-size");
  const seed = values.get("--subset-seed");
  if (size === undefined && seed === undefined) return {};
  if (size === undefined || seed === undefined) {
    throw new UsageError(
      "Cannot show a subset without both --subset-size and --subset-seed: a client's subset depends on both " +
        "(register({ subsetSize, subsetSeed }))",
    );
  }
  const [k, n] = [Number(size), Number(seed)];
  if (!Number.isInteger(k) || k < 1) {
    throw new UsageError(
      `Cannot use --subset-size: it must be a positive integer: current value is ${JSON.stringify(size)}`,
    );
  }
  if (!isSubsetSeed(n) || seed.trim() === "") {
    throw new UsageError(
      `Cannot use --subset-seed: it must be a 32-bit integer (${MIN_SEED} to ${MAX_SEED}): current value is ${
        JSON.stringify(seed)
      }`,
    );
  }
  return { subset: { size: k, seed: n } };
}

/** The longest wait a timer takes, in whole seconds: a longer one fires at once. */
const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_DELAY_MS / 1000);

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (text.trim() === "" || !(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    const meant = durationSeconds(text);
    const instead = meant !== undefined && meant > 0 && meant <= MAX_TIMEOUT_SECONDS
      ? `: write --timeout ${meant}`
      : "";
    throw new UsageError(
      `Cannot use --timeout: it must be a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS}: ` +
        `current value is ${JSON.stringify(text)}${instead}`,
    );
  }
  return seconds;
}

/** Seconds per unit of a duration as kubectl writes it (Go's `time.ParseDuration`). */
const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** The seconds of a duration as kubectl takes it (`30s`, `1m30s`, `1.5h`), or `undefined` for anything else. */
function durationSeconds(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    seconds += Number(amount) * DURATION_UNITS[unit];
  }
  // In whole milliseconds, the unit of the smallest: 1.1m is 66, not 66.00000000000001.
  return Math.round(seconds * 1000) / 1000;
}
