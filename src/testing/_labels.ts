/**
 * The rules kube-apiserver holds label keys and values to (`IsQualifiedName`
 * and `IsValidLabelValue` of `k8s.io/apimachinery/pkg/util/validation`), each
 * problem in its words: for label selectors and for the labels of the objects
 * the fake API server stores. Private to the fake API server.
 *
 * @module
 */

import { quotedValue } from "./_go_quote.ts";

const NAME_FORMAT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const NAME = new RegExp(`^${NAME_FORMAT}$`);
const VALUE_FORMAT = `(${NAME_FORMAT})?`;
const VALUE = new RegExp(`^${VALUE_FORMAT}$`);
const SUBDOMAIN_FORMAT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const SUBDOMAIN = new RegExp(`^${SUBDOMAIN_FORMAT}$`);
const NAME_RULE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
  `alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${NAME_FORMAT}')`;
const VALUE_RULE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', " +
  `regex used for validation is '${VALUE_FORMAT}')`;
/** kube-apiserver's reason against a text that is no DNS-1123 subdomain (a label key's prefix, an FQDN). */
export const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  `and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${SUBDOMAIN_FORMAT}')`;

/** The length Go measures: UTF-8 bytes. */
function bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * What makes a text no label key (an optional DNS subdomain prefix and `/`, then a name of at most 63
 * letters, digits, `-`, `_` and `.`), in kube-apiserver's words.
 *
 * @param key The text.
 * @returns The problems; none for a valid key.
 */
export function keyProblems(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) {
    return [`a valid label key ${NAME_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const problems: string[] = [];
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === "") problems.push("prefix part must be non-empty");
    else {
      if (bytes(prefix) > 253) problems.push("prefix part must be no more than 253 bytes");
      if (!SUBDOMAIN.test(prefix)) problems.push(`prefix part ${SUBDOMAIN_RULE}`);
    }
  }
  if (name === "") problems.push("name part must be non-empty");
  else if (bytes(name) > 63) problems.push("name part must be no more than 63 bytes");
  if (!NAME.test(name)) problems.push(`name part ${NAME_RULE}`);
  return problems;
}

/**
 * What makes a text no label value (empty, or at most 63 letters, digits, `-`, `_` and `.` that start and
 * end with a letter or digit), in kube-apiserver's words.
 *
 * @param value The text.
 * @returns The problems; none for a valid value.
 */
export function valueProblems(value: string): string[] {
  return [...(bytes(value) > 63 ? ["must be no more than 63 bytes"] : []), ...(VALUE.test(value) ? [] : [VALUE_RULE])];
}

/**
 * The problem of a qualified name (what a label key is, and an `appProtocol`), as the testing API words it.
 *
 * @param field The field, e.g. `ports[0].appProtocol`.
 * @param value The text.
 * @returns The problem, or `undefined` when kube-apiserver accepts it.
 */
export function qualifiedNameProblem(field: string, value: string): string | undefined {
  const problems = keyProblems(value);
  return problems.length === 0
    ? undefined
    : `${field} ${quotedValue(value)} is no qualified name, as kube-apiserver requires one: ${problems.join("; ")}`;
}

/**
 * Whether a text is a label value (also what names a zone in a topology hint).
 *
 * @param value The text.
 * @returns Whether kube-apiserver accepts it.
 */
export function isLabelValue(value: string): boolean {
  return valueProblems(value).length === 0;
}

/**
 * The first problem of a map of labels (or, with `keysOnly`, of annotations, whose values are free), as the
 * testing API words it, or `undefined` when kube-apiserver accepts them all.
 *
 * @param field The map's field, e.g. `metadata.labels`.
 * @param labels The map.
 * @param keysOnly Whether only the keys are checked.
 * @returns The problem, naming the key or value.
 */
export function labelsProblem(
  field: string,
  labels: Record<string, string>,
  keysOnly = false,
): string | undefined {
  for (const [key, value] of Object.entries(labels)) {
    const badKey = keyProblems(key);
    if (badKey.length > 0) {
      return `${field} key ${quotedValue(key)} is no label key, as kube-apiserver requires one: ${badKey.join("; ")}`;
    }
    const badValue = keysOnly ? [] : valueProblems(value);
    if (badValue.length > 0) {
      return `${field}[${quotedValue(key)}] is no label value, as kube-apiserver requires one: ` +
        `${badValue.join("; ")}: current value is ${quotedValue(value)}`;
    }
  }
  return undefined;
}
