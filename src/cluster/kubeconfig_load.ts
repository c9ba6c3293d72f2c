/**
 * Kubeconfig files: parsing (with the `yaml` package) and merging a
 * `KUBECONFIG` list by kubectl's rules. Turning a context into access is
 * `kubeconfig_context.ts`.
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

import { ConfigError } from "../base/errors.ts";
import { isRecord, typeName } from "../base/_util.ts";
import { trace } from "../runtime/trace.ts";
import { refusedByRuntime } from "../runtime/files.ts";
import { readConfigFile } from "./_read_config_file.ts";
import { kubeconfigError } from "./_kubeconfig_fields.ts";
import { pathForError, shownPath } from "./_contents_instead_of_path.ts";
import {
  ALIAS_INSIDE_ITS_ANCHOR,
  EXCESSIVE_ALIASES,
  parseFirstYamlDocument,
  yamlErrorPlace,
  YamlPackageMissingError,
} from "./_kubectl_yaml.ts";
import type { KubeconfigEntry, KubeconfigObject, KubeconfigSource, MergedKubeconfig } from "./kubeconfig_schema.ts";
import type { ReadFile } from "./types.ts";
import { denoHolder, refusedEnvAdvice } from "../runtime/deno_permission_advice.ts";

/** The yaml package's message for a `<<` merge key whose value is not a mapping. */
const MERGE_OF_NON_MAP = "Merge sources must be maps or map aliases";

/**
 * Parses the text of a kubeconfig file (YAML or JSON): its first document, as
 * kubectl does. Only the shape that matters is checked here; fields are
 * checked when a context is used.
 *
 * @param text The file's text.
 * @param file The file, for messages.
 * @returns The kubeconfig; an empty file gives `{}`.
 * @throws {ConfigError} When the YAML is malformed (the message gives line
 * and column, never the text, which may hold a token) or is not a mapping.
 *
 * @example Parsing a small kubeconfig
 * ```ts
 * import { parseKubeconfig } from "./kubeconfig_load.ts";
 * const config = await parseKubeconfig("current-context: dev\ncontexts: []\n", "/tmp/config");
 * console.log(config["current-context"]); // dev
 * ```
 */
export async function parseKubeconfig(text: string, file: string): Promise<KubeconfigObject> {
  let value: unknown;
  try {
    // The first document only, as kubectl reads it: a second one, or a `---` at the end, is ignored.
    value = await parseFirstYamlDocument(text);
  } catch (error) {
    if (error instanceof YamlPackageMissingError) {
      throw new ConfigError(`Cannot load kubeconfig ${file}: ${error.message}`, { file });
    }
    if (refusedByRuntime(error)) {
      const fix = refusedEnvAdvice(["LOG_TOKENS", "LOG_STREAM"], "them");
      throw new ConfigError(
        `Cannot load kubeconfig ${file}: the YAML parser reads LOG_TOKENS and LOG_STREAM from the environment, ` +
          `which ${denoHolder()} may not: ${fix}`,
        { file },
      );
    }
    // The yaml package's message quotes the offending line: it may hold a token.
    const { code } = error as { code?: string };
    const at = yamlErrorPlace(text, error);
    // Its merge-key message and ours of aliases are fixed text without a position: say what is wrong instead.
    const what = (error as Error).message === MERGE_OF_NON_MAP
      ? ": a `<<` merge key's value is not a mapping or a list of mappings (kubectl refuses it too)"
      : (error as Error).message === ALIAS_INSIDE_ITS_ANCHOR
      ? ": an anchor's value (&name) holds an alias to that anchor (*name), so it would never end (kubectl refuses " +
        `it too: "anchor 'name' value contains itself")`
      : (error as Error).message === EXCESSIVE_ALIASES
      ? ": its aliases (*name) expand to many times what it holds, as a resource exhaustion attack's do (kubectl " +
        'refuses it too: "document contains excessive aliasing")'
      : "";
    throw new ConfigError(
      `Cannot load kubeconfig ${file}: the YAML is malformed${at}${code ? ` (${code})` : ""}${what}: ` +
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
 * import { mergeKubeconfigs } from "./kubeconfig_load.ts";
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
      throw kubeconfigError(
        file,
        undefined,
        `the kubeconfig is a ${typeName(config)}, not an object`,
      );
    }
    checkVersionAndKind(config, file);
    const current = config["current-context"];
    if (
      current !== undefined && current !== null && typeof current !== "string"
    ) {
      throw kubeconfigError(
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

/** The `apiVersion` and `kind` of a kubeconfig, which default to these when left out, empty or null. */
const VERSION_AND_KIND = [["apiVersion", "v1"], ["kind", "Config"]] as const;

/** Refuses a kubeconfig of another `apiVersion` or `kind`, as kubectl refuses to load it. */
function checkVersionAndKind(config: Record<string, unknown>, file: string | undefined): void {
  for (const [field, expected] of VERSION_AND_KIND) {
    const value = config[field];
    if (value === undefined || value === null || value === "" || value === expected) continue;
    // Quoted only when shaped like a version or kind: a value pasted there by mistake may be a secret.
    const current = typeof value !== "string"
      ? `current type is ${typeName(value)}`
      : /^[A-Za-z0-9./-]{1,63}$/.test(value)
      ? `current value is ${JSON.stringify(value)}`
      : "current value is another string";
    throw kubeconfigError(
      file,
      field,
      `${field} must be ${expected} (or left out): ${current}: write \`${field}: ${expected}\` ` +
        "(kubectl refuses to load such a kubeconfig too)",
    );
  }
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
    throw kubeconfigError(
      file,
      listName,
      `${listName} must be a list: current type is ${typeName(list)}`,
    );
  }
  const seen = new Set<string>();
  let unnamed: string | undefined;
  list.forEach((item, index) => {
    const at = `${listName}[${index}]`;
    if (!isRecord(item)) {
      throw kubeconfigError(
        file,
        at,
        `${at} must be a mapping with name and ${inner}: current type is ${typeName(item)}`,
      );
    }
    const name = item.name;
    // kubectl files an entry without a name under the name "", which it uses where a name is left unset (no
    // current-context, a context without a cluster or user), and refuses a second such entry as a duplicate name.
    if (name === undefined || name === null || name === "") {
      if (unnamed !== undefined) {
        throw kubeconfigError(
          file,
          `${at}.name`,
          `${at}.name is not set, nor is ${unnamed}.name: give each entry a name (kubectl refuses two entries ` +
            "without one too)",
        );
      }
      unnamed = at;
    } else if (typeof name !== "string") {
      // YAML 1.1 (kubectl's too) reads an unquoted yes, no, on, off, y or n as a boolean, and 123 as a number:
      // those are shown, to be quoted. Anything else (a mapping indented under name:) is named by its type only,
      // as it may hold a credential.
      const scalar = typeof name === "boolean" || (typeof name === "number" && Number.isFinite(name));
      const read = scalar
        ? `; it was read as the ${typeName(name)} ${String(name)}: quote it`
        : `: current type is ${typeName(name)}`;
      throw kubeconfigError(file, `${at}.name`, `${at}.name must be a non-empty string${read}`);
    } else if (seen.has(name)) {
      throw kubeconfigError(
        file,
        `${at}.name`,
        `${at}.name ${JSON.stringify(name)} is defined twice in ${listName}: names must be unique`,
      );
    } else seen.add(name);
    const value = item[inner] ?? {};
    if (!isRecord(value)) {
      throw kubeconfigError(
        file,
        `${at}.${inner}`,
        `${at}.${inner} must be a mapping: current type is ${typeName(value)}`,
      );
    }
    const key = typeof name === "string" ? name : "";
    if (!into.has(key)) {
      const entry: KubeconfigEntry = { value, field: `${at}.${inner}` };
      if (file !== undefined) entry.file = file;
      into.set(key, entry);
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
 * import { loadKubeconfigFiles } from "./kubeconfig_load.ts";
 * import { readTextFile } from "../runtime/files.ts";
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
    const text = await readConfigFile(
      readFile,
      file,
      ({ problem, fix, fileThere }) => {
        const named = pathForError(file, fileThere);
        return new ConfigError(`Cannot load kubeconfig ${named.text}: the file ${problem}: ${fix}`, named.fields);
      },
    );
    if (text === undefined) {
      trace(`kubeconfig ${shownPath(file)} does not exist: skipped`);
      missing.push(file);
      continue;
    }
    sources.push({ config: await parseKubeconfig(text, file), file });
  }
  return { merged: mergeKubeconfigs(sources), missing };
}
