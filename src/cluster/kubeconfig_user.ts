/**
 * One `users[]` entry of a kubeconfig, checked and read: its credentials
 * (token file, token, basic auth or exec plugin, in kubectl's order), its
 * client certificate and key, its impersonation (`as`), and a secret-free
 * fingerprint that tells it apart from other users.
 *
 * @module
 */

import { isRecord, typeName } from "../base/_util.ts";
import { checkClientKeyPair } from "../runtime/client_key_pair.ts";
import { type RunExecPlugin, stdinIsTerminal } from "../runtime/exec_plugin.ts";
import { trace } from "../runtime/trace.ts";
import { contentsInsteadOfPath, contentsProblem } from "./_contents_instead_of_path.ts";
import { fingerprint, tokenPathKey } from "./_fingerprint.ts";
import { readImpersonation } from "./_kubeconfig_impersonation.ts";
import { resolveAgainst } from "./_paths.ts";
import {
  decodePemData,
  kubeconfigError,
  optionalBoolean,
  optionalString,
  quoteList,
  readKubeconfigPemFile,
} from "./_kubeconfig_fields.ts";
import { basicAuthCredentials, noCredentials, staticTokenCredentials, tokenFileCredentials } from "./credentials.ts";
import { type ExecConfig, execCredentials } from "./exec_credentials.ts";
import type { KubeconfigEntry } from "./kubeconfig_schema.ts";
import type { Credentials, Impersonation, ReadFile } from "./types.ts";

/**
 * How to read a user's files and run its exec plugin.
 *
 * @example The real file system and plugins
 * ```ts
 * import type { KubeconfigUserOptions } from "./kubeconfig_user.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
 * const options: KubeconfigUserOptions = { readFile: readTextFile, runExecPlugin };
 * ```
 */
export interface KubeconfigUserOptions {
  /** Reads CA, certificate, key and token files; `undefined` when missing. */
  readFile: ReadFile;
  /** Runs exec plugins. */
  runExecPlugin: RunExecPlugin;
  /**
   * The clock for token files and exec plugins, in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Exec plugin timeout, in milliseconds.
   * @default {60000}
   */
  execTimeoutMs?: number;
  /**
   * The standard input of exec plugins: `"none"` (/dev/null; `interactiveMode: Always` is refused), or
   * `"terminal"`, this process's when it is a terminal (see {@linkcode Environment.execStdin}).
   * @default {"none"}
   */
  execStdin?: "none" | "terminal";
}

/**
 * A kubeconfig user, read and checked.
 *
 * @example Telling users apart
 * ```ts
 * import type { KubeconfigUserSettings } from "./kubeconfig_user.ts";
 * function sameUser(a: KubeconfigUserSettings, b: KubeconfigUserSettings): boolean {
 *   return a.fingerprint === b.fingerprint;
 * }
 * ```
 */
export interface KubeconfigUserSettings {
  /** The user's credentials; sending none when it has none. */
  credentials: Credentials;
  /** Tells these credentials apart from others without revealing them (`token hmac-sha256:...`, `token file /path`). */
  fingerprint: string;
  /** Client certificate, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** The files `cert` and `key` were read from, when both came from files. */
  certFiles?: { cert: string; key: string };
  /** For an exec plugin with `provideClusterInfo`: its credentials when it is told about another cluster. */
  credentialsFor?(clusterInfo: Record<string, unknown>): Credentials;
  /** Whom requests act as (`as`, `as-uid`, `as-groups`, `as-user-extra`), when `as` is set. */
  impersonate?: Impersonation;
}

const EXEC_VERSIONS = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
] as const;

/**
 * Reads one user entry of a merged kubeconfig, and the certificate and key
 * files it names (the token file and exec plugin are used later, by the
 * credentials).
 *
 * @param name The user's name.
 * @param entry Its entry.
 * @param clusterInfo The cluster as `KUBERNETES_EXEC_INFO` describes it, for `provideClusterInfo`.
 * @param options File reading, plugin running and clock.
 * @returns The user's credentials, certificate and fingerprint.
 * @throws {ConfigError} When a field is missing, malformed or unsupported, with `file` and `field` of the fault.
 *
 * @example A user with a token
 * ```ts
 * import { readKubeconfigUser } from "./kubeconfig_user.ts";
 * const entry = { value: { token: "abc" }, field: "users[0].user" };
 * const user = await readKubeconfigUser("dev", entry, {}, {
 *   readFile: () => Promise.resolve(undefined),
 *   runExecPlugin: () => Promise.reject(new Error("no plugin")),
 * });
 * console.log(await user.credentials.authorization()); // Bearer abc
 * ```
 */
export async function readKubeconfigUser(
  name: string,
  entry: KubeconfigEntry,
  clusterInfo: Record<string, unknown>,
  options: KubeconfigUserOptions,
): Promise<KubeconfigUserSettings> {
  const { value, file, field } = entry;
  const label = `user ${JSON.stringify(name)}${file !== undefined ? ` (kubeconfig ${file})` : ""}`;
  const authProvider = value["auth-provider"];
  if (
    authProvider !== undefined && authProvider !== null && authProvider !== "" &&
    !(isRecord(authProvider) && Object.keys(authProvider).length === 0)
  ) {
    throw kubeconfigError(
      file,
      `${field}.auth-provider`,
      `${field}.auth-provider is not supported (kubectl dropped most auth providers): ` +
        "use an exec plugin instead (e.g. kubelogin for OIDC, gke-gcloud-auth-plugin for GKE)",
    );
  }
  const impersonate = readImpersonation(entry);

  const token = optionalString(value, "token", entry);
  const tokenFile = optionalString(value, "tokenFile", entry);
  const pastedToken = tokenFile === undefined ? undefined : contentsInsteadOfPath(tokenFile);
  if (pastedToken) {
    throw kubeconfigError(
      file,
      `${field}.tokenFile`,
      contentsProblem(`${field}.tokenFile`, pastedToken, "put the token in token instead, or its file's path here"),
    );
  }
  const username = optionalString(value, "username", entry);
  const password = optionalString(value, "password", entry);
  if ((username !== undefined) !== (password !== undefined)) {
    const missing = username === undefined ? "username" : "password";
    throw kubeconfigError(
      file,
      `${field}.${missing}`,
      `${field} has ${missing === "username" ? "password" : "username"} but no ${missing}: set both for basic auth`,
    );
  }
  if (username !== undefined && (token || tokenFile)) {
    throw kubeconfigError(
      file,
      `${field}.username`,
      `${field} sets both username/password and a token: keep one`,
    );
  }

  let cert: string | undefined;
  let key: string | undefined;
  const paths: { cert?: string; key?: string } = {};
  const certData = optionalString(value, "client-certificate-data", entry);
  const certFile = optionalString(value, "client-certificate", entry);
  const keyData = optionalString(value, "client-key-data", entry);
  const keyFile = optionalString(value, "client-key", entry);
  for (const [path, data, name] of [[certFile, certData, "client-certificate"], [keyFile, keyData, "client-key"]]) {
    if (path && data) {
      throw kubeconfigError(
        file,
        `${field}.${name}`,
        `${field} sets both ${name} and ${name}-data: keep one (kubectl refuses this too)`,
      );
    }
  }
  const certField = `${field}.${certData ? "client-certificate-data" : "client-certificate"}`;
  const keyField = `${field}.${keyData ? "client-key-data" : "client-key"}`;
  const names = { cert: certField, key: keyField };
  if (certData) {
    cert = decodePemData(
      certData,
      entry,
      "client-certificate-data",
      "client-certificate",
    );
  } else if (certFile) {
    const path = paths.cert = resolveAgainst(file, certFile);
    cert = await readKubeconfigPemFile(path, entry, "client-certificate", options.readFile, certFile);
    names.cert = `${certField} ${path}`;
  }
  if (keyData) {
    key = decodePemData(keyData, entry, "client-key-data", "client-key");
  } else if (keyFile) {
    const path = paths.key = resolveAgainst(file, keyFile);
    key = await readKubeconfigPemFile(path, entry, "client-key", options.readFile, keyFile);
    names.key = `${keyField} ${path}`;
  }
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? "client-certificate" : "client-key";
    throw kubeconfigError(
      file,
      `${field}.${missing}`,
      `${field} has a ${
        missing === "client-key"
          ? "client certificate but no client-key or client-key-data"
          : "client key but no client-certificate or client-certificate-data"
      }: set both`,
    );
  }
  const unusable = cert !== undefined && key !== undefined ? checkClientKeyPair(cert, key, names) : undefined;
  if (unusable) throw kubeconfigError(file, unusable.part === "cert" ? certField : keyField, unusable.problem);

  const exec = value.exec;
  const hasExec = exec !== undefined && exec !== null;
  let credentials: Credentials | undefined;
  let credentialsFor: KubeconfigUserSettings["credentialsFor"];
  let fingerprinted = "no credentials";
  if (tokenFile) {
    const tokenPath = resolveAgainst(file, tokenFile);
    fingerprinted = `token file ${await tokenPathKey(tokenPath, tokenFile)}` +
      (token ? ` or token ${await fingerprint(token)}` : "");
    if (token) trace(`${label} has both token and tokenFile: using tokenFile, and token while it cannot be read`);
    credentials = tokenFileCredentials(tokenPath, {
      readFile: options.readFile,
      ...(options.now ? { now: options.now } : {}),
      label,
      ...(file !== undefined ? { file } : {}),
      field: `${field}.tokenFile`,
      written: tokenFile,
      pastedTokenAdvice: "put the token in token instead, or its file's path here",
      ...(token ? { fallbackToken: token } : {}),
    });
  } else if (token) {
    credentials = staticTokenCredentials(token, options.now);
    fingerprinted = `token ${await fingerprint(token)}`;
  } else if (username !== undefined && password !== undefined) {
    credentials = basicAuthCredentials(username, password);
    fingerprinted = `basic auth ${await fingerprint(JSON.stringify([username, password]))}`;
  }
  if (hasExec) {
    if (credentials || cert !== undefined) {
      trace(
        `${label} has exec and other credentials: the exec plugin is not used (as in kubectl)`,
      );
    } else {
      const terminal = options.execStdin === "terminal";
      const execConfig = readExec(exec, entry, clusterInfo, terminal);
      fingerprinted = `exec plugin ${await fingerprint(JSON.stringify(execConfig))}`;
      const execOptions = {
        run: options.runExecPlugin,
        ...(options.now ? { now: options.now } : {}),
        ...(options.execTimeoutMs !== undefined ? { timeoutMs: options.execTimeoutMs } : {}),
        label,
        ...(file !== undefined ? { file } : {}),
        field: `${field}.exec`,
        ...(terminal ? { terminal: stdinIsTerminal } : {}),
      };
      credentials = execCredentials(execConfig, execOptions);
      if (execConfig.cluster !== undefined) {
        credentialsFor = (cluster) => execCredentials({ ...execConfig, cluster }, execOptions);
      }
    }
  }
  if (cert !== undefined && key !== undefined) {
    // Sent with any header, as kubectl sends both.
    const certificate = paths.cert !== undefined
      ? `client certificate file ${paths.cert}`
      : `client certificate ${await fingerprint(cert)}`;
    fingerprinted = credentials ? `${fingerprinted} + ${certificate}` : certificate;
  }
  const read: KubeconfigUserSettings = { credentials: credentials ?? noCredentials(), fingerprint: fingerprinted };
  if (impersonate !== undefined) read.impersonate = impersonate;
  if (credentialsFor !== undefined) read.credentialsFor = credentialsFor;
  if (cert !== undefined && key !== undefined) {
    read.cert = cert;
    read.key = key;
    if (paths.cert !== undefined && paths.key !== undefined) read.certFiles = { cert: paths.cert, key: paths.key };
  }
  return read;
}

function readExec(
  exec: unknown,
  user: KubeconfigEntry,
  clusterInfo: Record<string, unknown>,
  terminal: boolean,
): ExecConfig {
  const { file } = user;
  const field = `${user.field}.exec`;
  if (!isRecord(exec)) {
    throw kubeconfigError(
      file,
      field,
      `${field} must be a mapping: current type is ${typeName(exec)}`,
    );
  }
  const entry: KubeconfigEntry = {
    value: exec,
    field,
    ...(file !== undefined ? { file } : {}),
  };
  const apiVersion = optionalString(exec, "apiVersion", entry);
  if (!apiVersion) {
    throw kubeconfigError(
      file,
      `${field}.apiVersion`,
      `${field}.apiVersion is not set: use ${quoteList([...EXEC_VERSIONS])}`,
    );
  }
  if (!(EXEC_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw kubeconfigError(
      file,
      `${field}.apiVersion`,
      `${field}.apiVersion must be one of ${quoteList([...EXEC_VERSIONS])}: current value is ${
        JSON.stringify(apiVersion)
      }`,
    );
  }
  const command = optionalString(exec, "command", entry);
  if (!command) {
    throw kubeconfigError(
      file,
      `${field}.command`,
      `${field}.command is not set: name the plugin program`,
    );
  }
  const mode = optionalString(exec, "interactiveMode", entry);
  if (
    mode !== undefined && mode !== "Never" && mode !== "IfAvailable" &&
    mode !== "Always"
  ) {
    throw kubeconfigError(
      file,
      `${field}.interactiveMode`,
      `${field}.interactiveMode must be "Never", "IfAvailable" or "Always": current value is ${JSON.stringify(mode)}`,
    );
  }
  // Without a terminal to offer (a resolver's plugins), at once; with one, when the plugin runs, as kubectl.
  if (mode === "Always" && !terminal) {
    throw kubeconfigError(
      file,
      `${field}.interactiveMode`,
      `${field}.interactiveMode is "Always", but a resolver has no terminal to ask on: ` +
        "log in beforehand so the plugin can run unattended, and set interactiveMode to IfAvailable or Never",
    );
  }
  const args = exec.args ?? [];
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== "string")) {
    throw kubeconfigError(
      file,
      `${field}.args`,
      `${field}.args must be a list of strings`,
    );
  }
  const envList = exec.env ?? [];
  if (!Array.isArray(envList)) {
    throw kubeconfigError(
      file,
      `${field}.env`,
      `${field}.env must be a list of {name, value}: current type is ${typeName(envList)}`,
    );
  }
  const env = envList.map((item, index) => {
    // A value left out (or null) is the empty string, as kubectl sets it.
    const value = isRecord(item) ? item.value ?? "" : undefined;
    if (!isRecord(item) || typeof item.name !== "string" || item.name === "" || typeof value !== "string") {
      throw kubeconfigError(
        file,
        `${field}.env[${index}]`,
        `${field}.env[${index}] must have a string name and a string value`,
      );
    }
    return { name: item.name, value };
  });
  const provideClusterInfo = optionalBoolean(exec, "provideClusterInfo", entry) === true;
  const installHint = optionalString(exec, "installHint", entry);
  const config: ExecConfig = {
    apiVersion: apiVersion as ExecConfig["apiVersion"],
    command: /[\\/]/.test(command) ? resolveAgainst(file, command) : command,
    args: args as string[],
    env,
  };
  if (mode !== undefined) config.interactiveMode = mode;
  if (installHint) config.installHint = installHint;
  if (provideClusterInfo) config.cluster = clusterInfo;
  return config;
}
