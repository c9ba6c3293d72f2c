/**
 * The kubeconfig data model: the file as written (`KubeconfigObject` and its
 * entries, as in client-go's `clientcmd/api/v1`) and the merged view that
 * `kubeconfig_load.ts` builds from a `KUBECONFIG` list. Types only.
 *
 * @module
 */

/**
 * A parsed kubeconfig, as in the file (`apiVersion: v1`, `kind: Config`).
 *
 * @example A kubeconfig as an object
 * ```ts
 * import type { KubeconfigObject } from "@kgr/resolver";
 * const config: KubeconfigObject = {
 *   "current-context": "kind",
 *   clusters: [{ name: "kind", cluster: { server: "https://127.0.0.1:6443" } }],
 *   users: [{ name: "kind", user: { token: "abc" } }],
 *   contexts: [{ name: "kind", context: { cluster: "kind", user: "kind" } }],
 * };
 * ```
 */
export interface KubeconfigObject {
  /** `v1`, or left out (empty, null): another value is refused, as kubectl refuses it. */
  apiVersion?: string | undefined;
  /** `Config`, or left out (empty, null): another value is refused, as kubectl refuses it. */
  kind?: string | undefined;
  /** Named clusters. */
  clusters?: NamedKubeconfigCluster[] | null | undefined;
  /** Named users. */
  users?: NamedKubeconfigUser[] | null | undefined;
  /** Named contexts. */
  contexts?: NamedKubeconfigContext[] | null | undefined;
  /** The context to use when none is given. */
  "current-context"?: string | undefined;
  /** Other fields (`preferences`, `extensions`) are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `clusters`.
 *
 * @example A cluster entry
 * ```ts
 * import type { NamedKubeconfigCluster } from "@kgr/resolver";
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
 * import type { KubeconfigCluster } from "@kgr/resolver";
 * const cluster: KubeconfigCluster = { server: "https://10.0.0.1:6443", "certificate-authority": "ca.crt" };
 * ```
 */
export interface KubeconfigCluster {
  /**
   * API server URL, `https://host:port`. Written without a scheme, it is `https://` when a CA, a client certificate
   * or `insecure-skip-tls-verify` applies, else `http://`, as client-go's `rest.Config` has it (kubectl always takes
   * `http://` there: write the scheme).
   */
  server?: string | undefined;
  /** Path of a PEM CA file; relative to the kubeconfig's folder. */
  "certificate-authority"?: string | undefined;
  /** Base64 of a PEM CA; not beside `certificate-authority` (refused, as kubectl refuses both). */
  "certificate-authority-data"?: string | undefined;
  /** Skip TLS verification; only `true` turns it on. */
  "insecure-skip-tls-verify"?: boolean | undefined;
  /** Name to verify the server certificate against. */
  "tls-server-name"?: string | undefined;
  /** Proxy to reach the server through. */
  "proxy-url"?: string | undefined;
  /** Named extensions; `client.authentication.k8s.io/exec` goes to exec plugins. */
  extensions?: { name: string; extension: unknown }[] | null | undefined;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `users`.
 *
 * @example A user entry
 * ```ts
 * import type { NamedKubeconfigUser } from "@kgr/resolver";
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
 * import type { KubeconfigUser } from "@kgr/resolver";
 * const user: KubeconfigUser = { "client-certificate": "client.crt", "client-key": "client.key" };
 * ```
 */
export interface KubeconfigUser {
  /** Bearer token. */
  token?: string | undefined;
  /** File holding a bearer token, re-read periodically; wins over `token`, which is sent while the file cannot be read. */
  tokenFile?: string | undefined;
  /** Path of the PEM client certificate. */
  "client-certificate"?: string | undefined;
  /** Base64 of the PEM client certificate; not beside `client-certificate` (refused, as kubectl refuses both). */
  "client-certificate-data"?: string | undefined;
  /** Path of the PEM client key. */
  "client-key"?: string | undefined;
  /** Base64 of the PEM client key; not beside `client-key` (refused, as kubectl refuses both). */
  "client-key-data"?: string | undefined;
  /** Basic auth user name. */
  username?: string | undefined;
  /** Basic auth password. */
  password?: string | undefined;
  /** Exec credential plugin. */
  exec?: KubeconfigExec | null | undefined;
  /** Impersonation: the user to act as; `as-uid`, `as-groups` and `as-user-extra` need it. */
  as?: string | undefined;
  /** Other fields (`as-uid`, `as-groups`, `as-user-extra` among them) are read where used; `auth-provider` is rejected. */
  [field: string]: unknown;
}

/**
 * A kubeconfig `exec` stanza.
 *
 * @example An EKS exec plugin
 * ```ts
 * import type { KubeconfigExec } from "@kgr/resolver";
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
  apiVersion?: string | undefined;
  /** Program; relative paths with a `/` resolve against the kubeconfig's folder, bare names use `PATH`. */
  command?: string | undefined;
  /** Arguments. */
  args?: string[] | null | undefined;
  /** Added environment variables. */
  env?: { name: string; value: string }[] | null | undefined;
  /** `Never`, `IfAvailable` or `Always`; we are never interactive, so `Always` is an error. */
  interactiveMode?: string | undefined;
  /** Send the cluster in `KUBERNETES_EXEC_INFO`. */
  provideClusterInfo?: boolean | undefined;
  /** Shown when the program is not found. */
  installHint?: string | undefined;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * A kubeconfig context.
 *
 * @example A context with a namespace
 * ```ts
 * import type { KubeconfigContext } from "@kgr/resolver";
 * const context: KubeconfigContext = { cluster: "kind", user: "kind", namespace: "shop" };
 * ```
 */
export interface KubeconfigContext {
  /** Cluster name. */
  cluster?: string | undefined;
  /** User name; absent means anonymous. */
  user?: string | undefined;
  /** Default namespace. */
  namespace?: string | undefined;
  /** Other fields are ignored. */
  [field: string]: unknown;
}

/**
 * One entry of `contexts`.
 *
 * @example A context entry
 * ```ts
 * import type { NamedKubeconfigContext } from "@kgr/resolver";
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
 * import type { KubeconfigSource } from "./kubeconfig_schema.ts";
 * const source: KubeconfigSource = { config: { "current-context": "dev" }, file: "/root/.kube/config" };
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
 * @example A user defined in a file
 * ```ts
 * import type { KubeconfigEntry } from "./kubeconfig_schema.ts";
 * const entry: KubeconfigEntry = { value: { tokenFile: "/run/token" }, file: "/root/.kube/config", field: "users[0].user" };
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
 * Several kubeconfigs merged by kubectl's rules (`mergeKubeconfigs()`).
 *
 * @example Listing merged contexts
 * ```ts
 * import type { MergedKubeconfig } from "./kubeconfig_schema.ts";
 * function contextNames(merged: MergedKubeconfig): string[] {
 *   return [...merged.contexts.keys()];
 * }
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
