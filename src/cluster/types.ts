/**
 * The types that the cluster-access modules share: what a caller passes
 * (`ClusterOptions`, `Environment`), what comes back (`ClusterAccess` with its
 * `TlsSettings` and `Credentials`) and what one source finds on the way
 * (`SourceAccess`). Types only; every module of `cluster/` sits above this
 * one. `TlsSettings` is the runtime's HTTP client's (`runtime/types.ts`), re-exported
 * here: `runtime/` imports nothing from `cluster/`.
 *
 * @module
 */

import type { RunExecPlugin } from "../runtime/exec_plugin.ts";
import type { TlsSettings } from "../runtime/types.ts";
import type { KubeconfigObject } from "./kubeconfig_schema.ts";

export type { TlsSettings } from "../runtime/types.ts";

/**
 * A client certificate and key, from an exec plugin. `key` is kept private
 * as in {@linkcode TlsSettings}.
 *
 * @example Using a certificate from an exec plugin
 * ```ts
 * import type { Credentials } from "./types.ts";
 * async function certificateOf(credentials: Credentials): Promise<string | undefined> {
 *   const pair = await credentials.clientCertificate?.();
 *   return pair?.cert;
 * }
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
 * ```ts
 * import type { ClusterAccess } from "./types.ts";
 * async function version(access: ClusterAccess): Promise<Response> {
 *   const headers = new Headers();
 *   const authorization = await access.credentials.authorization();
 *   if (authorization) headers.set("authorization", authorization);
 *   const response = await fetch(`${access.server}/version`, { headers });
 *   if (response.status === 401) access.credentials.invalidate(authorization);
 *   return response;
 * }
 * ```
 */
export interface Credentials {
  /** Value of the `Authorization` header (`Bearer ...`, `Basic ...`), or `undefined` to send none. */
  authorization(): Promise<string | undefined>;
  /**
   * Call after a 401, with the `Authorization` header and the {@linkcode clientCertificate} that the refused request
   * carried: the next `authorization()` re-reads the token file or re-runs the exec plugin, unless these credentials
   * were renewed since (an exec plugin's new answer stays, as client-go keeps it).
   */
  invalidate(refused?: string, refusedCertificate?: ClientCertificate): void;
  /**
   * What to do when the API server refuses these credentials (401) although they were read afresh: where they
   * come from, and whether the process reads them again by itself. Absent for none.
   */
  readonly renewal?: string;
  /**
   * Why the source's credentials are not sent: an API server reached over plain `http://` on another machine
   * (see `withheldOverPlainHttp()`). Absent when they are sent.
   */
  readonly withheld?: string;
  /**
   * How long obtaining them may take at most, when that is long enough to be no sign of an API server's trouble: an
   * exec plugin's limit (60 s; one may wait for a login). Requests do not time their wait for such credentials.
   * Absent for credentials read at once.
   */
  readonly timeLimitMs?: number;
  /**
   * Present for exec plugins: the client certificate the plugin returned, if
   * any. It can change when the plugin runs again; compare by identity.
   */
  clientCertificate?(): Promise<ClientCertificate | undefined>;
}

/**
 * Whom requests act as: a kubeconfig user's `as`, `as-uid`, `as-groups` and `as-user-extra`, which kubectl and
 * client-go send on every request as `Impersonate-User`, `Impersonate-Uid`, one `Impersonate-Group` per group and one
 * `Impersonate-Extra-<key>` per value. The API server then authorizes each request as that user, once it has allowed
 * the credentials' own user to `impersonate` it.
 *
 * @example The headers of an impersonation
 * ```ts
 * import type { Impersonation } from "./types.ts";
 * const impersonation: Impersonation = { user: "jane", groups: ["dev"], extra: {} };
 * console.log(impersonation.user, impersonation.groups); // jane [ "dev" ]
 * ```
 */
export interface Impersonation {
  /** `as`: the user name. */
  user: string;
  /** `as-uid`, when set. */
  uid?: string;
  /** `as-groups`, in order. */
  groups: string[];
  /** `as-user-extra`: values by key. */
  extra: Record<string, string[]>;
}

/**
 * Where cluster access came from, for code to tell the sources apart: `source` says it to people, and its wording
 * (which may add the options that overrode it, `... with cluster.token`) is no thing to compare or parse. A kubeconfig
 * context (see {@linkcode KubeconfigOrigin}), the in-cluster service account (the pod's `KUBERNETES_SERVICE_HOST`,
 * `KUBERNETES_SERVICE_PORT` and service account files, whatever options overrode), or the cluster options alone
 * (`cluster.server` without a kubeconfig).
 *
 * @example Where to look for the server's port
 * ```ts
 * import type { AccessOrigin } from "./types.ts";
 * function portPlace(origin: AccessOrigin): string {
 *   if (origin.kind === "in-cluster") return "KUBERNETES_SERVICE_PORT";
 *   return origin.kind === "kubeconfig" ? `the server of context ${origin.context}` : "cluster.server";
 * }
 * ```
 */
export type AccessOrigin = KubeconfigOrigin | { readonly kind: "in-cluster" } | { readonly kind: "options" };

/**
 * A kubeconfig context as the origin of cluster access: the files merged, and the context used.
 *
 * @example The files, one per line
 * ```ts
 * import type { KubeconfigOrigin } from "./types.ts";
 * const origin: KubeconfigOrigin = { kind: "kubeconfig", files: ["/a/config", "/b/config"], context: "dev" };
 * console.log(origin.files.join("\n"));
 * ```
 */
export interface KubeconfigOrigin {
  /** Tells this origin from the others. */
  readonly kind: "kubeconfig";
  /** The files merged, in `KUBECONFIG` order; none for a kubeconfig object passed as `cluster.kubeconfig`. */
  readonly files: readonly string[];
  /** The context used (`""` for the context without a name). */
  readonly context: string;
}

/**
 * How to reach one cluster, as one identity.
 *
 * @example Printing where access came from
 * ```ts
 * import type { ClusterAccess } from "./types.ts";
 * function describe(access: ClusterAccess): string {
 *   return `${access.server} in ${access.namespace}, from ${access.source}`;
 * }
 * ```
 */
export interface ClusterAccess {
  /** API server URL, `https://host:port` or `http://host:port` (no trailing slash; IPv6 bracketed). */
  server: string;
  /**
   * Default namespace for targets without one. Reading it throws the `ConfigError` of one that cannot be used (a
   * context namespace that is not a DNS label, say): targets that name their namespace never read it.
   */
  readonly namespace: string;
  /**
   * What set `namespace`: `cluster.namespace`, the kubeconfig context (its `source`), `POD_NAMESPACE` or the service
   * account's namespace file. Absent when none did and it is `default`, or when it cannot be used.
   */
  namespaceSource?: string;
  /** TLS settings. */
  tls: TlsSettings;
  /** Credentials. */
  credentials: Credentials;
  /** Stable, secret-free key of (server, user), e.g. `https://10.0.0.1:443 user "dev" of /root/.kube/config`. */
  identity: string;
  /**
   * Where this came from, for people: e.g. `kubeconfig /root/.kube/config (context "kind-kind")`, `the in-cluster
   * service account with cluster.token`, `cluster options`. Code reads `origin` instead.
   */
  source: string;
  /** Where this came from, for code to decide on (see {@linkcode AccessOrigin}). */
  origin: AccessOrigin;
  /**
   * Set when `server` is the `cluster.server` option's (given alone, or replacing the server of the kubeconfig that
   * `source` names): advice about a wrong server then names that option, not the kubeconfig.
   */
  serverFromOption?: true;
  /**
   * The CA as its file holds it now, when `tls.ca` was read from a file (the in-cluster `ca.crt`, a kubeconfig's
   * `certificate-authority`, `cluster.caFile`): read again every 5 minutes, as client-go 1.36 does, so that new
   * connections trust a rotated cluster CA. Absent for an inline CA.
   */
  currentCa?: () => Promise<string>;
  /** The proxy to go through, if any: the kubeconfig's `proxy-url`, else one from the environment (`proxy.ts`). */
  proxyUrl?: string;
  /**
   * Where `proxyUrl` came from, for people: `proxy-url of <source>`, or its environment variable (`HTTPS_PROXY`).
   * Code reads `proxyOrigin` instead.
   */
  proxySource?: string;
  /**
   * Where `proxyUrl` came from, for code to decide on: the kubeconfig's `proxy-url`, which every request takes, or
   * the environment (`HTTPS_PROXY` and the like), which the hosts in `noProxyVariable` skip.
   */
  proxyOrigin?: "proxy-url" | "environment";
  /** With a proxy from the environment: the variable of the hosts that skip it, as read (`NO_PROXY` or `no_proxy`). */
  noProxyVariable?: string;
  /** A kubeconfig's `disable-compression: true`: LISTs and reads ask for no compression, as kubectl then does. */
  disableCompression?: true;
  /** The kubeconfig user's impersonation, sent with every request. */
  impersonate?: Impersonation;
  /** `cluster.userAgent`: the application's name, sent before the library's in every request's User-Agent. */
  userAgent?: string;
  /**
   * `cluster.http2` as set: `false` keeps the watches on HTTP/1.1; absent or `true`, they talk HTTP/2 to the API
   * server on Node and Bun without a proxy (an explicit `true` traces, once per access, that HTTP/1.1 is used all the
   * same on Deno or through a proxy).
   */
  http2?: boolean;
}

/**
 * Explicit cluster settings; all optional. With `kubeconfig` (or `context`)
 * a kubeconfig is used and the other fields override what it says, as
 * kubectl's flags do. With `server` alone, no kubeconfig and no in-cluster
 * credentials are used; a namespace left out still comes from
 * `POD_NAMESPACE` or the service account's namespace file, else `default`.
 *
 * @example Explicit settings
 * ```ts
 * import type { ClusterOptions } from "@kgr/resolver";
 * const options: ClusterOptions = { server: "https://127.0.0.1:6443", tokenFile: "/run/token", caFile: "/run/ca.crt" };
 * ```
 */
export interface ClusterOptions {
  /** Path of a kubeconfig file, or an already-parsed kubeconfig object. */
  kubeconfig?: string | KubeconfigObject | undefined;
  /** Context to use instead of `current-context`. */
  context?: string | undefined;
  /** API server URL; without a scheme it is `http://` unless a CA, a client certificate or `insecureSkipTlsVerify` applies, as in client-go's `rest.Config`. */
  server?: string | undefined;
  /** Bearer token. */
  token?: string | undefined;
  /** File holding a bearer token, re-read every minute. */
  tokenFile?: string | undefined;
  /** PEM of the CA to trust. */
  ca?: string | undefined;
  /** Path of a PEM CA file. */
  caFile?: string | undefined;
  /** Client certificate, PEM. */
  cert?: string | undefined;
  /** Client key, PEM. */
  key?: string | undefined;
  /** Path of the PEM client certificate; with `keyFile`, read again every 5 minutes and after a 401. */
  certFile?: string | undefined;
  /** Path of the PEM client key; with `certFile`, read again every 5 minutes and after a 401. */
  keyFile?: string | undefined;
  /** Name to verify the server certificate against. */
  tlsServerName?: string | undefined;
  /** `true` skips TLS verification (and drops any CA); `false` turns off the kubeconfig's skip. */
  insecureSkipTlsVerify?: boolean | undefined;
  /** Default namespace. */
  namespace?: string | undefined;
  /**
   * The application's name and version, such as `orders/1.4.0`, sent before the library's own in the User-Agent of
   * every request to the API server, whose audit log records it (`orders/1.4.0 kgr-resolver/0.1.0 (linux/amd64)
   * node/20.20.2`): printable ASCII on one line, at most 256 characters.
   */
  userAgent?: string | undefined;
  /**
   * Whether to talk HTTP/2 to the API server on Node and Bun, as client-go and kubectl do: the watches share a few
   * connections (one per 100 watches, the API server's limit) rather than one each, and a connection to a hung API
   * server is replaced within about 46 s (PING), reported to `onError` only if the next one fails too. A server
   * that answers HTTP/1.1 in ALPN (a TLS-terminating gateway), a plain `http://` one, Deno (whose `node:http2` loses
   * answered bodies when a session that got GOAWAY closes) and any proxy get HTTP/1.1 anyway. `false` keeps
   * HTTP/1.1 (one connection per watch) everywhere.
   * @default {true}
   */
  http2?: boolean | undefined;
}

/**
 * Reads a UTF-8 text file; resolves to `undefined` when it does not exist.
 *
 * @example Files from memory
 * ```ts
 * import type { ReadFile } from "./types.ts";
 * const files: Record<string, string> = { "/sa/token": "abc" };
 * const readFile: ReadFile = (path) => Promise.resolve(files[path]);
 * ```
 */
export type ReadFile = (path: string) => Promise<string | undefined>;

/**
 * What `resolveClusterAccess()` reads from the outside world; every field
 * defaults to the real thing, so tests inject only what they need.
 *
 * @example A fake pod
 * ```ts
 * import type { Environment } from "./types.ts";
 * const files: Record<string, string> = { "/sa/token": "abc", "/sa/namespace": "shop" };
 * const vars: Record<string, string> = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
 * const pod: Environment = {
 *   env: (name) => vars[name],
 *   serviceAccountDirectory: "/sa",
 *   readFile: (path) => Promise.resolve(files[path]),
 * };
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
   * Whether the runtime refused to read an environment variable, or (`"homedir"`) to find the home directory:
   * messages then name the missing Deno permission rather than call it unset.
   * @default {Deno's permission checks, for `env` and `homeDirectory` left to their defaults; else never}
   */
  refused?: (name: string) => boolean;
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
   * @default {node:child_process spawn}
   */
  runExecPlugin?: RunExecPlugin;
  /**
   * Exec plugin timeout, in milliseconds.
   * @default {60000}
   */
  execTimeoutMs?: number;
  /**
   * The standard input of exec plugins: `"none"` (/dev/null; a plugin with `interactiveMode: Always` is refused when
   * the kubeconfig is read), or `"terminal"`: this process's, when it is a terminal and the plugin's
   * `interactiveMode` is not `Never`, with `spec.interactive` set, as kubectl gives it (the CLI's, where a person
   * can answer a plugin's prompt).
   * @default {"none"}
   */
  execStdin?: "none" | "terminal";
  /**
   * Separator of the `KUBECONFIG` list.
   * @default {";" on Windows, ":" elsewhere}
   */
  pathListSeparator?: string;
}

/**
 * What one source (a kubeconfig context, the in-cluster service account, or
 * `cluster.server` alone) gives, before options and namespace defaults apply.
 *
 * @example What the in-cluster service account gives
 * ```ts
 * import type { SourceAccess } from "./types.ts";
 * function describe(found: SourceAccess): string {
 *   return `${found.server} as ${found.user}, from ${found.source}`;
 * }
 * ```
 */
export interface SourceAccess {
  /** API server URL, without a trailing slash. */
  server: string;
  /** True when `server` was written without a scheme: `https://` is assumed here, until kubectl's rule applies (see `hasScheme()`). */
  serverSchemeAssumed?: boolean;
  /** The context's namespace, when it sets one. */
  namespace?: string;
  /** TLS settings; the client key is kept private. */
  tls: TlsSettings;
  /** Credentials of the context's user. */
  credentials: Credentials;
  /** Secret-free description of the user, e.g. `user "dev" of /root/.kube/config`. */
  user: string;
  /** Where this came from, for people, e.g. `kubeconfig /root/.kube/config (context "dev")`. */
  source: string;
  /** Where this came from, for code to decide on. */
  origin: AccessOrigin;
  /** The cluster's `proxy-url`, when set. */
  proxyUrl?: string;
  /** The cluster's `disable-compression: true`, when set. */
  disableCompression?: true;
  /** The user's impersonation (`as`), when set. */
  impersonate?: Impersonation;
  /** The files `tls.cert` and `tls.key` were read from, when both came from files: they are read again (rotation). */
  certFiles?: { cert: string; key: string };
  /** The file `tls.ca` was read from, when it came from one: it is read again (rotation). */
  caFile?: string;
  /**
   * Present when the credentials come from an exec plugin with `provideClusterInfo`: the cluster as the source
   * describes it (`spec.cluster` of `KUBERNETES_EXEC_INFO`), and the plugin's credentials for a cluster described
   * otherwise, once the cluster options have applied (as client-go's `ConfigToExecCluster` reads the final config).
   */
  execCluster?: {
    info: Record<string, unknown>;
    credentials(info: Record<string, unknown>): Credentials;
  };
}
