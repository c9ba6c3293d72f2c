/**
 * The kubeconfig sources, as kubectl finds them: `cluster.kubeconfig` (a file
 * or an object), the `KUBECONFIG` list, and `~/.kube/config`. Each turns its
 * kubeconfig's context into access with `kubeconfig_context.ts`; the order
 * between them is `resolve_cluster_access.ts`'s.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { trace } from "../runtime/trace.ts";
import { contentsInsteadOfPath, contentsProblem, pathForError, shownPath } from "./_contents_instead_of_path.ts";
import { joinPath } from "./_paths.ts";
import { accessFromKubeconfig, type KubeconfigAccess, type KubeconfigAccessOptions } from "./kubeconfig_context.ts";
import { loadKubeconfigFiles, mergeKubeconfigs } from "./kubeconfig_load.ts";
import type { KubeconfigObject } from "./kubeconfig_schema.ts";
import type { Environment, SourceAccess } from "./types.ts";
import { denoHolder, grantAdvice, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";

/**
 * What every kubeconfig source needs of the environment.
 *
 * @example The real file system and plugins
 * ```ts
 * import type { KubeconfigEnvironment } from "./kubeconfig_sources.ts";
 * import { readTextFile } from "../runtime/files.ts";
 * import { runExecPlugin } from "../runtime/exec_plugin.ts";
 * const env: KubeconfigEnvironment = { readFile: readTextFile, runExecPlugin, now: Date.now, execTimeoutMs: 60_000 };
 * ```
 */
export type KubeconfigEnvironment =
  & Pick<Required<Environment>, "readFile" | "runExecPlugin" | "now" | "execTimeoutMs">
  & Pick<Environment, "execStdin">;

/**
 * What `cluster.kubeconfig` gives: a file that must exist, or an object.
 *
 * @param kubeconfig The file's path, or the kubeconfig object.
 * @param context The context to use instead of `current-context`, if any.
 * @param env Files, plugins and clock.
 * @returns The access of the context.
 * @throws {ConfigError} When the file does not exist, or the kubeconfig is malformed.
 *
 * @example A kubeconfig object
 * ```ts
 * import { kubeconfigOptionAccess } from "./kubeconfig_sources.ts";
 * const found = await kubeconfigOptionAccess({
 *   "current-context": "dev",
 *   clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
 *   contexts: [{ name: "dev", context: { cluster: "c" } }],
 * }, undefined, {
 *   readFile: () => Promise.resolve(undefined),
 *   runExecPlugin: () => Promise.reject(new Error("no plugin")),
 *   now: Date.now,
 *   execTimeoutMs: 60_000,
 * });
 * console.log(found.source); // the kubeconfig object given as cluster.kubeconfig (context "dev")
 * ```
 */
export async function kubeconfigOptionAccess(
  kubeconfig: string | KubeconfigObject,
  context: string | undefined,
  env: KubeconfigEnvironment,
): Promise<KubeconfigAccess> {
  if (typeof kubeconfig !== "string") {
    return await accessFromKubeconfig(mergeKubeconfigs([{ config: kubeconfig }]), accessOptions(context, env));
  }
  const file = kubeconfig;
  const { merged, missing } = await loadKubeconfigFiles([file], env.readFile);
  if (missing.length > 0) {
    const named = pathForError(file);
    throw new ConfigError(
      `Cannot load kubeconfig ${named.text} (cluster.kubeconfig): the file does not exist: ` +
        (startsWithTilde(file) ? `${UNEXPANDED_TILDE}: write the home directory out` : "fix the path"),
      { ...named.fields, field: "cluster.kubeconfig" },
    );
  }
  return await accessFromKubeconfig(merged, accessOptions(context, env));
}

/**
 * What a `KUBECONFIG` list gives: its files merged by kubectl's rules,
 * missing ones skipped. When none exists, says so in `tried`.
 *
 * @param list The variable's value, not blank.
 * @param context The context to use instead of `current-context`, if any.
 * @param env Files, plugins, clock and the list separator.
 * @param tried Where to say why this source does not apply.
 * @param withoutContext The access to use when neither `context` nor the files choose a context, if any: as
 * kubectl (client-go's `DeferredLoadingClientConfig`) takes the in-cluster config then, in a pod.
 * @returns The access of the context, or `undefined` when no listed file exists.
 * @throws {ConfigError} When a file cannot be read, the kubeconfig is malformed, or the variable holds a
 * kubeconfig's contents (or other text that is no list of paths, never quoted).
 *
 * @example A list of files that do not exist
 * ```ts
 * import { kubeconfigListAccess } from "./kubeconfig_sources.ts";
 * const tried: string[] = [];
 * await kubeconfigListAccess("/a:/b", undefined, {
 *   readFile: () => Promise.resolve(undefined),
 *   runExecPlugin: () => Promise.reject(new Error("no plugin")),
 *   now: Date.now,
 *   execTimeoutMs: 60_000,
 *   pathListSeparator: ":",
 * }, tried);
 * console.log(tried); // [ "KUBECONFIG=/a:/b (no listed file exists)" ]
 * ```
 */
export async function kubeconfigListAccess(
  list: string,
  context: string | undefined,
  env: KubeconfigEnvironment & Pick<Required<Environment>, "pathListSeparator">,
  tried: string[],
  withoutContext?: () => Promise<SourceAccess | undefined>,
): Promise<SourceAccess | undefined> {
  const pasted = contentsInsteadOfPath(list);
  if (pasted) {
    throw new ConfigError(
      `Cannot load kubeconfig: ${
        contentsProblem("KUBECONFIG", pasted, "write it to a file and set KUBECONFIG to that file's path")
      }`,
      { field: "KUBECONFIG" },
    );
  }
  const paths = list.split(env.pathListSeparator).map((path) => path.trim())
    .filter((path) => path !== "");
  const { merged, missing } = await loadKubeconfigFiles(paths, env.readFile);
  // Each entry judged alone: the list judged again as one path looked only past its last "/" (a:/b/config:TOKEN).
  const shownList = `KUBECONFIG=${paths.map((path) => shownPath(path)).join(env.pathListSeparator)}`;
  if (merged.files.length === 0) {
    tried.push(
      `${shownList} (no listed file exists${paths.some(startsWithTilde) ? `; ${UNEXPANDED_TILDE}` : ""})`,
    );
    return undefined;
  }
  if (missing.length > 0) {
    trace(
      `KUBECONFIG lists files that do not exist, skipped: ${missing.map((path) => shownPath(path)).join(", ")}`,
    );
  }
  // An unnamed context or cluster is what kubectl uses then (see accessFromKubeconfig).
  const unnamed = merged.contexts.has("") || merged.clusters.has("");
  if (context === undefined && merged.currentContext === undefined && !unnamed && withoutContext) {
    const instead = await withoutContext();
    if (instead) {
      trace(`${shownList} sets no current-context: using ${instead.source}, as kubectl does`);
      return instead;
    }
  }
  return await accessFromKubeconfig(merged, accessOptions(context, env));
}

/** Why a path such as `~/.kube/config` is not found: kubectl does not expand `~` either, and says less. */
const UNEXPANDED_TILDE = "a leading ~ is not expanded (only a shell does that)";

/** Whether a path starts with `~`, which a shell would have expanded had it not been quoted or come from code. */
function startsWithTilde(path: string): boolean {
  return path.startsWith("~");
}

/**
 * What `~/.kube/config` gives. When there is no home directory or no file,
 * says so in `tried`.
 *
 * @param context The context to use instead of `current-context`, if any.
 * @param env Files, plugins, clock and the home directory.
 * @param tried Where to say why this source does not apply.
 * @returns The access of the context, or `undefined` when the file does not exist.
 * @throws {ConfigError} When the file cannot be read, or the kubeconfig is malformed.
 *
 * @example No home directory
 * ```ts
 * import { homeKubeconfigAccess } from "./kubeconfig_sources.ts";
 * const tried: string[] = [];
 * await homeKubeconfigAccess(undefined, {
 *   readFile: () => Promise.resolve(undefined),
 *   runExecPlugin: () => Promise.reject(new Error("no plugin")),
 *   now: Date.now,
 *   execTimeoutMs: 60_000,
 *   homeDirectory: () => undefined,
 *   refused: () => false,
 * }, tried);
 * console.log(tried); // [ "~/.kube/config (no home directory)" ]
 * ```
 */
export async function homeKubeconfigAccess(
  context: string | undefined,
  env: KubeconfigEnvironment & Pick<Required<Environment>, "homeDirectory" | "refused">,
  tried: string[],
): Promise<KubeconfigAccess | undefined> {
  const home = env.homeDirectory();
  if (!home) {
    // With HOME in reach, the runtime's own lookup (--allow-sys=homedir) is not needed: name the one that helps.
    tried.push(
      !env.refused("homedir")
        ? "~/.kube/config (no home directory)"
        : env.refused("HOME")
        ? `~/.kube/config (${denoHolder()} may not read HOME: ${refusedEnvAdvice(["HOME"], "HOME")})`
        : `~/.kube/config (${denoHolder()} may not look the home directory up, and HOME gives none: set HOME, ` +
          `or ${grantAdvice("sys", "homedir")})`,
    );
    return undefined;
  }
  const file = joinPath(joinPath(home, ".kube"), "config");
  const { merged } = await loadKubeconfigFiles([file], env.readFile);
  if (merged.files.length === 0) {
    tried.push(`${file} (does not exist)`);
    return undefined;
  }
  return await accessFromKubeconfig(merged, accessOptions(context, env));
}

function accessOptions(context: string | undefined, env: KubeconfigEnvironment): KubeconfigAccessOptions {
  return {
    ...(context !== undefined ? { context } : {}),
    readFile: env.readFile,
    runExecPlugin: env.runExecPlugin,
    now: env.now,
    execTimeoutMs: env.execTimeoutMs,
    ...(env.execStdin !== undefined ? { execStdin: env.execStdin } : {}),
  };
}
