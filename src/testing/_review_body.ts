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
 * skipped, as the server ignores a status sent to it. A malformed message
 * gets Go's words, as the real server quotes them: `unexpected EOF` for one
 * cut short, `proto: wrong wireType = 0 for field Spec` for a known field of
 * another wire type.
 *
 * @module
 */

import type * as Yaml from "yaml";
import { LENGTH_DELIMITED, ProtobufError, WireReader } from "../api/protobuf/wire_reader.ts";
import { lazyPackage } from "../runtime/_lazy_package.ts";

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
 * @throws {Error} When the yaml package, for a YAML body, cannot be imported or did not load; its message says
 * what to do.
 */
export async function readReviewBody(
  body: Uint8Array,
  mediaType: string,
  expected: { readonly apiVersion: string; readonly kind: string },
): Promise<Record<string, unknown> | string> {
  // The real server's words for a body it cannot read: the cause, then the body's first 30 bytes.
  const unrecognized = (cause: string) =>
    `the object provided is unrecognized (must be of type ${expected.kind}): ${cause} (${summary(body)})`;
  if (mediaType === "application/vnd.kubernetes.protobuf") return readProtobuf(body, expected, unrecognized);
  const text = new TextDecoder().decode(body);
  const value = mediaType === "application/yaml" ? parseYaml(await yamlPackage(), text) : parseJson(text);
  const format = mediaType === "application/yaml" ? "YAML" : "JSON";
  if (value === MALFORMED) return unrecognized(`the body is not valid ${format}`);
  return asObject(value) ?? unrecognized(`the body is not a ${format} object`);
}

const MALFORMED = Symbol("malformed");

/**
 * The yaml package, imported for the first YAML body: a test that sends none never loads it. One that cannot be
 * imported fails the request with a 500 whose message says what to do.
 */
const yamlPackage = lazyPackage<typeof Yaml>("yaml", "reads YAML request bodies", () => import("yaml"), ["parse"]);

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
function parseYaml(yaml: typeof Yaml, text: string): unknown {
  try {
    return yaml.parse(text, { prettyErrors: false, logLevel: "error", uniqueKeys: false });
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
    const unknown = fieldsOf(body.subarray(PROTOBUF_PREFIX.length), ENVELOPE);
    const typeMeta = fieldsOf(unknown.get(1) ?? new Uint8Array(), TYPE_META);
    apiVersion = stringOf(typeMeta, 1);
    kind = stringOf(typeMeta, 2);
    raw = unknown.get(2) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof MalformedMessage) return unrecognized(error.message);
    throw error;
  }
  if ((kind || expected.kind) !== "SelfSubjectAccessReview") return { apiVersion, kind };
  try {
    return { apiVersion, kind, spec: accessReviewSpec(fieldsOf(raw, ACCESS_REVIEW)) };
  } catch (error) {
    if (!(error instanceof MalformedMessage)) throw error;
    const version = (apiVersion || expected.apiVersion).split("/").at(-1);
    return `${kind || expected.kind} in version "${version}" cannot be handled as a ${expected.kind}: ${error.message}`;
  }
}

/** The Go names of the fields of each message read, by field number from 1. */
const ENVELOPE = ["TypeMeta", "Raw", "ContentEncoding", "ContentType"];
const TYPE_META = ["APIVersion", "Kind"];
const ACCESS_REVIEW = ["ObjectMeta", "Spec", "Status"];
const ACCESS_REVIEW_SPEC = ["ResourceAttributes", "NonResourceAttributes"];

/** A message the real server would refuse, in Go's words. */
class MalformedMessage extends Error {}

/**
 * The last value of each length-delimited field of a message (protobuf's rule for a field that comes twice), by
 * field number; other fields are skipped.
 *
 * @param bytes The message.
 * @param names The Go names of its fields, by number from 1: a named field of another wire type is refused.
 * @throws {MalformedMessage} `unexpected EOF` for a message cut short, Go's words for a named field of another wire
 * type, the reader's for anything else.
 */
function fieldsOf(bytes: Uint8Array, names: readonly string[]): Map<number, Uint8Array> {
  const reader = new WireReader(bytes);
  const fields = new Map<number, Uint8Array>();
  try {
    while (reader.more()) {
      const tag = reader.tag();
      const name = names[(tag >>> 3) - 1];
      if ((tag & 7) === LENGTH_DELIMITED) fields.set(tag >>> 3, reader.bytesField());
      else if (name !== undefined) throw new MalformedMessage(`proto: wrong wireType = ${tag & 7} for field ${name}`);
      else reader.skip(tag);
    }
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    // WireReader words every read past the end of a message so; Go says `unexpected EOF`.
    const cutShort = error.message.includes("runs past the end");
    throw new MalformedMessage(cutShort ? "unexpected EOF" : error.message.replace(/^[^:]*: /, ""));
  }
  return fields;
}

/** A string field, or `""`. */
function stringOf(fields: ReadonlyMap<number, Uint8Array>, number: number): string {
  const bytes = fields.get(number);
  return bytes === undefined ? "" : new TextDecoder().decode(bytes);
}

/** A SelfSubjectAccessReview's spec (field 2), with the attributes it sets. */
function accessReviewSpec(review: ReadonlyMap<number, Uint8Array>): Record<string, unknown> {
  const spec = fieldsOf(review.get(2) ?? new Uint8Array(), ACCESS_REVIEW_SPEC);
  const resource = spec.get(1);
  const nonResource = spec.get(2);
  return {
    ...(resource === undefined ? {} : { resourceAttributes: strings(resource, RESOURCE_ATTRIBUTES) }),
    ...(nonResource === undefined ? {} : { nonResourceAttributes: strings(nonResource, NON_RESOURCE_ATTRIBUTES) }),
  };
}

/** The string fields of a message: the name of field n is `names[n - 1]` (its Go name capitalized). */
function strings(bytes: Uint8Array, names: readonly string[]): Record<string, string> {
  const fields = fieldsOf(bytes, names.map((name) => name[0].toUpperCase() + name.slice(1)));
  return Object.fromEntries(names.map((name, i) => [name, stringOf(fields, i + 1)]));
}
