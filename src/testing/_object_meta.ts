/**
 * The rules kube-apiserver holds every object's metadata to beyond names and
 * labels (`ValidateObjectMeta` of `k8s.io/apimachinery/pkg/api/validation`):
 * owner references and the total size of the annotations, each problem in
 * its words, and owner references as it stores them. Private to the fake API
 * server.
 *
 * @module
 */

import { isRecord } from "../base/_util.ts";
import { goJson } from "./_go_json.ts";
import { quotedValue } from "./_go_quote.ts";

/** The most bytes the keys and values of an object's annotations may add up to (256 KiB). */
const MAX_ANNOTATION_BYTES = 256 * 1024;

/** The length Go measures: UTF-8 bytes. */
function bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * The problem of an object's annotations as a whole, in the testing API's words with the real server's
 * reason: the bytes of all keys and values together are capped.
 *
 * @param annotations The annotations, already checked to map strings to strings.
 * @returns The problem, or `undefined` when kube-apiserver accepts their size.
 */
export function annotationsSizeProblem(annotations: Record<string, string>): string | undefined {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) total += bytes(key) + bytes(value);
  return total <= MAX_ANNOTATION_BYTES ? undefined : "metadata.annotations are too large, as kube-apiserver counts " +
    `them (the UTF-8 bytes of every key and value): metadata.annotations: Too long: may not be more than ` +
    `${MAX_ANNOTATION_BYTES} bytes: current size is ${total} bytes`;
}

/** The fields of an owner reference, in the order the real server writes them. */
const STRING_FIELDS = ["apiVersion", "kind", "name", "uid"] as const;
const BOOLEAN_FIELDS = ["controller", "blockOwnerDeletion"] as const;

/** An owner reference as kube-apiserver stores it. */
export type OwnerReference = Record<string, string | boolean>;

/**
 * Checks owner references as kube-apiserver does and returns them as it stores them: its fields only, in
 * its order, and an entry equal to an earlier one dropped (it drops them before it validates, with a warning).
 *
 * @param references The input's `metadata.ownerReferences`.
 * @returns The references to store, or a problem in the testing API's words with the real server's reason.
 */
export function checkOwnerReferences(references: unknown): { stored: OwnerReference[] } | { problem: string } {
  if (!Array.isArray(references)) return { problem: "metadata.ownerReferences must be a list" };
  const stored: OwnerReference[] = [];
  /** Where each stored reference stands in the input, for messages. */
  const positions: number[] = [];
  const seen = new Set<string>();
  for (const [at, reference] of references.entries()) {
    const field = `metadata.ownerReferences[${at}]`;
    if (!isRecord(reference)) return { problem: `${field} must be an object` };
    const copy: OwnerReference = {};
    for (const name of STRING_FIELDS) {
      const value = reference[name] ?? "";
      if (typeof value !== "string") {
        return { problem: `${field}.${name} must be a string: current value is ${quotedValue(value)}` };
      }
      copy[name] = value;
    }
    for (const name of BOOLEAN_FIELDS) {
      const value = reference[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== "boolean") {
        return { problem: `${field}.${name} must be a boolean: current value is ${quotedValue(value)}` };
      }
      copy[name] = value;
    }
    // Fields in one order, so equal entries have equal texts.
    const text = JSON.stringify(copy);
    if (seen.has(text)) continue;
    seen.add(text);
    stored.push(copy);
    positions.push(at);
  }
  let controller: string | undefined;
  for (const [at, reference] of stored.entries()) {
    const problem = referenceProblem(reference);
    const field = `metadata.ownerReferences[${positions[at]}]`;
    if (problem !== undefined) {
      return { problem: `${field} is no owner reference, as kube-apiserver requires one: ${problem}` };
    }
    if (reference.controller !== true) continue;
    const owner = `${reference.kind}/${reference.name}`;
    if (controller !== undefined) {
      return {
        problem:
          `metadata.ownerReferences name two controllers, as kube-apiserver refuses: metadata.ownerReferences: ` +
          `Invalid value: ${goJson(stored)}: Only one reference can have Controller set to true. ` +
          `Found "true" in references for ${controller} and ${owner}`,
      };
    }
    controller = owner;
  }
  return { stored };
}

/** kube-apiserver's first reason against one reference, as it words it with the field. */
function referenceProblem(reference: OwnerReference): string | undefined {
  const apiVersion = reference.apiVersion as string;
  // schema.ParseGroupVersion: "version" or "group/version"; with more slashes it fails, and no version is read.
  const parts = apiVersion.split("/");
  const [group, version] = parts.length === 1 ? ["", parts[0]] : parts.length === 2 ? parts : ["", ""];
  const quoted = quotedValue(apiVersion);
  if (version === "") return `metadata.ownerReferences.apiVersion: Invalid value: ${quoted}: version must not be empty`;
  for (const name of ["kind", "name", "uid"] as const) {
    if (reference[name] === "") return `metadata.ownerReferences.${name}: Invalid value: "": must not be empty`;
  }
  if (group === "" && version === "v1" && reference.kind === "Event") {
    const banned = "/v1, Kind=Event is disallowed from being an owner";
    return `metadata.ownerReferences: Invalid value: ${goJson(reference)}: ${banned}`;
  }
  return undefined;
}
