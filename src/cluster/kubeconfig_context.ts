/**
 * Turns one context of a merged kubeconfig into what it gives: the server,
 * TLS settings, credentials and namespace of its cluster and user.
 *
 * @module
 */

import { trace } from "../runtime/trace.ts";
import { kubeconfigError, optionalString, quoteList } from "./_kubeconfig_fields.ts";
import { namedPemFiles, withEveryRefusedFile } from "./_refused_kubeconfig_files.ts";
import { noCredentials } from "./credentials.ts";
import { readKubeconfigCluster } from "./kubeconfig_cluster.ts";
import { kubeconfigSource } from "./kubeconfig_origin.ts";
import type { MergedKubeconfig } from "./kubeconfig_schema.ts";
import { type KubeconfigUserOptions, readKubeconfigUser } from "./kubeconfig_user.ts";
import { createTlsSettings } from "./tls_settings.ts";
import type { Credentials, KubeconfigOrigin, SourceAccess, TlsSettings } from "./types.ts";

/**
 * What one kubeconfig context gives, before `options` and namespace defaults apply.
 *
 * @example Reading what a context gives
 * ```ts
 * import { accessFromKubeconfig } from "./kubeconfig_context.ts";
 * import { mergeKubeconfigs } from "./kubeconfig_load.ts";
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
export interface KubeconfigAccess extends SourceAccess {
  /** The files merged and the context used (`origin.context`). */
  origin: KubeconfigOrigin;
}

/**
 * Options of {@linkcode accessFromKubeconfig}.
 *
 * @example Choosing a context
 * ```ts
 * import type { KubeconfigAccessOptions } from "./kubeconfig_context.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
 * const options: KubeconfigAccessOptions = { context: "prod", readFile: readTextFile, runExecPlugin };
 * ```
 */
export interface KubeconfigAccessOptions extends KubeconfigUserOptions {
  /** Context to use instead of `current-context`. */
  context?: string;
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
 * import { accessFromKubeconfig } from "./kubeconfig_context.ts";
 * import { loadKubeconfigFiles } from "./kubeconfig_load.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
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
  // kubectl reads a name left unset as "", under which kubeconfig_load.ts files an entry without a name: no
  // current-context uses the context without a name, or none when there is none but a cluster without a name; a
  // context without a cluster or user uses the one without a name, if any.
  const contextName = options.context ?? (merged.currentContext?.name || "");
  const contextEntry = merged.contexts.get(contextName) ??
    (options.context === undefined && contextName === "" && merged.clusters.has("")
      ? { value: {}, field: "current-context" }
      : undefined);
  if (contextEntry === undefined && options.context === undefined && contextName === "") {
    const defined = [...merged.contexts.keys()].filter((name) => name !== "");
    throw kubeconfigError(
      merged.files[0],
      "current-context",
      `current-context is not set${where && merged.files.length > 1 ? ` in any of ${where}` : ""}: ` +
        (defined.length > 0
          ? `pass cluster.context or run \`kubectl config use-context NAME\` (contexts: ${quoteList(defined)})`
          : "the kubeconfig defines no contexts; add one with `kubectl config set-context`"),
      where,
    );
  }
  if (!contextEntry) {
    const defined = [...merged.contexts.keys()].filter((name) => name !== "");
    // No name selects the context without one: only no current-context (and no cluster.context) does.
    const unnamed = "the kubeconfig's only context has no name, which";
    const unsetCurrent = "`kubectl config unset current-context`";
    const unnamedOnly = defined.length === 0 && merged.contexts.has("")
      ? options.context === undefined
        ? `${unnamed} kubectl uses only when no current-context is set: run ${unsetCurrent}, or name that context`
        : `${unnamed} is used only without cluster.context${
          merged.currentContext?.name ? ` and with no current-context (run ${unsetCurrent})` : ""
        }: leave it out, or name that context`
      : undefined;
    const choose = defined.length > 0 ? `use one of ${quoteList(defined)}` : "the kubeconfig defines no contexts";
    if (options.context !== undefined) {
      throw kubeconfigError(
        undefined,
        "cluster.context",
        `context ${JSON.stringify(contextName)} from cluster.context is not defined: ${unnamedOnly ?? choose}`,
        where,
      );
    }
    throw kubeconfigError(
      merged.currentContext?.file,
      "current-context",
      `current-context ${JSON.stringify(contextName)} names no context: ` +
        (unnamedOnly ?? `${choose}, or run \`kubectl config use-context NAME\``),
      where,
    );
  }
  const context = contextEntry.value;
  const contextField = contextEntry.field;
  const clusterName = optionalString(context, "cluster", contextEntry) || "";
  const userName = optionalString(context, "user", contextEntry) || "";
  const namespace = optionalString(context, "namespace", contextEntry);
  if (clusterName === "" && !merged.clusters.has("")) {
    throw kubeconfigError(
      contextEntry.file,
      `${contextField}.cluster`,
      `${contextField}.cluster is not set: name the cluster of context ${JSON.stringify(contextName)}`,
    );
  }
  const clusterEntry = merged.clusters.get(clusterName);
  if (!clusterEntry) {
    throw kubeconfigError(
      contextEntry.file,
      `${contextField}.cluster`,
      `${contextField}.cluster names cluster ${JSON.stringify(clusterName)}, which is not defined: ` +
        `add it to clusters or fix the name (clusters: ${quoteList([...merged.clusters.keys()])})`,
    );
  }
  const hasUser = userName !== "" || merged.users.has("");
  const userEntry = hasUser ? merged.users.get(userName) : undefined;
  // Deno refusing one of these names every other one it may not read either: one run tells the whole grant.
  const pemFiles = [
    ...namedPemFiles(clusterEntry, ["certificate-authority"]),
    ...(userEntry ? namedPemFiles(userEntry, ["client-certificate", "client-key"]) : []),
  ];
  const throwNamingEveryRefusedFile = (error: unknown): never => {
    throw withEveryRefusedFile(error, pemFiles);
  };
  const cluster = await readKubeconfigCluster(clusterName, clusterEntry, options.readFile)
    .catch(throwNamingEveryRefusedFile);

  const origin = { kind: "kubeconfig", files: [...merged.files], context: contextName } as const;
  const source = kubeconfigSource(origin);
  let credentials: Credentials = noCredentials();
  let user = "anonymous";
  let cert: string | undefined;
  let key: string | undefined;
  let certFiles: KubeconfigAccess["certFiles"];
  let execCluster: KubeconfigAccess["execCluster"];
  let impersonate: KubeconfigAccess["impersonate"];
  if (hasUser) {
    if (!userEntry) {
      throw kubeconfigError(
        contextEntry.file,
        `${contextField}.user`,
        `${contextField}.user names user ${JSON.stringify(userName)}, which is not defined: ` +
          `add it to users or fix the name (users: ${quoteList([...merged.users.keys()])})`,
      );
    }
    const read = await readKubeconfigUser(userName, userEntry, cluster.execInfo, options)
      .catch(throwNamingEveryRefusedFile);
    // The name alone is not an identity: two kubeconfigs may name different credentials alike.
    user = `user ${JSON.stringify(userName)}${userEntry.file !== undefined ? ` of ${userEntry.file}` : ""} ` +
      `(${read.fingerprint})`;
    credentials = read.credentials;
    cert = read.cert;
    key = read.key;
    certFiles = read.certFiles;
    impersonate = read.impersonate;
    if (read.credentialsFor !== undefined) execCluster = { info: cluster.execInfo, credentials: read.credentialsFor };
  }

  const tlsInit: TlsSettings = { caSource: cluster.caSource };
  if (cluster.ca !== undefined) tlsInit.ca = cluster.ca;
  // A TLS failure names the fields to check: the CA's own, as this kubeconfig writes it.
  if (cluster.ca !== undefined && cluster.caFile === undefined) {
    tlsInit.caSettings = "certificate-authority-data and tls-server-name";
  }
  if (cluster.tlsServerName !== undefined) {
    tlsInit.serverName = cluster.tlsServerName;
  }
  if (cluster.insecure) tlsInit.insecureSkipVerify = true;
  if (cert !== undefined && key !== undefined) {
    tlsInit.cert = cert;
    tlsInit.key = key;
  }
  const access: KubeconfigAccess = {
    server: cluster.server,
    tls: createTlsSettings(tlsInit),
    credentials,
    user,
    source,
    origin,
  };
  if (cluster.schemeAssumed) access.serverSchemeAssumed = true;
  if (namespace) access.namespace = namespace;
  if (cluster.proxyUrl !== undefined) access.proxyUrl = cluster.proxyUrl;
  if (cluster.disableCompression) access.disableCompression = true;
  if (certFiles !== undefined) access.certFiles = certFiles;
  if (cluster.caFile !== undefined) access.caFile = cluster.caFile;
  if (execCluster !== undefined) access.execCluster = execCluster;
  if (impersonate !== undefined) access.impersonate = impersonate;
  const acting = impersonate === undefined ? "" : ` impersonating ${JSON.stringify(impersonate.user)}`;
  trace(`using ${source}: server ${cluster.server}, ${user}${acting}`);
  return access;
}
