/**
 * Query parameters of list and watch requests, read the way the Kubernetes
 * API server reads them, and the opaque `continue` tokens of paginated
 * lists. Private to the fake API server.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { badRequest, watchResourceVersionInvalid } from "./_api_status.ts";
import {
  type FieldSelector,
  FieldSelectorError,
  parseFieldSelector,
  type SelectableFields,
} from "./_field_selector.ts";
import { type LabelSelector, LabelSelectorError, parseLabelSelector } from "./_label_selector.ts";
import { quotedValue } from "./_go_quote.ts";
import { readToken } from "./_continue_token.ts";

/** Where a paginated list goes on: its snapshot and the last key sent. */
export interface ContinuePosition {
  /** The snapshot's resourceVersion; `-1` means the current state. */
  rv: number;
  /**
   * Where the next page starts, relative to the list's key prefix, as the real server's token carries it: `/name\0`
   * in one namespace, `/namespace/name\0` across namespaces (the last key sent, and a NUL byte).
   */
  start: string;
}

/**
 * The query parameters, first value of each, as Go's `url.ParseQuery` and `Values.Get` read them: a pair
 * holding a raw `;` or a malformed escape (`%zz`) is dropped, `+` is a space, and a key without `=` has the
 * value `""`.
 *
 * @param rawQuery The query, still percent-encoded, without its `?`.
 * @returns The first value of each key.
 */
export function firstValues(rawQuery: string): Record<string, string> {
  const values = new Map<string, string>();
  for (const pair of rawQuery.split("&")) {
    if (pair === "" || pair.includes(";")) continue;
    const equals = pair.indexOf("=");
    const key = queryUnescape(equals === -1 ? pair : pair.slice(0, equals));
    const value = queryUnescape(equals === -1 ? "" : pair.slice(equals + 1));
    if (key !== undefined && value !== undefined && !values.has(key)) values.set(key, value);
  }
  return Object.fromEntries(values);
}

/** Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; undefined for a `%` without two hex digits. */
function queryUnescape(text: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return undefined;
  const bytes = text.replace(/\+/g, " ").split(/(%[0-9a-fA-F]{2})/).flatMap((part) =>
    part.startsWith("%") ? [parseInt(part.slice(1), 16)] : [...new TextEncoder().encode(part)]
  );
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** A boolean parameter: present and not `0`/`false` means true, like Go's conversion. */
export function queryBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return !(value === "0" || value.toLowerCase() === "false");
}

/** A 64-bit integer parameter (Go's `strconv.ParseInt`); absent is 0, present but empty (`limit=`) a 400. */
function queryInt64(value: string | undefined): bigint {
  if (value === undefined) return 0n;
  if (!/^[-+]?\d+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing ${quotedValue(value)}: invalid syntax`);
  const parsed = BigInt(value);
  if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) {
    throw badRequest(`strconv.ParseInt: parsing ${quotedValue(value)}: value out of range`);
  }
  return parsed;
}

/** The options every list and watch reads: its timeout, its page size and its selectors. */
export interface ListOptions {
  /**
   * The watch's timeout in milliseconds, as Go computes `timeoutSeconds` times a second in 64 bits (a
   * value that wraps around comes out negative, or small): 0 for none, negative for a deadline already
   * passed.
   */
  readonly timeoutMs: number;
  /** The page size; 0 (or less) for no pages. */
  readonly limit: number;
  /** The label and field selectors. */
  readonly selector: ObjectSelector;
}

/**
 * Reads the options of a list or watch in the order kube-apiserver decodes them, so that the first bad one
 * is the one its 400 names: `timeoutSeconds` and `limit` (numbers), then the label and field selectors.
 *
 * @param query The request's query parameters.
 * @param fields The fields the listed resource may be selected by; `undefined` takes any (see `parseFieldSelector`).
 * @returns The options.
 * @throws {HttpError} `400 BadRequest` for the first option the real server cannot read.
 */
export function readListOptions(query: Record<string, string>, fields: SelectableFields | undefined): ListOptions {
  const timeoutNs = BigInt.asIntN(64, queryInt64(query.timeoutSeconds) * 1_000_000_000n);
  const limit = Number(queryInt64(query.limit));
  return { timeoutMs: Number(timeoutNs / 1_000_000n), limit, selector: parseSelector(query, fields) };
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A specific resourceVersion, read as the real server reads it (an unsigned
 * 64-bit integer); one beyond `Number.MAX_SAFE_INTEGER` is as good as
 * infinitely far in the future.
 *
 * @returns The number, or the problem in the real server's words.
 */
function readResourceVersion(value: string): number | string {
  const syntax = /^\d+$/.test(value);
  if (!syntax || BigInt(value) > UINT64_MAX) {
    const problem = syntax ? "value out of range" : "invalid syntax";
    return `resourceVersion: Invalid value: ${quotedValue(value)}: strconv.ParseUint: parsing ${
      quotedValue(value)
    }: ${problem}`;
  }
  return Math.min(Number(value), Number.MAX_SAFE_INTEGER);
}

/** The resourceVersion of a list; a bad one is a `400 BadRequest`. */
export function listResourceVersion(value: string): number {
  const read = readResourceVersion(value);
  if (typeof read === "string") throw badRequest(`invalid resource version: ${read}`);
  return read;
}

/** The resourceVersion of a watch; a bad one is a `500` without reason, as on the real server. */
export function watchResourceVersion(value: string): number {
  const read = readResourceVersion(value);
  if (typeof read === "string") throw watchResourceVersionInvalid(read);
  return read;
}

/** What a list or watch selects: its label and field selectors together. */
export interface ObjectSelector {
  /** Whether neither selector has a term (the real server then counts the remaining items of a page). */
  readonly empty: boolean;
  /** The name a `metadata.name=` term of the field selector requires, if it has one. */
  readonly name: string | undefined;
  /** The namespace a `metadata.namespace=` term of the field selector requires, if it has one. */
  readonly namespace: string | undefined;
  /** Whether an object with these labels and field values (by field name) is selected. */
  matches(labels: Record<string, string> | undefined, values: Readonly<Record<string, string>>): boolean;
}

/** The label and field selectors of a request; a bad one is a `400 BadRequest`. */
function parseSelector(query: Record<string, string>, selectable: SelectableFields | undefined): ObjectSelector {
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(query.labelSelector ?? "");
    fields = parseFieldSelector(query.fieldSelector ?? "", selectable);
  } catch (error) {
    if (error instanceof LabelSelectorError || error instanceof FieldSelectorError) throw badRequest(error.message);
    throw error;
  }
  return {
    empty: labels.empty && fields.empty,
    name: fields.exactName,
    namespace: fields.exactNamespace,
    matches: (objectLabels, values) => fields.matches(values) && labels.matches(objectLabels),
  };
}

/** An opaque continue token, shaped like the real server's. */
export function encodeContinue(position: ContinuePosition): string {
  return Buffer.from(
    JSON.stringify({
      v: "meta.k8s.io/v1",
      rv: position.rv,
      start: position.start,
    }),
  ).toString("base64url");
}

/**
 * Reads a continue token as kube-apiserver does: one that is not base64url JSON of its shape, of another version,
 * with a resourceVersion of 0 or none, with an empty start key or one that is not a clean path gets its 400 in its
 * words (`_continue_token.ts`); a negative resourceVersion continues at the current state.
 *
 * @param token The `continue` parameter.
 * @returns Where the list goes on; `rv` is `-1` for the current state.
 * @throws {HttpError} `400 BadRequest` for a token the real server refuses.
 */
export function decodeContinue(token: string): ContinuePosition {
  const invalid = (detail: string) => badRequest(`invalid continue token: continue key is not valid: ${detail}`);
  const read = readToken(token);
  if ("problem" in read) throw invalid(read.problem);
  const { v: version, rv, start } = read;
  if (version !== "meta.k8s.io/v1") throw invalid(`server does not recognize this encoded version ${version}`);
  if (rv === 0) throw invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  if (start === "") throw invalid("encoded start key empty (version meta.k8s.io/v1)");
  if (!isCleanPath(start.startsWith("/") ? start : `/${start}`)) throw invalid(start);
  return { rv: Math.max(rv, -1), start };
}

/** Whether Go's `path.Clean` leaves a path that starts with `/` as it is: no empty, `.` or `..` segment. */
function isCleanPath(path: string): boolean {
  if (path === "/") return true;
  return path.slice(1).split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}
