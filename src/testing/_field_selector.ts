/**
 * Field selectors as the Kubernetes API server reads them
 * (`k8s.io/apimachinery/pkg/fields`): comma-separated `field=value`,
 * `field==value` and `field!=value` terms, where a backslash escapes `\`,
 * `,` and `=` in values, over the fields the server selects a resource by
 * (for EndpointSlices `metadata.name` and `metadata.namespace`; each resource
 * gives its own). Private to the fake API server.
 *
 * @module
 */

/** A field selector the server refuses; becomes a 400 BadRequest with this message. */
export class FieldSelectorError extends Error {
  /**
   * Makes the error.
   *
   * @param message The real server's wording.
   */
  constructor(message: string) {
    super(message);
    this.name = "FieldSelectorError";
  }
}

/** A parsed field selector; an empty one matches everything. */
export interface FieldSelector {
  /** Whether the selector has no term at all. */
  readonly empty: boolean;
  /** The value of its first `metadata.name=` (or `==`) term in sorted order, as Go's `RequiresExactMatch` finds it. */
  readonly exactName: string | undefined;
  /** The same for `metadata.namespace`. */
  readonly exactNamespace: string | undefined;
  /** Whether an object with these field values (by field name) satisfies every term. */
  matches(values: Readonly<Record<string, string>>): boolean;
}

/** The fields a resource's field selectors may name, and how the real server refuses another. */
export interface SelectableFields {
  /** The fields. */
  readonly names: ReadonlySet<string>;
  /** The real server's message for a field not among them. */
  unsupported(field: string): string;
}

interface Term {
  field: string;
  equal: boolean;
  value: string;
}

/** Splits at each unescaped comma, keeping the escapes. */
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let current = "";
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (char === "\\" && i + 1 < input.length) {
      current += char + input[i + 1];
      i++;
    } else if (char === ",") {
      terms.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  terms.push(current);
  return terms;
}

/** Go's `UnescapeValue`: `\\`, `\,` and `\=` are the only escapes, and `,` and `=` must be escaped. */
function unescapeValue(value: string): string {
  let out = "";
  let inSlash = false;
  for (const char of value) {
    if (inSlash) {
      if (char !== "\\" && char !== "," && char !== "=") {
        throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${char}`);
      }
      out += char;
      inSlash = false;
    } else if (char === "\\") {
      inSlash = true;
    } else if (char === "," || char === "=") {
      // Go prints the rune as its number.
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${char.codePointAt(0)}`);
    } else {
      out += char;
    }
  }
  if (inSlash) throw new FieldSelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

function parseTerm(term: string, selector: string): { field: string; equal: boolean; value: string } {
  // The first operator wins, as in the real parser: "!=" before "==" before "=".
  const operators = ["!=", "==", "="].map((operator) => ({ operator, at: term.indexOf(operator) }))
    .filter(({ at }) => at !== -1)
    .sort((a, b) => a.at - b.at);
  if (operators.length === 0) {
    throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
  }
  const { operator, at } = operators[0];
  return {
    field: term.slice(0, at),
    equal: operator !== "!=",
    value: unescapeValue(term.slice(at + operator.length)),
  };
}

/**
 * Parses a field selector.
 *
 * @param input The `fieldSelector` query parameter.
 * @param fields The fields the resource may be selected by; `undefined` takes any field, as the real server's
 * parser does when it reads what a request names for RBAC (the list itself then refuses a field it does not know).
 * @returns The selector.
 * @throws {FieldSelectorError} When the server would refuse it.
 */
export function parseFieldSelector(input: string, fields: SelectableFields | undefined): FieldSelector {
  // As the real parser: every term is read in sorted order (a bad one fails first), a term with neither field
  // nor value (`=`, `!=`) selects everything and is dropped, then each field is checked.
  const read = splitTerms(input).sort().filter((term) => term !== "").map((term) => parseTerm(term, input))
    .filter(({ field, value }) => field !== "" || value !== "");
  if (fields !== undefined) {
    const unknown = read.find(({ field }) => !fields.names.has(field));
    if (unknown !== undefined) throw new FieldSelectorError(fields.unsupported(unknown.field));
  }
  const terms: Term[] = read;
  return {
    empty: terms.length === 0,
    exactName: terms.find(({ field, equal }) => field === "metadata.name" && equal)?.value,
    exactNamespace: terms.find(({ field, equal }) => field === "metadata.namespace" && equal)?.value,
    matches(values) {
      return terms.every(({ field, equal, value }) => (values[field] === value) === equal);
    },
  };
}
