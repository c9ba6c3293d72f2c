/**
 * Label selectors as the Kubernetes API server parses them
 * (`k8s.io/apimachinery/pkg/labels`): comma-separated requirements of the
 * forms `key`, `!key`, `key=value`, `key==value`, `key!=value`,
 * `key in (a,b)`, `key notin (a,b)`, `key>1` and `key<1`. Private to the fake
 * API server.
 *
 * @module
 */

/** One parsed requirement. */
interface Requirement {
  key: string;
  operator: "exists" | "!" | "=" | "!=" | "in" | "notin" | ">" | "<";
  values: string[];
}

/** A parsed label selector; an empty one matches everything. */
export interface LabelSelector {
  /** Whether the selector has no requirement at all. */
  readonly empty: boolean;
  /** Whether the labels satisfy every requirement. */
  matches(labels: Record<string, string> | undefined): boolean;
}

/** A label selector the server cannot parse; becomes a 400 BadRequest. */
export class LabelSelectorError extends Error {
  /**
   * @param message What is wrong with the selector.
   */
  constructor(message: string) {
    super(message);
    this.name = "LabelSelectorError";
  }
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SPECIAL = new Set([
  " ",
  "\t",
  "\n",
  "\r",
  ",",
  "=",
  "!",
  "(",
  ")",
  "<",
  ">",
]);

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: "," | "=" | "==" | "!=" | "!" | "(" | ")" | "<" | ">" };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if ((c === "=" || c === "!") && input[i + 1] === "=") {
      tokens.push({ kind: "op", text: c === "=" ? "==" : "!=" });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({
        kind: "op",
        text: c as "," | "=" | "!" | "(" | ")" | "<" | ">",
      });
      i++;
    } else {
      const start = i;
      while (i < input.length && !SPECIAL.has(input[i])) i++;
      tokens.push({ kind: "id", text: input.slice(start, i) });
    }
  }
  return tokens;
}

function validateKey(key: string): void {
  const slash = key.indexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    throw new LabelSelectorError(
      `unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ` +
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  if (
    prefix !== undefined &&
    (prefix.length === 0 || prefix.length > 253 ||
      !prefix.split(".").every((part) => DNS_LABEL.test(part)))
  ) {
    throw new LabelSelectorError(
      `unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ` +
        "prefix part must be a lowercase RFC 1123 subdomain",
    );
  }
}

function validateValue(key: string, value: string): void {
  if (value.length > 63 || (value.length > 0 && !NAME.test(value))) {
    throw new LabelSelectorError(
      `unable to parse requirement: values[0][${key}]: Invalid value: ${JSON.stringify(value)}: ` +
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
}

function describe(token: Token | undefined): string {
  return token === undefined ? "end of string" : `'${token.text}'`;
}

function parseRequirements(tokens: Token[]): Requirement[] {
  const requirements: Requirement[] = [];
  let i = 0;
  const expectId = (what: string): string => {
    const token = tokens[i];
    if (token?.kind !== "id") {
      throw new LabelSelectorError(
        `found ${describe(token)}, expected: ${what}`,
      );
    }
    i++;
    return token.text;
  };
  while (i < tokens.length) {
    let requirement: Requirement;
    if (tokens[i].kind === "op" && tokens[i].text === "!") {
      i++;
      const key = expectId("identifier after '!'");
      validateKey(key);
      requirement = { key, operator: "!", values: [] };
    } else {
      const key = expectId("identifier");
      validateKey(key);
      const next = tokens[i];
      if (next === undefined || (next.kind === "op" && next.text === ",")) {
        requirement = { key, operator: "exists", values: [] };
      } else if (
        next.kind === "op" &&
        (next.text === "=" || next.text === "==" || next.text === "!=")
      ) {
        i++;
        const after = tokens[i];
        const value = after?.kind === "id" ? (i++, after.text) : "";
        validateValue(key, value);
        requirement = {
          key,
          operator: next.text === "!=" ? "!=" : "=",
          values: [value],
        };
      } else if (
        next.kind === "op" && (next.text === "<" || next.text === ">")
      ) {
        i++;
        const value = expectId("integer value");
        if (!/^-?\d+$/.test(value)) {
          throw new LabelSelectorError(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: current value is ${
              JSON.stringify(value)
            }`,
          );
        }
        requirement = { key, operator: next.text, values: [value] };
      } else if (
        next.kind === "id" && (next.text === "in" || next.text === "notin")
      ) {
        i++;
        const open = tokens[i];
        if (open?.kind !== "op" || open.text !== "(") {
          throw new LabelSelectorError(
            `found ${describe(open)}, expected: '('`,
          );
        }
        i++;
        const values: string[] = [];
        // Bounded: every pass consumes at least one token.
        while (i < tokens.length) {
          const token = tokens[i];
          if (token.kind === "op" && token.text === ")") break;
          if (token.kind === "op" && token.text === ",") {
            i++;
            continue;
          }
          values.push(expectId("value"));
        }
        const close = tokens[i];
        if (close?.kind !== "op" || close.text !== ")") {
          throw new LabelSelectorError(
            `found ${describe(close)}, expected: ')'`,
          );
        }
        i++;
        if (values.length === 0) {
          throw new LabelSelectorError(
            "unable to parse requirement: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
          );
        }
        for (const value of values) validateValue(key, value);
        requirement = { key, operator: next.text, values };
      } else {
        throw new LabelSelectorError(
          `found ${describe(next)}, expected: in, notin, =, ==, !=, gt, lt`,
        );
      }
    }
    requirements.push(requirement);
    const separator = tokens[i];
    if (separator === undefined) break;
    if (separator.kind !== "op" || separator.text !== ",") {
      throw new LabelSelectorError(
        `found ${describe(separator)}, expected: ',' or 'end of string'`,
      );
    }
    i++;
    if (i === tokens.length) {
      throw new LabelSelectorError(
        "found 'end of string', expected: identifier",
      );
    }
  }
  return requirements;
}

function satisfies(
  requirement: Requirement,
  labels: Record<string, string>,
): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case "exists":
      return has;
    case "!":
      return !has;
    case "=":
    case "in":
      return has && requirement.values.includes(value as string);
    case "!=":
    case "notin":
      return !has || !requirement.values.includes(value as string);
    case ">":
    case "<": {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const actual = Number(value);
      const bound = Number(requirement.values[0]);
      return requirement.operator === ">" ? actual > bound : actual < bound;
    }
  }
}

/**
 * Parses a label selector (already URL-decoded).
 *
 * @param selector The selector text; empty matches everything.
 * @returns The parsed selector.
 * @throws {LabelSelectorError} When the selector is malformed.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const requirements = parseRequirements(tokenize(selector));
  return {
    empty: requirements.length === 0,
    matches(labels) {
      const actual = labels ?? {};
      return requirements.every((requirement) => satisfies(requirement, actual));
    },
  };
}
