/**
 * Finds out how to reach the Kubernetes API: which server, which CA, which
 * credentials and which default namespace. Looks, in order, at explicit
 * options, `KUBECONFIG`, the in-cluster service account and
 * `~/.kube/config`.
 *
 * @module
 */

import { createTlsSettings, noCredentials, staticTokenCredentials, tokenFileCredentials } from "./credentials.ts";
import { isDns1123Label } from "./dns_label.ts";
import { ConfigError } from "./errors.ts";
import { environmentProxyUrl } from "./proxy.ts";
import { errorCode, fingerprint } from "./_util.ts";
import {
  accessFromKubeconfig,
  hasScheme,
  type KubeconfigAccess,
  type KubeconfigObject,
  loadKubeconfigFiles,
  mergeKubeconfigs,
  normalizeServer,
} from "./kubeconfig.ts";
import { checkClientKeyPair } from "./runtime/client_key_pair.ts";
import { type RunExecPlugin, runExecPlugin } from "./runtime/exec_plugin.ts";
import { environmentVariable, homeDirectory, pathListSeparator, readTextFile } from "./runtime/files.ts";
import { trace } from "./trace.ts";

export type { KubeconfigObject } from "./kubeconfig.ts";
export type { RunExecPlugin } from "./runtime/exec_plugin.ts";

/**
 * TLS settings of one cluster. Objects returned by this library keep `key`
 * in a private field: it reads normally (`tls.key`) but never shows in
 * `inspect` or `JSON.stringify`, and a spread (`{ ...tls }`) drops it.
 *
 * @example Reading the settings
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const { tls } = await resolveClusterAccess();
 * console.log(tls.caSource, tls.ca !== undefined);
 * ```
 */
export interface TlsSettings {
  /** PEM of the CA to trust; absent means the system roots. */
  ca?: string;
  /** Client certificate, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** Name to verify the server certificate against (kubeconfig `tls-server-name`). */
  serverName?: string;
  /** Skip verification; only `true` when the kubeconfig or options say so explicitly. */
  insecureSkipVerify?: boolean;
  /** Names the CA in use, for TLS error messages, e.g. `certificate-authority /path/ca.crt`. */
  caSource: string;
}

/**
 * A client certificate and key, from an exec plugin. `key` is kept private
 * as in {@linkcode TlsSettings}.
 *
 * @example Using a certificate from an exec plugin
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const { credentials } = await resolveClusterAccess();
 * const pair = await credentials.clientCertificate?.();
 * if (pair) console.log(pair.cert);
 * ```
 */
export interface ClientCertificate {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its private key, PEM. */
  readonly key: string;
}

/**
 * Where the `Authorization` header comes from. Holds no secret in any
 * enumerable field.
 *
 * @example Authorizing a request, and recovering from a 401
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const access = await resolveClusterAccess();
 * const headers = new Headers();
 * const authorization = await access.credentials.authorization();
 * if (authorization) headers.set("authorization", authorization);
 * const response = await fetch(`${access.server}/version`, { headers });
 * if (response.status === 401) access.credentials.invalidate();
 * ```
 */
export interface Credentials {
  /** Value of the `Authorization` header (`Bearer ...`, `Basic ...`), or `undefined` to send none. */
  authorization(): Promise<string | undefined>;
  /** Call after a 401: the next `authorization()` re-reads the token file or re-runs the exec plugin. */
  invalidate(): void;
  /**
   * Present for exec plugins: the client certificate the plugin returned, if
   * any. It can change when the plugin runs again; compare by identity.
   */
  clientCertificate?(): Promise<ClientCertificate | undefined>;
}

/**
 * How to reach one cluster, as one identity.
 *
 * @example Printing where access came from
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const access = await resolveClusterAccess();
 * console.log(`${access.server} in ${access.namespace}, from ${access.source}`);
 * ```
 */
export interface ClusterAccess {
  /** API server URL, `https://host:port` or `http://host:port` (no trailing slash; IPv6 bracketed). */
  server: string;
  /** Default namespace for targets without one. */
  namespace: string;
  /** TLS settings. */
  tls: TlsSettings;
  /** Credentials. */
  credentials: Credentials;
  /** Stable, secret-free key of (server, user), e.g. `https://10.0.0.1:443 user "dev" of /root/.kube/config`. */
  identity: string;
  /** Where this came from, e.g. `kubeconfig /root/.kube/config (context "kind-kind")`, `in-cluster service account`, `cluster options`. */
  source: string;
  /** The proxy to go through, if any: the kubeconfig's `proxy-url`, else one from the environment (`proxy.ts`). */
  proxyUrl?: string;
}

/**
 * Explicit cluster settings; all optional. With `kubeconfig` (or `context`)
 * a kubeconfig is used and the other fields override what it says, as
 * kubectl's flags do. With `server` alone, nothing else is looked at.
 *
 * @example Explicit settings
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * await resolveClusterAccess({ server: "https://127.0.0.1:6443", tokenFile: "/run/token", caFile: "/run/ca.crt" });
 * ```
 */
export interface ClusterOptions {
  /** Path of a kubeconfig file, or an already-parsed kubeconfig object. */
  kubeconfig?: string | KubeconfigObject;
  /** Context to use instead of `current-context`. */
  context?: string;
  /** API server URL; without a scheme it is `http://` unless a CA, a client certificate or `insecureSkipTlsVerify` applies, as in kubectl. */
  server?: string;
  /** Bearer token. */
  token?: string;
  /** File holding a bearer token, re-read every minute. */
  tokenFile?: string;
  /** PEM of the CA to trust. */
  ca?: string;
  /** Path of a PEM CA file. */
  caFile?: string;
  /** Client certificate, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** Path of the PEM client certificate. */
  certFile?: string;
  /** Path of the PEM client key. */
  keyFile?: string;
  /** Name to verify the server certificate against. */
  tlsServerName?: string;
  /** `true` skips TLS verification (and drops any CA); `false` turns off the kubeconfig's skip. */
  insecureSkipTlsVerify?: boolean;
  /** Default namespace. */
  namespace?: string;
}

/**
 * Reads a UTF-8 text file; resolves to `undefined` when it does not exist.
 *
 * @example Files from memory
 * ```ts
 * import type { ReadFile } from "./cluster_access.ts";
 * const files: Record<string, string> = { "/sa/token": "abc" };
 * const readFile: ReadFile = (path) => Promise.resolve(files[path]);
 * ```
 */
export type ReadFile = (path: string) => Promise<string | undefined>;

/**
 * What {@linkcode resolveClusterAccess} reads from the outside world; every
 * field defaults to the real thing, so tests inject only what they need.
 *
 * @example A fake pod
 * ```ts
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const files: Record<string, string> = { "/sa/token": "abc", "/sa/namespace": "shop" };
 * const vars: Record<string, string> = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
 * const access = await resolveClusterAccess({}, {
 *   env: (name) => vars[name],
 *   serviceAccountDirectory: "/sa",
 *   readFile: (path) => Promise.resolve(files[path]),
 * });
 * console.log(access.server, access.namespace); // https://10.0.0.1:443 shop
 * ```
 */
export interface Environment {
  /**
   * Looks up an environment variable.
   * @default {the process environment}
   */
  env?: (name: string) => string | undefined;
  /**
   * The home directory, for `~/.kube/config`.
   * @default {the user's home directory}
   */
  homeDirectory?: () => string | undefined;
  /**
   * Folder of the in-cluster service account.
   * @default {"/var/run/secrets/kubernetes.io/serviceaccount"}
   */
  serviceAccountDirectory?: string;
  /**
   * Reads a text file.
   * @default {node:fs/promises readFile}
   */
  readFile?: ReadFile;
  /**
   * The clock, in milliseconds, for token-file re-reads and exec expiry.
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Runs exec credential plugins.
   * @default {node:child_process execFile}
   */
  runExecPlugin?: RunExecPlugin;
  /**
   * Exec plugin timeout, in milliseconds.
   * @default {60000}
   */
  execTimeoutMs?: number;
  /**
   * Separator of the `KUBECONFIG` list.
   * @default {";" on Windows, ":" elsewhere}
   */
  pathListSeparator?: string;
}

/**
 * Where the in-cluster service account is mounted.
 *
 * @example The token path
 * ```ts
 * import { SERVICE_ACCOUNT_DIRECTORY } from "./cluster_access.ts";
 * console.log(`${SERVICE_ACCOUNT_DIRECTORY}/token`);
 * ```
 */
export const SERVICE_ACCOUNT_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount";

interface ResolvedEnvironment {
  env: (name: string) => string | undefined;
  homeDirectory: () => string | undefined;
  serviceAccountDirectory: string;
  readFile: ReadFile;
  now: () => number;
  runExecPlugin: RunExecPlugin;
  execTimeoutMs: number;
  pathListSeparator: string;
}

/** What a source gives before options and namespace defaults apply. */
type Draft = Omit<KubeconfigAccess, "context">;

/**
 * Finds how to reach the Kubernetes API. Order: `options.kubeconfig` (or
 * `options.server` alone) → `KUBECONFIG` (a `:`-separated list merged by
 * kubectl's rules) → the in-cluster service account
 * (`KUBERNETES_SERVICE_HOST`/`PORT` and its token) → `~/.kube/config`. Other
 * options then override what was found. Namespace: `options.namespace` →
 * the context's namespace → `POD_NAMESPACE` → the service account's
 * `namespace` file → `default`.
 *
 * @param options Explicit settings.
 * @param environment Injected environment, files and clock; defaults to the real ones.
 * @returns Server, namespace, TLS settings, credentials, identity and source.
 * @throws {ConfigError} When nothing is found (the message lists what was
 * tried), or a kubeconfig, file or option is malformed.
 *
 * @example Default discovery
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const access = await resolveClusterAccess();
 * console.log(access.source, access.server, access.namespace);
 * ```
 *
 * @example A given kubeconfig and context
 * ```ts ignore
 * import { resolveClusterAccess } from "./cluster_access.ts";
 * const access = await resolveClusterAccess({ kubeconfig: "/etc/kube/config", context: "prod", namespace: "shop" });
 * ```
 */
export async function resolveClusterAccess(
  options: ClusterOptions = {},
  environment: Environment = {},
): Promise<ClusterAccess> {
  const env = resolveEnvironment(environment);
  checkOptions(options);
  const draft = await findSource(options, env);
  return await applyOptions(draft, options, env);
}

function resolveEnvironment(environment: Environment): ResolvedEnvironment {
  return {
    env: environment.env ?? environmentVariable,
    homeDirectory: environment.homeDirectory ?? homeDirectory,
    serviceAccountDirectory: environment.serviceAccountDirectory ??
      SERVICE_ACCOUNT_DIRECTORY,
    readFile: environment.readFile ?? readTextFile,
    now: environment.now ?? Date.now,
    runExecPlugin: environment.runExecPlugin ?? runExecPlugin,
    execTimeoutMs: environment.execTimeoutMs ?? 60_000,
    pathListSeparator: environment.pathListSeparator ?? pathListSeparator(),
  };
}

const STRING_OPTIONS = [
  "context",
  "server",
  "token",
  "tokenFile",
  "ca",
  "caFile",
  "cert",
  "key",
  "certFile",
  "keyFile",
  "tlsServerName",
  "namespace",
] as const;

function checkOptions(options: ClusterOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(
      `Cannot resolve cluster access: options must be an object: current type is ${typeof options}`,
    );
  }
  for (const name of STRING_OPTIONS) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new ConfigError(
        `Cannot resolve cluster access: cluster.${name} must be a non-empty string`,
        {
          field: `cluster.${name}`,
        },
      );
    }
  }
  if (
    options.insecureSkipTlsVerify !== undefined &&
    typeof options.insecureSkipTlsVerify !== "boolean"
  ) {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster.insecureSkipTlsVerify must be true or false",
      {
        field: "cluster.insecureSkipTlsVerify",
      },
    );
  }
  const kubeconfig = options.kubeconfig;
  if (
    kubeconfig !== undefined &&
    !(typeof kubeconfig === "string" && kubeconfig !== "") &&
    !(typeof kubeconfig === "object" && kubeconfig !== null &&
      !Array.isArray(kubeconfig))
  ) {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster.kubeconfig must be a file path or a kubeconfig object",
      { field: "cluster.kubeconfig" },
    );
  }
  const pairs = [
    ["token", "tokenFile"],
    ["ca", "caFile"],
    ["cert", "certFile"],
    ["key", "keyFile"],
  ] as const;
  for (const [inline, file] of pairs) {
    if (options[inline] !== undefined && options[file] !== undefined) {
      throw new ConfigError(
        `Cannot resolve cluster access: cluster.${inline} and cluster.${file} are both set: keep one`,
        {
          field: `cluster.${file}`,
        },
      );
    }
  }
  if (
    options.insecureSkipTlsVerify === true &&
    (options.ca !== undefined || options.caFile !== undefined)
  ) {
    throw new ConfigError(
      "Cannot resolve cluster access: cluster.insecureSkipTlsVerify and a CA (cluster.ca or cluster.caFile) are both set: keep one",
      { field: "cluster.insecureSkipTlsVerify" },
    );
  }
}

async function findSource(
  options: ClusterOptions,
  env: ResolvedEnvironment,
): Promise<Draft> {
  const kubeconfigOptions = {
    ...(options.context !== undefined ? { context: options.context } : {}),
    readFile: env.readFile,
    runExecPlugin: env.runExecPlugin,
    now: env.now,
    execTimeoutMs: env.execTimeoutMs,
  };
  if (typeof options.kubeconfig === "string") {
    const file = options.kubeconfig;
    const { merged, missing } = await loadKubeconfigFiles([file], env.readFile);
    if (missing.length > 0) {
      throw new ConfigError(
        `Cannot load kubeconfig ${file} (cluster.kubeconfig): the file does not exist: fix the path`,
        { file, field: "cluster.kubeconfig" },
      );
    }
    return await accessFromKubeconfig(merged, kubeconfigOptions);
  }
  if (options.kubeconfig !== undefined) {
    return await accessFromKubeconfig(
      mergeKubeconfigs([{ config: options.kubeconfig }]),
      kubeconfigOptions,
    );
  }
  if (options.server !== undefined && options.context === undefined) {
    return {
      server: "",
      tls: createTlsSettings({ caSource: "the system trust store" }),
      credentials: noCredentials(),
      user: "anonymous",
      source: "cluster options",
    };
  }

  const tried: string[] = [];
  const list = env.env("KUBECONFIG");
  const kubeconfigSet = list !== undefined && list.trim() !== "";
  if (kubeconfigSet) {
    const paths = list.split(env.pathListSeparator).map((path) => path.trim())
      .filter((path) => path !== "");
    const { merged, missing } = await loadKubeconfigFiles(paths, env.readFile);
    if (merged.files.length > 0) {
      if (missing.length > 0) {
        trace(
          `KUBECONFIG lists files that do not exist, skipped: ${missing.join(", ")}`,
        );
      }
      return await accessFromKubeconfig(merged, kubeconfigOptions);
    }
    tried.push(`KUBECONFIG=${list} (no listed file exists)`);
  } else {
    tried.push("KUBECONFIG (not set)");
  }

  if (options.context === undefined) {
    const inCluster = await inClusterSource(env, tried);
    if (inCluster) return inCluster;
  } else {
    tried.push("in-cluster (skipped: cluster.context needs a kubeconfig)");
  }

  if (kubeconfigSet) {
    tried.push(
      "~/.kube/config (skipped because KUBECONFIG is set, as kubectl does)",
    );
  } else {
    const home = env.homeDirectory();
    if (home) {
      const file = joinPath(joinPath(home, ".kube"), "config");
      const { merged } = await loadKubeconfigFiles([file], env.readFile);
      if (merged.files.length > 0) {
        return await accessFromKubeconfig(merged, kubeconfigOptions);
      }
      tried.push(`${file} (does not exist)`);
    } else {
      tried.push("~/.kube/config (no home directory)");
    }
  }
  throw new ConfigError(
    `Cannot find a Kubernetes cluster to talk to: tried ${tried.join("; ")}: ` +
      "set KUBECONFIG or create ~/.kube/config, pass cluster.kubeconfig or cluster.server, " +
      "or run in a pod with a service account token",
  );
}

async function inClusterSource(
  env: ResolvedEnvironment,
  tried: string[],
): Promise<Draft | undefined> {
  const host = env.env("KUBERNETES_SERVICE_HOST")?.trim();
  const port = env.env("KUBERNETES_SERVICE_PORT")?.trim();
  if (!host || !port) {
    tried.push(
      "in-cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
    );
    return undefined;
  }
  const directory = env.serviceAccountDirectory;
  const tokenPath = joinPath(directory, "token");
  const token = await readOrFail(
    env.readFile,
    tokenPath,
    "the in-cluster service account token",
  );
  if (token === undefined) {
    tried.push(
      `in-cluster (${tokenPath} does not exist: is automountServiceAccountToken off?)`,
    );
    return undefined;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ConfigError(
      `Cannot use the in-cluster service account: KUBERNETES_SERVICE_PORT must be a port number 1-65535: current value is ${
        JSON.stringify(port)
      }`,
      { field: "KUBERNETES_SERVICE_PORT" },
    );
  }
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const server = normalizeServer(
    `https://${bracketed}:${port}`,
    (problem) =>
      new ConfigError(
        `Cannot use the in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT make a server URL that ${problem}`,
        { field: "KUBERNETES_SERVICE_HOST" },
      ),
  );
  const caPath = joinPath(directory, "ca.crt");
  const ca = await readOrFail(env.readFile, caPath, "the in-cluster CA");
  const tls = ca !== undefined ? createTlsSettings({ ca, caSource: caPath }) : createTlsSettings({
    caSource: `the system trust store (${caPath} does not exist)`,
  });
  if (ca === undefined) {
    trace(
      `in-cluster CA ${caPath} does not exist: using the system trust store`,
    );
  }
  trace(`using the in-cluster service account: server ${server}`);
  return {
    server,
    tls,
    credentials: tokenFileCredentials(tokenPath, {
      readFile: env.readFile,
      now: env.now,
      label: "the in-cluster service account",
    }),
    user: `service account token ${tokenPath}`,
    source: "in-cluster service account",
  };
}

async function applyOptions(
  draft: Draft,
  options: ClusterOptions,
  env: ResolvedEnvironment,
): Promise<ClusterAccess> {
  const overridden: string[] = [];
  let server = draft.server;
  let schemeAssumed = draft.serverSchemeAssumed === true;
  if (options.server !== undefined) {
    schemeAssumed = !hasScheme(options.server);
    server = normalizeServer(
      options.server,
      (problem) =>
        new ConfigError(
          `Cannot resolve cluster access: cluster.server ${problem}`,
          { field: "cluster.server" },
        ),
    );
    if (draft.source !== "cluster options") overridden.push("server");
  }

  const tls = draft.tls;
  let ca = tls.ca;
  let caSource = tls.caSource;
  let insecure = tls.insecureSkipVerify === true;
  if (options.ca !== undefined) {
    ca = checkPem(options.ca, "cluster.ca");
    caSource = "cluster.ca";
    insecure = false;
    overridden.push("ca");
  } else if (options.caFile !== undefined) {
    ca = await readPemOption(env, options.caFile, "caFile");
    caSource = `cluster.caFile ${options.caFile}`;
    insecure = false;
    overridden.push("caFile");
  }
  if (options.insecureSkipTlsVerify === true) {
    // As kubectl's --insecure-skip-tls-verify: the kubeconfig's CA no longer applies.
    ca = undefined;
    insecure = true;
    caSource = "no verification (cluster.insecureSkipTlsVerify)";
    overridden.push("insecureSkipTlsVerify");
    trace(
      "cluster.insecureSkipTlsVerify is true: the server certificate is not checked",
    );
  } else if (options.insecureSkipTlsVerify === false && insecure) {
    insecure = false;
    caSource = "the system trust store";
    overridden.push("insecureSkipTlsVerify");
  }
  let serverName = tls.serverName;
  if (options.tlsServerName !== undefined) {
    serverName = options.tlsServerName;
    overridden.push("tlsServerName");
  }

  let cert = tls.cert;
  let key = tls.key;
  const userParts = [draft.user];
  const certOption = options.cert !== undefined
    ? checkPem(options.cert, "cluster.cert")
    : options.certFile !== undefined
    ? await readPemOption(env, options.certFile, "certFile")
    : undefined;
  const keyOption = options.key !== undefined
    ? checkPem(options.key, "cluster.key")
    : options.keyFile !== undefined
    ? await readPemOption(env, options.keyFile, "keyFile")
    : undefined;
  if ((certOption === undefined) !== (keyOption === undefined)) {
    const missing = certOption === undefined ? "cert or cluster.certFile" : "key or cluster.keyFile";
    throw new ConfigError(
      `Cannot resolve cluster access: a client certificate needs both cert and key: set cluster.${missing}`,
      {
        field: certOption === undefined ? "cluster.cert" : "cluster.key",
      },
    );
  }
  if (certOption !== undefined && keyOption !== undefined) {
    const certName = options.cert !== undefined ? "cert" : "certFile";
    const keyName = options.key !== undefined ? "key" : "keyFile";
    const unusable = checkClientKeyPair(certOption, keyOption, {
      cert: options.cert !== undefined ? "cluster.cert" : `cluster.certFile ${options.certFile}`,
      key: options.key !== undefined ? "cluster.key" : `cluster.keyFile ${options.keyFile}`,
    });
    if (unusable) {
      throw new ConfigError(`Cannot resolve cluster access: ${unusable.problem}`, {
        field: `cluster.${unusable.part === "cert" ? certName : keyName}`,
      });
    }
    cert = certOption;
    key = keyOption;
    overridden.push(certName, keyName);
    userParts.push(`client certificate ${await fingerprint(certOption)}`);
  }

  let credentials = draft.credentials;
  if (options.token !== undefined) {
    credentials = staticTokenCredentials(options.token);
    userParts[0] = `token ${await fingerprint(options.token)}`;
    overridden.push("token");
  } else if (options.tokenFile !== undefined) {
    credentials = tokenFileCredentials(options.tokenFile, {
      readFile: env.readFile,
      now: env.now,
      label: "cluster.tokenFile",
      field: "cluster.tokenFile",
    });
    userParts[0] = `token file ${options.tokenFile}`;
    overridden.push("tokenFile");
  }
  if (userParts[0] === "anonymous" && userParts.length > 1) userParts.shift();

  const namespace = await defaultNamespace(options, draft, env);
  if (options.namespace !== undefined) overridden.push("namespace");

  if (schemeAssumed && ca === undefined && cert === undefined && !insecure) {
    server = `http${server.slice("https".length)}`;
    trace(`server ${server} was written without a scheme and no TLS setting applies: using http://, as kubectl does`);
  }

  const tlsInit: TlsSettings = { caSource };
  if (ca !== undefined) tlsInit.ca = ca;
  if (cert !== undefined && key !== undefined) {
    tlsInit.cert = cert;
    tlsInit.key = key;
  }
  if (serverName !== undefined) tlsInit.serverName = serverName;
  if (insecure) tlsInit.insecureSkipVerify = true;

  const source = overridden.length > 0 && draft.source !== "cluster options"
    ? `${draft.source} with ${overridden.map((name) => `cluster.${name}`).join(", ")}`
    : draft.source;
  const access: ClusterAccess = {
    server,
    namespace,
    tls: createTlsSettings(tlsInit),
    credentials,
    identity: `${server} ${userParts.join(" + ")}`,
    source,
  };
  const proxyUrl = draft.proxyUrl ?? environmentProxyUrl(server, env.env);
  if (proxyUrl !== undefined) access.proxyUrl = proxyUrl;
  return access;
}

async function defaultNamespace(
  options: ClusterOptions,
  draft: Draft,
  env: ResolvedEnvironment,
): Promise<string> {
  if (options.namespace !== undefined) {
    return checkNamespace(options.namespace, "cluster.namespace");
  }
  if (draft.namespace !== undefined) {
    return checkNamespace(
      draft.namespace,
      `the context namespace of ${draft.source}`,
    );
  }
  const podNamespace = env.env("POD_NAMESPACE")?.trim();
  if (podNamespace) return checkNamespace(podNamespace, "POD_NAMESPACE");
  const path = joinPath(env.serviceAccountDirectory, "namespace");
  let text: string | undefined;
  try {
    text = await env.readFile(path);
  } catch (error) {
    trace(
      `${path} cannot be read (${errorCode(error)}): using namespace "default"`,
    );
  }
  const fromFile = text?.trim();
  if (fromFile) return checkNamespace(fromFile, path);
  return "default";
}

function checkNamespace(namespace: string, from: string): string {
  if (!isDns1123Label(namespace)) {
    throw new ConfigError(
      `Cannot use namespace ${JSON.stringify(namespace)} from ${from}: a namespace is a lowercase RFC 1123 label ` +
        "(a-z, 0-9 and '-', at most 63 characters)",
      { field: from.startsWith("cluster.") ? from : "namespace" },
    );
  }
  return namespace;
}

function checkPem(text: string, name: string): string {
  if (!text.includes("-----BEGIN")) {
    throw new ConfigError(
      `Cannot resolve cluster access: ${name} must be PEM text (-----BEGIN ...): pass the file content, not base64`,
      {
        field: name,
      },
    );
  }
  return text;
}

async function readPemOption(
  env: ResolvedEnvironment,
  path: string,
  name: string,
): Promise<string> {
  const text = await readOrFail(env.readFile, path, `cluster.${name}`);
  if (text === undefined) {
    throw new ConfigError(
      `Cannot resolve cluster access: cluster.${name} ${path} does not exist: fix the path`,
      {
        file: path,
        field: `cluster.${name}`,
      },
    );
  }
  if (!text.includes("-----BEGIN")) {
    throw new ConfigError(
      `Cannot resolve cluster access: cluster.${name} ${path} is not a PEM file: it must hold -----BEGIN ... blocks`,
      {
        file: path,
        field: `cluster.${name}`,
      },
    );
  }
  return text;
}

async function readOrFail(
  readFile: ReadFile,
  path: string,
  what: string,
): Promise<string | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read ${what}: ${path} cannot be read (${errorCode(error)}): check its permissions`,
      {
        file: path,
      },
    );
  }
}

function joinPath(folder: string, name: string): string {
  return folder.endsWith("/") || folder.endsWith("\\") ? `${folder}${name}` : `${folder}/${name}`;
}
