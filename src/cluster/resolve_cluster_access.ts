/**
 * Finds out how to reach the Kubernetes API: which server, which CA, which
 * credentials and which default namespace. Looks, in order, at explicit
 * options, `KUBECONFIG`, the in-cluster service account and
 * `~/.kube/config`. The sources themselves are `cluster_options.ts`,
 * `kubeconfig_sources.ts` and `in_cluster.ts`; this module orders them and
 * settles what is left: the namespace, the scheme of a server written without
 * one, and the proxy.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { trace } from "../runtime/trace.ts";
import { trustedCertificates } from "../runtime/tls_options.ts";
import { runExecPlugin } from "../runtime/exec_plugin.ts";
import {
  environmentVariable,
  homeDirectory,
  pathListSeparator,
  readTextFile,
  refusedToRead,
} from "../runtime/files.ts";
import { checkNamespace } from "./_check_namespace.ts";
import { joinPath } from "./_paths.ts";
import {
  applyClusterOptions,
  checkClusterOptions,
  type OptionsApplied,
  serverOptionAccess,
} from "./cluster_options.ts";
import { inClusterAccess, inClusterNamespace, SERVICE_ACCOUNT_DIRECTORY } from "./in_cluster.ts";
import { homeKubeconfigAccess, kubeconfigListAccess, kubeconfigOptionAccess } from "./kubeconfig_sources.ts";
import {
  bunNoProxyVariable,
  environmentProxy,
  noProxyVariable,
  proxyForDisplay,
  warnOfUnreadProxyVariables,
} from "./proxy.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import { isLoopbackHost } from "../base/ip_address.ts";
import { withCertificateFiles } from "./certificate_files.ts";
import { caFileReader } from "./ca_file.ts";
import { createClientCertificate } from "./tls_settings.ts";
import type { ClusterAccess, ClusterOptions, Credentials, Environment, SourceAccess } from "./types.ts";
import { denoHolder, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";

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
 * tried), a kubeconfig, file or option is malformed, or on Deno a variable
 * that decides the source (`KUBECONFIG`, `KUBERNETES_SERVICE_HOST`/`PORT`)
 * may not be read and no option makes it irrelevant.
 *
 * @example Default discovery
 * ```ts ignore
 * import { resolveClusterAccess } from "./resolve_cluster_access.ts";
 * const access = await resolveClusterAccess();
 * console.log(access.source, access.server, access.namespace);
 * ```
 *
 * @example A given kubeconfig and context
 * ```ts ignore
 * import { resolveClusterAccess } from "./resolve_cluster_access.ts";
 * const access = await resolveClusterAccess({ kubeconfig: "/etc/kube/config", context: "prod", namespace: "shop" });
 * ```
 *
 * @example A fake pod
 * ```ts
 * import { resolveClusterAccess } from "./resolve_cluster_access.ts";
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
export async function resolveClusterAccess(
  options: ClusterOptions = {},
  environment: Environment = {},
): Promise<ClusterAccess> {
  const env = resolveEnvironment(environment);
  checkClusterOptions(options);
  const found = await findSource(options, env);
  const applied = await applyClusterOptions(found, options, env);
  if (applied.tls.ca !== undefined) checkCa(applied.tls.ca, applied.tls.caSource, applied.source);
  const namespace = await defaultNamespace(options, found, env);
  const server = withDefaultScheme(applied);
  const proxy = unlessSkippedOnBun(
    server,
    env.env,
    found.proxyUrl !== undefined
      ? { url: found.proxyUrl, source: `proxy-url of ${applied.source}` }
      : environmentProxy(server, env.env),
  );
  if (found.proxyUrl === undefined) warnOfUnreadProxyVariables(server, env.env, env.refused);
  const access: ClusterAccess = {
    server,
    get namespace() {
      return namespace.read();
    },
    tls: applied.tls,
    credentials: withheldOverPlainHttp(server, proxy?.url, applied.source, withRotation(applied, env)),
    // Another `as` is another identity on the server, with the same credentials: it shares no watch.
    identity: `${server} ${applied.user}` +
      (found.impersonate === undefined ? "" : ` impersonating ${JSON.stringify(found.impersonate)}`),
    source: applied.source,
    origin: applied.origin,
  };
  if (applied.serverFromOption) access.serverFromOption = true;
  if (namespace.source !== undefined) access.namespaceSource = namespace.source;
  if (applied.caFile !== undefined && applied.tls.ca !== undefined) {
    access.currentCa = caFileReader(applied.caFile, applied.tls.ca, env);
  }
  if (proxy !== undefined) {
    access.proxyUrl = proxy.url;
    access.proxySource = proxy.source;
    access.proxyOrigin = found.proxyUrl === undefined ? "environment" : "proxy-url";
    if (found.proxyUrl === undefined) access.noProxyVariable = noProxyVariable(env.env);
  }
  if (found.disableCompression) access.disableCompression = true;
  if (found.impersonate !== undefined) access.impersonate = found.impersonate;
  if (options.userAgent !== undefined) access.userAgent = options.userAgent;
  if (options.http2 !== undefined) access.http2 = options.http2;
  // Documented, and no failure: traced only when asked for, once per access (not per HTTP client, which a default
  // channel of the same cluster may have built), for whoever wonders which protocol the watches speak.
  if (options.http2 === true && (runtimeKey() === "deno" || proxy !== undefined)) {
    const how = proxy === undefined ? "on Deno" : "through a proxy";
    trace(`cluster.http2 is true, but HTTP/1.1 is used ${how} for ${server}`);
  }
  return access;
}

/**
 * The proxy, unless Bun's `fetch`, which goes through it on Bun, would skip it for this server (see
 * {@linkcode bunNoProxyVariable}): then the connection is direct, as its messages say, and traced.
 */
function unlessSkippedOnBun<Proxy extends { url: string; source: string }>(
  server: string,
  env: (name: string) => string | undefined,
  proxy: Proxy | undefined,
): Proxy | undefined {
  if (proxy === undefined || runtimeKey() !== "bun") return proxy;
  const variable = bunNoProxyVariable(server, env);
  if (variable === undefined) return proxy;
  trace(
    `not using the proxy ${proxyForDisplay(proxy.url)} from ${proxy.source} for ${server}: ${variable} names it, ` +
      "and Bun's fetch connects directly to a server that it names",
  );
  return undefined;
}

/**
 * Refuses a CA of which no certificate parses when the access is set up, as kubectl refuses it when it loads the
 * kubeconfig: found at the first request instead, it failed every watch and call as a TLS failure, retried with
 * backoff for good.
 */
function checkCa(ca: string, caSource: string, accessSource: string): void {
  try {
    trustedCertificates(ca, caSource);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (${accessSource})`);
  }
}

/**
 * No credentials for an API server reached over plain `http://` on another machine, or through a proxy on one, as
 * kubectl sends none over `http://`: a token or password would cross the network in clear text (a server written
 * `http://10.0.0.1:6443` by mistake gets the request, and the token, before it refuses it). Loopback keeps them:
 * `kubectl proxy` needs none, and the fake API server's kubeconfig carries a token.
 */
function withheldOverPlainHttp(
  server: string,
  proxyUrl: string | undefined,
  source: string,
  credentials: Credentials,
): Credentials {
  if (!server.startsWith("http://")) return credentials;
  const serverOffMachine = !isLoopbackHost(new URL(server));
  const proxyOffMachine = proxyUrl !== undefined && !isLoopbackHost(new URL(proxyUrl));
  if (!serverOffMachine && !proxyOffMachine) return credentials;
  // Only a source that has credentials gets the reason: without any, a 401 says to add some.
  const hasSecret = credentials.renewal !== undefined || credentials.clientCertificate !== undefined;
  const withheld = hasSecret
    ? `the credentials from ${source} are not sent to ${server}${serverOffMachine ? "" : " through its proxy"}: ` +
      "over plain http:// to another machine they would travel in clear text (kubectl sends none over http:// " +
      "either); use https://"
    : undefined;
  if (withheld) trace(withheld);
  return { authorization: () => Promise.resolve(undefined), invalidate() {}, withheld };
}

/**
 * The credentials, presenting a client certificate read from files as read again when rotated (not where an exec
 * plugin issues certificates: kubectl uses no plugin beside a certificate, and options that add one keep it).
 */
function withRotation(applied: OptionsApplied, env: Required<Environment>): Credentials {
  const { credentials, certFiles, tls } = applied;
  if (certFiles === undefined || tls.cert === undefined || tls.key === undefined || credentials.clientCertificate) {
    return credentials;
  }
  return withCertificateFiles(credentials, certFiles, createClientCertificate(tls.cert, tls.key), env);
}

function resolveEnvironment(environment: Environment): Required<Environment> {
  return {
    env: environment.env ?? environmentVariable,
    homeDirectory: environment.homeDirectory ?? homeDirectory,
    // Only the real environment and home directory can be refused.
    refused: environment.refused ??
      ((name) =>
        (name === "homedir" ? environment.homeDirectory === undefined : environment.env === undefined) &&
        refusedToRead(name)),
    serviceAccountDirectory: environment.serviceAccountDirectory ??
      SERVICE_ACCOUNT_DIRECTORY,
    readFile: environment.readFile ?? readTextFile,
    now: environment.now ?? Date.now,
    runExecPlugin: environment.runExecPlugin ?? runExecPlugin,
    execTimeoutMs: environment.execTimeoutMs ?? 60_000,
    execStdin: environment.execStdin ?? "none",
    pathListSeparator: environment.pathListSeparator ?? pathListSeparator(),
  };
}

/** The first source that applies, in kubectl's order; the error lists what was tried. */
async function findSource(
  options: ClusterOptions,
  env: Required<Environment>,
): Promise<SourceAccess> {
  if (options.kubeconfig !== undefined) {
    return await kubeconfigOptionAccess(options.kubeconfig, options.context, env);
  }
  if (options.server !== undefined && options.context === undefined) {
    return serverOptionAccess();
  }

  const tried: string[] = [];
  const list = env.env("KUBECONFIG");
  const kubeconfigSet = list !== undefined && list.trim() !== "";
  if (kubeconfigSet) {
    // In a pod, a KUBECONFIG that chooses no context gives way to the pod's service account, as in kubectl and
    // controller-runtime; elsewhere it fails, saying that no context is chosen. A pod whose service account cannot
    // be used (an unreadable token, in-cluster variables this Deno process may not read) fails saying so, as
    // kubectl fails with the token's error: that no context is chosen is then beside the point. A folder where the
    // token should be rules the pod out, as in client-go (its in-cluster source is not possible then).
    const tokenPath = joinPath(env.serviceAccountDirectory, "token");
    const inPod = () =>
      inClusterAccess(env, [], {
        instead: "instead of KUBECONFIG, whose files set no current-context",
        options: "cluster.context, cluster.kubeconfig or cluster.server",
      }).catch((error) => {
        const folder = error instanceof ConfigError && error.file === tokenPath &&
          (error.cause as { code?: unknown } | undefined)?.code === "EISDIR";
        if (folder) return undefined;
        throw error;
      });
    const fromList = await kubeconfigListAccess(list, options.context, env, tried, inPod);
    if (fromList) return fromList;
  } else if (env.refused("KUBECONFIG")) {
    // Whether it is set cannot be told, and kubectl uses it whenever it is: any other source may be the wrong cluster.
    const fix = refusedEnvAdvice(["KUBECONFIG"], "KUBECONFIG", true);
    throw new ConfigError(
      `Cannot tell which cluster to use: ${denoHolder()} may not read KUBECONFIG, and kubectl uses the ` +
        `kubeconfig it names whenever it is set: ${fix}, or pass cluster.kubeconfig or cluster.server`,
      { field: "KUBECONFIG" },
    );
  } else {
    tried.push("KUBECONFIG (not set)");
  }

  if (options.context === undefined) {
    const inCluster = await inClusterAccess(env, tried);
    if (inCluster) return inCluster;
  } else {
    tried.push("in-cluster (skipped: cluster.context needs a kubeconfig)");
  }

  if (kubeconfigSet) {
    tried.push(
      "~/.kube/config (skipped because KUBECONFIG is set, as kubectl does)",
    );
  } else {
    const fromHome = await homeKubeconfigAccess(options.context, env, tried);
    if (fromHome) return fromHome;
  }
  // "Set KUBECONFIG" misled where it was set: to files that do not exist.
  const kubeconfigAdvice = kubeconfigSet
    ? "point KUBECONFIG at a kubeconfig that exists (or unset it to use ~/.kube/config)"
    : "set KUBECONFIG or create ~/.kube/config";
  throw new ConfigError(
    `Cannot find a Kubernetes cluster to talk to: tried ${tried.join("; ")}: ${kubeconfigAdvice}, ` +
      "pass cluster.kubeconfig or cluster.server, or run in a pod with a service account token",
  );
}

/**
 * The default namespace, read when a target names none. `cluster.namespace` is checked at once; a context's or the
 * pod's namespace that cannot be used fails only the targets that rely on it, as kubectl minds an invalid context
 * namespace only where `-n` does not replace it. With what set it, when something did.
 */
async function defaultNamespace(
  options: ClusterOptions,
  found: SourceAccess,
  env: Required<Environment>,
): Promise<{ read: () => string; source?: string }> {
  if (options.namespace !== undefined) {
    const namespace = checkNamespace(options.namespace, "cluster.namespace");
    return { read: () => namespace, source: "cluster.namespace" };
  }
  try {
    if (found.namespace !== undefined) {
      const namespace = checkNamespace(found.namespace, `the context namespace of ${found.source}`);
      return { read: () => namespace, source: found.source };
    }
    const namespace = await inClusterNamespace(env);
    if (namespace === undefined) return { read: () => "default" };
    const source = env.env("POD_NAMESPACE")?.trim()
      ? "POD_NAMESPACE"
      : joinPath(env.serviceAccountDirectory, "namespace");
    return { read: () => namespace, source };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unusable = new ConfigError(
      `${error.message}; fix it, or name the namespace in the target (kubernetes:///SERVICE.NAMESPACE:PORT) or pass ` +
        "cluster.namespace",
      { file: error.file, field: error.field, cause: error.cause },
    );
    return {
      read: () => {
        throw unusable;
      },
    };
  }
}

/**
 * The server, with kubectl's scheme rule for one written without a scheme:
 * `https://` when a TLS setting applies, else `http://` (see `hasScheme()`).
 */
function withDefaultScheme(applied: OptionsApplied): string {
  const { tls } = applied;
  if (!applied.serverSchemeAssumed || tls.ca !== undefined || tls.cert !== undefined || tls.insecureSkipVerify) {
    return applied.server;
  }
  const server = `http${applied.server.slice("https".length)}`;
  trace(`server ${server} was written without a scheme and no TLS setting applies: using http://, as kubectl does`);
  return server;
}
