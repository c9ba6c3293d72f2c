/**
 * The body of an access review in each media type kube-apiserver reads:
 * JSON, YAML (which the real server turns into JSON first) and protobuf
 * (kubectl's choice for `kubectl auth can-i` and `kubectl auth whoami`),
 * read into the JSON shape of the review, for the checks that follow.
 * Private to the fake API server.
 *
 * The protobuf body is the Kubernetes envelope: the four bytes `k8s\0`, then
 * a `runtime.Unknown` (1 typeMeta {1 apiVersion, 2 kind}, 2 raw), whose
 * `raw` is the review (k8s.io/api `authorization/v1/generated.proto` and
 * `authentication/v1/generated.proto`). Only the fields the fake answers
 * from are read: a SelfSubjectAccessReview's spec (1 resourceAttributes,
 * 2 nonResourceAttributes) and their strings; metadata and status are
 * skipped, as the server ignores a status sent to it.
 *
 * @module
 */

import { parse } from "yaml";
import { lastBytes, ProtobufError, type ProtoField, readFields, stringField } from "./_protobuf.ts";

/** The magic bytes before every protobuf object of kube-apiserver: `k8s` and a zero byte. */
const PROTOBUF_PREFIX = [0x6b, 0x38, 0x73, 0x00];

/**
 * The attributes of a resource that the real server keeps, in the order it writes them, which is also their
 * field numbers in ResourceAttributes (8 and 9 are the field and label selectors, not read).
 */
export const RESOURCE_ATTRIBUTES = ["namespace", "verb", "group", "version", "resource", "subresource", "name"];
/** The attributes of a path, in the real server's order and field numbers of NonResourceAttributes. */
export const NON_RESOURCE_ATTRIBUTES = ["path", "verb"];

/**
 * Reads a review's body.
 *
 * @param body The request body.
 * @param mediaType Its media type: `application/json`, `application/yaml` or `application/vnd.kubernetes.protobuf`.
 * @param expected The endpoint's apiVersion and kind, which a protobuf envelope that names none stands for.
 * @returns The review as a JSON object; a string is the message of the 400 for a body that is not one.
 */
export function readReviewBody(
  body: Uint8Array,
  mediaType: string,
  expected: { readonly apiVersion: string; readonly kind: string },
): Record<string, unknown> | string {
  // The real server's words for a body it cannot read: the cause, then the body's first 30 bytes.
  const unrecognized = (cause: string) =>
    `the object provided is unrecognized (must be of type ${expected.kind}): ${cause} (${summary(body)})`;
  if (mediaType === "application/vnd.kubernetes.protobuf") return readProtobuf(body, expected, unrecognized);
  const text = new TextDecoder().decode(body);
  const value = mediaType === "application/yaml" ? parseYaml(text) : parseJson(text);
  const format = mediaType === "application/yaml" ? "YAML" : "JSON";
  if (value === MALFORMED) return unrecognized(`the body is not valid ${format}`);
  return asObject(value) ?? unrecognized(`the body is not a ${format} object`);
}

const MALFORMED = Symbol("malformed");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return MALFORMED;
  }
}

/**
 * A YAML document, as sigs.k8s.io/yaml reads one into JSON (a repeated key's last value wins). Errors other than
 * malformed YAML (Deno refusing the parser's reads of LOG_TOKENS and LOG_STREAM) are thrown: they become a 500
 * that names the permission.
 */
function parseYaml(text: string): unknown {
  try {
    return parse(text, { prettyErrors: false, logLevel: "error", uniqueKeys: false });
  } catch (error) {
    if ((error as Error | undefined)?.name === "NotCapable") throw error;
    return MALFORMED;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** kube-apiserver's summary of a body in its 400: `<empty>`, the text of one that starts with `{`, else hex. */
function summary(body: Uint8Array): string {
  if (body.length === 0) return "<empty>";
  const head = body.subarray(0, 30);
  const shown = body[0] === 0x7b
    ? new TextDecoder().decode(head)
    : Array.from(head, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return body.length > 30 ? `${shown} ...` : shown;
}

/**
 * The envelope and the review it holds (of the endpoint's kind when the envelope names none); other kinds keep
 * only their apiVersion and kind, which the kind check refuses. The envelope's errors are the real server's
 * (a cut-short message is Go's `unexpected EOF`); once the kind is known, they name it, as the real server's do.
 */
function readProtobuf(
  body: Uint8Array,
  expected: { readonly apiVersion: string; readonly kind: string },
  unrecognized: (cause: string) => string,
): Record<string, unknown> | string {
  if (body.length === 0) return unrecognized("empty data");
  if (body.length < PROTOBUF_PREFIX.length || PROTOBUF_PREFIX.some((byte, i) => body[i] !== byte)) {
    return unrecognized(
      `provided data does not appear to be a protobuf message, expected prefix [${PROTOBUF_PREFIX.join(" ")}]`,
    );
  }
  if (body.length === PROTOBUF_PREFIX.length) return unrecognized("empty body");
  let apiVersion: string, kind: string, raw: Uint8Array;
  try {
    const unknown = readFields(body.subarray(PROTOBUF_PREFIX.length));
    const typeMeta = readFields(lastBytes(unknown, 1) ?? new Uint8Array());
    apiVersion = stringField(typeMeta, 1);
    kind = stringField(typeMeta, 2);
    raw = lastBytes(unknown, 2) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof ProtobufError) return unrecognized(error.message);
    throw error;
  }
  if ((kind || expected.kind) !== "SelfSubjectAccessReview") return { apiVersion, kind };
  try {
    return { apiVersion, kind, spec: accessReviewSpec(readFields(raw)) };
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    const version = (apiVersion || expected.apiVersion).split("/").at(-1);
    return `${kind || expected.kind} in version "${version}" cannot be handled as a ${expected.kind}: ${error.message}`;
  }
}

/** A SelfSubjectAccessReview's spec (field 2), with the attributes it sets. */
function accessReviewSpec(review: readonly ProtoField[]): Record<string, unknown> {
  const spec = readFields(lastBytes(review, 2) ?? new Uint8Array());
  const resource = lastBytes(spec, 1);
  const nonResource = lastBytes(spec, 2);
  return {
    ...(resource === undefined ? {} : { resourceAttributes: strings(readFields(resource), RESOURCE_ATTRIBUTES) }),
    ...(nonResource === undefined
      ? {}
      : { nonResourceAttributes: strings(readFields(nonResource), NON_RESOURCE_ATTRIBUTES) }),
  };
}

/** The string fields of a message: the name of field n is `names[n - 1]`. */
function strings(fields: readonly ProtoField[], names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name, i) => [name, stringField(fields, i + 1)]));
}
