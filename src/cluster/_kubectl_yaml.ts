/**
 * YAML as kubectl reads it, with go-yaml v2 through sigs.k8s.io/yaml: kubeconfigs, and an exec plugin's output that
 * is not JSON. Private to `cluster/`.
 *
 * @module
 */

import type { ScalarTag, Tags } from "yaml";
import { withoutEnvironmentVariables } from "../runtime/files.ts";
import { lazyPackage } from "../runtime/_lazy_package.ts";

/** The yaml package's functions that we call. */
const YAML_CALLS = ["parseAllDocuments", "visit", "isAlias", "isNode", "isMap", "isSeq", "isScalar"] as const;

/** The yaml package, imported once a first parse asks for it (about 20 ms to import on Node, 30 on Deno). */
const yamlPackage = lazyPackage("yaml", "reads YAML", () => import("yaml"), YAML_CALLS);

/**
 * The yaml package could not be imported (a bundle that left it external or lost the file that holds it, a
 * node_modules without it), or came without its functions (a bundle that ran before defining it), so no YAML could
 * be read: the text is not at fault. Its message says what to do.
 */
export class YamlPackageMissingError extends Error {
  override name = "YamlPackageMissingError";
}

/**
 * The yaml package, imported at the first call; a failed import, or one that gave a module without the functions we
 * call, is a {@linkcode YamlPackageMissingError}. Only a good import is kept: one that came too early may come whole
 * at a later call.
 */
async function yamlParser(): Promise<typeof import("yaml")> {
  try {
    return await yamlPackage();
  } catch (cause) {
    throw new YamlPackageMissingError((cause as Error).message, { cause: (cause as Error).cause ?? cause });
  }
}

/**
 * The value of the first YAML document of `text`, as kubectl reads it: a second document, or a `---` at the end, is
 * ignored; a repeated key's last value wins; `<<: *anchor` merge keys apply; plain `yes`/`no`/`on`/`off`/`y`/`n` are
 * booleans as in YAML 1.1; timestamps and `10:20` stay strings. No warning or debug output is printed (it may quote
 * the text).
 *
 * The yaml package is imported on the first call: a process that reads no kubeconfig (in a pod, or given
 * `cluster.server`) never loads it.
 *
 * @param text The YAML.
 * @returns Its first document's value; `undefined` when it has none.
 * @throws {YamlPackageMissingError} When the yaml package cannot be imported, or came without its functions.
 * @throws The yaml package's error, whose `code` and `pos` (offsets in `text`) say what and where; its message may
 * quote the text, which may hold a secret.
 *
 * @example A kubeconfig's field
 * ```ts
 * import { parseFirstYamlDocument } from "./_kubectl_yaml.ts";
 * console.log(await parseFirstYamlDocument("insecure: yes\n---\nother: 1")); // { insecure: true }
 * ```
 */
export async function parseFirstYamlDocument(text: string): Promise<unknown> {
  const yaml = await yamlParser();
  // logLevel "error": warnings would go to the console (process.emitWarning) and may quote the text.
  // merge: `<<: *anchor` merge keys, which go-yaml v2 (kubectl's) applies and YAML 1.2 does not have.
  const [first] = withoutYamlDebugOutput(() =>
    yaml.parseAllDocuments(text, {
      prettyErrors: false,
      logLevel: "error",
      uniqueKeys: false,
      merge: true,
      customTags: withYaml11Booleans,
    })
  );
  if (first === undefined) return undefined;
  if (first.errors.length) throw first.errors[0];
  checkNoAliasInsideItsAnchor(yaml, first);
  checkAliasExpansion(yaml, first);
  // The yaml package's own limit (100 uses of an anchor) refused kubeconfigs that kubectl loads, such as 300 contexts
  // that merge one `<<: *defaults`; the check above is kubectl's.
  return first.toJS({ maxAliasCount: -1 });
}

/** The message of the error that {@linkcode parseFirstYamlDocument} throws for an anchor whose value holds itself. */
export const ALIAS_INSIDE_ITS_ANCHOR = "an anchor's value contains an alias to that anchor";

/**
 * Refuses an alias inside the value of its own anchor (`a: &a [*a]`), as go-yaml v2 does ("anchor 'a' value
 * contains itself"): the value would never end. The yaml package reads it as an object that holds itself. One pass
 * in document order, where an alias names the latest anchor of its name before it (`Alias.resolve()` would search
 * the document again for each alias: 4-13 s for a merge bomb of 2,000 aliases that the check after this one refuses).
 */
function checkNoAliasInsideItsAnchor(yaml: typeof import("yaml"), document: import("yaml").Document): void {
  const anchored = new Map<string, import("yaml").Node>();
  yaml.visit(document, (_key, node, path) => {
    if (yaml.isAlias(node)) {
      const target = anchored.get(node.source);
      if (target !== undefined && path.includes(target)) throw new Error(ALIAS_INSIDE_ITS_ANCHOR);
    } else if (yaml.isNode(node) && node.anchor) anchored.set(node.anchor, node);
  });
}

/** The message of the error that {@linkcode parseFirstYamlDocument} throws for aliases that expand too much. */
export const EXCESSIVE_ALIASES = "the document contains excessive aliasing";

/**
 * Refuses aliases that expand as go-yaml v2 (kubectl's) refuses them: it counts the nodes it reads, those read
 * through an alias again each time, and gives up once more than 100 came through aliases, of more than 1,000 read,
 * and they make more than 99% of them (down to 10% from 400,000 nodes read to 4,000,000). Nodes are read in the
 * same order, so the walk stops where go-yaml stops: a billion laughs (9^9 strings from 400 bytes) after a few
 * thousand nodes, a map of 1,000 keys merged 1,000 times (which took the yaml package 2 s) at once.
 */
function checkAliasExpansion(yaml: typeof import("yaml"), document: import("yaml").Document): void {
  let read = 1; // The document node.
  let throughAliases = 0;
  const pending: [unknown, boolean][] = [[document.contents, false]];
  while (pending.length > 0) {
    const [node, inAlias] = pending.pop()!;
    read++;
    if (inAlias) throughAliases++;
    if (throughAliases > 100 && read > 1000 && throughAliases / read > allowedAliasRatio(read)) {
      throw new Error(EXCESSIVE_ALIASES);
    }
    if (yaml.isAlias(node)) {
      const target = node.resolve(document);
      if (target !== undefined) pending.push([target, true]);
    } else if (yaml.isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const { key, value } = node.items[i];
        pending.push([value, inAlias]);
        // go-yaml reads a merge key's value, not the key.
        if (!isMergeKey(yaml, key)) pending.push([key, inAlias]);
      }
    } else if (yaml.isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) pending.push([node.items[i], inAlias]);
    }
  }
}

/** Whether a key is `<<`, as the yaml package tells a merge key: plain, its value the text or a symbol named so. */
function isMergeKey(yaml: typeof import("yaml"), key: unknown): boolean {
  if (!yaml.isScalar(key) || (key.type !== undefined && key.type !== "PLAIN")) return false;
  const value = key.value;
  return value === "<<" || (typeof value === "symbol" && value.description === "<<");
}

/** go-yaml v2's share of nodes that may come through aliases, after `read` nodes. */
function allowedAliasRatio(read: number): number {
  if (read <= 400_000) return 0.99;
  if (read >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * (read - 400_000) / 3_600_000;
}

/**
 * Runs `parse` with `console.log` and `console.dir` silenced: the yaml package prints each token it reads with
 * `console.log` when `LOG_TOKENS` is set, and each node with `console.dir` when `LOG_STREAM` is, which would put a
 * kubeconfig's or a plugin's tokens, keys and passwords on standard output. The parse is synchronous: nothing else
 * prints meanwhile. A console that cannot be silenced (frozen) gets the parse with those two variables unset.
 */
function withoutYamlDebugOutput<T>(parse: () => T): T {
  const { log, dir } = console;
  const quiet = () => {};
  try {
    console.log = quiet;
    console.dir = quiet;
  } catch {
    // A frozen console (node --frozen-intrinsics) keeps its methods: the switches go instead.
    if (console.log === quiet) console.log = log;
    return withoutEnvironmentVariables(["LOG_TOKENS", "LOG_STREAM"], parse);
  }
  try {
    return parse();
  } finally {
    console.log = log;
    console.dir = dir;
  }
}

/**
 * Where an error of {@linkcode parseFirstYamlDocument} lies in `text`, as ` at line L, column C`, or `""` when it
 * says none.
 *
 * @param text The YAML.
 * @param error The error.
 * @returns The place, to follow a sentence's subject.
 *
 * @example An unclosed list
 * ```ts
 * import { parseFirstYamlDocument, yamlErrorPlace } from "./_kubectl_yaml.ts";
 * try {
 *   await parseFirstYamlDocument("a: [");
 * } catch (error) {
 *   console.log(yamlErrorPlace("a: [", error)); //  at line 1, column 5
 * }
 * ```
 */
export function yamlErrorPlace(text: string, error: unknown): string {
  const pos = (error as { pos?: [number, number] }).pos;
  if (typeof pos?.[0] !== "number") return "";
  const before = text.slice(0, pos[0]).split("\n");
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * kubectl's booleans: plain `yes`/`no`/`on`/`off`/`y`/`n` in any of their spellings are booleans, as in YAML 1.1. Everything else stays YAML 1.2 core: go-yaml v2 keeps timestamps and
 * `10:20` as strings, which the yaml package's 1.1 schema would not.
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
