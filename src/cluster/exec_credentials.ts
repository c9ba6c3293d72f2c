/**
 * Credentials from an exec credential plugin (`client.authentication.k8s.io`
 * `v1` or `v1beta1`), as kubectl runs them: with `KUBERNETES_EXEC_INFO`,
 * unattended unless given a terminal (`interactiveMode`), cached until shortly
 * before they expire. Messages quote the plugin's standard error, never its
 * standard output.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { isRecord, MASKED_ANYWHERE, typeName } from "../base/_util.ts";
import { checkClientKeyPair } from "../runtime/client_key_pair.ts";
import { systemClock } from "../runtime/clock.ts";
import { type ExecPluginResult, MAX_PLUGIN_OUTPUT, type RunExecPlugin } from "../runtime/exec_plugin.ts";
import { pluginOutput, trace } from "../runtime/trace.ts";
import { isSecretName, maskCredentials, secretArguments } from "./_mask_credentials.ts";
import { lineMasker, stderrExcerpt } from "./_plugin_stderr.ts";
import { parseFirstYamlDocument, yamlErrorPlace, YamlPackageMissingError } from "./_kubectl_yaml.ts";
import { parseRfc3339 } from "./_rfc3339.ts";
import { createClientCertificate } from "./tls_settings.ts";
import type { ClientCertificate, Credentials } from "./types.ts";
import {
  everyEnvDeniedAdvice,
  everyOtherGranted,
  flagAdvice,
  inDenoWorker,
} from "../runtime/deno_permission_advice.ts";

/**
 * One `env` entry of an exec plugin.
 *
 * @example Selecting an AWS profile
 * ```ts
 * import type { ExecEnvVar } from "./exec_credentials.ts";
 * const variable: ExecEnvVar = { name: "AWS_PROFILE", value: "prod" };
 * ```
 */
export interface ExecEnvVar {
  /** Variable name. */
  name: string;
  /** Its value. */
  value: string;
}

/**
 * A kubeconfig `exec` stanza, checked and with its command path resolved.
 *
 * @example A GKE plugin
 * ```ts
 * import type { ExecConfig } from "./exec_credentials.ts";
 * const config: ExecConfig = {
 *   apiVersion: "client.authentication.k8s.io/v1beta1",
 *   command: "gke-gcloud-auth-plugin",
 *   args: [],
 *   env: [],
 *   installHint: "Install gke-gcloud-auth-plugin with gcloud components install",
 * };
 * ```
 */
export interface ExecConfig {
  /** The `ExecCredential` version to ask for and to expect back. */
  apiVersion:
    | "client.authentication.k8s.io/v1"
    | "client.authentication.k8s.io/v1beta1";
  /** Program to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Variables added to its environment. */
  env: ExecEnvVar[];
  /** Shown when the program is not found. */
  installHint?: string;
  /**
   * Whether the plugin may ask on a terminal (see {@linkcode ExecCredentialsOptions.terminal}): `Never`,
   * `IfAvailable` (when there is one), or `Always` (it must: refused without one).
   * @default {"IfAvailable"}
   */
  interactiveMode?: "Never" | "IfAvailable" | "Always";
  /** Sent as `spec.cluster` of `KUBERNETES_EXEC_INFO` when the kubeconfig sets `provideClusterInfo`. */
  cluster?: Record<string, unknown>;
}

/**
 * Options of {@linkcode execCredentials}.
 *
 * @example A shorter plugin timeout
 * ```ts
 * import type { ExecCredentialsOptions } from "./exec_credentials.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
 * const options: ExecCredentialsOptions = { run: runExecPlugin, timeoutMs: 10_000 };
 * ```
 */
export interface ExecCredentialsOptions {
  /** Runs the plugin. */
  run: RunExecPlugin;
  /**
   * The clock, in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Kill the plugin after this many milliseconds.
   * @default {60000}
   */
  timeoutMs?: number;
  /**
   * Run the plugin again this long before `expirationTimestamp`, in milliseconds.
   * @default {10000}
   */
  refreshBeforeMs?: number;
  /**
   * Receives each line of the plugin's standard error as it comes, masked as the messages quote it (a login tool's
   * instructions, such as kubelogin's device code, show while it waits, as kubectl shows them).
   * @default {pluginOutput} (standard error, or above the CLI's live table)
   */
  stderr?: (line: string) => void;
  /**
   * Whether this process's standard input is a terminal that the plugin may ask on (a password, a code), checked
   * before each run: the plugin then gets it, with `spec.interactive` true, unless its `interactiveMode` is `Never`,
   * as kubectl gives it. Without it, plugins get /dev/null and `spec.interactive` false, and `Always` is refused.
   * @default {no terminal}
   */
  terminal?: () => boolean;
  /** Whose credentials these are, for messages (e.g. `user "eks" of kubeconfig /root/.kube/config`). */
  label?: string;
  /** The kubeconfig that configures the plugin, for {@linkcode ConfigError.file}. */
  file?: string;
  /** The kubeconfig field of the plugin, for {@linkcode ConfigError.field}. */
  field?: string;
}

interface ExecResult {
  header?: string;
  certificate?: ClientCertificate;
  refreshAt: number;
}

/**
 * What the credentials of one plugin configuration share, process-wide: its last answer and the run under way.
 * client-go keeps one authenticator per exec configuration and cluster in the same way: a new watch or channel of
 * the same kubeconfig (an equal inline `{ cluster: { kubeconfig } }`, say) must not run the plugin again.
 */
interface SharedAnswer {
  cached?: ExecResult;
  running?: Promise<ExecResult>;
  /** The token the plugin last gave, masked in what it says when it runs again (it may print the one it cached). */
  lastToken?: string;
}

/**
 * The shared answers, by the function that runs plugins (tests give theirs), then by the configuration: the `exec`
 * stanza with the cluster it is told about (`provideClusterInfo`), and the timings that shape a run and its expiry.
 * As many as the distinct configurations of the process; the install hint only words a message.
 */
const sharedAnswers = new WeakMap<RunExecPlugin, Map<string, SharedAnswer>>();

function sharedAnswer(config: ExecConfig, run: RunExecPlugin, timeoutMs: number, refreshBeforeMs: number) {
  let byConfig = sharedAnswers.get(run);
  if (byConfig === undefined) sharedAnswers.set(run, byConfig = new Map());
  const { installHint: _hint, ...stanza } = config;
  const key = JSON.stringify([stanza, timeoutMs, refreshBeforeMs]);
  let shared = byConfig.get(key);
  if (shared === undefined) byConfig.set(key, shared = {});
  return shared;
}

/**
 * Credentials from an exec credential plugin (`client.authentication.k8s.io`
 * `v1` or `v1beta1`). The plugin runs on first use, with standard input on
 * /dev/null (or the terminal, see `options.terminal`) and
 * `KUBERNETES_EXEC_INFO` set; its answer is kept until
 * `refreshBeforeMs` before `expirationTimestamp` (or, without one, until
 * `invalidate()`). Concurrent calls share one run, and the credentials of
 * equal configurations (the same `config`, `run` and timings) share the
 * answer, process-wide, as client-go does: `invalidate()` drops it for all of
 * them, unless another has already replaced the one it was given, or the
 * refused header or client certificate it is passed is not the answer's (a
 * late 401 of a request made with an older answer). A client
 * certificate from the plugin is returned by `clientCertificate()`.
 *
 * @param config The plugin.
 * @param options How to run it, clock, and labels for messages.
 * @returns The credentials.
 * @throws {ConfigError} From `authorization()` and `clientCertificate()`,
 * when the plugin is missing, fails, times out or prints no valid
 * `ExecCredential`, or has `interactiveMode: Always` without a terminal.
 * Messages quote the plugin's standard error, never its standard output; its
 * standard error also goes to `options.stderr` as it comes, line by line and
 * masked, as client-go passes it to its own.
 *
 * @example An EKS token
 * ```ts ignore
 * import { execCredentials } from "./exec_credentials.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
 * const credentials = execCredentials({
 *   apiVersion: "client.authentication.k8s.io/v1beta1",
 *   command: "aws",
 *   args: ["eks", "get-token", "--cluster-name", "prod"],
 *   env: [],
 * }, { run: runExecPlugin });
 * await credentials.authorization(); // "Bearer k8s-aws-v1...."
 * ```
 */
export function execCredentials(
  config: ExecConfig,
  options: ExecCredentialsOptions,
): Credentials & {
  clientCertificate(): Promise<ClientCertificate | undefined>;
} {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const refreshBeforeMs = options.refreshBeforeMs ?? 10_000;
  const label = options.label ?? `exec plugin "${config.command}"`;
  const shared = sharedAnswer(config, options.run, timeoutMs, refreshBeforeMs);
  /** The answer these credentials last handed out: a 401 for an older one must not drop a newer one. */
  let given: ExecResult | undefined;

  const fail = (problem: string) =>
    new ConfigError(
      `Cannot get credentials for ${label} from exec plugin "${config.command}": ${problem}`,
      {
        ...(options.file !== undefined ? { file: options.file } : {}),
        ...(options.field !== undefined ? { field: options.field } : {}),
      },
    );

  async function runPlugin(): Promise<ExecResult> {
    const mode = config.interactiveMode ?? "IfAvailable";
    const interactive = mode !== "Never" && options.terminal?.() === true;
    if (mode === "Always" && !interactive) {
      throw fail(
        'its interactiveMode is "Always", but standard input is not a terminal that it could ask on: run this ' +
          "from a terminal, or log in beforehand so that the plugin can run unattended and set interactiveMode to " +
          "IfAvailable or Never",
      );
    }
    const info: Record<string, unknown> = {
      apiVersion: config.apiVersion,
      kind: "ExecCredential",
      spec: {
        interactive,
        ...(config.cluster ? { cluster: config.cluster } : {}),
      },
    };
    const env: Record<string, string> = {};
    for (const { name, value } of config.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
    // How long it ran, for the trace, on the monotonic clock: a wall-clock step (NTP) meanwhile would make it negative.
    const started = systemClock.now();
    const stderr = options.stderr ?? pluginOutput;
    const secrets = [...givenSecrets(config), ...(shared.lastToken !== undefined ? [shared.lastToken] : [])];
    const mask = lineMasker(secrets);
    const result = await options.run({
      command: config.command,
      args: config.args,
      env,
      timeoutMs,
      stderrLine: (part, unfinished) => {
        const masked = mask(part, unfinished);
        if (masked !== undefined) stderr(masked);
      },
      ...(interactive ? { terminal: true } : {}),
    });
    if (!result.ok) throw fail(describeFailure(result, config, timeoutMs, secrets));
    const answer = await parseExecCredential(result.stdout, config.apiVersion, fail);
    if (answer.header !== undefined) shared.lastToken = answer.header.replace(/^Bearer /, "");
    const obtained = now();
    let refreshAt = Number.POSITIVE_INFINITY;
    let until = "with no expiry";
    if (answer.expiresAt !== undefined) {
      until = `until ${new Date(answer.expiresAt).toISOString()}`;
      refreshAt = answer.expiresAt - refreshBeforeMs;
      // A short-lived answer is still used once rather than re-running at every call.
      if (refreshAt <= obtained) {
        refreshAt = Math.max(answer.expiresAt, obtained + 1);
      }
    }
    const kind = answer.header
      ? (answer.certificate ? "a token and a client certificate" : "a token")
      : "a client certificate";
    trace(
      `exec plugin "${config.command}" for ${label} gave ${kind} ${until} (ran ${
        Math.round(systemClock.now() - started)
      } ms)`,
    );
    return { ...answer, refreshAt };
  }

  async function current(): Promise<ExecResult> {
    const { cached } = shared;
    if (cached && now() < cached.refreshAt) return given = cached;
    shared.running ??= runPlugin().then(
      (result) => {
        shared.running = undefined;
        shared.cached = result;
        return result;
      },
      (error) => {
        shared.running = undefined;
        throw error;
      },
    );
    return given = await shared.running;
  }

  return {
    async authorization() {
      return (await current()).header;
    },
    invalidate(refused, refusedCertificate) {
      const { cached } = shared;
      // A request that another answer made (a late 401, its header or its certificate says so) leaves the new one,
      // as client-go does.
      if (
        cached === undefined || (refused !== undefined && cached.header !== refused) ||
        (refusedCertificate !== undefined && cached.certificate !== refusedCertificate)
      ) return;
      if (given === undefined || cached === given) shared.cached = undefined;
    },
    async clientCertificate() {
      return (await current()).certificate;
    },
    timeLimitMs: timeoutMs,
    // Not "it ran again and was refused again": the resolver runs it again after a first 401, `check` does not.
    renewal: `the API server refused what the exec plugin "${config.command}" gave: log in again with the tool ` +
      "behind it (its session may have expired), and check that its identity may use this cluster",
  };
}

function describeFailure(
  result: Extract<ExecPluginResult, { ok: false }>,
  config: ExecConfig,
  timeoutMs: number,
  secrets: string[],
): string {
  const stderr = stderrExcerpt(result.stderr, secrets);
  switch (result.reason) {
    case "not-found":
      return `the program was not found: ${
        config.installHint?.trim() ||
        "install it, or fix exec.command in the kubeconfig (a bare name is looked up in PATH)"
      }`;
    case "timeout":
      return `it did not finish within ${timeoutMs / 1000} s${stderr}: ` +
        "check that it can run unattended (it must not wait for a browser or a prompt)";
    case "exit":
      return `it failed (${
        result.exitCode !== undefined ? `exit status ${result.exitCode}` : `killed by ${result.detail}`
      })${stderr}: run the command by hand to see why, and log in again if needed`;
    case "not-permitted":
      if (result.detail === "--allow-child-process") {
        return "this Node process may not start it (its permission model is on): run it with --allow-child-process";
      }
      return denoRefusal(result.detail ?? "--allow-run");
    case "too-much-output":
      return `it printed more than ${MAX_PLUGIN_OUTPUT / 1024 / 1024} MiB on ${
        result.detail === "stderr" ? "standard error" : "standard output"
      } and was stopped${stderr}: ` +
        "a plugin prints one ExecCredential object; run it by hand to see what it prints";
    case "error":
      return `it could not be started (${result.detail})${stderr}: check that the command is an executable program`;
  }
}

/** Why Deno refused to start the plugin (`detail`, the flag it named) and which grants it needs. */
function denoRefusal(detail: string): string {
  // --deny-env without a list refuses the environment with --allow-env too, in the same words.
  const denied = detail === "--allow-env" ? everyEnvDeniedAdvice() : undefined;
  const flags = `${denied === undefined ? "" : `${denied}, and `}${flagAdvice(["--allow-run", "--allow-env"])}`;
  const reason = "the plugin gets this process's whole environment, as kubectl gives it";
  // Deno takes no --allow- flag beside -A: only the deny can change.
  if (denied !== undefined && !inDenoWorker() && everyOtherGranted()) {
    return `this Deno process may not start it (it needs ${detail}): ${denied}, or list in it only the variables to ` +
      `deny: ${reason}`;
  }
  if (inDenoWorker()) {
    return `this Deno worker may not start it (it needs ${detail.replace("--allow-", "")} in its Worker's ` +
      `deno.permissions): give it run (or the plugin in its run list) and env without a list there, and ${flags} ` +
      `(${reason})`;
  }
  return `this Deno process may not start it (it needs ${detail}): ${flags}; --allow-run may list the plugin, but ` +
    `--allow-env takes no list: ${reason}`;
}

/**
 * The values that the kubeconfig gave the plugin that may be secrets: its secret arguments and `exec.env` values, short
 * ones only of a secret's name (`API_TOKEN`, not `REGION: east`), as a short one is masked wherever it is a word.
 */
function givenSecrets(config: ExecConfig): string[] {
  const env = config.env.filter(({ name, value }) => value.trim().length >= MASKED_ANYWHERE || isSecretName(name));
  return [...env.map(({ value }) => value), ...secretArguments(config.args)];
}

interface ExecAnswer {
  header?: string;
  certificate?: ClientCertificate;
  expiresAt?: number;
}

async function parseExecCredential(
  stdout: string,
  apiVersion: string,
  fail: (problem: string) => ConfigError,
): Promise<ExecAnswer> {
  const { value, yaml } = await decodeOutput(stdout, fail);
  const kind = typeField(value, "kind", yaml);
  // kubectl takes a missing kind for the one it expects, as its decoder defaults it.
  if (kind !== undefined && kind !== "" && kind !== "ExecCredential") {
    throw fail(
      `its output has kind ${quoteShort(kind, KIND)}: it must print an ExecCredential object`,
    );
  }
  const answered = typeField(value, "apiVersion", yaml);
  if (answered !== apiVersion) {
    throw fail(
      `it answered with apiVersion ${
        quoteShort(answered, API_VERSION)
      }, but the kubeconfig asks for "${apiVersion}": ` +
        "set exec.apiVersion to the version the plugin speaks",
    );
  }
  const status = value.status;
  if (!isRecord(status)) {
    throw fail(
      "its ExecCredential has no status: the plugin did not return credentials",
    );
  }
  for (
    const field of [
      "token",
      "clientCertificateData",
      "clientKeyData",
      "expirationTimestamp",
    ]
  ) {
    if (
      status[field] !== undefined && status[field] !== null &&
      typeof status[field] !== "string"
    ) {
      throw fail(
        `status.${field} of its ExecCredential must be a string: current type is ${typeName(status[field])}`,
      );
    }
  }
  const token = (status.token as string | undefined) || undefined;
  const cert = (status.clientCertificateData as string | undefined) ||
    undefined;
  const key = (status.clientKeyData as string | undefined) || undefined;
  if (!token && !cert && !key) {
    throw fail(
      "its ExecCredential has neither status.token nor status.clientCertificateData and clientKeyData",
    );
  }
  if (!cert !== !key) {
    throw fail(
      "its ExecCredential has only one of status.clientCertificateData and status.clientKeyData: both are needed",
    );
  }
  const answer: ExecAnswer = {};
  if (token) answer.header = `Bearer ${token}`;
  if (cert && key) {
    const unusable = checkClientKeyPair(cert, key, {
      cert: "status.clientCertificateData of its ExecCredential",
      key: "status.clientKeyData",
    });
    if (unusable) throw fail(unusable.problem);
    answer.certificate = createClientCertificate(cert, key);
  }
  const expiration = status.expirationTimestamp as string | null | undefined;
  if (expiration !== undefined && expiration !== null) {
    // As client-go's decoding: an empty string or a date alone fails the whole ExecCredential.
    const time = parseRfc3339(expiration);
    if (time === undefined) {
      throw fail(
        `status.expirationTimestamp ${
          expiration === "" ? '""' : quoteShort(expiration, TIME)
        } of its ExecCredential is not an RFC 3339 date-time: ` +
          "the plugin must write it as 2026-12-03T10:00:00Z (a date, T, a time, then Z or an offset such as +01:00), " +
          "or leave it out",
      );
    }
    answer.expiresAt = time;
  }
  return answer;
}

/**
 * A plugin's output decoded as kubectl decodes it: JSON when it starts with `{` (after Go's white space), else YAML
 * (`yaml`), its first document (a BOM, `---`, anchors). Messages never quote the output, where the token goes.
 */
async function decodeOutput(
  stdout: string,
  fail: (problem: string) => ConfigError,
): Promise<{ value: Record<string, unknown>; yaml: boolean }> {
  let value: unknown;
  const yaml = !JSON_START.test(stdout);
  if (!yaml) {
    try {
      value = JSON.parse(stdout);
    } catch {
      throw fail("its output is not JSON: it must print an ExecCredential object");
    }
  } else {
    if (stdout.length > MAX_YAML_OUTPUT) {
      throw fail(
        `its output is more than ${MAX_YAML_OUTPUT / 1024} KiB of YAML, where an ExecCredential takes a few: ` +
          "print it as JSON, which is read at any size, or run the plugin by hand to see what it prints",
      );
    }
    try {
      value = await parseFirstYamlDocument(stdout);
    } catch (error) {
      if (error instanceof YamlPackageMissingError) throw fail(`its output is not JSON, and ${error.message}`);
      throw fail(
        `its output is neither JSON nor YAML (malformed${yamlErrorPlace(stdout, error)}): ` +
          "it must print an ExecCredential object",
      );
    }
  }
  if (!isRecord(value)) {
    const what = value === undefined || value === null ? "empty" : `a ${typeName(value)}, not an ExecCredential object`;
    throw fail(`its output is ${what}: it must print ${what === "empty" ? "an ExecCredential object" : "one"}`);
  }
  return { value, yaml };
}

/**
 * `kind` or `apiVersion` as kubectl reads them, with Go's encoding/json: under its name in any case (`Kind`), the last
 * such key winning, in the order of the text for JSON and in byte order for YAML (kubectl turns YAML into JSON with
 * sorted keys); a `null` leaves the one before. `undefined` for none.
 */
function typeField(value: Record<string, unknown>, name: string, yaml: boolean): unknown {
  const keys = Object.keys(value).filter((key) => key.toLowerCase() === name.toLowerCase());
  if (yaml) keys.sort();
  let found: unknown;
  for (const key of keys) if (value[key] !== null) found = value[key];
  return found;
}

/**
 * The most YAML a plugin's output is read as, in characters: an ExecCredential takes a few KiB, and the yaml package
 * took 0.2 s for 64 KiB of `k: v` lines, 40 s and 3.5 GB for 16 MiB (the most a plugin may print), and ran out of
 * memory on 16 MiB of `[`. kubectl reads more, faster; JSON is read at any size.
 */
const MAX_YAML_OUTPUT = 64 * 1024;

/** What kubectl decodes as JSON: output that starts with `{` after white space as Go's `unicode.IsSpace` has it. */
const JSON_START = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\{/;

/** The shapes of the plugin's fields that messages quote: a kind, an apiVersion, a time. */
const KIND = /^[A-Za-z]{1,63}$/;
const API_VERSION = /^[a-z0-9.-]{0,253}\/?v[0-9]+[a-z0-9]{0,20}$/;
const TIME = /^[0-9][0-9TZtz:.+ -]{0,63}$/;

/**
 * Quotes a value of the plugin's standard output, where the token goes, only when it has the shape of its field
 * (`shape`): a plugin that printed the token in the wrong field must not have it shown.
 */
function quoteShort(value: unknown, shape: RegExp): string {
  if (typeof value !== "string") {
    return value === undefined ? "(none)" : typeName(value);
  }
  if (!shape.test(value) || maskCredentials(value) !== value) {
    // In parentheses, so that the sentence reads on as it does around a quoted value.
    return `(an unexpected string of ${value.length} characters, not shown: the plugin's output may hold a token)`;
  }
  return JSON.stringify(value);
}
