/**
 * Kubeconfig files: parsing (with the `yaml` package), merging a
 * `KUBECONFIG` list by kubectl's rules, and turning one context into a
 * server, TLS settings and credentials.
 *
 * Merge rules, as in client-go's `clientcmd` loader: the first file that
 * defines a cluster, user or context name wins (the whole entry, not field by
 * field); `current-context` comes from the first file that sets it; relative
 * paths resolve against the folder of the file that holds them. Unknown
 * fields are ignored, a repeated key's last value wins and YAML 1.1
 * booleans (`yes`, `off`) are booleans, as kubectl does.
 *
 * @module
 */

import { parse, type ScalarTag, type Tags } from "yaml";
import type { Credentials, ReadFile, TlsSettings } from "./cluster_access.ts";
import {
  basicAuthCredentials,
  createTlsSettings,
  type ExecConfig,
  execCredentials,
  noCredentials,
  staticTokenCredentials,
  tokenFileCredentials,
} from "./credentials.ts";
import { ConfigError } from "./errors.ts";
import { proxyForDisplay, proxyUrlProblem } from "./proxy.ts";
import { encodeBase64, errorCode, fingerprint, isRecord, typeName } from "./_util.ts";
import { checkClientKeyPair } from "./runtime/client_key_pair.ts";
import type { RunExecPlugin } from "./runtime/exec_plugin.ts";
import { absolutePath } from "./runtime/files.ts";
import { trace } from "./trace.ts";

/**
 * A parsed kubeconfig, as in the file (`apiVersion: v1`, `kind: Config`).
 *
 * @example A kubeconfig as an object
 * ```ts
 * import type { KubeconfigObject } from "./kubeconfig.ts";
 * const config: KubeconfigObject = {
 *   "current-context": "kind",
 *   clusters: [{ name: "kind", cluster: { server: "https://127.0.0.1:6443" } }],
 *   users: [{ name: "kind", user: { token: "abc" } }],
 *   contexts: [{ name: "kind", context: { cluster: "kind", user: "kind" } }],
 * };
 * ```
 */
export interface KubeconfigObject {
  /** Usually `v1`; not checked. */
  apiVersion?: string;
  /** Usually `Config`; not checked. */
  kind?: string;
  /** Named clusters. */
  clusters?: NamedKubeconfigCluster[] | null;
  /** Named users. */
  users?: NamedKubeconfigUser[] | null;
  /** Named contexts. */
  contexts?: NamedKubeconfigContext[] | null;
  /** The context to use when none is given. */
  "current-context"?: string;
  /** Other fields (`preferences`, `extensions`) are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `clusters`.
 *
 * @example A cluster entry
 * ```ts
 * import type { NamedKubeconfigCluster } from "./kubeconfig.ts";
 * const entry: NamedKubeconfigCluster = { name: "kind", cluster: { server: "https://127.0.0.1:6443" } };
 * ```
 */
export interface NamedKubeconfigCluster {
  /** Name that contexts refer to. */
  name: string;
  /** The cluster. */
  cluster: KubeconfigCluster;
}

/**
 * A kubeconfig cluster.
 *
 * @example A cluster with a private CA file
 * ```ts
 * import type { KubeconfigCluster } from "./kubeconfig.ts";
 * const cluster: KubeconfigCluster = { server: "https://10.0.0.1:6443", "certificate-authority": "ca.crt" };
 * ```
 */
export interface KubeconfigCluster {
  /** API server URL, `https://host:port`; without a scheme, see {@linkcode hasScheme}. */
  server?: string;
  /** Path of a PEM CA file; relative to the kubeconfig's folder. */
  "certificate-authority"?: string;
  /** Base64 of a PEM CA; wins over `certificate-authority`. */
  "certificate-authority-data"?: string;
  /** Skip TLS verification; only `true` turns it on. */
  "insecure-skip-tls-verify"?: boolean;
  /** Name to verify the server certificate against. */
  "tls-server-name"?: string;
  /** Proxy to reach the server through. */
  "proxy-url"?: string;
  /** Named extensions; `client.authentication.k8s.io/exec` goes to exec plugins. */
  extensions?: { name: string; extension: unknown }[] | null;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `users`.
 *
 * @example A user entry
 * ```ts
 * import type { NamedKubeconfigUser } from "./kubeconfig.ts";
 * const entry: NamedKubeconfigUser = { name: "ci", user: { tokenFile: "/run/secrets/token" } };
 * ```
 */
export interface NamedKubeconfigUser {
  /** Name that contexts refer to. */
  name: string;
  /** The user. */
  user: KubeconfigUser;
}

/**
 * A kubeconfig user (client-go calls it `AuthInfo`).
 *
 * @example A user with a client certificate
 * ```ts
 * import type { KubeconfigUser } from "./kubeconfig.ts";
 * const user: KubeconfigUser = { "client-certificate": "client.crt", "client-key": "client.key" };
 * ```
 */
export interface KubeconfigUser {
  /** Bearer token. */
  token?: string;
  /** File holding a bearer token, re-read periodically; wins over `token`, which is sent while the file cannot be read. */
  tokenFile?: string;
  /** Path of the PEM client certificate. */
  "client-certificate"?: string;
  /** Base64 of the PEM client certificate; wins over `client-certificate`. */
  "client-certificate-data"?: string;
  /** Path of the PEM client key. */
  "client-key"?: string;
  /** Base64 of the PEM client key; wins over `client-key`. */
  "client-key-data"?: string;
  /** Basic auth user name. */
  username?: string;
  /** Basic auth password. */
  password?: string;
  /** Exec credential plugin. */
  exec?: KubeconfigExec | null;
  /** Other fields are ignored, except `auth-provider` and impersonation (`as`), which are rejected. */
  [field: string]: unknown;
}

/**
 * A kubeconfig `exec` stanza.
 *
 * @example An EKS exec plugin
 * ```ts
 * import type { KubeconfigExec } from "./kubeconfig.ts";
 * const exec: KubeconfigExec = {
 *   apiVersion: "client.authentication.k8s.io/v1beta1",
 *   command: "aws",
 *   args: ["eks", "get-token", "--cluster-name", "prod"],
 *   interactiveMode: "Never",
 * };
 * ```
 */
export interface KubeconfigExec {
  /** `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`. */
  apiVersion?: string;
  /** Program; relative paths with a `/` resolve against the kubeconfig's folder, bare names use `PATH`. */
  command?: string;
  /** Arguments. */
  args?: string[] | null;
  /** Added environment variables. */
  env?: { name: string; value: string }[] | null;
  /** `Never`, `IfAvailable` or `Always`; we are never interactive, so `Always` is an error. */
  interactiveMode?: string;
  /** Send the cluster in `KUBERNETES_EXEC_INFO`. */
  provideClusterInfo?: boolean;
  /** Shown when the program is not found. */
  installHint?: string;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * A kubeconfig context.
 *
 * @example A context with a namespace
 * ```ts
 * import type { KubeconfigContext } from "./kubeconfig.ts";
 * const context: KubeconfigContext = { cluster: "kind", user: "kind", namespace: "shop" };
 * ```
 */
export interface KubeconfigContext {
  /** Cluster name. */
  cluster?: string;
  /** User name; absent means anonymous. */
  user?: string;
  /** Default namespace. */
  namespace?: string;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `contexts`.
 *
 * @example A context entry
 * ```ts
 * import type { NamedKubeconfigContext } from "./kubeconfig.ts";
 * const entry: NamedKubeconfigContext = { name: "dev", context: { cluster: "kind", user: "kind" } };
 * ```
 */
export interface NamedKubeconfigContext {
  /** Name that `current-context` refers to. */
  name: string;
  /** The context. */
  context: KubeconfigContext;
}

/**
 * One kubeconfig to merge: its content and the file it came from (`undefined` for an object from `cluster.kubeconfig`).
 *
 * @example One file to merge
 * ```ts
 * import { mergeKubeconfigs, type KubeconfigSource } from "./kubeconfig.ts";
 * const source: KubeconfigSource = { config: { "current-context": "dev" }, file: "/root/.kube/config" };
 * console.log(mergeKubeconfigs([source]).currentContext); // { name: "dev", file: "/root/.kube/config" }
 * ```
 */
export interface KubeconfigSource {
  /** The parsed kubeconfig. */
  config: KubeconfigObject;
  /** Its file; relative paths inside resolve against its folder. */
  file?: string;
}

/**
 * A merged entry: the winning definition of one name, and where it came from.
 *
 * @example Where a user was defined
 * ```ts
 * import { mergeKubeconfigs } from "./kubeconfig.ts";
 * const merged = mergeKubeconfigs([{ config: { users: [{ name: "u", user: {} }] }, file: "/k" }]);
 * console.log(merged.users.get("u")?.field); // users[0].user
 * ```
 */
export interface KubeconfigEntry {
  /** The inner mapping (`cluster`, `user` or `context`). */
  value: Record<string, unknown>;
  /** The file that defined it. */
  file?: string;
  /** Its path in that file, e.g. `users[2].user`. */
  field: string;
}

/**
 * Several kubeconfigs merged by kubectl's rules.
 *
 * @example Listing merged contexts
 * ```ts
 * import { mergeKubeconfigs } from "./kubeconfig.ts";
 * const merged = mergeKubeconfigs([{ config: { contexts: [{ name: "dev", context: { cluster: "c" } }] } }]);
 * console.log([...merged.contexts.keys()]); // ["dev"]
 * ```
 */
export interface MergedKubeconfig {
  /** `current-context` of the first file that sets it. */
  currentContext?: { name: string; file?: string };
  /** Clusters by name. */
  clusters: Map<string, KubeconfigEntry>;
  /** Users by name. */
  users: Map<string, KubeconfigEntry>;
  /** Contexts by name. */
  contexts: Map<string, KubeconfigEntry>;
  /** The files merged, in order (none for an object from `cluster.kubeconfig`). */
  files: string[];
}

/**
 * Parses the text of a kubeconfig file (YAML or JSON). Only the shape that
 * matters is checked here; fields are checked when a context is used.
 *
 * @param text The file's text.
 * @param file The file, for messages.
 * @returns The kubeconfig; an empty file gives `{}`.
 * @throws {ConfigError} When the YAML is malformed (the message gives line
 * and column, never the text, which may hold a token) or is not a mapping.
 *
 * @example Parsing a small kubeconfig
 * ```ts
 * import { parseKubeconfig } from "./kubeconfig.ts";
 * const config = parseKubeconfig("current-context: dev\ncontexts: []\n", "/tmp/config");
 * console.log(config["current-context"]); // dev
 * ```
 */
export function parseKubeconfig(text: string, file: string): KubeconfigObject {
  let value: unknown;
  try {
    // logLevel "error": warnings would go to the console (process.emitWarning) and may quote the text.
    value = parse(text, { prettyErrors: false, logLevel: "error", uniqueKeys: false, customTags: withYaml11Booleans });
  } catch (error) {
    // The yaml package's message quotes the offending line: it may hold a token.
    const { code, pos } = error as { code?: string; pos?: [number, number] };
    const at = typeof pos?.[0] === "number" ? ` at ${lineAndColumn(text, pos[0])}` : "";
    throw new ConfigError(
      `Cannot load kubeconfig ${file}: the YAML is malformed${at}${code ? ` (${code})` : ""}: ` +
        "fix the file, or check it with `kubectl config view`",
      { file },
    );
  }
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) {
    throw new ConfigError(
      `Cannot load kubeconfig ${file}: the file is a YAML ${typeName(value)}, not a mapping: ` +
        "a kubeconfig has clusters, users, contexts and current-context",
      { file },
    );
  }
  return value as KubeconfigObject;
}

/**
 * kubectl reads kubeconfigs with go-yaml v2 (through sigs.k8s.io/yaml): a
 * repeated key overwrites the earlier one (`uniqueKeys: false` above), and
 * plain `yes`/`no`/`on`/`off`/`y`/`n` in any of their spellings are booleans as
 * in YAML 1.1. Everything else stays YAML 1.2 core: go-yaml v2 keeps
 * timestamps and `10:20` as strings, which the yaml package's 1.1 schema would not.
 */
function withYaml11Booleans(tags: Tags): Tags {
  const boolean = (value: boolean, test: RegExp): ScalarTag => ({
    tag: "tag:yaml.org,2002:bool",
    default: true,
    test,
    resolve: () => value,
  });
  return [
    ...tags.filter((tag) => typeof tag === "string" || tag.tag !== "tag:yaml.org,2002:bool"),
    boolean(true, /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/),
    boolean(false, /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/),
  ];
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * Merges kubeconfigs by kubectl's rules: the first to define a name wins,
 * `current-context` from the first that sets it.
 *
 * @param sources The kubeconfigs, in `KUBECONFIG` order.
 * @returns The merged view.
 * @throws {ConfigError} When a list is not a list, an entry has no name, or
 * one file defines a name twice.
 *
 * @example First file wins
 * ```ts
 * import { mergeKubeconfigs } from "./kubeconfig.ts";
 * const merged = mergeKubeconfigs([
 *   { config: { "current-context": "a", clusters: [{ name: "c", cluster: { server: "https://one" } }] }, file: "/one" },
 *   { config: { "current-context": "b", clusters: [{ name: "c", cluster: { server: "https://two" } }] }, file: "/two" },
 * ]);
 * console.log(merged.currentContext?.name, merged.clusters.get("c")?.file); // a /one
 * ```
 */
export function mergeKubeconfigs(
  sources: KubeconfigSource[],
): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    files: [],
  };
  for (const { config, file } of sources) {
    if (file !== undefined) merged.files.push(file);
    if (!isRecord(config)) {
      throw configError(
        file,
        undefined,
        `the kubeconfig is a ${typeName(config)}, not an object`,
      );
    }
    const current = config["current-context"];
    if (
      current !== undefined && current !== null && typeof current !== "string"
    ) {
      throw configError(
        file,
        "current-context",
        `current-context must be a string: current type is ${typeName(current)}`,
      );
    }
    if (merged.currentContext === undefined && current) {
      merged.currentContext = file !== undefined ? { name: current, file } : { name: current };
    }
    mergeList(merged.clusters, config.clusters, "clusters", "cluster", file);
    mergeList(merged.users, config.users, "users", "user", file);
    mergeList(merged.contexts, config.contexts, "contexts", "context", file);
  }
  return merged;
}

function mergeList(
  into: Map<string, KubeconfigEntry>,
  list: unknown,
  listName: string,
  inner: string,
  file: string | undefined,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    throw configError(
      file,
      listName,
      `${listName} must be a list: current type is ${typeName(list)}`,
    );
  }
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const at = `${listName}[${index}]`;
    if (!isRecord(item)) {
      throw configError(
        file,
        at,
        `${at} must be a mapping with name and ${inner}: current type is ${typeName(item)}`,
      );
    }
    const name = item.name;
    if (typeof name !== "string" || name === "") {
      throw configError(
        file,
        `${at}.name`,
        `${at}.name must be a non-empty string: give the entry a name`,
      );
    }
    if (seen.has(name)) {
      throw configError(
        file,
        `${at}.name`,
        `${at}.name ${JSON.stringify(name)} is defined twice in ${listName}: names must be unique`,
      );
    }
    seen.add(name);
    const value = item[inner] ?? {};
    if (!isRecord(value)) {
      throw configError(
        file,
        `${at}.${inner}`,
        `${at}.${inner} must be a mapping: current type is ${typeName(value)}`,
      );
    }
    if (!into.has(name)) {
      const entry: KubeconfigEntry = { value, field: `${at}.${inner}` };
      if (file !== undefined) entry.file = file;
      into.set(name, entry);
    }
  });
}

/**
 * Reads and merges a list of kubeconfig files; missing files are skipped.
 *
 * @param paths The files, in `KUBECONFIG` order.
 * @param readFile Reads a file; `undefined` when it does not exist.
 * @returns The merged view (`files` lists the ones found) and the missing files.
 * @throws {ConfigError} When a file cannot be read or parsed.
 *
 * @example Loading KUBECONFIG
 * ```ts ignore
 * import { loadKubeconfigFiles } from "./kubeconfig.ts";
 * import { readTextFile } from "./runtime/files.ts";
 * const { merged, missing } = await loadKubeconfigFiles(["/a/config", "/b/config"], readTextFile);
 * console.log(merged.files, missing);
 * ```
 */
export async function loadKubeconfigFiles(
  paths: string[],
  readFile: ReadFile,
): Promise<{ merged: MergedKubeconfig; missing: string[] }> {
  const sources: KubeconfigSource[] = [];
  const missing: string[] = [];
  for (const file of new Set(paths)) {
    if (file === "") continue;
    let text: string | undefined;
    try {
      text = await readFile(file);
    } catch (error) {
      throw new ConfigError(
        `Cannot load kubeconfig ${file}: the file cannot be read (${errorCode(error)}): check its permissions`,
        { file },
      );
    }
    if (text === undefined) {
      trace(`kubeconfig ${file} does not exist: skipped`);
      missing.push(file);
      continue;
    }
    sources.push({ config: parseKubeconfig(text, file), file });
  }
  return { merged: mergeKubeconfigs(sources), missing };
}

/**
 * What one kubeconfig context gives, before `options` and namespace defaults apply.
 *
 * @example Reading what a context gives
 * ```ts
 * import { accessFromKubeconfig, mergeKubeconfigs } from "./kubeconfig.ts";
 * const merged = mergeKubeconfigs([{
 *   config: {
 *     "current-context": "dev",
 *     clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
 *     contexts: [{ name: "dev", context: { cluster: "c", namespace: "shop" } }],
 *   },
 * }]);
 * const access = await accessFromKubeconfig(merged, {
 *   readFile: () => Promise.resolve(undefined),
 *   runExecPlugin: () => Promise.reject(new Error("no plugin")),
 * });
 * console.log(access.server, access.namespace, access.user); // https://127.0.0.1:6443 shop anonymous
 * ```
 */
export interface KubeconfigAccess {
  /** The context used. */
  context: string;
  /** API server URL, without a trailing slash. */
  server: string;
  /** True when the kubeconfig wrote `server` without a scheme: `https://` is assumed here (see {@linkcode hasScheme}). */
  serverSchemeAssumed?: boolean;
  /** The context's namespace, when it sets one. */
  namespace?: string;
  /** TLS settings; the client key is kept private. */
  tls: TlsSettings;
  /** Credentials of the context's user. */
  credentials: Credentials;
  /** Secret-free description of the user, e.g. `user "dev" of /root/.kube/config`. */
  user: string;
  /** Where this came from, e.g. `kubeconfig /root/.kube/config (context "dev")`. */
  source: string;
  /** The cluster's `proxy-url`, when set. */
  proxyUrl?: string;
}

/**
 * Options of {@linkcode accessFromKubeconfig}.
 *
 * @example Choosing a context
 * ```ts
 * import type { KubeconfigAccessOptions } from "./kubeconfig.ts";
 * import { readTextFile } from "./runtime/files.ts";
 * import { runExecPlugin } from "./runtime/exec_plugin.ts";
 * const options: KubeconfigAccessOptions = { context: "prod", readFile: readTextFile, runExecPlugin };
 * ```
 */
export interface KubeconfigAccessOptions {
  /** Context to use instead of `current-context`. */
  context?: string;
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
}

/**
 * Turns one context of a merged kubeconfig into a server, TLS settings and
 * credentials. Reads the CA, certificate and key files it names (the token
 * file and exec plugin are used later, by `credentials`).
 *
 * @param merged The merged kubeconfig.
 * @param options The context to use, and file reading and plugin running.
 * @returns The access the context gives.
 * @throws {ConfigError} When the context, its cluster or user is missing or
 * malformed, with `file` and `field` of the fault.
 *
 * @example Using the current context
 * ```ts ignore
 * import { accessFromKubeconfig, loadKubeconfigFiles } from "./kubeconfig.ts";
 * import { readTextFile } from "./runtime/files.ts";
 * import { runExecPlugin } from "./runtime/exec_plugin.ts";
 * const { merged } = await loadKubeconfigFiles(["/root/.kube/config"], readTextFile);
 * const access = await accessFromKubeconfig(merged, { readFile: readTextFile, runExecPlugin });
 * console.log(access.server, access.source);
 * ```
 */
export async function accessFromKubeconfig(
  merged: MergedKubeconfig,
  options: KubeconfigAccessOptions,
): Promise<KubeconfigAccess> {
  const where = merged.files.length > 0 ? merged.files.join(", ") : undefined;
  const contextName = options.context ?? merged.currentContext?.name;
  if (contextName === undefined) {
    const defined = [...merged.contexts.keys()];
    throw configError(
      merged.files[0],
      "current-context",
      `current-context is not set${where && merged.files.length > 1 ? ` in any of ${where}` : ""}: ` +
        (defined.length > 0
          ? `pass cluster.context or run \`kubectl config use-context NAME\` (contexts: ${quoteList(defined)})`
          : "the kubeconfig defines no contexts; add one with `kubectl config set-context`"),
      where,
    );
  }
  const contextEntry = merged.contexts.get(contextName);
  if (!contextEntry) {
    const defined = [...merged.contexts.keys()];
    const choose = defined.length > 0 ? `use one of ${quoteList(defined)}` : "the kubeconfig defines no contexts";
    if (options.context !== undefined) {
      throw configError(
        undefined,
        undefined,
        `context ${JSON.stringify(contextName)} from cluster.context is not defined: ${choose}`,
        where,
      );
    }
    throw configError(
      merged.currentContext?.file,
      "current-context",
      `current-context ${
        JSON.stringify(contextName)
      } names no context: ${choose}, or run \`kubectl config use-context NAME\``,
      where,
    );
  }
  const context = contextEntry.value;
  const contextField = contextEntry.field;
  const clusterName = optionalString(context, "cluster", contextEntry);
  const userName = optionalString(context, "user", contextEntry);
  const namespace = optionalString(context, "namespace", contextEntry);
  if (!clusterName) {
    throw configError(
      contextEntry.file,
      `${contextField}.cluster`,
      `${contextField}.cluster is not set: name the cluster of context ${JSON.stringify(contextName)}`,
    );
  }
  const clusterEntry = merged.clusters.get(clusterName);
  if (!clusterEntry) {
    throw configError(
      contextEntry.file,
      `${contextField}.cluster`,
      `${contextField}.cluster names cluster ${JSON.stringify(clusterName)}, which is not defined: ` +
        `add it to clusters or fix the name (clusters: ${quoteList([...merged.clusters.keys()])})`,
    );
  }
  const cluster = await readCluster(
    clusterName,
    clusterEntry,
    options.readFile,
  );

  const source = `kubeconfig ${where ?? "object from cluster.kubeconfig"} (context ${JSON.stringify(contextName)})`;
  let credentials: Credentials = noCredentials();
  let user = "anonymous";
  let cert: string | undefined;
  let key: string | undefined;
  if (userName) {
    const userEntry = merged.users.get(userName);
    if (!userEntry) {
      throw configError(
        contextEntry.file,
        `${contextField}.user`,
        `${contextField}.user names user ${JSON.stringify(userName)}, which is not defined: ` +
          `add it to users or fix the name (users: ${quoteList([...merged.users.keys()])})`,
      );
    }
    const read = await readUser(userName, userEntry, cluster, options);
    // The name alone is not an identity: two kubeconfigs may name different credentials alike.
    user = `user ${JSON.stringify(userName)}${userEntry.file !== undefined ? ` of ${userEntry.file}` : ""} ` +
      `(${read.fingerprint})`;
    credentials = read.credentials;
    cert = read.cert;
    key = read.key;
  }

  const tlsInit: TlsSettings = { caSource: cluster.caSource };
  if (cluster.ca !== undefined) tlsInit.ca = cluster.ca;
  if (cluster.tlsServerName !== undefined) {
    tlsInit.serverName = cluster.tlsServerName;
  }
  if (cluster.insecure) tlsInit.insecureSkipVerify = true;
  if (cert !== undefined && key !== undefined) {
    tlsInit.cert = cert;
    tlsInit.key = key;
  }
  const access: KubeconfigAccess = {
    context: contextName,
    server: cluster.server,
    tls: createTlsSettings(tlsInit),
    credentials,
    user,
    source,
  };
  if (cluster.schemeAssumed) access.serverSchemeAssumed = true;
  if (namespace) access.namespace = namespace;
  if (cluster.proxyUrl !== undefined) access.proxyUrl = cluster.proxyUrl;
  trace(`using ${source}: server ${cluster.server}, ${user}`);
  return access;
}

interface ReadCluster {
  server: string;
  schemeAssumed: boolean;
  ca?: string;
  caSource: string;
  insecure: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  execInfo: Record<string, unknown>;
}

async function readCluster(
  name: string,
  entry: KubeconfigEntry,
  readFile: ReadFile,
): Promise<ReadCluster> {
  const { value, file, field } = entry;
  const serverText = optionalString(value, "server", entry);
  if (!serverText) {
    throw configError(
      file,
      `${field}.server`,
      `${field}.server is not set: give cluster ${JSON.stringify(name)} its API server URL`,
    );
  }
  const server = normalizeServer(
    serverText,
    (problem) => configError(file, `${field}.server`, `${field}.server ${problem}`),
  );
  const insecure = optionalBoolean(value, "insecure-skip-tls-verify", entry) === true;
  const tlsServerName = optionalString(value, "tls-server-name", entry);
  const proxyUrl = optionalString(value, "proxy-url", entry);
  const proxyProblem = proxyUrl ? proxyUrlProblem(proxyUrl) : undefined;
  if (proxyProblem) throw configError(file, `${field}.proxy-url`, `${field}.proxy-url ${proxyProblem}`);

  let ca: string | undefined;
  let caSource = "the system trust store";
  const caData = optionalString(value, "certificate-authority-data", entry);
  const caFile = optionalString(value, "certificate-authority", entry);
  if (caData) {
    ca = decodePemData(
      caData,
      entry,
      "certificate-authority-data",
      "certificate-authority",
    );
    caSource = `certificate-authority-data of cluster ${JSON.stringify(name)}`;
  } else if (caFile) {
    const path = resolveAgainst(file, caFile);
    ca = await readPemFile(path, entry, "certificate-authority", readFile);
    caSource = `certificate-authority ${path}`;
  }
  if (insecure) {
    if (ca !== undefined) {
      throw configError(
        file,
        `${field}.insecure-skip-tls-verify`,
        `${field} sets both insecure-skip-tls-verify and a certificate authority: ` +
          "remove one (kubectl refuses this too)",
      );
    }
    caSource = `no verification (insecure-skip-tls-verify of cluster ${JSON.stringify(name)})`;
    trace(
      `cluster ${JSON.stringify(name)} has insecure-skip-tls-verify: true: the server certificate is not checked`,
    );
  }

  const execInfo: Record<string, unknown> = { server };
  if (tlsServerName) execInfo["tls-server-name"] = tlsServerName;
  if (insecure) execInfo["insecure-skip-tls-verify"] = true;
  if (ca !== undefined) {
    execInfo["certificate-authority-data"] = encodeBase64(ca);
  }
  if (proxyUrl) execInfo["proxy-url"] = proxyUrl;
  if (value["disable-compression"] === true) {
    execInfo["disable-compression"] = true;
  }
  if (Array.isArray(value.extensions)) {
    for (const extension of value.extensions) {
      if (
        isRecord(extension) &&
        extension.name === "client.authentication.k8s.io/exec"
      ) {
        execInfo.config = extension.extension;
      }
    }
  }

  const cluster: ReadCluster = { server, schemeAssumed: !hasScheme(serverText), caSource, insecure, execInfo };
  if (ca !== undefined) cluster.ca = ca;
  if (tlsServerName) cluster.tlsServerName = tlsServerName;
  if (proxyUrl) {
    cluster.proxyUrl = proxyUrl;
    trace(`cluster ${JSON.stringify(name)} has proxy-url ${proxyForDisplay(proxyUrl)}`);
  }
  return cluster;
}

interface ReadUser {
  credentials: Credentials;
  /** Tells these credentials apart from others without revealing them (`token sha256:...`, `token file /path`). */
  fingerprint: string;
  cert?: string;
  key?: string;
}

const EXEC_VERSIONS = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
] as const;

async function readUser(
  name: string,
  entry: KubeconfigEntry,
  cluster: ReadCluster,
  options: KubeconfigAccessOptions,
): Promise<ReadUser> {
  const { value, file, field } = entry;
  const label = `user ${JSON.stringify(name)}${file !== undefined ? ` (kubeconfig ${file})` : ""}`;
  for (
    const unsupported of [
      "auth-provider",
      "as",
      "as-uid",
      "as-groups",
      "as-user-extra",
    ]
  ) {
    const present = value[unsupported];
    if (
      present === undefined || present === null || present === "" ||
      (Array.isArray(present) && present.length === 0)
    ) {
      continue;
    }
    if (isRecord(present) && Object.keys(present).length === 0) continue;
    throw configError(
      file,
      `${field}.${unsupported}`,
      unsupported === "auth-provider"
        ? `${field}.auth-provider is not supported (kubectl dropped most auth providers): ` +
          "use an exec plugin instead (e.g. kubelogin for OIDC, gke-gcloud-auth-plugin for GKE)"
        : `${field}.${unsupported} asks for impersonation, which is not supported: ` +
          "use a user that has the permissions itself",
    );
  }

  const token = optionalString(value, "token", entry);
  const tokenFile = optionalString(value, "tokenFile", entry);
  const username = optionalString(value, "username", entry);
  const password = optionalString(value, "password", entry);
  if ((username !== undefined) !== (password !== undefined)) {
    const missing = username === undefined ? "username" : "password";
    throw configError(
      file,
      `${field}.${missing}`,
      `${field} has ${missing === "username" ? "password" : "username"} but no ${missing}: set both for basic auth`,
    );
  }
  if (username !== undefined && (token || tokenFile)) {
    throw configError(
      file,
      `${field}.username`,
      `${field} sets both username/password and a token: keep one`,
    );
  }

  let cert: string | undefined;
  let key: string | undefined;
  const certData = optionalString(value, "client-certificate-data", entry);
  const certFile = optionalString(value, "client-certificate", entry);
  const keyData = optionalString(value, "client-key-data", entry);
  const keyFile = optionalString(value, "client-key", entry);
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
    const path = resolveAgainst(file, certFile);
    cert = await readPemFile(path, entry, "client-certificate", options.readFile);
    names.cert = `${certField} ${path}`;
  }
  if (keyData) {
    key = decodePemData(keyData, entry, "client-key-data", "client-key");
  } else if (keyFile) {
    const path = resolveAgainst(file, keyFile);
    key = await readPemFile(path, entry, "client-key", options.readFile);
    names.key = `${keyField} ${path}`;
  }
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? "client-certificate" : "client-key";
    throw configError(
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
  if (unusable) throw configError(file, unusable.part === "cert" ? certField : keyField, unusable.problem);

  const exec = value.exec;
  const hasExec = exec !== undefined && exec !== null;
  let credentials: Credentials | undefined;
  let fingerprinted = "no credentials";
  if (tokenFile) {
    fingerprinted = `token file ${resolveAgainst(file, tokenFile)}` +
      (token ? ` or token ${await fingerprint(token)}` : "");
    if (token) trace(`${label} has both token and tokenFile: using tokenFile, and token while it cannot be read`);
    credentials = tokenFileCredentials(resolveAgainst(file, tokenFile), {
      readFile: options.readFile,
      ...(options.now ? { now: options.now } : {}),
      label,
      ...(file !== undefined ? { file } : {}),
      field: `${field}.tokenFile`,
      ...(token ? { fallbackToken: token } : {}),
    });
  } else if (token) {
    credentials = staticTokenCredentials(token);
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
      const execConfig = readExec(exec, entry, cluster);
      fingerprinted = `exec plugin ${await fingerprint(JSON.stringify(execConfig))}`;
      credentials = execCredentials(execConfig, {
        run: options.runExecPlugin,
        ...(options.now ? { now: options.now } : {}),
        ...(options.execTimeoutMs !== undefined ? { timeoutMs: options.execTimeoutMs } : {}),
        label,
        ...(file !== undefined ? { file } : {}),
        field: `${field}.exec`,
      });
    }
  }
  const read: ReadUser = { credentials: credentials ?? noCredentials(), fingerprint: fingerprinted };
  if (cert !== undefined && key !== undefined) {
    read.cert = cert;
    read.key = key;
  }
  return read;
}

function readExec(
  exec: unknown,
  user: KubeconfigEntry,
  cluster: ReadCluster,
): ExecConfig {
  const { file } = user;
  const field = `${user.field}.exec`;
  if (!isRecord(exec)) {
    throw configError(
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
    throw configError(
      file,
      `${field}.apiVersion`,
      `${field}.apiVersion is not set: use ${quoteList([...EXEC_VERSIONS])}`,
    );
  }
  if (!(EXEC_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw configError(
      file,
      `${field}.apiVersion`,
      `${field}.apiVersion must be one of ${quoteList([...EXEC_VERSIONS])}: current value is ${
        JSON.stringify(apiVersion)
      }`,
    );
  }
  const command = optionalString(exec, "command", entry);
  if (!command) {
    throw configError(
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
    throw configError(
      file,
      `${field}.interactiveMode`,
      `${field}.interactiveMode must be "Never", "IfAvailable" or "Always": current value is ${JSON.stringify(mode)}`,
    );
  }
  if (mode === "Always") {
    throw configError(
      file,
      `${field}.interactiveMode`,
      `${field}.interactiveMode is "Always", but a resolver has no terminal to ask on: ` +
        "log in beforehand so the plugin can run unattended, and set interactiveMode to IfAvailable or Never",
    );
  }
  const args = exec.args ?? [];
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== "string")) {
    throw configError(
      file,
      `${field}.args`,
      `${field}.args must be a list of strings`,
    );
  }
  const envList = exec.env ?? [];
  if (!Array.isArray(envList)) {
    throw configError(
      file,
      `${field}.env`,
      `${field}.env must be a list of {name, value}: current type is ${typeName(envList)}`,
    );
  }
  const env = envList.map((item, index) => {
    if (
      !isRecord(item) || typeof item.name !== "string" || item.name === "" ||
      typeof item.value !== "string"
    ) {
      throw configError(
        file,
        `${field}.env[${index}]`,
        `${field}.env[${index}] must have a string name and a string value`,
      );
    }
    return { name: item.name, value: item.value };
  });
  const provideClusterInfo = optionalBoolean(exec, "provideClusterInfo", entry) === true;
  const installHint = optionalString(exec, "installHint", entry);
  const config: ExecConfig = {
    apiVersion: apiVersion as ExecConfig["apiVersion"],
    command: /[\\/]/.test(command) ? resolveAgainst(file, command) : command,
    args: args as string[],
    env,
  };
  if (installHint) config.installHint = installHint;
  if (provideClusterInfo) config.cluster = cluster.execInfo;
  return config;
}

/**
 * Whether a configured API server names its scheme (`https://10.0.0.1:6443`)
 * or not (`10.0.0.1:6443`). Without one, kubectl uses `https://` only when
 * TLS settings apply (a CA, a client certificate or
 * `insecure-skip-tls-verify`), and `http://` otherwise (client-go
 * `rest.DefaultServerUrlFor`).
 *
 * @param text The URL as configured.
 * @returns True when it starts with a scheme.
 *
 * @example A host:port pair
 * ```ts
 * import { hasScheme } from "./kubeconfig.ts";
 * console.log(hasScheme("10.0.0.1:6443"), hasScheme("https://10.0.0.1:6443")); // false true
 * ```
 */
export function hasScheme(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim());
}

/**
 * Checks and normalises an API server URL: adds `https://` when there is no
 * scheme (see {@linkcode hasScheme} for when kubectl uses `http://`), drops a
 * trailing slash, brackets IPv6 hosts.
 *
 * @param text The URL as configured.
 * @param fail Makes the error for a problem (e.g. `is not a valid URL: ...`).
 * @returns The URL, `https://host[:port][/path]`.
 * @throws {Error} The error `fail` makes (a `ConfigError` in this library).
 *
 * @example Normalising a server
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * import { normalizeServer } from "./kubeconfig.ts";
 * console.log(normalizeServer("https://[fd00::1]:6443/", (problem) => new ConfigError(problem))); // https://[fd00::1]:6443
 * ```
 */
export function normalizeServer(
  text: string,
  fail: (problem: string) => Error,
): string {
  const trimmed = text.trim();
  const withScheme = hasScheme(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw fail(
      `is not a valid URL: current value is ${quoteServer(trimmed)}; expected https://host:port`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw fail(
      `must start with https:// or http://: current value is ${quoteServer(trimmed)}`,
    );
  }
  if (url.username || url.password) {
    throw fail(
      "must not hold a user name or password: put credentials in users",
    );
  }
  if (url.search || url.hash) {
    throw fail(
      `must not have a query or fragment: current value is ${quoteServer(trimmed)}`,
    );
  }
  if (withScheme !== trimmed && url.pathname !== "/") {
    // As client-go's DefaultServerURL: "host must be a URL or a host:port pair".
    throw fail(
      `has no scheme but a path: current value is ${
        quoteServer(trimmed)
      }: write the scheme, e.g. https://host:port/path`,
    );
  }
  // The URL API drops a default port (`:443`); keep it when it was written.
  const port = url.port === "" ? /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1] : undefined;
  const host = port !== undefined ? `${url.host}:${Number(port)}` : url.host;
  return `${url.protocol}//${host}${url.pathname.replace(/\/+$/, "")}`;
}

function quoteServer(text: string): string {
  return text.includes("@") ? "(not shown: it holds an @)" : JSON.stringify(text);
}

function decodePemData(
  data: string,
  entry: KubeconfigEntry,
  key: string,
  fileKey: string,
): string {
  const field = `${entry.field}.${key}`;
  const fail = (problem: string) => configError(entry.file, field, `${field} ${problem}`);
  if (data.includes("-----BEGIN")) {
    throw fail(
      `holds PEM text, but it must be base64 of the PEM: encode it, or put the path in ${fileKey}`,
    );
  }
  const compact = data.replace(/\s+/g, "");
  let binary: string;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new Error("alphabet");
    binary = atob(compact);
  } catch {
    throw fail(
      `is not valid base64: it must be base64 of a PEM file (or put the path in ${fileKey})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw fail(
      "does not decode to PEM text: it must be base64 of a PEM file, not of DER",
    );
  }
  if (!text.includes("-----BEGIN")) {
    throw fail("does not decode to PEM: it must be base64 of a PEM file");
  }
  return text;
}

async function readPemFile(
  path: string,
  entry: KubeconfigEntry,
  key: string,
  readFile: ReadFile,
): Promise<string> {
  const field = `${entry.field}.${key}`;
  let text: string | undefined;
  try {
    text = await readFile(path);
  } catch (error) {
    throw configError(
      entry.file,
      field,
      `${field} names ${path}, which cannot be read (${errorCode(error)}): check its permissions`,
    );
  }
  if (text === undefined) {
    throw configError(
      entry.file,
      field,
      `${field} names ${path}, which does not exist: fix the path or use ${key}-data`,
    );
  }
  if (!text.includes("-----BEGIN")) {
    throw configError(
      entry.file,
      field,
      `${field} names ${path}, which is not a PEM file: it must hold -----BEGIN ... blocks`,
    );
  }
  return text;
}

/**
 * Resolves a path from a kubeconfig against the folder of that kubeconfig,
 * made absolute at once as client-go's `ResolveLocalPaths` does, so that a
 * token file re-read later does not move with the working folder; absolute
 * paths and paths from an object stay as they are.
 */
function resolveAgainst(file: string | undefined, path: string): string {
  if (file === undefined || isAbsolute(path)) return path;
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return absolutePath(`${file.slice(0, cut + 1)}${path}`);
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") ||
    /^[A-Za-z]:[\\/]/.test(path);
}

function optionalString(
  value: Record<string, unknown>,
  key: string,
  entry: KubeconfigEntry,
): string | undefined {
  const found = value[key];
  if (found === undefined || found === null) return undefined;
  if (typeof found !== "string") {
    // Never print the value: it may be a secret.
    throw configError(
      entry.file,
      `${entry.field}.${key}`,
      `${entry.field}.${key} must be a string: current type is ${typeName(found)}`,
    );
  }
  return found;
}

function optionalBoolean(
  value: Record<string, unknown>,
  key: string,
  entry: KubeconfigEntry,
): boolean | undefined {
  const found = value[key];
  if (found === undefined || found === null) return undefined;
  if (typeof found !== "boolean") {
    throw configError(
      entry.file,
      `${entry.field}.${key}`,
      `${entry.field}.${key} must be true or false: current type is ${typeName(found)}`,
    );
  }
  return found;
}

function configError(
  file: string | undefined,
  field: string | undefined,
  problem: string,
  where?: string,
): ConfigError {
  const subject = file !== undefined
    ? `kubeconfig ${file}`
    : where !== undefined
    ? `kubeconfig ${where}`
    : "the kubeconfig object from cluster.kubeconfig";
  return new ConfigError(`Cannot load ${subject}: ${problem}`, {
    ...(file !== undefined ? { file } : {}),
    ...(field !== undefined ? { field } : {}),
  });
}

function quoteList(names: string[]): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name)).join(
    ", ",
  );
  return names.length > 10 ? `${shown}, ...` : shown;
}
