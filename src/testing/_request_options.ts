/**
 * Query parameters of list and watch requests, read the way the Kubernetes
 * API server reads them, and the opaque `continue` tokens of paginated
 * lists. Private to the fake API server.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { badRequest } from "./_api_status.ts";
import { type LabelSelector, LabelSelectorError, parseLabelSelector } from "./_label_selector.ts";

/** Where a paginated list goes on: its snapshot and the last key sent. */
export interface ContinuePosition {
  /** The snapshot's resourceVersion; `-1` means the current state. */
  rv: number;
  /** The last `namespace/name` already sent. */
  start: string;
}

/**
 * The query parameters, first value of each, as Go's `url.Values.Get` reads
 * them.
 */
export function firstValues(params: URLSearchParams): Record<string, string> {
  const seen = new Set<string>();
  const entries: [string, string][] = [];
  for (const [key, value] of params) {
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}

/** A boolean parameter: present and not `0`/`false` means true, like Go's conversion. */
export function queryBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return !(value === "0" || value.toLowerCase() === "false");
}

/** An integer parameter; absent or empty is 0. */
export function queryInt(name: string, value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  if (!/^-?\d+$/.test(value)) {
    throw badRequest(
      `strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax for ${name}`,
    );
  }
  return Number(value);
}

/** A specific resourceVersion (a decimal counter). */
export function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badRequest(`invalid resource version: ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** The label selector; field selectors are not supported. */
export function parseSelector(query: Record<string, string>): LabelSelector {
  if ((query.fieldSelector ?? "") !== "") {
    throw badRequest(
      "field selectors are not supported by the fake API server: use labelSelector",
    );
  }
  try {
    return parseLabelSelector(query.labelSelector ?? "");
  } catch (error) {
    if (error instanceof LabelSelectorError) throw badRequest(error.message);
    throw error;
  }
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

/** Reads a continue token; a malformed one is a 400. */
export function decodeContinue(token: string): ContinuePosition {
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      value?.v === "meta.k8s.io/v1" && Number.isSafeInteger(value.rv) &&
      value.rv >= -1 && typeof value.start === "string"
    ) {
      return { rv: value.rv, start: value.start };
    }
  } catch {
    // Reported below.
  }
  throw badRequest(
    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
  );
}
