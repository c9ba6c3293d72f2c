/**
 * The JSON types of an EndpointSlice's `endpoints` and `ports`, checked as kube-apiserver's JSON decoder checks
 * them before any validation: a value of another type is a `400 BadRequest` there (`json: cannot unmarshal string
 * into Go struct field EndpointConditions.endpoints.conditions.ready of type bool`), `null` is a field left out
 * (a map's `null` value is `""`),
 * and unknown fields are dropped. Private to the fake API server.
 *
 * @module
 */

import { describeValue, isRecord } from "../base/_util.ts";
import { decodedStringMap } from "./_json_data.ts";

/** A JSON type as Go reads it into a field: a scalar, a struct with known fields, a list, or a map of strings. */
type Shape = "string" | "boolean" | "string map" | { fields: Record<string, Shape> } | { list: Shape };

const NAMES: Shape = { list: { fields: { name: "string" } } };

const ENDPOINT: Shape = {
  fields: {
    addresses: { list: "string" },
    conditions: { fields: { ready: "boolean", serving: "boolean", terminating: "boolean" } },
    hostname: "string",
    targetRef: {
      fields: Object.fromEntries(
        ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"].map((f) => [f, "string"]),
      ),
    },
    deprecatedTopology: "string map",
    nodeName: "string",
    zone: "string",
    hints: { fields: { forZones: NAMES, forNodes: NAMES } },
  },
};

// `port` is left to the range check, which quotes a number written as a string too.
const PORT: Shape = { fields: { name: "string", protocol: "string", appProtocol: "string" } };

const CONTENT: Record<string, Shape> = { endpoints: { list: ENDPOINT }, ports: { list: PORT } };

/** What the type is called in a message. */
function typeWord(shape: Shape): string {
  if (typeof shape === "string") {
    return `a ${shape === "string map" ? "map of strings" : shape}`;
  }
  return "fields" in shape ? "an object" : "a list";
}

/** The first field of `value` (at `path`) whose JSON type does not fit `shape`; `null` fits any. */
function problemAt(path: string, value: unknown, shape: Shape): string | undefined {
  if (value === null || value === undefined) return undefined;
  let fits: boolean;
  if (shape === "string") fits = typeof value === "string";
  else if (shape === "boolean") fits = typeof value === "boolean";
  else if (shape === "string map") fits = decodedStringMap(value) !== false;
  else if ("fields" in shape) fits = isRecord(value);
  else fits = Array.isArray(value);
  if (!fits) return `${path} must be ${typeWord(shape)}: current value is ${describeValue(value)}`;
  if (typeof shape === "string") return undefined;
  if ("list" in shape) {
    for (const [index, item] of (value as unknown[]).entries()) {
      const problem = problemAt(`${path}[${index}]`, item, shape.list);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  for (const [field, fieldShape] of Object.entries(shape.fields)) {
    const problem = problemAt(`${path}.${field}`, (value as Record<string, unknown>)[field], fieldShape);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * The first field of a slice's `endpoints` or `ports` whose JSON type kube-apiserver's decoder refuses, with the
 * advice to fix it; `undefined` when they all fit.
 *
 * @param input The slice given to `applySlice()`.
 * @returns The problem, or `undefined`.
 */
export function sliceTypeProblem(input: Record<string, unknown>): string | undefined {
  for (const [field, shape] of Object.entries(CONTENT)) {
    const problem = problemAt(field, input[field], shape);
    if (problem !== undefined) {
      return `${problem} (kube-apiserver's JSON decoder refuses it with a 400 BadRequest)`;
    }
  }
  return undefined;
}
