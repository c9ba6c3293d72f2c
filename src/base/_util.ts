/**
 * Small helpers shared by several modules: checking untyped values (parsed
 * JSON or YAML, options) and naming them in messages, base64, and joining
 * byte chunks. Private to the package.
 *
 * @module
 */

/** Whether a parsed YAML/JSON value is a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a value is, by its class when it has one (`of class URL`), else its type; never its contents. */
export function kindOf(value: unknown): string {
  const name = isRecord(value) ? Object.getPrototypeOf(value)?.constructor?.name : undefined;
  if (name && name !== "Object") return `of class ${name}`;
  return `of type ${value === null ? "null" : Array.isArray(value) ? "list" : typeof value}`;
}

/**
 * The first own field of `value` that is not one of `known`, for errors that name a misspelt field; else `undefined`.
 * A field set to `undefined` counts as left out: it changes nothing, whatever its name.
 */
export function unknownField(value: object, known: readonly string[]): string | undefined {
  return Object.keys(value).find((field) =>
    !known.includes(field) && (value as Record<string, unknown>)[field] !== undefined
  );
}

/**
 * A value as an option error shows it: as JSON where it can be (strings quoted, objects whole), numbers as written,
 * bigints with their `n`, a class's instance by its class (`a Map`: JSON showed a Map as `{}`, a URL as a string), a
 * function or class by its name (`the class Client`: its source text went into the message).
 */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return describeFunction(value);
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !isPlainObject(value)) {
    return `a ${typeName(value)}`;
  }
  // JSON would show NaN and Infinity as null.
  if (typeof value === "number") return String(value);
  // JSON throws on a bigint, and String() drops its n: `10n` would read as 10, a value the message allows.
  if (typeof value === "bigint") return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A function as a message names it: `the class Client`, `the function whereAmI`, or `a function` without a name. */
function describeFunction(value: { readonly name: string }): string {
  const kind = Function.prototype.toString.call(value).startsWith("class") ? "class" : "function";
  return value.name === "" ? `a ${kind}` : `the ${kind} ${value.name}`;
}

/**
 * The end of an option error: `current value is <value>`, and for `null`, which no option takes, that leaving the
 * option out gives its default.
 */
export function currentValue(value: unknown): string {
  return value === null
    ? "current value is null (leave the option out, or pass undefined, for its default)"
    : `current value is ${describeValue(value)}`;
}

/**
 * Whether a value is a plain object (`{ ... }`, or one made without a prototype): not a list, nor an instance of a
 * class (`Map`, `URL`), whose fields are no options.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ||
    // An object literal of another realm (a `node:vm` context, as some test runners use).
    (Object.getPrototypeOf(prototype) === null && prototype.constructor?.name === "Object");
}

/**
 * A copy of plain objects and lists, all the way down (shared and circular parts stay so); any other value (a
 * function, an AbortSignal, a class instance) stays the one given. Options are copied with it once checked, so that a
 * caller's later change to its objects cannot reach a running watch or a later channel unchecked.
 *
 * @example
 * ```ts
 * import { copyPlainData } from "./_util.ts";
 * const options = { locality: { zone: "zone-a" } };
 * const kept = copyPlainData(options);
 * options.locality.zone = "zone-b";
 * console.log(kept.locality.zone); // zone-a
 * ```
 */
export function copyPlainData<T>(value: T): T {
  return copyData(value, new Map()) as T;
}

function copyData(value: unknown, copies: Map<object, unknown>): unknown {
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (copies.has(value)) return copies.get(value);
  const copy: Record<string, unknown> = Array.isArray(value) ? [] as never : {};
  copies.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = copyData(item, copies);
  return copy;
}

/** Built-ins whose data is not in their own fields: given as options, they set none without a word. */
const NO_OPTIONS_OBJECTS = [
  Map,
  Set,
  WeakMap,
  WeakSet,
  Date,
  RegExp,
  Promise,
  Error,
  ArrayBuffer,
  URL,
  URLSearchParams,
];

/**
 * Whether a value can hold options in its fields: an object, but not a list, nor a built-in whose data is not in
 * fields (`Map`, `Set`, `URL`, `Date`, typed arrays, ...), which would set no option without a word. An instance of
 * the caller's own class is one: its fields are read as options, as a plain object's are.
 */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  return !NO_OPTIONS_OBJECTS.some((type) => value instanceof type);
}

/** The YAML-ish type name of a value, for messages (`null`, `list`, `string`, ...); a class's instance by its class (`Map`). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object" && !isPlainObject(value)) {
    const name = (value.constructor as { name?: unknown } | undefined)?.name;
    if (typeof name === "string" && name !== "") return name;
  }
  return typeof value;
}

/** Base64 of the UTF-8 bytes of a string. */
export function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The chunks, then `last` (the start of a chunk not yet taken whole), as one new array. */
export function concatBytes(chunks: readonly Uint8Array[], last?: Uint8Array): Uint8Array {
  let length = last?.length ?? 0;
  for (const chunk of chunks) length += chunk.length;
  const all = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  if (last) all.set(last, at);
  return all;
}

/**
 * The length from which a secret is masked wherever it appears in text we quote; a shorter one (a static token
 * `s3cr3t`, a password `hunter2`) could be part of any word (`prod` of `products`), and is masked only where it
 * stands as a word ({@linkcode withoutWord}).
 */
export const MASKED_ANYWHERE = 8;
/** Shorter secrets are left: masking `a` or `is` wherever it stands alone would leave nothing readable. */
export const SHORTEST_MASKED = 4;

/**
 * `text` with `secret` shown as `[redacted]`, in any case, where it stands as a word (no letter, digit, `_` or `-`
 * next to it): how a secret too short to mask anywhere (`s3cr3t`, which `products` could hold as `prod`) is kept out
 * of quoted text.
 */
export function withoutWord(text: string, secret: string): string {
  return wordMask(secret)(text);
}

/**
 * {@linkcode withoutWord} for one secret and many texts (each line an exec plugin writes): its pattern built once.
 *
 * @param secret The secret.
 * @returns A function that returns a text with the secret masked where it stands as a word.
 */
export function wordMask(secret: string): (text: string) => string {
  const pattern = new RegExp(`(?<![\\w-])${literalPattern(secret)}(?![\\w-])`, "gi");
  return (text) => text.replace(pattern, "[redacted]");
}

/**
 * `text` with every form of `secret` that something may have written shown as `[redacted]`: as given,
 * percent-encoded (a URL or a form), and in base64, standard or URL-safe, with or without its padding (a server or a
 * plugin that logs a token encoded); each in any case, as a header lower-cased (`bearer ...`) writes it.
 *
 * @param text The text to quote.
 * @param secret A secret of {@linkcode MASKED_ANYWHERE} characters or more.
 * @returns The text without it.
 *
 * @example
 * ```ts
 * import { withoutSecretForms } from "./_util.ts";
 * console.log(withoutSecretForms("token S3CR3T-TOKEN", "s3cr3t-token")); // "token [redacted]"
 * ```
 */
export function withoutSecretForms(text: string, secret: string): string {
  return secretFormsMask(secret)(text);
}

/**
 * {@linkcode withoutSecretForms} for one secret and many texts (each line an exec plugin writes): its patterns built
 * once, not for every text.
 *
 * @param secret A secret of {@linkcode MASKED_ANYWHERE} characters or more.
 * @returns A function that returns a text with every form of the secret masked.
 */
export function secretFormsMask(secret: string): (text: string) => string {
  const base64 = encodeBase64(secret).replace(/=+$/, "");
  // A lone surrogate has no percent-encoding (encodeURIComponent throws): then the secret as given only.
  const wellFormed = !/\p{Surrogate}/u.test(secret);
  const forms = [secret, ...(wellFormed ? [encodeURIComponent(secret)] : [])].map(literalPattern);
  // With its padding, if any, masked too.
  forms.push(...[base64, base64.replaceAll("+", "-").replaceAll("/", "_")].map((form) => `${literalPattern(form)}=*`));
  const patterns = forms.map((form) => new RegExp(form, "gi"));
  return (text) => patterns.reduce((masked, pattern) => masked.replace(pattern, "[redacted]"), text);
}

/**
 * `text` as a regular expression's source that matches it to the letter.
 *
 * @param text Any text.
 * @returns The pattern.
 *
 * @example
 * ```ts
 * import { literalPattern } from "./_util.ts";
 * console.log(new RegExp(literalPattern("a+b")).test("a+b")); // true
 * ```
 */
export function literalPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}
