/**
 * Label selectors as the Kubernetes API server parses them
 * (`k8s.io/apimachinery/pkg/labels`): comma-separated requirements of the
 * forms `key`, `!key`, `key=value`, `key==value`, `key!=value`,
 * `key in (a,b)`, `key notin (a,b)`, `key>1` and `key<1`. Private to the fake
 * API server.
 *
 * @module
 */

import { keyProblems, valueProblems } from "./_labels.ts";

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
   * Makes the error.
   *
   * @param message What is wrong with the selector.
   */
  constructor(message: string) {
    super(message);
    this.name = "LabelSelectorError";
  }
}

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

/** The lexer's tokens; `in` and `notin` are identifiers where values are read. */
type Token =
  | { kind: "id" | "in" | "notin"; text: string }
  | { kind: "op"; text: "," | "=" | "==" | "!=" | "!" | "(" | ")" | "<" | ">" }
  | { kind: "end"; text: "" };

const SYMBOLS = new Set([",", "=", "==", "!=", "!", "(", ")", "<", ">"]);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSymbol = (c: string) => "=!(),><".includes(c);

/** Go's lexer: the longest symbol that is a token, or a word up to a space or symbol. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    if (isSpace(input[i])) {
      i++;
    } else if (isSymbol(input[i])) {
      const two = input.slice(i, i + 2);
      const text = SYMBOLS.has(two) ? two : input[i];
      tokens.push({ kind: "op", text } as Token);
      i += text.length;
    } else {
      const start = i;
      while (i < input.length && !isSpace(input[i]) && !isSymbol(input[i])) i++;
      const text = input.slice(start, i);
      tokens.push({ kind: text === "in" || text === "notin" ? text : "id", text });
    }
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}

/** A field error as Go prints it: `path: Invalid value: "value": detail`. */
const invalid = (path: string, value: string, detail: string) =>
  `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;

/** The problems of a requirement's values, as `NewRequirement` finds them. */
function requirementProblems(key: string, operator: Requirement["operator"], values: string[]): string[] {
  const problems: string[] = [];
  if (operator === ">" || operator === "<") {
    values.forEach((value, index) => {
      if (int64(value) === undefined) {
        problems.push(invalid(`values[${index}]`, value, "for 'Gt', 'Lt' operators, the value must be an integer"));
      }
    });
  }
  values.forEach((value, index) => {
    const found = valueProblems(value);
    if (found.length > 0) problems.push(invalid(`values[${index}][${key}]`, value, found.join("; ")));
  });
  return problems;
}

/** Go's parser, read token by token; its messages, with or without the requirement prefix, are the real server's. */
class Parser {
  #tokens: Token[];
  #position = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  #peek(): Token {
    return this.#tokens[this.#position];
  }

  #next(): Token {
    return this.#tokens[Math.min(this.#position++, this.#tokens.length - 1)];
  }

  /** Where values are read, `in` and `notin` are plain identifiers. */
  static #isId(token: Token): boolean {
    return token.kind === "id" || token.kind === "in" || token.kind === "notin";
  }

  static #is(token: Token, text: string): boolean {
    return token.kind === "op" && token.text === text;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    // Bounded: every requirement consumes at least one token.
    for (;;) {
      const token = this.#peek();
      if (token.kind === "end") return requirements;
      if (!Parser.#isId(token) && !Parser.#is(token, "!")) {
        throw new LabelSelectorError(`found '${token.text}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.#requirement());
      } catch (error) {
        throw new LabelSelectorError(`unable to parse requirement: ${(error as Error).message}`);
      }
      const separator = this.#next();
      if (separator.kind === "end") return requirements;
      if (!Parser.#is(separator, ",")) {
        throw new LabelSelectorError(`found '${separator.text}', expected: ',' or 'end of string'`);
      }
      const after = this.#peek();
      if (!Parser.#isId(after) && !Parser.#is(after, "!")) {
        throw new LabelSelectorError(`found '${after.text}', expected: identifier after ','`);
      }
    }
  }

  #requirement(): Requirement {
    let token = this.#next();
    const absent = Parser.#is(token, "!");
    if (absent) token = this.#next();
    if (!Parser.#isId(token)) throw new Error(`found '${token.text}', expected: identifier`);
    const key = token.text;
    const problems = keyProblems(key);
    if (problems.length > 0) throw new Error(invalid("<nil>", key, problems.join("; ")));
    const next = this.#peek();
    if (absent || next.kind === "end" || Parser.#is(next, ",")) {
      return { key, operator: absent ? "!" : "exists", values: [] };
    }
    const operator = this.#operator();
    const values = operator === "in" || operator === "notin" ? this.#valueSet() : [this.#exactValue()];
    const found = requirementProblems(key, operator, values);
    // Like Go's aggregate: one problem alone, several in brackets.
    if (found.length > 0) throw new Error(found.length === 1 ? found[0] : `[${found.join(", ")}]`);
    return { key, operator, values };
  }

  #operator(): Requirement["operator"] {
    const token = this.#next();
    if (token.kind === "in" || token.kind === "notin") return token.kind;
    if (token.kind === "op" && ["=", "==", "!=", "<", ">"].includes(token.text)) {
      return token.text === "==" ? "=" : token.text as "=" | "!=" | "<" | ">";
    }
    throw new Error(`found '${token.text}', expected: ${BINARY_OPERATORS}`);
  }

  /** `(a, b)`: the values, sorted and without repeats; `()` and empty entries are the empty value. */
  #valueSet(): string[] {
    const open = this.#next();
    if (!Parser.#is(open, "(")) throw new Error(`found '${open.text}' expected: '('`);
    const first = this.#peek();
    if (Parser.#is(first, ")")) {
      this.#next();
      return [""];
    }
    if (!Parser.#isId(first) && !Parser.#is(first, ",")) {
      throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    }
    const values = new Set<string>();
    // Bounded: every pass consumes a token, and the list ends with "end".
    for (;;) {
      const token = this.#next();
      if (Parser.#isId(token)) {
        values.add(token.text);
        const after = this.#peek();
        if (Parser.#is(after, ")")) break;
        if (!Parser.#is(after, ",")) throw new Error(`found '${after.text}', expected: ',' or ')'`);
      } else if (Parser.#is(token, ",")) {
        if (values.size === 0) values.add("");
        const after = this.#peek();
        if (Parser.#is(after, ")")) {
          values.add("");
          break;
        }
        if (Parser.#is(after, ",")) {
          this.#next();
          values.add("");
        }
      } else {
        throw new Error(`found '${token.text}', expected: ',', or identifier`);
      }
    }
    this.#next(); // The ")" the loop stopped at.
    return [...values].sort();
  }

  /** The value after `=`, `==`, `!=`, `>` or `<`; none at all is the empty value. */
  #exactValue(): string {
    const next = this.#peek();
    if (next.kind === "end" || Parser.#is(next, ",")) return "";
    const token = this.#next();
    if (Parser.#isId(token)) return token.text;
    throw new Error(`found '${token.text}', expected: identifier`);
  }
}

/** The value as Go's `strconv.ParseInt(value, 10, 64)` reads it, or undefined where that fails. */
function int64(value: string): bigint | undefined {
  if (!/^[-+]?\d+$/.test(value)) return undefined;
  const number = BigInt(value);
  return number > 2n ** 63n - 1n || number < -(2n ** 63n) ? undefined : number;
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
      // Go's strconv.ParseInt(value, 10, 64): a label beyond 64 bits matches neither; exact, not as a float.
      const actual = has ? int64(value as string) : undefined;
      if (actual === undefined) return false;
      const bound = int64(requirement.values[0])!;
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
  const requirements = new Parser(tokenize(selector)).parse();
  return {
    empty: requirements.length === 0,
    matches(labels) {
      const actual = labels ?? {};
      return requirements.every((requirement) => satisfies(requirement, actual));
    },
  };
}
