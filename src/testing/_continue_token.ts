/**
 * Reads a `continue` token as kube-apiserver v1.36.3 does, up to the problem it names for one it cannot read: Go's
 * base64 (unpadded, URL alphabet) and JSON errors, quoted as Go writes them (measured). A JSON syntax error other
 * than a bad first character, a truncated text or text after the value gets the fake's own words. Private to the
 * fake API server.
 *
 * @module
 */

import { goQuote } from "./_go_quote.ts";

/** The fields of a token, as Go's decoder fills its struct: absent or null is the zero value. */
export interface TokenFields {
  /** The encoding's version, `meta.k8s.io/v1`. */
  readonly v: string;
  /** The snapshot's resourceVersion. */
  readonly rv: number;
  /** The key the next page starts after. */
  readonly start: string;
}

const ALPHABET = /^[A-Za-z0-9_-]$/;
/** Endings that complete a text cut short: one that any completes is a prefix of JSON, which Go reads to its end. */
const ENDINGS = [
  "}",
  "]",
  '"',
  '"}',
  '"]',
  "0",
  "0}",
  "0]",
  ":0}",
  '":0}',
  "e",
  "l",
  "ue",
  "se",
  "ll",
  "rue",
  "alse",
  "ull",
];
/** The fake's words for a token it cannot read as Go does. */
const NOT_ISSUED = "the token is not one this server issued";
/** Longer texts are not searched for a valid prefix (the search is quadratic). */
const PREFIX_SEARCH_LIMIT = 4096;

/**
 * The fields of a token, or the problem Go's decoders name.
 *
 * @param token The `continue` parameter.
 * @returns The fields, or the problem (after `continue key is not valid: `).
 */
export function readToken(token: string): TokenFields | { problem: string } {
  const bytes = base64Bytes(token);
  if (typeof bytes === "string") return { problem: bytes };
  const text = new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: syntaxProblem(bytes, text) };
  }
  if (value === null) return { v: "", rv: 0, start: "" };
  if (typeof value !== "object" || Array.isArray(value)) {
    return { problem: `json: cannot unmarshal ${kindOf(value)} into Go value of type storage.continueToken` };
  }
  // Go's decoder matches a field's name case-insensitively; the last of several wins.
  const fields = new Map<string, unknown>();
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) fields.set(name.toLowerCase(), entry);
  const v = fields.get("v") ?? "";
  const rv = fields.get("rv") ?? 0;
  const start = fields.get("start") ?? "";
  if (typeof v !== "string") return { problem: fieldProblem(v, "v", "string") };
  if (typeof rv !== "number" || !Number.isSafeInteger(rv)) return { problem: fieldProblem(rv, "rv", "int64") };
  if (typeof start !== "string") return { problem: fieldProblem(start, "start", "string") };
  return { v, rv, start };
}

/** Go's `base64.RawURLEncoding.DecodeString`: the bytes, or its error (line breaks are skipped). */
function base64Bytes(token: string): Uint8Array | string {
  const bytes = new TextEncoder().encode(token);
  let count = 0;
  let last = 0;
  for (const [index, byte] of bytes.entries()) {
    if (byte === 0x0a || byte === 0x0d) continue;
    if (!ALPHABET.test(String.fromCharCode(byte))) return `illegal base64 data at input byte ${index}`;
    count++;
    last = index;
  }
  if (count % 4 === 1) return `illegal base64 data at input byte ${last}`;
  return Uint8Array.from(
    atob(
      token.replace(/[\r\n]/g, "").replace(/-/g, "+").replace(/_/g, "/") +
        "=".repeat((4 - count % 4) % 4),
    ),
    (char) => char.charCodeAt(0),
  );
}

/**
 * What Go's JSON scanner says of a text that is no JSON, where the fake can tell it: a bad first character, text after
 * the value, a text cut short (in a literal or number, the space Go feeds at the end is the bad character); else the
 * fake's words.
 */
function syntaxProblem(bytes: Uint8Array, text: string): string {
  const body = text.replace(/^[ \t\r\n]+/, "");
  if (body === "") return "unexpected end of JSON input";
  const first = bytes[text.length - body.length];
  if (!/^[-0-9{["tfn]/.test(body)) return `invalid character ${quoteChar(first)} looking for beginning of value`;
  if (text.length > PREFIX_SEARCH_LIMIT) return NOT_ISSUED;
  // A text that some ending completes is a prefix of JSON, which Go reads to its end (before any text past a value).
  const ending = ENDINGS.find((ending) => isJson(text + ending));
  if (ending === undefined) return afterValue(bytes, text);
  if (/^[a-z]/.test(ending)) {
    const word = `${/[a-z]*$/.exec(text)![0]}${ending}`;
    return `invalid character ' ' in literal ${word} (expecting '${ending[0]}')`;
  }
  if (ending === "0") {
    if (/[eE][-+]?$/.test(text)) return "invalid character ' ' in exponent of numeric literal";
    if (text.endsWith(".")) return "invalid character ' ' after decimal point in numeric literal";
    return "invalid character ' ' in numeric literal";
  }
  return "unexpected end of JSON input";
}

/** Go's error for a text past a whole JSON value, found as the longest prefix that is one; else the fake's words. */
function afterValue(bytes: Uint8Array, text: string): string {
  // The longest prefix that is a whole JSON value: what follows it is past the top-level value.
  for (let end = text.length - 1; end > 0; end--) {
    if (!isJson(text.slice(0, end))) continue;
    const after = new TextEncoder().encode(text.slice(0, end)).length;
    const rest = bytes.subarray(after).find((byte) => ![0x20, 0x09, 0x0a, 0x0d].includes(byte)) ?? 0x20;
    return `invalid character ${quoteChar(rest)} after top-level value`;
  }
  return NOT_ISSUED;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A byte as Go's JSON scanner quotes it in an error: `'x'`, `'\''`, `'"'`, `'\x01'`. */
function quoteChar(code: number): string {
  if (code === 0x27) return "'\\''";
  if (code === 0x22) return `'"'`;
  return `'${goQuote(String.fromCharCode(code)).slice(1, -1)}'`;
}

/** The JSON kind Go's decoder names. */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "boolean" ? "bool" : typeof value === "object" ? "object" : typeof value;
}

/**
 * Go's error for a field of the wrong kind; a number that is no int64 names itself (as JavaScript writes it, where Go
 * quotes the text: `1e2` reads `100` here).
 */
function fieldProblem(value: unknown, field: string, type: string): string {
  const kind = typeof value === "number" && type === "int64" ? `number ${value}` : kindOf(value);
  return `json: cannot unmarshal ${kind} into Go struct field continueToken.${field} of type ${type}`;
}
