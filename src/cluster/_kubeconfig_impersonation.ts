/**
 * A kubeconfig user's impersonation (`as`, `as-uid`, `as-groups`,
 * `as-user-extra`), read and checked as kubectl reads it: `as` turns it on;
 * the other fields without `as` are refused, as clientcmd's validation
 * refuses them ("without impersonating a user").
 *
 * @module
 */

import { isRecord, typeName } from "../base/_util.ts";
import { kubeconfigError, optionalString } from "./_kubeconfig_fields.ts";
import type { KubeconfigEntry } from "./kubeconfig_schema.ts";
import type { Impersonation } from "./types.ts";
import { wordList } from "../base/_word_list.ts";

/** What no header value may hold: NUL, a line break or another control character but tab (Go refuses them too). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Text beyond printable ASCII and tab (control characters are refused before, with their own message). */
const NOT_ASCII = /[^ -~\t]/;

/**
 * Reads the impersonation of one `users[].user` entry.
 *
 * @param entry The user entry.
 * @returns The impersonation, or `undefined` when `as` is not set.
 * @throws {ConfigError} When a field has the wrong type, a control character or text beyond ASCII, or `as-uid`, `as-groups` or
 *   `as-user-extra` is set without `as`.
 *
 * @example A user that acts as another
 * ```ts
 * import { readImpersonation } from "./_kubeconfig_impersonation.ts";
 * const entry = { value: { token: "abc", as: "jane", "as-groups": ["dev"] }, field: "users[0].user" };
 * console.log(readImpersonation(entry)); // { user: "jane", groups: [ "dev" ], extra: {} }
 * ```
 */
export function readImpersonation(entry: KubeconfigEntry): Impersonation | undefined {
  const { value, file, field } = entry;
  const user = optionalString(value, "as", entry) ?? "";
  const uid = optionalString(value, "as-uid", entry) ?? "";
  const groups = stringList(value["as-groups"], entry, "as-groups");
  const extra = extraMap(value["as-user-extra"], entry);
  if (user === "") {
    const set = [
      uid !== "" && "as-uid",
      groups.length > 0 && "as-groups",
      Object.keys(extra).length > 0 && "as-user-extra",
    ]
      .filter((name): name is string => name !== false);
    if (set.length === 0) return undefined;
    throw kubeconfigError(
      file,
      `${field}.${set[0]}`,
      `${field} sets ${wordList(set)} but not as: name the user to impersonate in as, or remove ${
        set.length > 1 ? "them" : "it"
      } (kubectl refuses this too)`,
    );
  }
  const values: [string, string][] = [["as", user], ["as-uid", uid]];
  groups.forEach((group, i) => values.push([`as-groups[${i}]`, group]));
  for (const [key, list] of Object.entries(extra)) {
    list.forEach((v, i) => values.push([`as-user-extra.${key}[${i}]`, v]));
  }
  for (const [name, text] of values) {
    if (CONTROL.test(text)) {
      throw kubeconfigError(
        file,
        `${field}.${name}`,
        `${field}.${name} holds a line break or another control character, which no HTTP header may carry: remove it`,
      );
    }
    if (NOT_ASCII.test(text)) {
      // Go sends such text as its UTF-8 bytes; the runtimes' HTTP clients do not agree on how to send it (Deno's TLS
      // sockets write UTF-8, its plain ones and Node's a byte per character), and a wrong byte is another user.
      throw kubeconfigError(
        file,
        `${field}.${name}`,
        `${field}.${name} holds characters beyond ASCII, which this library cannot send in a header as kubectl ` +
          "does (as UTF-8 on every runtime): use a name in ASCII, or a user that has the permissions itself",
      );
    }
  }
  const impersonation: Impersonation = { user, groups, extra };
  if (uid !== "") impersonation.uid = uid;
  return impersonation;
}

/** A list of strings (`as-groups`, one key of `as-user-extra`); `null` or unset is empty. */
function stringList(list: unknown, entry: KubeconfigEntry, key: string): string[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    throw kubeconfigError(
      entry.file,
      `${entry.field}.${key}`,
      `${entry.field}.${key} must be a list of strings: current type is ${typeName(list)}`,
    );
  }
  return list;
}

/** `as-user-extra`: a mapping of keys to lists of strings. */
function extraMap(map: unknown, entry: KubeconfigEntry): Record<string, string[]> {
  if (map === undefined || map === null) return {};
  const field = `${entry.field}.as-user-extra`;
  if (!isRecord(map)) {
    throw kubeconfigError(
      entry.file,
      field,
      `${field} must be a mapping of keys to lists of strings: current type is ${typeName(map)}`,
    );
  }
  const extra: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(map)) {
    const values = stringList(list, entry, `as-user-extra.${key}`);
    if (values.length > 0) extra[key] = values;
  }
  return extra;
}
